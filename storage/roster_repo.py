"""Build the Roster (storage.roster) from the database, cached per partnership version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Agency, Group, Partnership, Person, Series
from storage.roster import AgencyRef, GroupRef, PersonRef, Roster, SeriesRef

# Keyed by database and partnership; an entry is good while the partnership's version is unchanged.
_cache: dict[tuple[str, str], tuple[int, Roster]] = {}
_ids: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}


def _key(session: Session, partnership_id: str) -> tuple[str, str]:
    return (str(session.get_bind().engine.url), partnership_id)


def roster_for(session: Session, partnership_id: str) -> Roster:
    part = session.get(Partnership, partnership_id)
    if part is None:
        raise LookupError(f"no partnership {partnership_id!r} is loaded")
    cached = _cache.get(_key(session, partnership_id))
    if cached and cached[0] == part.version:
        return cached[1]
    roster = _build(session, part)
    _cache[_key(session, partnership_id)] = (part.version, roster)
    return roster


def _build(session: Session, part: Partnership) -> Roster:
    pid = part.id
    # People who left stay in the roster (inactive) so their past actions and attendance still read.
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
        )
        for p in session.scalars(select(Person).where(Person.partnership_id == pid).order_by(Person.id))
    }
    agencies = {
        a.key: AgencyRef(id=a.key, name=a.name, statutory=a.statutory, contact=a.contact)
        for a in session.scalars(select(Agency).where(Agency.partnership_id == pid, Agency.active))
    }
    groups = {
        g.key: GroupRef(
            id=g.key,
            name=g.name,
            aliases=tuple(g.aliases),
            members=tuple(g.members),
            agencies=tuple(g.agencies),
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


def person_ids(session: Session, partnership_id: str) -> dict[str, int]:
    """Initials -> person id for everyone (including people who left), cached per partnership version."""
    part = session.get(Partnership, partnership_id)  # usually already in the session: no query
    version = part.version if part else None
    cached = _ids.get(_key(session, partnership_id))
    if cached and cached[0] == version:
        return cached[1]
    rows = session.execute(select(Person.initials, Person.id).where(Person.partnership_id == partnership_id))
    ids = {initials: pid for initials, pid in rows}
    _ids[_key(session, partnership_id)] = (version or 0, ids)
    return ids
