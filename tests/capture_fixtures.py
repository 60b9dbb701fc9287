"""Shared data for the capture, date and name tests: the Westshire roster and a few extra people."""

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
TZ = "Europe/London"

# Fri 19 Jan 2024, the board meeting of the worked examples; next meeting Fri 15 Mar 2024.
FRI = datetime.fromisoformat("2024-01-19T10:05:00+00:00")
NEXT = date(2024, 3, 15)


@lru_cache(maxsize=1)
def _westshire() -> Roster:
    return Roster.from_spec(read_partnership(WESTSHIRE))


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


def example_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
