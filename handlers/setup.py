"""What the composition root hands the core: the settings it reads and the caches it shares.

The core reads no process globals: `bot/app.py` builds one `CoreSetup` from app.yaml and every
`Core` (and so every `Ctx`) of that app carries it. Tests and tools that have no app.yaml use the
defaults, which are the built-in templates and the default reminder policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from handlers.documents_render import BUILT_IN, Templates
from storage.roster_repo import RosterCache


class TrackerPolicy(Protocol):
    """What the tracker reads of a series' reminder policy (app.yaml `nudges:`)."""

    @property
    def stale_after_meetings(self) -> int: ...  # "no further update" this many meetings running

    @property
    def long_overdue_days(self) -> int: ...  # flagged in the chair's digest


@dataclass(frozen=True)
class TrackerDefaults:
    """The policy when app.yaml says nothing; the reminder policy's own defaults are these."""

    stale_after_meetings: int = 2
    long_overdue_days: int = 14


TRACKER_DEFAULTS = TrackerDefaults()

# (partnership id, series key) -> that series' policy.
PolicyLookup = Callable[[str, str], TrackerPolicy]


def default_policy(partnership_id: str, series_key: str) -> TrackerPolicy:
    return TRACKER_DEFAULTS


@dataclass(frozen=True)
class CoreSetup:
    policy: PolicyLookup = default_policy
    templates: Templates = BUILT_IN
    rosters: RosterCache = field(default_factory=RosterCache)
    # The year report made in two processes (handlers/year_report_worker.py); app.yaml can turn it off.
    report_worker: bool = True
