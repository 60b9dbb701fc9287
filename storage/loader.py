"""Load a validated partnership file into the database.

Idempotent: the same file twice changes nothing (not even the version). A changed
file updates what changed, row by row, with an audit event for each change;
people, groups and series missing from the new file are marked inactive, never
deleted, so their history (attendance, actions) stays intact. Guests (people named in
meetings who are not in the file) are not the file's: a load never changes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Agency, AuditEvent, Group, Partnership, Person, Series
from storage.partnership_file import PartnershipFileError, PartnershipSpec, Problem, QuorumRule
from storage.people_match import matches
from storage.roster import rotation_to_json


@dataclass
class _Shared:
    """What the joint series of a file take from the partnerships they are shared with."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # initials here → the person's details
    agencies: dict[str, dict[str, Any]] = field(default_factory=dict)  # their agencies this file lacks
    members: dict[str, list[str]] = field(default_factory=dict)  # series → its members from them, here
    units: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # series → {partnership: unit}


@dataclass
class LoadResult:
    partnership_id: str
    changed: bool
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the file's, with their lines: loaded all the same


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "line"}
    if isinstance(value, list | tuple):
        return [_strip_lines(v) for v in value]
    return value


def spec_hash(spec: PartnershipSpec) -> str:
    """A hash of what the file says, ignoring line numbers and layout."""
    said = asdict(spec)
    said.pop("warnings", None)  # about how the file is written, not what it says
    data = json.dumps(_strip_lines(said), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def quorum_to_json(rule: QuorumRule) -> dict[str, Any]:
    agencies = (
        rule.agencies if isinstance(rule.agencies, str) or rule.agencies is None else list(rule.agencies)
    )
    return {
        "agencies": agencies,
        "min_members": rule.min_members,
        "roles": list(rule.roles),
        "labels": list(rule.labels),
    }


def _sync(session: Session, row: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set changed attributes on a row; return {field: (before, after)} for what changed."""
    diff = {}
    for key, new in values.items():
        old = getattr(row, key)
        if old != new:
            diff[key] = (old, new)
            setattr(row, key, new)
    return diff


class _Loader:
    def __init__(self, session: Session, spec: PartnershipSpec, at: datetime, door: str) -> None:
        self.session, self.spec, self.at, self.door = session, spec, at, door
        self.result = LoadResult(spec.id, changed=False)

    def audit(
        self,
        entity: str,
        key: str,
        verb: str,
        diff: dict[str, tuple[Any, Any]] | None,
        series_id: int | None = None,
    ) -> None:
        before = {k: v[0] for k, v in diff.items()} if diff else None
        after = {k: v[1] for k, v in diff.items()} if diff else None
        self.session.add(
            AuditEvent(
                at=self.at,
                partnership_id=self.spec.id,
                series_id=series_id,
                actor_id=None,
                actor="partnership file",
                door=self.door,
                entity=entity,
                entity_id=key,
                verb=verb,
                before=json.loads(json.dumps(before, default=str)) if before else None,
                after=json.loads(json.dumps(after, default=str)) if after else None,
            )
        )
        self.result.changed = True
        self.result.changes.append(
            f"{verb} {entity} {key}" + (f" ({', '.join(sorted(diff))})" if diff and verb == "updated" else "")
        )

    def upsert(
        self, model: type[Any], key_field: str, items: list[tuple[str, dict[str, Any]]], entity: str
    ) -> dict[str, Any]:
        """Insert or update rows of one kind; rows not in the file become inactive."""
        pid = self.spec.id
        query = select(model).where(model.partnership_id == pid)
        if model is Person:
            # Guests and agency mailboxes (the reminders') are not the file's: never touched.
            query = query.where(Person.guest.is_(False), Person.mailbox_of.is_(None))
        existing = {getattr(r, key_field): r for r in self.session.scalars(query)}
        seen: dict[str, Any] = {}
        for key, values in items:
            values = {**values, "active": True}
            row = existing.get(key)
            if row is None:
                row = model(partnership_id=pid, **{key_field: key}, **values)
                self.session.add(row)
                self.session.flush()
                self.audit(
                    entity,
                    key,
                    "added",
                    {k: (None, v) for k, v in values.items() if k != "active"},
                    row.id if model is Series else None,
                )
            else:
                if model is Person and not row.active:
                    values["left_at"] = None
                diff = _sync(self.session, row, values)
                if diff:
                    verb = ("rejoined" if model is Person else "restored") if "active" in diff else "updated"
                    self.audit(entity, key, verb, diff, row.id if model is Series else None)
            seen[key] = row
        for key, row in existing.items():
            if key not in seen and row.active:
                gone: dict[str, Any] = {"active": False}
                if model is Person:
                    gone["left_at"] = self.at
                diff = _sync(self.session, row, gone)
                self.audit(
                    entity,
                    key,
                    "left" if model is Person else "removed",
                    diff,
                    row.id if model is Series else None,
                )
        return seen

    def shared(self) -> _Shared:
        """Resolve `other-id:XX` members of joint series against the other partnership, loaded first.

        Someone who is already in this file (`storage.people_match`) is themselves; anyone else is
        added to this partnership as a member from the other one (`people.shared_from`), with
        their details as its file has them. The other partnership's business unit comes too:
        both business units may run a joint series.
        """
        spec, out, problems = self.spec, _Shared(), []
        for s in spec.series:
            if not s.shared_with:
                continue
            out.members[s.id], out.units[s.id] = [], {}
            for other in s.shared_with:
                part = self.session.get(Partnership, other)
                if part is None:
                    problems.append(
                        Problem(
                            s.line,
                            f"series {s.id} is shared_with {other}, which is not loaded: load its file "
                            "first (list it before this one under `partnerships:` in app.yaml)",
                        )
                    )
                    continue
                unit = self.session.scalars(
                    select(Group.members).where(
                        Group.partnership_id == other, Group.key == part.business_unit
                    )
                ).first()
                wanted = [(i, True) for o, i in s.shared_members if o == other] + [
                    (i, False) for i in unit or []
                ]
                out.units[s.id][other] = []
                for ini, named in wanted:
                    where = (s.line, f"{other}:{ini} of series {s.id}")
                    here = self._member_from(other, ini, named, where, out, problems)
                    if here is not None:
                        (out.members[s.id] if named else out.units[s.id][other]).append(here)
        if problems:
            raise PartnershipFileError(problems, spec.id)
        return out

    def _member_from(
        self,
        other: str,
        ini: str,
        named: bool,
        where: tuple[int, str],
        out: _Shared,
        problems: list[Problem],
    ) -> str | None:
        """A member from another partnership, as initials here (added to `out.people` if new here)."""
        spec = self.spec
        them = self.session.scalars(
            select(Person).where(
                Person.partnership_id == other, Person.initials == ini, Person.active, Person.guest.is_(False)
            )
        ).first()
        if them is None:
            if named:  # a business unit member who has left is simply not brought
                problems.append(Problem(where[0], f"{where[1]}: {other} has nobody with initials {ini}"))
            return None
        here = next((p.initials for p in spec.people if matches(p, them)), None)
        if here is not None:
            return here  # already in this file: the same person
        clash = next((p for p in spec.people if p.initials == ini), None)
        if clash is not None:
            problems.append(
                Problem(
                    where[0],
                    f"{where[1]} has the initials of {clash.name} in this file: give one of them other "
                    "initials (or the same e-mail address, if they are one person)",
                )
            )
            return None
        out.people[ini] = {
            "name": them.name,
            "agency_key": them.agency_key,
            "title": them.title,
            "email": them.email,
            "slack_id": them.slack_id,
            "teams_id": them.teams_id,
            "roles": list(them.roles or []),  # the labels its file gives them (`dsp`)
            "shared_from": other,
        }
        if them.agency_key not in {a.id for a in spec.agencies} and them.agency_key not in out.agencies:
            agency = self.session.scalars(
                select(Agency).where(Agency.partnership_id == other, Agency.key == them.agency_key)
            ).first()
            if agency is not None:
                out.agencies[agency.key] = {
                    "name": agency.name,
                    "statutory": agency.statutory,
                    "contact": None,
                    "lead": None,
                }
        return ini

    def run(self) -> LoadResult:
        spec = self.spec
        shared = self.shared()
        # The details copied from the other partnerships count too: a change there reloads this file.
        digest = spec_hash(spec)
        if shared.people or shared.units:
            digest = hashlib.sha256(
                (digest + json.dumps(asdict(shared), sort_keys=True, default=str)).encode()
            ).hexdigest()
        part = self.session.get(Partnership, spec.id)
        if part is not None and part.spec_hash == digest:
            return self.result
        if part is None:
            part = Partnership(
                id=spec.id,
                name=spec.name,
                timezone=spec.timezone,
                business_unit=spec.business_unit,
                spec_hash="",
                version=0,
            )
            self.session.add(part)
            self.session.flush()
            self.audit("partnership", spec.id, "added", {"name": (None, spec.name)})
        else:
            diff = _sync(
                self.session,
                part,
                {"name": spec.name, "timezone": spec.timezone, "business_unit": spec.business_unit},
            )
            if diff:
                self.audit("partnership", spec.id, "updated", diff)

        self.upsert(
            Agency,
            "key",
            [
                (a.id, {"name": a.name, "statutory": a.statutory, "contact": a.contact, "lead": a.lead})
                for a in spec.agencies
            ]
            + list(shared.agencies.items()),
            "agency",
        )
        self.upsert(
            Person,
            "initials",
            [
                (
                    p.initials,
                    {
                        "name": p.name,
                        "agency_key": p.agency,
                        "title": p.title,
                        "email": p.email,
                        "slack_id": p.slack_id,
                        "teams_id": p.teams_id,
                        "roles": list(p.roles),
                        "shared_from": None,
                    },
                )
                for p in spec.people
            ]
            + list(shared.people.items()),
            "person",
        )
        self.upsert(
            Group,
            "key",
            [
                (
                    g.id,
                    {
                        "name": g.name,
                        "aliases": list(g.aliases),
                        "members": list(g.members),
                        "agencies": list(g.agencies),
                        "leads": list(g.leads),
                    },
                )
                for g in spec.groups
            ],
            "group",
        )
        self.upsert(
            Series,
            "key",
            [
                (
                    s.id,
                    {
                        "name": s.name,
                        "chair": s.chair,
                        "vice_chair": s.vice_chair,
                        "minute_taker": s.minute_taker,
                        "business_manager": s.business_manager,
                        "members": list(s.members)
                        + [m for m in shared.members.get(s.id, []) if m not in s.members],
                        "deputies": {k: list(v) for k, v in s.deputies.items()},
                        "quorum": quorum_to_json(s.quorum),
                        "cadence": s.cadence,
                        "time": s.time,
                        "place": s.place,
                        "papers_due": s.papers_due,
                        "escalates_to": list(s.escalates_to),
                        "standing_items": list(s.standing_items),
                        "tracker_item": s.tracker_item,
                        "minutes_preamble": s.minutes_preamble,
                        "observers": list(s.observers),
                        "deputies_on_the_day": s.deputies_on_the_day,
                        "chair_rotation": rotation_to_json(s.chair_rotation),
                        "decision_quorum": quorum_to_json(s.decision_quorum) if s.decision_quorum else None,
                        "terms_of_reference": s.terms_of_reference,
                        "ends": s.ends,
                        "members_by_office": list(s.members_by_office),
                        "shared_with": shared.units.get(s.id, {}),
                    },
                )
                for s in spec.series
            ],
            "series",
        )

        part.spec_hash = digest
        part.loaded_at = self.at
        if self.result.changed:
            part.version += 1
        return self.result


def load_partnership(
    session: Session, spec: PartnershipSpec, *, at: datetime, door: str = "cli"
) -> LoadResult:
    """Load inside the caller's transaction (the caller commits, or rolls back on error)."""
    result = _Loader(session, spec, at, door).run()
    result.warnings = [str(w) for w in spec.warnings]
    return result
