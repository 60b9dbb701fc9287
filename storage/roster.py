"""A plain-data snapshot of one partnership: who is who, which groups and series exist.

Name resolution and action capture read a Roster and never the database, so the
offline `parse` command and the live core resolve names the same way. The core
builds it from the database; `parse` builds it from a partnership file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

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
    roles: tuple[str, ...] = ()  # the file's labels (`dsp`, `lsp`): what a quorum's `roles` may require
    # A member of a joint series from another partnership (that partnership's id): in its series only,
    # never in this partnership's groups or agencies at large.
    shared_from: str | None = None
    # The partnership whose file (or database) this person was read from: initials are each
    # partnership's own, so a door reaching someone by initials looks there.
    partnership_id: str | None = None
    # Not a person: an agency's contact address (storage.models.Person.mailbox_of), reminded of
    # "all partners" actions when the agency names no lead. Reached by e-mail only; it cannot answer.
    mailbox: bool = False

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class AgencyRef:
    id: str
    name: str
    statutory: bool = False
    contact: str | None = None
    lead: str | None = None  # initials of who answers for it ("all partners" actions)


@dataclass(frozen=True)
class GroupRef:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # initials
    agencies: tuple[str, ...] = ()  # agency ids: every person of these agencies belongs
    leads: tuple[str, ...] = ()  # initials: who a group action reminds (none: every member)


@dataclass(frozen=True)
class ChairRotation:
    """The chair passes along `chairs` every `months` months, starting on `start`."""

    chairs: tuple[str, ...]
    months: int
    start: date

    def chair_on(self, day: date) -> str | None:
        """Who chairs on `day`; None before the rotation starts."""
        if day < self.start:
            return None
        months = (day.year - self.start.year) * 12 + day.month - self.start.month
        if day.day < self.start.day:
            months -= 1
        return self.chairs[(months // self.months) % len(self.chairs)]


def rotation_to_json(rotation: ChairRotation | None) -> dict[str, Any] | None:
    if rotation is None:
        return None
    return {"chairs": list(rotation.chairs), "months": rotation.months, "from": rotation.start.isoformat()}


def rotation_from_json(data: dict[str, Any] | None) -> ChairRotation | None:
    if not data:
        return None
    return ChairRotation(
        chairs=tuple(data["chairs"]), months=int(data["months"]), start=date.fromisoformat(data["from"])
    )


def short_name(key: str, name: str) -> str:
    """How a sentence names a series beside an action's number: "Board 3", "CPOG 3". A key made of
    the initials of its name's words, in order ("cpog" of "… Protection Practice Oversight Group"),
    is an acronym and is written in capitals; any other key is a word, capitalised."""
    letters = "".join(c for c in key.lower() if c.isalpha())
    initials = iter(w[0].lower() for w in re.findall(r"[^\W\d_]+", name))
    if len(letters) >= 2 and all(c in initials for c in letters):  # a subsequence of the initials
        return key.upper()
    return key[:1].upper() + key[1:]


@dataclass(frozen=True)
class SeriesRef:
    id: str
    name: str
    # the file's `chair`; "" when a rotation alone names the chair, or the series has no standing chair
    # (neither `chair` nor `chair_rotation`): read it with chair_on
    chair: str
    vice_chair: str | None = None
    minute_taker: str | None = None
    business_manager: str | None = None
    members: tuple[str, ...] = ()
    deputies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    observers: tuple[str, ...] = ()  # present and minuted, never counted for quorum
    deputies_on_the_day: bool = False  # a same-agency deputy not listed may count, if the chair says so
    chair_rotation: ChairRotation | None = None
    escalates_to: tuple[str, ...] = ()  # series ids, the first is the parent
    terms_of_reference: str | None = None  # an https address
    ends: date | None = None  # a time-limited group's last day: closed after it
    members_by_office: tuple[str, ...] = ()  # series ids whose chair of the day sits as a member

    def closed_on(self, day: date) -> bool:
        """Has the group ended by `day` (the partnership's local date)? The one rule: then it is
        read-only (`Ctx.require_open`) and its actions go to its parent's chair, not their owners."""
        return self.ends is not None and day > self.ends

    @property
    def parent(self) -> str | None:
        """The series this one escalates to first: where its open actions go when it ends."""
        return self.escalates_to[0] if self.escalates_to else None

    # A joint series: the other partnerships it belongs to, and (as initials here) the members of their
    # business units, who may run it as this partnership's business unit may.
    shared_with: tuple[str, ...] = ()
    partner_units: tuple[str, ...] = ()

    def chair_on(self, day: date) -> str | None:
        """The chair on a date: the rotation's chair from its start; before it, the file's `chair`
        (or, if the file names none, the rotation's first chair). None when the series has no
        standing chair (neither `chair` nor `chair_rotation`). The one rule for who chairs."""
        rotation = self.chair_rotation
        if rotation is None:
            return self.chair or None
        return rotation.chair_on(day) or self.chair or rotation.chairs[0]

    @property
    def has_chair(self) -> bool:
        """Does the file name a standing chair (`chair` or `chair_rotation`)?"""
        return bool(self.chair) or self.chair_rotation is not None

    def chairs(self) -> tuple[str, ...]:
        """Everyone who chairs the series on some date."""
        out = (self.chair,) if self.chair else ()
        return out + tuple(
            c for c in (self.chair_rotation.chairs if self.chair_rotation else ()) if c not in out
        )

    def role_holder(self, role: str, day: date | None = None) -> str | None:
        """Initials of the person holding a role of the series (`chair`, `vice_chair`, ...); the chair
        is the chair on `day` (today if not given)."""
        if role == "chair":
            return self.chair_on(day or date.today())
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
    # What the core works out from this roster once (handlers/names.py's name index), kept with it:
    # it lives as long as the roster does in the app's RosterCache, and a copy starts without it.
    derived: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def group_members(self, group_id: str) -> list[str]:
        """Initials of everyone in a group, named members first, then by agency (active people only)."""
        group = self.groups[group_id]
        out = [i for i in group.members if i in self.people and self.people[i].active]
        if not group.agencies:  # named members only: no walk over everyone
            return out
        for p in self.people.values():
            if (
                p.agency in group.agencies
                and p.active
                and not p.guest
                and not p.shared_from
                and p.initials not in out
            ):
                out.append(p.initials)
        return out

    def members_on(self, series: SeriesRef, day: date) -> tuple[str, ...]:
        """A series' members on a date: those the file names, then whoever chairs each series named
        by office (`{chair_of: …}`) on that date (`SeriesRef.chair_on`: the rotation included)."""
        out = list(series.members)
        for key in series.members_by_office:
            office = self.series.get(key)
            holder = office.chair_on(day) if office is not None else None
            if holder and holder not in out:
                out.append(holder)
        return tuple(out)

    def chair_or_stand_ins(self, series: SeriesRef, day: date) -> tuple[str, ...]:
        """Who takes what goes to a series' chair (the chair's digest, an action returned as not
        mine, an ended group's open actions): the chair on `day`; when the series names no chair
        (or theirs has left the file), its vice-chair, else its business manager, else the members
        of the business unit. Active people only; () if there is nobody."""

        def active(i: str | None) -> bool:
            return bool(i) and i in self.people and self.people[i or ""].active

        for one in (series.chair_on(day), series.vice_chair, series.business_manager):
            if one is not None and active(one):
                return (one,)
        unit = self.business_unit
        return tuple(self.group_members(unit)) if unit and unit in self.groups else ()

    def children_closed_on(self, series_id: str, day: date) -> list[SeriesRef]:
        """Series that have ended by `day` and whose open actions come to this one (their parent)."""
        return [s for s in self.series.values() if s.parent == series_id and s.closed_on(day)]

    def agency_people(self, agency_id: str, series_id: str | None = None) -> list[str]:
        """People of an agency in the file; within a series, only its members."""
        pool = (
            self.series[series_id].members
            if series_id
            else tuple(i for i, p in self.people.items() if not p.shared_from)
        )
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
                    roles=tuple(p.roles),
                    partnership_id=spec.id,
                )
                for p in spec.people
            },
            agencies={
                a.id: AgencyRef(id=a.id, name=a.name, statutory=a.statutory, contact=a.contact, lead=a.lead)
                for a in spec.agencies
            },
            groups={
                g.id: GroupRef(
                    id=g.id,
                    name=g.name,
                    aliases=tuple(g.aliases),
                    members=tuple(g.members),
                    agencies=tuple(g.agencies),
                    leads=tuple(g.leads),
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
                    deputies_on_the_day=s.deputies_on_the_day,
                    chair_rotation=s.chair_rotation,
                    escalates_to=tuple(s.escalates_to),
                    terms_of_reference=s.terms_of_reference,
                    ends=s.ends,
                    members_by_office=tuple(s.members_by_office),
                    shared_with=s.shared_with,
                )
                for s in spec.series
            },
        )
