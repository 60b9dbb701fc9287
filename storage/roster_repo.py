"""Build the Roster (storage.roster) from the database, cached per partnership version."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Agency, Group, Partnership, Person, Series
from storage.roster import AgencyRef, GroupRef, PersonRef, Roster, SeriesRef, rotation_from_json


class RosterCache:
    """Rosters and person ids by partnership, each good while the partnership's version is unchanged.

    One cache per app (handed to the core and the sweep), so two apps on two databases in one
    process never share entries. Loading a file bumps the version, which is how every process sees it.
    """

    def __init__(self) -> None:
        self._rosters: dict[str, tuple[int, Roster]] = {}
        self._ids: dict[str, tuple[int, dict[str, int]]] = {}
        self._by_id: dict[str, tuple[int, dict[int, PersonRef]]] = {}
        self._initials: dict[str, tuple[dict[str, int], dict[int, str]]] = {}
        self._lock = threading.Lock()  # the doors call the core from worker threads

    def roster(self, session: Session, partnership_id: str, version: int | None = None) -> Roster:
        """The partnership's roster; given the `version` just read with the command's context
        (`storage.command_context`), a cached roster of that version costs no query."""
        cached = self._rosters.get(partnership_id)
        if version is not None and cached and cached[0] == version:
            return cached[1]
        part = session.get(Partnership, partnership_id)
        if part is None:
            raise LookupError(f"no partnership {partnership_id!r} is loaded")
        if cached and cached[0] == part.version:
            return cached[1]
        roster = _build(session, part)
        with self._lock:
            self._rosters[partnership_id] = (part.version, roster)
        return roster

    def person_ids(self, session: Session, partnership_id: str, version: int | None = None) -> dict[str, int]:
        """Initials -> person id for everyone (including people who left); `version` as in `roster`."""
        cached = self._ids.get(partnership_id)
        if version is not None and cached and cached[0] == version:
            return cached[1]
        # Built (or checked) at the version this transaction sees now: a guest this command added
        # has bumped it, so what it reads is never kept under the version before.
        part = session.get(Partnership, partnership_id)
        version = part.version if part else 0
        if cached and cached[0] == version:
            return cached[1]
        rows = session.execute(
            select(Person.initials, Person.id).where(Person.partnership_id == partnership_id)
        )
        ids = {initials: pid for initials, pid in rows}
        with self._lock:
            self._ids[partnership_id] = (version, ids)
        return ids

    def initials_by_id(self, partnership_id: str, ids: dict[str, int]) -> dict[int, str]:
        """Person id -> initials: a map `person_ids` gave, the other way round, built once per map."""
        cached = self._initials.get(partnership_id)
        if cached is not None and cached[0] is ids:
            return cached[1]
        initials = {pid: ini for ini, pid in ids.items()}
        with self._lock:
            self._initials[partnership_id] = (ids, initials)
        return initials

    def people_by_id(self, session: Session, partnership_id: str, version: int) -> dict[int, PersonRef]:
        """Person id -> the roster's person, for everyone (including people who left and guests)."""
        cached = self._by_id.get(partnership_id)
        if cached and cached[0] == version:
            return cached[1]
        # Asked as a command starts, before it writes anything: what it builds is that version's.
        people = self.roster(session, partnership_id, version).people
        ids = self.person_ids(session, partnership_id, version)
        by_id = {pid: people[initials] for initials, pid in ids.items() if initials in people}
        with self._lock:
            self._by_id[partnership_id] = (version, by_id)
        return by_id


def _build(session: Session, part: Partnership) -> Roster:
    pid = part.id
    # People who left stay in the roster (inactive) so their past actions and attendance still read;
    # so do guests, and guests merged into someone (so their name still finds that person).
    # An agency's mailbox (a reminder recipient, not a person) is in no roster: no name finds it.
    rows = list(
        session.scalars(
            select(Person)
            .where(Person.partnership_id == pid, Person.mailbox_of.is_(None))
            .order_by(Person.id)
        )
    )
    initials = {p.id: p.initials for p in rows}
    people = {
        p.initials: PersonRef(
            initials=p.initials,
            name=p.name,
            agency=p.agency_key,
            title=p.title,
            email=p.email,
            slack_id=p.slack_id,
            teams_id=p.teams_id,
            active=p.active,
            guest=p.guest,
            merged_into=initials.get(p.merged_into_id) if p.merged_into_id is not None else None,
            roles=tuple(p.roles or ()),
            shared_from=p.shared_from,
            partnership_id=pid,
        )
        for p in rows
    }
    agencies = {
        a.key: AgencyRef(id=a.key, name=a.name, statutory=a.statutory, contact=a.contact, lead=a.lead)
        for a in session.scalars(select(Agency).where(Agency.partnership_id == pid, Agency.active))
    }
    groups = {
        g.key: GroupRef(
            id=g.key,
            name=g.name,
            aliases=tuple(g.aliases),
            members=tuple(g.members),
            agencies=tuple(g.agencies),
            leads=tuple(g.leads or ()),
        )
        for g in session.scalars(select(Group).where(Group.partnership_id == pid, Group.active))
    }
    series = {
        s.key: SeriesRef(
            id=s.key,
            name=s.name,
            chair=s.chair,
            vice_chair=s.vice_chair,
            minute_taker=s.minute_taker,
            business_manager=s.business_manager,
            members=tuple(s.members),
            deputies={k: tuple(v) for k, v in s.deputies.items()},
            observers=tuple(s.observers),
            deputies_on_the_day=s.deputies_on_the_day,
            chair_rotation=rotation_from_json(s.chair_rotation),
            escalates_to=tuple(s.escalates_to),
            terms_of_reference=s.terms_of_reference,
            ends=s.ends,
            members_by_office=tuple(s.members_by_office or ()),
            shared_with=tuple(s.shared_with or {}),
            partner_units=tuple(i for unit in (s.shared_with or {}).values() for i in unit),
        )
        for s in session.scalars(select(Series).where(Series.partnership_id == pid, Series.active))
    }
    return Roster(
        partnership_id=pid,
        name=part.name,
        timezone=part.timezone,
        business_unit=part.business_unit,
        people=people,
        agencies=agencies,
        groups=groups,
        series=series,
    )
