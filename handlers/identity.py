"""Who is this user? One answer for every door (shell, Slack, Teams).

1. The partnership file's id for the door wins: the initials on the shell (any case),
   `slack_id`, `teams_id`, the e-mail address (any case), of a person still in the file.
2. Otherwise an identity a door learnt earlier (a chat profile's e-mail matched the file),
   while its person is still in the partnership and the file gives that id to nobody,
   not even to someone who has left.
3. Otherwise, with several partnerships loaded, the same person found in another
   partnership by 1 or 2: people of two partnerships are the same person when their
   e-mail address (any case), `slack_id` or `teams_id` matches (`storage.people_match`, which
   the reminder sweep and the loader of joint series use too). Not on the shell, whose
   initials are each file's own.

Guests (people named in meetings, not in the file) are nobody's identity: they cannot act.

Doors learn identities with `learn_by_email` and read who someone is, and where to reach
someone, only through this module (via the core), so the core and every door agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from storage.command_context import CommandContext
from storage.doors import learnt_keys, learnt_person, remember_identity
from storage.models import DoorIdentity, Person
from storage.people_match import same_person as same_person  # the rule; the sweep asks it here
from storage.roster import PersonRef


@dataclass(frozen=True)
class Who:
    person_id: int
    initials: str
    email: str | None


def who_of(person: Person | None) -> Who | None:
    return Who(person.id, person.initials, person.email) if person is not None else None


def _column(door: str) -> InstrumentedAttribute[str | None] | ColumnElement[str | None]:
    """The partnership file's id of a person on a door."""
    if door == "slack":
        return Person.slack_id
    if door == "teams":
        return Person.teams_id
    if door == "email":
        return func.lower(Person.email)
    return Person.initials  # the shell, and a door that knows people by their initials


def _file_id(door: str, person: Person) -> str | None:
    if door == "slack":
        return person.slack_id
    if door == "teams":
        return person.teams_id
    if door == "email":
        return person.email.lower() if person.email else None
    return person.initials


def user_key(door: str, key: str) -> str:
    """A user's key as the door's ids are kept: e-mail addresses in lower case."""
    return key.strip().lower() if door == "email" else key


def _given_to(session: Session, partnership_id: str, door: str, keys: Iterable[str]) -> list[Person]:
    """People of the partnership (including those who left) the file gives one of these ids."""
    wanted = list(keys)
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.partnership_id == partnership_id, _column(door).in_(wanted), Person.guest.is_(False)
            )
            .order_by(Person.id)
        )
    )


def person_for(session: Session, partnership_id: str, door: str, key: str) -> Person | None:
    """The person of the partnership a door's user is now, or None (see the module's rule)."""
    key = user_key(door, key)
    in_file = _given_to(session, partnership_id, door, [key])
    found = next((p for p in in_file if p.active), None)
    if found is None and door == "shell":
        found = session.scalars(
            select(Person).where(
                Person.partnership_id == partnership_id,
                func.lower(Person.initials) == key.lower(),
                Person.active,
                Person.guest.is_(False),
                Person.mailbox_of.is_(None),  # an agency's mailbox is nobody to act as
            )
        ).first()
    if found is not None or in_file:
        return found  # the file decides whenever it gives out this id
    learnt = learnt_person(session, door, key)
    row = session.get(Person, learnt) if learnt is not None else None
    if row is not None and row.partnership_id == partnership_id:
        return row if row.active and not row.guest else None  # the person learnt has left
    if door == "shell":
        return None
    # The same person, known in another partnership by this id (the file's, else learnt).
    elsewhere = [p for p in _given_anywhere(session, door, key) if p.partnership_id != partnership_id]
    if row is not None and row.active and not row.guest:
        elsewhere.append(row)
    for other in elsewhere:
        same = same_person(session, other, partnership_id)
        if same is not None:
            return same
    return None


def person_id_for(
    session: Session,
    partnership_id: str,
    door: str,
    key: str,
    facts: CommandContext,
    people: dict[int, PersonRef],
) -> int | None:
    """`person_for`'s answer from the facts read with the command (`storage.command_context`):
    no further query when the file gives this id, or a door learnt it for someone of this
    partnership. `people`: this partnership's people by id, at the version the facts were read."""
    if facts.file_person is not None:
        return facts.file_person
    if facts.file_gives:
        return None  # the file gives this id, to someone who has left
    if door != "shell" and facts.learnt_person is not None:
        learnt = people.get(facts.learnt_person)
        if learnt is not None:
            return facts.learnt_person if learnt.active and not learnt.guest else None
    found = person_for(session, partnership_id, door, key)  # the rule's rarer branches
    return found.id if found is not None else None


def _given_anywhere(session: Session, door: str, key: str) -> list[Person]:
    """Active people of any partnership the file gives this id."""
    return list(
        session.scalars(
            select(Person)
            .where(_column(door) == key, Person.active, Person.guest.is_(False))
            .order_by(Person.partnership_id, Person.id)
        )
    )


class AmbiguousUser(Exception):
    """A shell user's initials name different people in several partnerships."""

    def __init__(self, key: str, partnerships: list[str]) -> None:
        super().__init__(key, partnerships)
        self.key, self.partnerships = key, partnerships


def people_for(
    session: Session, partnership_ids: Iterable[str], door: str, key: str, home: str | None = None
) -> dict[str, Person]:
    """Who a door's user is in each partnership they belong to (the module's rule, per partnership).

    On the shell, initials are each file's own: when they name different people in several
    partnerships, `home` (the shell's partnership) decides, else `AmbiguousUser` is raised.
    """
    found = {pid: p for pid in partnership_ids if (p := person_for(session, pid, door, key)) is not None}
    if door != "shell" or len(found) < 2:
        return found
    first = found.get(home or "") or next(iter(found.values()))
    same = {pid: p for pid, p in found.items() if p is first or same_person(session, first, pid) is p}
    if len(same) == len(found) or home in found:
        return same
    raise AmbiguousUser(key, sorted(found))


def learn_by_email(
    session: Session, partnership_id: str, door: str, key: str, emails: Iterable[str], at: datetime
) -> Person | None:
    """Who a door's user is, matching their profile's e-mail to the file the first time (then stored)."""
    found = person_for(session, partnership_id, door, key)
    key = user_key(door, key)
    if found is not None or _given_to(session, partnership_id, door, [key]):
        return found
    wanted = [e.strip().lower() for e in emails if e and e.strip()]
    if not wanted:
        return None
    person = session.scalars(
        select(Person)
        .where(
            Person.partnership_id == partnership_id,
            func.lower(Person.email).in_(wanted),
            Person.active,
            Person.guest.is_(False),
        )
        .order_by(Person.id)
    ).first()
    if person is not None:
        remember_identity(session, door, key, person.id, "email", at)
    return person


def door_keys(session: Session, door: str, person: Person) -> list[str]:
    """A person's ids on a door, to reach them: the file's first, then those learnt (newest first).

    A learnt id the file now gives to someone else is not theirs any more.
    """
    out = [k for k in (_file_id(door, person),) if k]
    # The same person in the other partnerships (their file's id, and ids learnt for them).
    others = [] if door == "shell" else _same_elsewhere(session, person)
    out.extend(k for p in others if (k := _file_id(door, p)) and k not in out)
    learnt = [key for key, _ in learnt_keys(session, door, [person.id, *(p.id for p in others)])]
    taken = {
        _file_id(door, p)
        for p in _given_to(session, person.partnership_id, door, learnt)
        if p.id != person.id
    }
    out.extend(k for k in learnt if k not in taken and k not in out)
    return out


def _same_elsewhere(session: Session, person: Person) -> list[Person]:
    """The same person in every other partnership they are in."""
    pids = session.scalars(
        select(Person.partnership_id).where(Person.partnership_id != person.partnership_id).distinct()
    )
    return [p for pid in pids if (p := same_person(session, person, pid)) is not None]


def door_key_of(session: Session, door: str, initials: str, partnership_id: str | None) -> str | None:
    """Where to reach someone on a door by their initials (in any partnership if none is named)."""
    query = select(Person).where(Person.initials == initials, Person.active).order_by(Person.id)
    if partnership_id:
        query = query.where(Person.partnership_id == partnership_id)
    for person in session.scalars(query):
        keys = door_keys(session, door, person)
        if keys:
            return keys[0]
    return None


def _surely_known_statement(door: str) -> Select[tuple[bool]]:
    """Rules 1 and 2 as one statement: the file gives this id to an active member, or a door
    learnt it for an active member of a partnership whose file gives it to nobody."""
    learnt, given = aliased(Person), aliased(Person)
    key: BindParameter[str] = bindparam("key")
    field = {"slack": "slack_id", "teams": "teams_id"}.get(door, "initials")

    def column(person: type[Person]) -> ColumnElement[str | None]:
        """`_column` of an alias of `Person`."""
        return (
            func.lower(person.email)
            if door == "email"
            else cast(ColumnElement[str | None], getattr(person, field))
        )

    in_file = select(Person.id).where(column(Person) == key, Person.active, Person.guest.is_(False)).exists()
    by_door = (
        select(DoorIdentity.id)
        .join(learnt, learnt.id == DoorIdentity.person_id)
        .where(
            DoorIdentity.door == door,
            DoorIdentity.user_key == key,
            learnt.active,
            learnt.guest.is_(False),
            ~select(given.id)
            .where(
                given.partnership_id == learnt.partnership_id, column(given) == key, given.guest.is_(False)
            )
            .exists(),
        )
        .exists()
    )
    return select(or_(in_file, by_door))


_SURELY_KNOWN: dict[str, Select[tuple[bool]]] = {}


def surely_known(session: Session, door: str, key: str) -> bool:
    """Whether `person_for` finds this user in some partnership, by the two common rules in one
    prebuilt statement (a door asks before every message). False is no answer: ask `people_for`."""
    if door == "shell":
        return False  # initials are each file's own: the full rule decides
    stmt = _SURELY_KNOWN.get(door)
    if stmt is None:
        stmt = _SURELY_KNOWN[door] = _surely_known_statement(door)
    return bool(session.execute(stmt, {"key": user_key(door, key)}).scalar())
