"""`digest [SERIES]`: the chair's escalation digest on demand, as the sweep sends it before meetings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.chair_digest import chair_digest
from handlers.context import Ctx, Refused
from handlers.meetings import next_meeting_date
from handlers.registry import Perm, command
from handlers.reply import ACTOR, Reply
from storage.models import Series


@command(
    "digest",
    changes_series=False,
    usage="digest [SERIES]",
    summary="See the chair's digest: overdue, stale and unowned actions, repeated non-attendance",
    section="Actions",
    perm=Perm.CHAIR_TEAM,
    needs_series=False,
    aliases=("chair's digest",),
    patterns=[r"(?:the\s+)?(?:chair'?s?\s+)?digest(?:\s+(?:of|for)?\s*{series})?"],
)
def digest(ctx: Ctx, args: dict[str, Any]) -> Reply:
    assert ctx.actor is not None
    if ctx.series is not None:
        if not ctx.is_chair_team():
            raise Refused(
                f"Only {ctx.who_can_run_meeting()} can see the chair's digest of {ctx.series.name}."
            )
        chosen = [ctx.series]
    else:
        # A direct message without a series: every series this person helps run.
        rows = ctx.session.scalars(
            select(Series)
            .where(Series.partnership_id == ctx.partnership_id, Series.active)
            .order_by(Series.id)
        )
        chosen = [
            s for s in rows if s.key in ctx.roster.series and ctx.is_chair_team(ctx.roster.series[s.key])
        ]
        if not chosen:
            raise Refused(
                "The chair's digest is for the chair team of a series: name the series, `digest board`."
            )
    reply = Reply()
    for series in chosen:
        meeting_day, _ = next_meeting_date(ctx, series)
        policy = ctx.tracker_policy(series.key)
        found = chair_digest(ctx.session, ctx.roster, series, ctx.today, policy, meeting_day=meeting_day)
        for block in found.blocks():
            reply.add(block, ACTOR)
    return reply
