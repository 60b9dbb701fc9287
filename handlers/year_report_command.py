"""`report year`: the partnership's year in figures in chat, for the business unit and the chairs.

The reply is a short summary with the files attached the way agenda packs are: Word, PDF, the
CSV of every figure and the charts as PNG (handlers/year_report_render.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.context import Ctx, Refused, UserError
from handlers.registry import Perm, command
from handlers.reply import Reply
from handlers.year_report import last_financial_year, year_report

# The longest period a report covers: its charts have a bar per month.
MAX_PERIOD_DAYS = 5 * 366


def may_see_year_report(ctx: Ctx) -> bool:
    """The business unit, and whoever chairs a series of the partnership."""
    if ctx.actor is None:
        return False
    me = ctx.actor.initials
    unit = ctx.roster.business_unit
    if unit and unit in ctx.roster.groups and me in ctx.roster.group_members(unit):
        return True
    return any(me == ctx.chair(s) or me in s.chairs() for s in ctx.roster.series.values())


def read_period(
    start: str | None, end: str | None, today: date, example: str = "report year 2024-04-01 to 2025-03-31"
) -> tuple[date, date]:
    """The period asked for, both days included; none: the last complete financial year. `example`
    is how the answer writes a period (the chat command, or the command line's options)."""
    if not start and not end:
        return last_financial_year(today)
    if not start or not end:
        raise UserError(f"Give both dates of the period: `{example}`.")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as e:
        raise UserError(f"I can't read that period ({e}): write the dates as YYYY-MM-DD, `{example}`.") from e
    if last < first:
        raise UserError(
            f"The period ends ({last.isoformat()}) before it starts ({first.isoformat()}): swap the dates."
        )
    if (last - first).days > MAX_PERIOD_DAYS or last.year > 9000:
        raise UserError(
            "A report covers at most five years: give a shorter period, such as one financial year "
            f"(`{example}`)."
        )
    return first, last


@command(
    "report year",
    changes_series=False,
    usage="report year [YYYY-MM-DD to YYYY-MM-DD]",
    summary="The partnership's year in figures: engagement per agency, quorum, actions, reminders",
    section="Documents",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("year report",),
    patterns=[
        r"(?:report\s+year|year(?:ly)?\s+report)(?:\s+(?:from\s+)?(?P<start>\S+)\s+(?:to|-|–)\s+(?P<end>\S+))?"
    ],
)
def report_year(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.year_report_render import PNG, chat_summary, year_files

    if not may_see_year_report(ctx):
        raise Refused(
            "Only the business unit and the chairs may have the year in figures: ask "
            + (
                f"the {ctx.roster.groups[ctx.roster.business_unit].name}"
                if ctx.roster.business_unit and ctx.roster.business_unit in ctx.roster.groups
                else "the business manager"
            )
            + " for it."
        )
    start, end = read_period(args.get("start"), args.get("end"), ctx.today)
    if ctx.setup.report_worker:
        from handlers.year_report_worker import start as start_worker

        start_worker()  # its imports overlap with reading the figures
    report = year_report(ctx.session, ctx.partnership_id, start, end, ctx.now)
    reply = Reply().say(chat_summary(report))
    for f in year_files(ctx.setup.templates, report, worker=ctx.setup.report_worker):
        # In chat, the partnership's own charts only: each series' are in the Word and PDF files.
        if f.media_type != PNG or "-partnership-" in f.filename:
            reply.add(f)
    return reply
