"""Data protection: a person's subject access pack, and their erasure (docs/data-protection.md).

Two tables below say, for every column of the schema that can name a person, what the access pack
reads and what erasure does with it; tests/test_person_data.py fails when a table gains such a
column that neither lists, so a new table cannot quietly escape either.

- REFERENCES: columns holding a person's id. The pack lists every row that references them.
  Erasure keeps most of these rows (minutes, attendance and the action log keep their counts and
  links: the row now points at a pseudonymised person), deletes how a door reaches them, and
  blanks what was written to them.
- KEYS: columns holding a person's initials (or a door's key for them), as the partnership file
  does for roles and members. Erasure puts the pseudonym's key in their place, or removes them
  from lists.
- TEXT: free text that may mention a person by name, initials or e-mail. The pack lists each
  mention; erasure replaces it with the pseudonym ("Former member 1").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Table, delete, func, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from handlers.context import UserError
from storage.guests import touch
from storage.models import (
    Action,
    ActionOwner,
    ActionUpdate,
    Agency,
    AuditEvent,
    Base,
    DoorIdentity,
    Group,
    Meeting,
    PendingQuestion,
    Person,
    Series,
)
from storage.nudge_models import Digest, NudgeClaim

# What erasure does with a row that references the person by id.
KEEP = "keep"  # the row stays and points at the pseudonymised person (counts and links intact)
DELETE = "delete"  # how a door reaches them, or a lease: gone
BLANK = "blank"  # what was sent to them: the row stays, its text is blanked

REFERENCES: dict[tuple[str, str], str] = {
    ("people", "merged_into_id"): KEEP,  # guests merged into them: pseudonymised with them
    ("bindings", "bound_by"): KEEP,
    ("meetings", "opened_by"): KEEP,
    ("meetings", "closed_by"): KEEP,
    ("meetings", "minutes_approved_by"): KEEP,
    ("attendance", "person_id"): KEEP,
    ("attendance", "deputy_for_id"): KEEP,
    ("minutes_corrections", "created_by"): KEEP,
    ("decisions", "created_by"): KEEP,
    ("declarations", "person_id"): KEEP,
    ("declarations", "created_by"): KEEP,
    ("notes", "created_by"): KEEP,
    ("agenda_items", "presenter_id"): KEEP,
    ("agenda_items", "requested_by"): KEEP,
    ("actions", "created_by"): KEEP,
    ("action_owners", "person_id"): KEEP,
    ("action_updates", "person_id"): KEEP,
    ("audit_events", "actor_id"): KEEP,
    ("nudge_claims", "recipient_id"): KEEP,
    ("answer_link_uses", "person_id"): KEEP,
    ("digests", "recipient_id"): BLANK,
    ("recipient_leases", "person_id"): DELETE,
    ("door_identities", "person_id"): DELETE,
    ("conversation_refs", "person_id"): DELETE,
}

# Columns holding initials or a door's key for a person. REPLACE: the pseudonym's key takes their
# place; REMOVE: they leave the list (or mapping); CLEAR: set to nothing; ROW: the row goes (it is
# the person's, deleted or blanked through REFERENCES or the questions asked of them).
REPLACE, REMOVE, CLEAR, ROW = "replace", "remove", "clear", "row"
KEYS: dict[tuple[str, str], str] = {
    ("people", "initials"): REPLACE,
    ("agencies", "lead"): CLEAR,
    ("groups", "members"): REMOVE,
    ("groups", "leads"): REMOVE,
    ("series", "chair"): REPLACE,  # a series always has a chair key: the pseudonym's, until the next load
    ("series", "vice_chair"): CLEAR,
    ("series", "minute_taker"): CLEAR,
    ("series", "business_manager"): CLEAR,
    ("series", "members"): REMOVE,
    ("series", "deputies"): REMOVE,
    ("series", "observers"): REMOVE,
    ("series", "chair_rotation"): REPLACE,
    ("series", "shared_with"): REMOVE,
    ("meetings", "chair"): REPLACE,
    ("audit_events", "actor"): REPLACE,
    ("audit_events", "entity_id"): REPLACE,
    ("pending_questions", "asker"): ROW,
    ("pending_questions", "choices"): REPLACE,
    ("door_identities", "user_key"): ROW,
}

# Free text (and JSON holding text) that may mention a person.
TEXT: tuple[tuple[str, str], ...] = (
    ("actions", "title"),
    ("actions", "text"),
    ("action_updates", "text"),
    ("notes", "text"),
    ("decisions", "text"),
    ("decisions", "decision_quorum_missing"),
    ("declarations", "text"),
    ("minutes_corrections", "text"),
    ("agenda_items", "title"),
    ("attendance", "role_note"),
    ("quorum_changes", "missing"),
    ("audit_events", "before"),
    ("audit_events", "after"),
    ("digests", "subject"),
    ("digests", "body"),
    ("digests", "error"),
    ("nudge_claims", "error"),
    ("pending_questions", "command"),
    ("pending_questions", "part"),
    ("pending_questions", "holds"),
    ("pending_questions", "prompt"),
    ("pending_questions", "before"),
    ("pending_questions", "after"),
    ("pending_questions", "skip"),
)

# An erased person's key in `initials`: file initials are letters only, so no file gives it (as guests').
ERASED_KEY = "former-"
ERASED_NAME = "Former member"
ERASED = "(erased)"  # a platform id or e-mail address quoted in the audit trail

# Initials that are also everyday words: as a whole word in text they are more often the word.
COMMON_WORDS = frozenset(
    {"A", "AM", "AN", "AS", "AT", "BE", "BY", "DO", "GO", "HE", "IF", "IN", "IS", "IT", "ME", "MY", "NO"}
    | {"OF", "OK", "ON", "OR", "SO", "TO", "UP", "US", "WE"}
)


# --- who ------------------------------------------------------------------------------------------------


@dataclass
class Subject:
    """The person asked about: their row, and guest rows merged into them (the same person, as typed)."""

    partnership_id: str
    person: Person
    merged: list[Person]

    @property
    def ids(self) -> list[int]:
        return [self.person.id, *(g.id for g in self.merged)]

    @property
    def rows(self) -> list[Person]:
        return [self.person, *self.merged]

    @property
    def erased(self) -> bool:
        return self.person.initials.startswith(ERASED_KEY)

    def door_keys(self, session: Session) -> set[tuple[str, str]]:
        """(door, key) pairs that are this person on a door: the file's ids, the learnt ones, the shell's."""
        keys = {("shell", self.person.initials)}
        for p in self.rows:
            if p.slack_id:
                keys.add(("slack", p.slack_id))
            if p.teams_id:
                keys.add(("teams", p.teams_id))
        for door, key in session.execute(
            select(DoorIdentity.door, DoorIdentity.user_key).where(DoorIdentity.person_id.in_(self.ids))
        ):
            keys.add((door, key))
        return keys


def find_subject(session: Session, partnership_id: str, who: str) -> Subject:
    """The one person `who` (initials, a guest's key or a full name) names; a clear UserError otherwise."""
    typed = " ".join(who.split())
    if not typed:
        raise UserError('Say whose data: their initials (HN) or full name ("Hannah Noor").')
    rows = list(
        session.scalars(select(Person).where(Person.partnership_id == partnership_id).order_by(Person.id))
    )
    found = [p for p in rows if p.initials == typed] or [
        p for p in rows if p.initials.lower() == typed.lower()
    ]
    if not found:
        found = [p for p in rows if " ".join(p.name.split()).lower() == typed.lower()]
        # A guest merged into someone is that someone.
        found = [p for p in found if p.merged_into_id is None] or found[:1]
        if len(found) == 1 and found[0].merged_into_id is not None:
            found = [p for p in rows if p.id == found[0].merged_into_id]
    if not found:
        raise UserError(
            f"Nobody called {typed!r} is stored in {partnership_id}: give their initials as the file has "
            "them, a guest's key (guest-12, see `people guests`) or their full name. Someone already "
            'erased is known only by their pseudonym ("Former member 1"). Nothing was changed.'
        )
    if len(found) > 1:
        listed = "; ".join(f"{p.name} ({p.initials}{', guest' if p.guest else ''})" for p in found)
        raise UserError(
            f"{typed!r} names {len(found)} people in {partnership_id}: {listed}. "
            "Give the initials or guest key of the one you mean. Nothing was changed."
        )
    person = found[0]
    merged = [p for p in rows if p.merged_into_id == person.id]
    return Subject(partnership_id, person, merged)


# --- plain values ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _scope(session: Session, table: Table, partnership_id: str) -> ColumnElement[bool] | None:
    """Rows of this partnership: by its own column, else through its series, meeting or action."""
    c = table.c
    series = select(Series.id).where(Series.partnership_id == partnership_id)
    if "partnership_id" in c:
        return or_(c.partnership_id == partnership_id, c.partnership_id.is_(None))
    if "series_id" in c:
        return c.series_id.in_(series)
    if "meeting_id" in c:
        return c.meeting_id.in_(select(Meeting.id).where(Meeting.series_id.in_(series)))
    if "action_id" in c:
        return c.action_id.in_(select(Action.id).where(Action.series_id.in_(series)))
    return None


# --- finding mentions in text ---------------------------------------------------------------------------


@dataclass
class Mentions:
    """How the person appears in text: full names and e-mail addresses, initials as a whole word."""

    names: list[str]
    initials: str | None
    exact: dict[str, str]  # a whole JSON string that is theirs → what replaces it
    label: str = ""

    @property
    def words(self) -> list[str]:
        """What a text must contain to mention them (a cheap filter before the pattern)."""
        return [*self.names, *([self.initials] if self.initials else [])]

    def pattern(self) -> re.Pattern[str] | None:
        parts = [r"\s+".join(re.escape(w) for w in n.split()) for n in self.names]
        if not parts and not self.initials:
            return None
        # Whole words only: erasing "Jo Kerr" leaves "Jo Kerrigan" alone.
        names = rf"(?<!\w)(?i:{'|'.join(parts)})(?!\w)" if parts else None
        initials = rf"(?<![\w-]){re.escape(self.initials)}(?![\w-])" if self.initials else None
        return re.compile("|".join(p for p in (names, initials) if p))

    def find(self, text: str) -> bool:
        pattern = self.pattern()
        return bool(pattern and pattern.search(text))

    def replace(self, value: Any) -> Any:
        """The value with every mention replaced by the pseudonym (JSON walked, keys too)."""
        pattern = self.pattern()
        if isinstance(value, str):
            if value in self.exact:
                return self.exact[value]
            return pattern.sub(self.label, value) if pattern else value
        if isinstance(value, dict):
            return {self.replace(k): self.replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.replace(v) for v in value]
        return value


def mentions_of(subject: Subject, session: Session, label: str = "") -> Mentions:
    names = sorted({" ".join(p.name.split()) for p in subject.rows if p.name.strip()}, key=len, reverse=True)
    emails = sorted({p.email for p in subject.rows if p.email})
    ini = subject.person.initials
    initials = None if subject.person.guest or subject.erased or ini.upper() in COMMON_WORDS else ini
    key = label and _erased_key(label)
    exact: dict[str, str] = {ini: key or ini}
    for p in subject.merged:
        exact[p.initials] = p.initials  # a guest's key is no name: it stays
    for _door, user_key in subject.door_keys(session):
        if user_key != ini:
            exact[user_key] = ERASED
    for e in emails:
        exact[e] = ERASED
    for n in names:
        exact[n] = label or n
    return Mentions([*names, *emails], initials, exact, label)


def _erased_key(label: str) -> str:
    return ERASED_KEY + label.rsplit(" ", 1)[-1]


def _text_matches(
    session: Session, partnership_id: str, mentions: Mentions
) -> Iterable[tuple[Table, str, Any, Any]]:
    """(table, column, row id, value) for every text of the partnership that mentions the person."""
    words = mentions.words
    if not words:
        return
    for table_name, column in TEXT:
        table = _table(table_name)
        col = table.c[column]
        as_text = col if isinstance(col.type, String) else sql_cast(col, String)
        where = [or_(*(func.lower(as_text).contains(w.lower(), autoescape=True) for w in words))]
        scope = _scope(session, table, partnership_id)
        if scope is not None:
            where.append(scope)
        for row_id, value in session.execute(select(table.c.id, col).where(*where).order_by(table.c.id)):
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            if mentions.find(text):
                yield table, column, row_id, value


# --- the subject access pack -------------------------------------------------------------------------------


def _rows(session: Session, table: Table, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    return [
        {k: _plain(v) for k, v in row._mapping.items()}
        for row in session.execute(select(table).where(where).order_by(*table.primary_key.columns))
    ]


def _roles(session: Session, subject: Subject) -> list[dict[str, Any]]:
    """Where the configuration (from the partnership file) names them: series roles, groups, agency lead."""
    ini, pid = subject.person.initials, subject.partnership_id
    out: list[dict[str, Any]] = []
    for s in session.scalars(select(Series).where(Series.partnership_id == pid).order_by(Series.key)):
        roles = [
            r
            for r, v in (
                ("chair", s.chair),
                ("vice-chair", s.vice_chair),
                ("minute taker", s.minute_taker),
                ("business manager", s.business_manager),
            )
            if v == ini
        ]
        if ini in (s.members or []):
            roles.append("member")
        if ini in (s.observers or []):
            roles.append("observer")
        if ini in (s.deputies or {}):
            roles.append("has deputies")
        if any(ini in (v or []) for v in (s.deputies or {}).values()):
            roles.append("deputy")
        if s.chair_rotation and ini in (s.chair_rotation.get("chairs") or []):
            roles.append("rotating chair")
        if roles:
            out.append({"series": s.key, "name": s.name, "roles": roles})
    for g in session.scalars(select(Group).where(Group.partnership_id == pid).order_by(Group.key)):
        roles = (["member"] if ini in (g.members or []) else []) + (
            ["lead"] if ini in (g.leads or []) else []
        )
        if roles:
            out.append({"group": g.key, "name": g.name, "roles": roles})
    for a in session.scalars(select(Agency).where(Agency.partnership_id == pid, Agency.lead == ini)):
        out.append({"agency": a.key, "name": a.name, "roles": ["lead"]})
    return out


def export_person(session: Session, subject: Subject, at: datetime) -> dict[str, Any]:
    """Every stored record that names the person, as plain data (the JSON of the access pack)."""
    ids = subject.ids
    people = _table("people")
    records: dict[str, list[dict[str, Any]]] = {}
    for table_name, column in REFERENCES:
        table = _table(table_name)
        rows = _rows(session, table, table.c[column].in_(ids))
        if rows:
            records[f"{table_name}.{column}"] = rows
    keys = subject.door_keys(session)
    questions = _table("pending_questions")
    asked = _rows(
        session,
        questions,
        or_(*(and_key(questions, door, key) for door, key in sorted(keys))),
    )
    if asked:
        records["pending_questions.asker"] = asked
    audit = _table("audit_events")
    # Events by them that the core could not put a person to record their key on the door instead.
    actor_keys = {subject.person.initials} | {key for _door, key in keys}
    by_key = _rows(
        session,
        audit,
        (audit.c.partnership_id == subject.partnership_id)
        & audit.c.actor_id.is_(None)
        & audit.c.actor.in_(sorted(actor_keys)),
    )
    about = _rows(
        session,
        audit,
        (audit.c.partnership_id == subject.partnership_id)
        & (audit.c.entity == "person")
        & audit.c.entity_id.in_([p.initials for p in subject.rows]),
    )
    if by_key:
        records["audit_events.actor"] = by_key
    if about:
        records["audit_events.entity_id"] = about
    mentions: dict[str, list[dict[str, Any]]] = {}
    for table, column, row_id, value in _text_matches(
        session, subject.partnership_id, mentions_of(subject, session)
    ):
        mentions.setdefault(f"{table.name}.{column}", []).append({"id": row_id, column: _plain(value)})
    return {
        "partnership": subject.partnership_id,
        "generated_at": at.isoformat(),
        "person": _rows(session, people, people.c.id == subject.person.id)[0],
        "merged_guests": _rows(session, people, people.c.merged_into_id == subject.person.id),
        "configuration": _roles(session, subject),
        "actions_owned": _owned(session, ids),
        "records": records,
        "mentions": mentions,
    }


def and_key(table: Table, door: str, key: str) -> ColumnElement[bool]:
    return (table.c.door == door) & (table.c.asker == key)


def _owned(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Series.key, Action.number, Action.title, Action.status, Action.due_date, ActionOwner)
        .join(Action, Action.id == ActionOwner.action_id)
        .join(Series, Series.id == Action.series_id)
        .where(ActionOwner.person_id.in_(ids))
        .order_by(Series.key, Action.number, ActionOwner.id)
    )
    return [
        {
            "series": key,
            "number": number,
            "title": title,
            "status": status,
            "due": _plain(due),
            "owner_since": _plain(o.added_at),
            "owner_until": _plain(o.removed_at),
            "why_not_owner": o.removed_reason,
        }
        for key, number, title, status, due, o in rows
    ]


_TITLES = {
    "attendance.person_id": "Attendance at meetings",
    "attendance.deputy_for_id": "Deputised for at meetings",
    "action_owners.person_id": "Action ownership (every owner, past and present)",
    "action_updates.person_id": "Action updates and changes they made",
    "actions.created_by": "Actions they recorded",
    "decisions.created_by": "Decisions they recorded",
    "declarations.person_id": "Declarations of interest made by them",
    "declarations.created_by": "Declarations they recorded",
    "notes.created_by": "Notes they wrote",
    "minutes_corrections.created_by": "Minutes corrections they made",
    "agenda_items.presenter_id": "Agenda items they present",
    "agenda_items.requested_by": "Agenda items they asked for",
    "meetings.opened_by": "Meetings they opened",
    "meetings.closed_by": "Meetings they closed",
    "meetings.minutes_approved_by": "Minutes they approved",
    "bindings.bound_by": "Channels they bound",
    "audit_events.actor_id": "Audit trail: changes they made",
    "audit_events.actor": "Audit trail: changes made as their initials",
    "audit_events.entity_id": "Audit trail: changes to their own details",
    "nudge_claims.recipient_id": "Reminders due to them",
    "digests.recipient_id": "Reminder messages sent to them",
    "recipient_leases.person_id": "Reminder work in progress",
    "answer_link_uses.person_id": "Answer links they used",
    "door_identities.person_id": "Their ids on chat platforms",
    "conversation_refs.person_id": "Where chat platforms reach them directly",
    "pending_questions.asker": "Questions waiting for their answer",
    "people.merged_into_id": "Guest records merged into them",
}

# Columns the readable document leaves out: ids and bookkeeping that only the JSON needs.
_QUIET = {
    "id",
    "partnership_id",
    "holder",
    "lease_until",
    "claimed_by",
    "claimed_at",
    "position",
    "link_hash",
}


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= 300 else text[:299] + "…"


def person_markdown(pack: dict[str, Any]) -> str:
    """The access pack as a readable document (Markdown): every section of the JSON, in words."""
    person = pack["person"]
    lines = [
        f"# Personal data held about {person['name']} ({person['initials']})",
        "",
        f"Partnership: {pack['partnership']}. Produced {pack['generated_at']}. "
        "The JSON file beside this one holds the same records in full.",
        "",
        "## Details held",
        "",
    ]
    for key in ("name", "initials", "title", "agency_key", "email", "slack_id", "teams_id", "roles", "guest"):
        if person.get(key) not in (None, "", []):
            lines.append(f"- {key.replace('_', ' ')}: {_cell(person[key])}")
    lines.append(
        f"- active: {'yes' if person.get('active') else 'no (left ' + str(person.get('left_at')) + ')'}"
    )
    for g in pack["merged_guests"]:
        lines.append(f"- also recorded as a guest: {g['name']} ({g['initials']})")
    lines += ["", "## Roles in the partnership", ""]
    for r in pack["configuration"] or [{"none": True}]:
        if "none" in r:
            lines.append("None.")
            continue
        where = next(f"{k} {r[k]}" for k in ("series", "group", "agency") if k in r)
        lines.append(f"- {where} ({r['name']}): {', '.join(r['roles'])}")
    lines += ["", "## Actions they own or owned", ""]
    if not pack["actions_owned"]:
        lines.append("None.")
    for a in pack["actions_owned"]:
        until = f", owner until {a['owner_until']} ({a['why_not_owner']})" if a["owner_until"] else ""
        lines.append(
            f"- {a['series']} {a['number']}: {_cell(a['title'])} — {a['status']}, "
            f"due {a['due'] or 'not set'}{until}"
        )
    for key, rows in pack["records"].items():
        lines += ["", f"## {_TITLES.get(key, key)} ({len(rows)})", ""]
        for row in rows:
            cells = [
                f"{k}: {_cell(v)}" for k, v in row.items() if k not in _QUIET and v not in (None, "", [], {})
            ]
            lines.append("- " + "; ".join(cells))
    if pack["mentions"]:
        lines += [
            "",
            "## Text that mentions them",
            "",
            "Minutes text, actions and messages found by their name, initials or e-mail address.",
        ]
        for key, rows in pack["mentions"].items():
            lines += ["", f"### {key} ({len(rows)})", ""]
            column = key.split(".", 1)[1]
            lines += [f"- #{r['id']}: {_cell(r[column])}" for r in rows]
    return "\n".join(lines) + "\n"


# --- erasure ---------------------------------------------------------------------------------------------


@dataclass
class Erasure:
    label: str  # "Former member 1"
    key: str  # "former-1"
    already: bool = False
    reassigned: list[str] = field(default_factory=list)  # "board 3"
    changed: dict[str, int] = field(default_factory=dict)  # "table.column" → rows
    notes: list[str] = field(default_factory=list)


def open_actions(session: Session, ids: list[int]) -> list[tuple[Series, Action, ActionOwner]]:
    rows = session.execute(
        select(Series, Action, ActionOwner)
        .join(Action, Action.id == ActionOwner.action_id)
        .join(Series, Series.id == Action.series_id)
        .where(
            ActionOwner.person_id.in_(ids),
            ActionOwner.kind == "person",
            ActionOwner.removed_at.is_(None),
            Action.status == "open",
        )
        .order_by(Series.key, Action.number)
    )
    return [(s, a, o) for s, a, o in rows]


def _new_owner(session: Session, subject: Subject, initials: str) -> Person:
    row = session.scalars(
        select(Person).where(
            Person.partnership_id == subject.partnership_id,
            func.lower(Person.initials) == initials.strip().lower(),
        )
    ).first()
    if row is None or not row.active or row.initials.startswith(ERASED_KEY):
        raise UserError(
            f"--reassign {initials}: nobody active in {subject.partnership_id} has those initials. "
            "Give the initials of the person who takes the open actions over. Nothing was changed."
        )
    if row.id in subject.ids:
        raise UserError(
            f"--reassign {initials} is the person being erased: name someone else. Nothing was changed."
        )
    return row


def _count(out: dict[str, int], key: str, n: int) -> None:
    if n:
        out[key] = out.get(key, 0) + n


def erase_person(session: Session, subject: Subject, at: datetime, reassign: str | None = None) -> Erasure:
    """Pseudonymise the person everywhere; delete how doors reach them. Refuses (changing nothing)
    while they own open actions and no one is named to take them over."""
    pid = subject.partnership_id
    if subject.erased:
        return Erasure(subject.person.name, subject.person.initials, already=True)
    owned = open_actions(session, subject.ids)
    new = _new_owner(session, subject, reassign) if reassign else None
    if owned and new is None:
        listed = ", ".join(f"{s.key} {a.number}" for s, a, _ in owned)
        raise UserError(
            f"{subject.person.name} ({subject.person.initials}) owns {len(owned)} open "
            f"action{'s' if len(owned) != 1 else ''} ({listed}): give the new owner with "
            "--reassign INITIALS, or close them first. Nothing was changed."
        )
    erased_before = session.scalar(
        select(func.count()).where(Person.partnership_id == pid, Person.initials.like(f"{ERASED_KEY}%"))
    )
    label = f"{ERASED_NAME} {int(erased_before or 0) + 1}"
    result = Erasure(label, _erased_key(label))
    if new is not None:
        _reassign(session, subject, owned, new, at, result)
    mentions = mentions_of(subject, session, label)
    if mentions.initials is None and not subject.person.guest:
        result.notes.append(
            f"The initials {subject.person.initials} are also an everyday word: text that mentions them by "
            "initials alone was left as it is. Review the access pack's mentions."
        )
    keys = subject.door_keys(session)
    # Text first, while the rows still hold the name to find.
    for table, column, row_id, value in list(_text_matches(session, pid, mentions)):
        new_value = mentions.replace(value)
        if new_value != value:
            session.execute(update(table).where(table.c.id == row_id).values({column: new_value}))
            _count(result.changed, f"{table.name}.{column}", 1)
    _erase_keys(session, subject, result)
    _erase_rows(session, subject, keys, result)
    for p in subject.rows:
        p.name = label
        p.title = p.email = p.slack_id = p.teams_id = p.shared_from = None
        p.roles = []
        p.active = False
        p.left_at = p.left_at or at
    subject.person.initials = result.key
    _count(result.changed, "people", len(subject.rows))
    session.add(
        AuditEvent(
            at=at,
            partnership_id=pid,
            series_id=None,
            actor_id=None,
            actor="data protection",
            door="cli",
            entity="person",
            entity_id=result.key,
            verb="erased",
            before=None,
            after={"pseudonym": label, "reassigned": result.reassigned, "changed": dict(result.changed)},
        )
    )
    session.flush()
    touch(session, pid)
    return result


def _reassign(
    session: Session,
    subject: Subject,
    owned: list[tuple[Series, Action, ActionOwner]],
    new: Person,
    at: datetime,
    result: Erasure,
) -> None:
    """Their open actions to the new owner, each logged and audited as a reassignment would be."""
    for series, action, ownership in owned:
        ownership.removed_at, ownership.removed_reason = at, "reassigned"
        current = {o.person_id for o in action.owners if o.removed_at is None and o.kind == "person"}
        if new.id not in current:
            action.owners.append(
                ActionOwner(
                    kind="person", position=len(action.owners), added_at=at, person_id=new.id, key=None
                )
            )
        action.updates.append(ActionUpdate(at=at, person_id=None, door="cli", kind="owner", text=new.name))
        ref = f"{series.key}:{action.number}"
        session.add(
            AuditEvent(
                at=at,
                partnership_id=subject.partnership_id,
                series_id=series.id,
                actor_id=None,
                actor="data protection",
                door="cli",
                entity="action",
                entity_id=ref,
                verb="reassigned",
                before={"owner": subject.person.initials},  # pseudonymised with the rest just after
                after={"owner": new.initials, "why": "its owner's data was erased"},
            )
        )
        result.reassigned.append(f"{series.key} {action.number}")
    session.flush()


def _erase_keys(session: Session, subject: Subject, result: Erasure) -> None:
    """Their initials in the configuration, meetings and audit trail: the pseudonym's key, or gone."""
    ini, key, pid = subject.person.initials, result.key, subject.partnership_id
    for s in session.scalars(select(Series).where(Series.partnership_id == pid)):
        touched = False
        if s.chair == ini:
            s.chair, touched = key, True
        for attr in ("vice_chair", "minute_taker", "business_manager"):
            if getattr(s, attr) == ini:
                setattr(s, attr, None)
                touched = True
        for attr in ("members", "observers"):
            values = list(getattr(s, attr) or [])
            if ini in values:
                setattr(s, attr, [v for v in values if v != ini])
                touched = True
        deputies = {k: [d for d in v if d != ini] for k, v in (s.deputies or {}).items() if k != ini}
        if deputies != (s.deputies or {}):
            s.deputies, touched = deputies, True
        if s.chair_rotation and ini in (s.chair_rotation.get("chairs") or []):
            chairs = [key if c == ini else c for c in s.chair_rotation["chairs"]]
            s.chair_rotation, touched = {**s.chair_rotation, "chairs": chairs}, True
        units = {k: [i for i in v if i != ini] for k, v in (s.shared_with or {}).items()}
        if units != (s.shared_with or {}):
            s.shared_with, touched = units, True
        _count(result.changed, "series", int(touched))
    for g in session.scalars(select(Group).where(Group.partnership_id == pid)):
        if ini in (g.members or []) or ini in (g.leads or []):
            g.members = [m for m in g.members or [] if m != ini]
            g.leads = [m for m in g.leads or [] if m != ini]
            _count(result.changed, "groups", 1)
    n = session.execute(
        update(Agency).where(Agency.partnership_id == pid, Agency.lead == ini).values(lead=None)
    )
    _count(result.changed, "agencies.lead", _rowcount(n))
    series_ids = select(Series.id).where(Series.partnership_id == pid)
    n = session.execute(
        update(Meeting).where(Meeting.series_id.in_(series_ids), Meeting.chair == ini).values(chair=key)
    )
    _count(result.changed, "meetings.chair", _rowcount(n))
    n = session.execute(
        update(AuditEvent).where(AuditEvent.partnership_id == pid, AuditEvent.actor == ini).values(actor=key)
    )
    _count(result.changed, "audit_events.actor", _rowcount(n))
    door_keys = sorted({k for _door, k in subject.door_keys(session)} - {ini})
    if door_keys:
        n = session.execute(
            update(AuditEvent)
            .where(AuditEvent.partnership_id == pid, AuditEvent.actor.in_(door_keys))
            .values(actor=ERASED)
        )
        _count(result.changed, "audit_events.actor", _rowcount(n))
    initials = re.compile(rf"(?<![\w-]){re.escape(ini)}(?![\w-])")
    for event in session.scalars(
        select(AuditEvent).where(
            AuditEvent.partnership_id == pid, AuditEvent.entity_id.contains(ini, autoescape=True)
        )
    ):
        # Keys that hold their initials among others ("12:HN", a meeting's attendance of them).
        if event.entity_id and event.entity_id != ini and initials.search(event.entity_id):
            event.entity_id = initials.sub(key, event.entity_id)
            _count(result.changed, "audit_events.entity_id", 1)
    about = AuditEvent.entity_id.in_([p.initials for p in subject.rows])
    for event in session.scalars(
        select(AuditEvent).where(AuditEvent.partnership_id == pid, AuditEvent.entity == "person", about)
    ):
        # The file's details of them (their job title with the rest): only the pseudonym stays.
        event.before, event.after = _without_details(event.before), _without_details(event.after)
        if event.entity_id == ini:
            event.entity_id = key
        _count(result.changed, "audit_events.entity_id", 1)
    # Questions to others that offered this person as an answer: offer the pseudonym's key.
    for q in session.scalars(select(PendingQuestion).where(PendingQuestion.partnership_id == pid)):
        if ini in (q.choices or []):
            q.choices = [key if c == ini else c for c in q.choices]
            _count(result.changed, "pending_questions.choices", 1)
    session.flush()


_DETAILS = ("title", "email", "slack_id", "teams_id", "agency", "agency_key", "roles", "shared_from")


def _without_details(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return data
    return {k: (None if k in _DETAILS and v is not None else v) for k, v in data.items()}


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_rows(session: Session, subject: Subject, keys: set[tuple[str, str]], result: Erasure) -> None:
    """Delete how doors reach them and what waits for them; blank what was sent to them."""
    ids = subject.ids
    for (table_name, column), rule in REFERENCES.items():
        table = _table(table_name)
        if rule == DELETE:
            n = session.execute(delete(table).where(table.c[column].in_(ids)))
            _count(result.changed, f"{table_name} deleted", _rowcount(n))
    n = session.execute(
        update(Digest)
        .where(Digest.recipient_id.in_(ids))
        .values(subject=None, body=None, error=None, route=[])
    )
    _count(result.changed, "digests blanked", _rowcount(n))
    n = session.execute(update(NudgeClaim).where(NudgeClaim.recipient_id.in_(ids)).values(error=None))
    questions = _table("pending_questions")
    n = session.execute(delete(questions).where(or_(*(and_key(questions, d, k) for d, k in sorted(keys)))))
    _count(result.changed, "pending_questions deleted", _rowcount(n))
    session.flush()
