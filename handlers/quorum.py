"""The quorum rule of a series, evaluated over who is in the room.

Pure: the attendance handler turns attendance rows into Presences (members
present, and deputies counted for the agency of the member they stand in for;
guests and people "in attendance" never count) and asks `evaluate`.

A rule with no conditions is `quorum: none`: the series has no quorum rule.
A rule holds every condition it names: `agencies` ("all-statutory" or a list of
agency ids, each with at least one present member or deputy), `min_members`
(members and deputies present), `roles` (either listed role present counts),
`labels` (people's role labels from the file, such as `dsp`: each required agency
represented by someone carrying one of them, or by that person's deputy where the
deputy counts). A series' `decision_quorum` has the same shape and is evaluated alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage.roster import AgencyRef


@dataclass(frozen=True)
class Presence:
    initials: str
    agency: str  # the agency this presence counts for
    for_member: str | None = None  # a deputy stands in for this member
    roles: frozenset[str] = frozenset()  # "chair", "vice_chair" held in person (a deputy holds none)
    # The file's role labels this presence carries: a person's own, and a counting deputy also the
    # labels of the member they stand in for (the delegated partner's authorised deputy).
    labels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class QuorumResult:
    quorate: bool
    required: tuple[str, ...]  # agency ids the rule requires
    represented: dict[str, tuple[Presence, ...]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # required agencies with nobody present
    count: int = 0
    min_members: int | None = None
    roles: tuple[str, ...] = ()
    roles_met: bool = True
    labels: tuple[str, ...] = ()  # role labels each required agency needs (`dsp`)
    lacking: tuple[str, ...] = ()  # required agencies represented, but by nobody carrying one of `labels`
    ruled: bool = True  # False: the series has no quorum rule (`quorum: none`), so it is never inquorate

    @property
    def short_of_members(self) -> int:
        return max(0, (self.min_members or 0) - self.count)


def normalise_rule(rule: Any) -> dict[str, Any]:
    """The stored rule as a mapping; the bare string of the file's shorthand is accepted too."""
    if rule in (None, "", "all-statutory-agencies"):
        return {"agencies": "all-statutory", "min_members": None, "roles": [], "labels": []}
    if isinstance(rule, dict):
        return {
            "agencies": rule.get("agencies"),
            "min_members": rule.get("min_members"),
            "roles": list(rule.get("roles") or []),
            "labels": list(rule.get("labels") or []),
        }
    raise ValueError(f"unreadable quorum rule: {rule!r}")


def required_agencies(rule: Any, agencies: dict[str, AgencyRef]) -> tuple[str, ...]:
    wanted = normalise_rule(rule)["agencies"]
    if wanted == "all-statutory":
        return tuple(a.id for a in agencies.values() if a.statutory)
    if isinstance(wanted, list | tuple):
        return tuple(wanted)
    return ()


def evaluate(rule: Any, present: list[Presence], agencies: dict[str, AgencyRef]) -> QuorumResult:
    r = normalise_rule(rule)
    required = required_agencies(r, agencies)
    represented: dict[str, list[Presence]] = {}
    seen: set[str] = set()
    for p in present:
        if p.initials in seen:
            continue  # one person counts once, whatever they were recorded as
        seen.add(p.initials)
        represented.setdefault(p.agency, []).append(p)
    missing = tuple(a for a in required if a not in represented)
    count = len(seen)
    min_members = r["min_members"]
    roles = tuple(r["roles"])
    roles_met = not roles or any(role in p.roles for p in present for role in roles)
    labels = tuple(r["labels"])
    lacking = tuple(
        a
        for a in required
        if labels and a in represented and not any(set(labels) & p.labels for p in represented[a])
    )
    quorate = not missing and not lacking and (min_members is None or count >= min_members) and roles_met
    ruled = r["agencies"] is not None or min_members is not None or bool(roles) or bool(labels)
    return QuorumResult(
        quorate=quorate,
        required=required,
        represented={k: tuple(v) for k, v in represented.items()},
        missing=missing,
        count=count,
        min_members=min_members,
        roles=roles,
        roles_met=roles_met,
        labels=labels,
        lacking=lacking,
        ruled=ruled,
    )


# What the common labels stand for, in the bot's answers; any other label is shown as it is.
LABEL_NAMES = {
    "dsp": "delegated safeguarding partner",
    "lsp": "lead safeguarding partner",
}


def describe_labels(labels: tuple[str, ...]) -> str:
    """ "delegated safeguarding partner (dsp)", "dsp or lsp" style wording for a rule's labels."""
    words = [f"{LABEL_NAMES[label]} ({label})" if label in LABEL_NAMES else label for label in labels]
    return " or ".join(words)
