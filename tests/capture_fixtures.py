"""Shared data for the capture, date and name tests: the Westshire roster and a few extra people,
and Northmarch, a partnership shaped like a real oversight group's minutes, with its action lines."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from storage.partnership_file import read_partnership
from storage.roster import PersonRef, Roster

ROOT = Path(__file__).resolve().parents[1]
WESTSHIRE = ROOT / "examples" / "westshire.yaml"
EXAMPLES = ROOT / "tests" / "fixtures" / "capture-examples.jsonl"
NORTHMARCH = ROOT / "tests" / "fixtures" / "northmarch.yaml"
# The 27 action lines of a September meeting's minutes (people renamed), with what each should give.
NORTHMARCH_ACTIONS = ROOT / "tests" / "fixtures" / "northmarch-actions.jsonl"
TZ = "Europe/London"

# Fri 19 Jan 2024, the board meeting of the worked examples; next meeting Fri 15 Mar 2024.
FRI = datetime.fromisoformat("2024-01-19T10:05:00+00:00")
NEXT = date(2024, 3, 15)


@lru_cache(maxsize=1)
def _westshire() -> Roster:
    return Roster.from_spec(read_partnership(WESTSHIRE))


@lru_cache(maxsize=1)
def northmarch() -> Roster:
    return Roster.from_spec(read_partnership(NORTHMARCH))


# The Northmarch meeting: Fri 22 Sep 2023 at 09:30; its next meeting Mon 20 Nov 2023.
SEPT = datetime.fromisoformat("2023-09-22T09:30:00+01:00")
NOV = date(2023, 11, 20)


def westshire() -> Roster:
    """A fresh copy of the example partnership's roster (tests may add people to it)."""
    base = _westshire()
    return replace(base, people=dict(base.people), groups=dict(base.groups), series=dict(base.series))


def westshire_plus() -> Roster:
    """Westshire with people whose names are months, and two people both typed "TW"."""
    roster = westshire()
    for person in (
        PersonRef("JH", "June Hughes", "council", "Principal Social Worker"),
        PersonRef("AP", "August Peters", "police", "Detective Inspector"),
        PersonRef("TWa", "Tara Walsh", "council", "Leaving Care Team Manager"),
        PersonRef("TWi", "Tom Wilde", "council", "Head of Service"),
    ):
        roster.people[person.initials] = person
    return roster


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def example_cases(path: Path = EXAMPLES) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
