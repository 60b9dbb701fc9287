"""Chat commands for attendance from Teams: `attendance import` proposes, `attendance confirm` records.

Registered in the one command registry (handlers/commands.py lists this module), so `help`,
the Teams app's command list and every door know them. No SDK is imported here.
"""

from __future__ import annotations

from typing import Any

from bot.teams.attendance import PREFETCHED, apply, parse_entries, proposal_reply, propose
from handlers.context import Ctx, UserError
from handlers.registry import Perm, command
from handlers.reply import Reply

_MEETING = r"(?P<meeting>last|#\d{1,9}|\d{1,2}/\d{1,2}/\d{2,4})"


def _meeting(ctx: Ctx, text: str | None) -> Any:
    from handlers.documents_data import find_meeting

    return find_meeting(ctx, ctx.require_series(), text or "last", closed_only=False)


@command(
    "attendance import",
    usage="attendance import [SERIES] [last | #N | DATE]",
    summary="Propose attendance from the Teams attendance report, for the chair to confirm",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    patterns=[
        r"attendance\s+import(?:\s+(?!last\b)(?P<series>[A-Za-z][\w-]*))?(?:\s+" + _MEETING + r")?",
        r"import\s+attendance(?:\s+(?!last\b)(?P<series>[A-Za-z][\w-]*))?(?:\s+" + _MEETING + r")?",
    ],
)
def attendance_import(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = _meeting(ctx, args.get("meeting"))
    fetched = PREFETCHED.get()
    if fetched is None:
        raise UserError(
            "The Teams attendance report is read in the meeting's Teams chat (or with "
            "`partnerbot attendance import` on the server), with Microsoft Graph set up in app.yaml."
        )
    if fetched.error or fetched.report is None:
        raise UserError(fetched.error or "There is no Teams attendance report for this meeting yet.")
    if not fetched.report.attendees:
        raise UserError(fetched.report.note or "The Teams attendance report lists nobody yet.")
    return proposal_reply(ctx, propose(ctx, meeting, fetched.report))


@command(
    "attendance confirm",
    usage="attendance confirm SERIES #N: LE 10:00-12:00; SMa 10:07-11:20",
    summary="Record attendance proposed from Teams (people already recorded stay as they are)",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    patterns=[
        r"attendance\s+confirm(?:\s+(?P<series>[A-Za-z][\w-]*))?\s+" + _MEETING + r"\s*:\s*(?P<entries>.+)"
    ],
)
def attendance_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = _meeting(ctx, args.get("meeting"))
    return apply(ctx, meeting, parse_entries(args["entries"]))
