"""A plain-data snapshot of one partnership: who is who, which groups and series exist.

Name resolution and action capture read a Roster and never the database, so the
offline `parse` command and the live core resolve names the same way. The core
builds it from the database; `parse` builds it from a partnership file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.partnership_file import PartnershipSpec

ROLE_NAMES = ("chair", "vice_chair", "minute_taker", "business_manager")


@dataclass(frozen=True)
class PersonRef:
    initials: str
    name: str
    agency: str
    title: str | None = None
    email: str | None = None
    slack_id: str | None = None
    teams_id: str | None = None
    active: bool = True
    # Not in the partnership file (see storage.models.Person): found by full name only, in no group.
    guest: bool = False
    merged_into: str | None = None  # a merged guest: the initials of the person they became

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class AgencyRef:
    id: str
    name: str
    statutory: bool = False
    contact: str | None = None


@dataclass(frozen=True)
class GroupRef:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # initials
    agencies: tuple[str, ...] = ()  # agency ids: every person of these agencies belongs


@dataclass(frozen=True)
class SeriesRef:
    id: str
    name: str
    chair: str
    vice_chair: str | None = None
    minute_taker: str | None = None
    business_manager: str | None = None
    members: tuple[str, ...] = ()
    deputies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    observers: tuple[str, ...] = ()  # present and minuted, never counted for quorum

    def role_holder(self, role: str) -> str | None:
        """Initials of the person holding a role of the series (`chair`, `vice_chair`, ...)."""
        return getattr(self, role) if role in ROLE_NAMES else None


@dataclass
class Roster:
    partnership_id: str
    name: str
    timezone: str
    business_unit: str | None = None  # group id
    people: dict[str, PersonRef] = field(default_factory=dict)  # by initials
    agencies: dict[str, AgencyRef] = field(default_factory=dict)
    groups: dict[str, GroupRef] = field(default_factory=dict)
    series: dict[str, SeriesRef] = field(default_factory=dict)

    def group_members(self, group_id: str) -> list[str]:
        """Initials of everyone in a group, named members first, then by agency (active people only)."""
        group = self.groups[group_id]
        out = [i for i in group.members if i in self.people and self.people[i].active]
        for p in self.people.values():
            if p.agency in group.agencies and p.active and not p.guest and p.initials not in out:
                out.append(p.initials)
        return out

    def agency_people(self, agency_id: str, series_id: str | None = None) -> list[str]:
        """People of an agency in the file; within a series, only its members."""
        pool = self.series[series_id].members if series_id else tuple(self.people)
        return [
            i
            for i in pool
            if i in self.people and self.people[i].agency == agency_id and not self.people[i].guest
        ]

    def with_person(self, person: PersonRef) -> Roster:
        """A copy that also holds this person (a guest just recorded); the cached original stays as it is."""
        return replace(self, people={**self.people, person.initials: person})

    @classmethod
    def from_spec(cls, spec: PartnershipSpec) -> Roster:
        return cls(
            partnership_id=spec.id,
            name=spec.name,
            timezone=spec.timezone,
            business_unit=spec.business_unit,
            people={
                p.initials: PersonRef(
                    initials=p.initials,
                    name=p.name,
                    agency=p.agency,
                    title=p.title,
                    email=p.email,
                    slack_id=p.slack_id,
                    teams_id=p.teams_id,
                )
                for p in spec.people
            },
            agencies={
                a.id: AgencyRef(id=a.id, name=a.name, statutory=a.statutory, contact=a.contact)
                for a in spec.agencies
            },
            groups={
                g.id: GroupRef(
                    id=g.id,
                    name=g.name,
                    aliases=tuple(g.aliases),
                    members=tuple(g.members),
                    agencies=tuple(g.agencies),
                )
                for g in spec.groups
            },
            series={
                s.id: SeriesRef(
                    id=s.id,
                    name=s.name,
                    chair=s.chair,
                    vice_chair=s.vice_chair,
                    minute_taker=s.minute_taker,
                    business_manager=s.business_manager,
                    members=tuple(s.members),
                    deputies={k: tuple(v) for k, v in s.deputies.items()},
                    observers=tuple(s.observers),
                )
                for s in spec.series
            },
        )
