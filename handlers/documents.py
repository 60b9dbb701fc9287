"""Documents: the agenda pack of the next meeting, the minutes draft, approving and correcting minutes.

The data comes from `documents_data`, the chat text and files from `documents_render`, with the
templates the app hands the core (`ctx.setup.templates`: a business unit's own folder, if any).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from handlers.context import Ctx, Refused, UserError
from handlers.dates import MONTH_WORD, month_named
from handlers.documents_data import (
    agenda_pack,
    clean,
    find_meeting,
    item_target,
    minutes_draft,
    read_day,
    series_items,
    series_meetings,
)
from handlers.documents_render import (
    TemplateProblem,
    agenda_files,
    invite_file,
    minutes_files,
    render_chat,
)
from handlers.format import long_date, plural
from handlers.registry import Perm, command
from handlers.reply import ACTOR, OK, Reply
from storage.models import AgendaItem, Meeting, MinutesCorrection

__all__ = ["TemplateProblem"]

# A meeting by its month too: "the minutes of the January meeting".
_MEETING = (
    r"(?P<meeting>last(?:\s+meeting)?|previous(?:\s+meeting)?|#?\d[\w/.\- ]*|"
    + MONTH_WORD
    + r"(?:\s+\d{4})?(?=\s+meeting\b|\s*$|\s*[?.!]))"
)
# A series named before the meeting; never the words that name a meeting (a month neither).
_NOT_SERIES = (
    r"(?:last|previous|the|of|for|approved?|agreed|correct\w*|please|meetings?|" + MONTH_WORD + r")\b"
)
# "… agreed as an accurate record", as minutes approve minutes.
_AS_A_RECORD = (
    r"(?:\s+(?:as|to\s+be)\s+(?:an?\s+)?(?:accurate|true|correct)\s+(?:record|representation)"
    r"(?:\s+of\s+(?:the\s+)?(?:previous|last)\s+meeting)?)"
)
# The agenda asked for by its meeting's date: "the agenda pack for the March meeting", "agenda for 15 March".
_WHEN = (
    r"(?P<when>(?:\d{1,2}(?:st|nd|rd|th)?\s+)?" + MONTH_WORD + r"(?:\s+\d{4})?|\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
)
_SERIES = r"(?:(?!" + _NOT_SERIES + r")(?P<series>[A-Za-z][\w-]*))"
# Asked for as people ask: "can I have the agenda for the next cpog meeting?", "minutes please".
_ASKING = (
    r"(?:(?:please\s+)?(?:(?:can|could|may)\s+(?:i|we)\s+(?:have|get|see)|(?:can|could)\s+you\s+send\s+(?:me|us)"
    r"|send\s+(?:me|us)|i\s+need|show\s+(?:me|us))\s+(?:the\s+)?)"
)
# Every document comes in every format (chat, Word, PDF), so a format asked for is taken as said.
_FORMAT = r"(?:\s+(?:as\s+(?:a\s+)?|in\s+)?(?:pdf|word|docx)(?:\s+(?:file|document|version))?)?"
_PLEASE = _FORMAT + r"(?:,?\s+please)?\s*[?.!]*"


def _day(ctx: Ctx, meeting: Meeting) -> str:
    assert meeting.starts_at is not None
    return long_date(meeting.starts_at.astimezone(ctx.tz).date())


# --- the documents ------------------------------------------------------------------------------------


@command(
    "agenda next",
    changes_series=False,
    usage="agenda next [SERIES]",
    summary="The agenda pack of the next meeting: chat, Word, PDF and a calendar invitation",
    section="Documents",
    perm=Perm.MEMBER,
    aliases=("agenda", "agenda pack"),
    patterns=[
        r"agenda(?:\s+pack)?(?:\s+(?:for\s+|of\s+)?(?:the\s+)?next(?:\s+meeting)?)?(?:\s+(?:of\s+|for\s+)?"
        + _SERIES
        + r")?\??",
        _ASKING + r"?agenda(?:\s+pack)?(?:\s+(?:for|of))?(?:\s+the)?(?:\s+next)?(?:\s+" + _SERIES + r")??"
        r"(?:\s+meeting)?" + _PLEASE,
        _ASKING
        + r"?agenda(?:\s+pack)?\s+(?:for|of)\s+(?:the\s+)?"
        + _WHEN
        + r"(?:\s+"
        + _SERIES
        + r")?(?:\s+meeting)?"
        + _PLEASE,
    ],
)
def agenda_next(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.meetings import next_meeting_date

    series = ctx.require_series()
    if args.get("when"):
        # Agendas are made for the next meeting: asked by its date, the date must be its.
        nxt, _ = next_meeting_date(ctx, series)
        when = args["when"].strip()
        month = month_named(re.sub(r"^\d{1,2}(?:st|nd|rd|th)?\s+", "", when.lower()))
        day = read_day(when) if not month or re.match(r"\d", when) else None
        same = nxt is not None and (
            nxt == day
            if day is not None
            else month is not None and nxt.month == month[0] and (month[1] is None or nxt.year == month[1])
        )
        if not same:
            next_text = f"is on {long_date(nxt)}" if nxt else "is not set yet (`next meeting DATE TIME`)"
            raise UserError(
                f"Agendas are made for the next meeting of {series.name}, which {next_text}, not “{when}”. "
                "`agenda next` gives its pack; the minutes of a past meeting come from `minutes draft DATE`."
            )
    pack = agenda_pack(ctx, series)
    reply = Reply()
    for block in render_chat(ctx.setup.templates, "agenda.chat.j2", series.key, pack=pack):
        reply.add(block)
    for f in agenda_files(ctx.setup.templates, pack, ctx.now):
        reply.add(f)
    return reply


@command(
    "invite",
    changes_series=False,
    usage="invite [SERIES]",
    summary="The next meeting's calendar invitation (.ics), to import or forward",
    section="Documents",
    perm=Perm.MEMBER,
    aliases=("send the invite for the next meeting",),
    patterns=[
        r"(?:" + _ASKING + r"|send\s+(?:out\s+)?(?:me\s+|us\s+)?(?:the\s+)?)?"
        r"(?:calendar\s+|meeting\s+)?(?:invite|invitation)s?"
        r"(?:\s+(?:for|to)\s+(?:the\s+)?(?:next\s+)?(?:" + _SERIES + r"\s+)?meeting)?" + _PLEASE,
        r"(?:calendar\s+|meeting\s+)?(?:invite|invitation)\s+(?:for\s+)?" + _SERIES + _PLEASE,
    ],
)
def invite(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    pack = agenda_pack(ctx, series)
    invitation = invite_file(pack, ctx.now)
    if invitation is None or pack.invite is None:
        raise UserError(
            f"The next meeting of {series.name} has no date and time set, so there is nothing to invite to: "
            "set it with `next meeting DATE TIME`, then ask again."
        )
    when = pack.invite.start.astimezone(ctx.tz)
    return (
        Reply()
        .say(
            f"The calendar invitation for the next meeting of {series.name}, {long_date(when.date())} "
            f"{when:%H:%M}, for {plural(len(pack.invite.attendees), 'person', 'people')}: open it to add it "
            "to a calendar, or forward it. The agenda pack is `agenda next`."
        )
        .add(invitation)
    )


@command(
    "minutes draft",
    changes_series=False,
    usage="minutes draft [MEETING]",
    summary="The minutes draft of a closed meeting (the last one unless a date is given): chat, Word, PDF",
    section="Documents",
    perm=Perm.MEMBER,
    aliases=("draft minutes", "minutes draft 19/01/24"),
    patterns=[
        _ASKING
        + r"?(?:the\s+)?(?:minutes(?:\s+draft)?|draft\s+minutes)(?:\s+(?:of|for))?(?:\s+"
        + _SERIES
        + r")?"
        r"(?:\s+(?:of\s+|for\s+|from\s+)?(?:the\s+)?" + _MEETING + r"(?:\s+meeting)?)?" + _PLEASE,
        _ASKING + r"?(?:the\s+)?(?:minutes(?:\s+draft)?|draft\s+minutes)(?:\s+(?:of|for))?(?:\s+the)?"
        r"(?:\s+(?P<meeting>last|previous))?(?:\s+" + _SERIES + r")?(?:\s+meeting)?" + _PLEASE,
    ],
)
def minutes_draft_command(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    meeting = find_meeting(ctx, series, args.get("meeting"))
    minutes = minutes_draft(ctx, series, meeting)
    reply = Reply()
    for block in render_chat(ctx.setup.templates, "minutes.chat.j2", series.key, minutes=minutes):
        reply.add(block)
    for f in minutes_files(ctx.setup.templates, minutes):
        reply.add(f)
    return reply


# --- approving and correcting minutes ------------------------------------------------------------------


def _minutes_being_approved(ctx: Ctx, open_meeting: Meeting, text: str | None = None) -> Meeting:
    series = ctx.require_series()
    return find_meeting(ctx, series, text, before=open_meeting)


@command(
    "minutes approve",
    usage="minutes approve [MEETING]",
    summary="Record that the meeting approved the minutes of the last meeting",
    section="Documents",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("approve minutes",),
    patterns=[
        r"minutes\s+(?:approved?|agreed)(?:\s+(?:of\s+|for\s+)?(?:the\s+)?" + _MEETING + r")?",
        r"(?:approve|agree)\s+(?:the\s+)?minutes(?:\s+(?:of\s+|for\s+)?(?:the\s+)?" + _MEETING + r")?",
        # As minutes say it: "The minutes of the last meeting were agreed as an accurate record."
        r"(?:the\s+)?minutes\s+of\s+(?:the\s+)?(?:last|previous)\s+meeting\s+(?:(?:were|was)\s+)?(?:approved|agreed)"
        + _AS_A_RECORD
        + r"?\.?",
        r"(?:the\s+)?minutes\s+(?:were|was)\s+(?:then\s+)?(?:approved|agreed)" + _AS_A_RECORD + r"?\.?",
        r"minutes\s+(?:approved|agreed)" + _AS_A_RECORD + r"\.?",
    ],
)
def minutes_approve(ctx: Ctx, args: dict[str, Any]) -> Reply:
    current = ctx.require_meeting()
    target = _minutes_being_approved(ctx, current, args.get("meeting"))
    day = _day(ctx, target)
    if target.minutes_approved_at is not None:
        return Reply().say(f"The minutes of {day} were already approved. Nothing changed.", audience=ACTOR)
    target.minutes_approved_at, target.minutes_approved_by = ctx.now, ctx.actor_id
    target.minutes_approved_in = current.id
    corrections = list(
        ctx.session.scalars(
            select(MinutesCorrection.text).where(
                MinutesCorrection.meeting_id == target.id, MinutesCorrection.made_in_meeting_id == current.id
            )
        )
    )
    ctx.audit(
        "minutes", target.id, "approved", None, {"in_meeting": current.id, "corrections": len(corrections)}
    )
    with_corrections = f", with {plural(len(corrections), 'correction')}" if corrections else ""
    return Reply().say(
        f"The minutes of the meeting of {day} are approved as an accurate record{with_corrections}.", OK
    )


@command(
    "minutes correct",
    usage="minutes correct: TEXT",
    summary="Record a correction to the minutes being approved",
    section="Documents",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("correction: TEXT",),
    patterns=[
        r"minutes\s+(?:correct(?:ion)?|corrected)\s*[:\-–]\s*(?P<text>.+)",
        r"(?:correction\s+to\s+(?:the\s+)?minutes|minutes\s+correction)\s*[:\-–]?\s*(?P<text>.+)",
        # As minutes record it: "A correction was made to the minutes: Action 28 now reads …"
        r"(?:a\s+)?correction\s+(?:was\s+)?made\s+to\s+the\s+minutes\s*[:\-–]?\s*(?P<text>.+)",
        r"correction\s*[:\-–]\s*(?P<text>.+)",
    ],
)
def minutes_correct(ctx: Ctx, args: dict[str, Any]) -> Reply:
    current = ctx.require_meeting()
    target = _minutes_being_approved(ctx, current)
    day = _day(ctx, target)
    if target.minutes_approved_at is not None and target.minutes_approved_in != current.id:
        raise Refused(
            f"The minutes of {day} were approved at an earlier meeting: a correction now belongs in "
            "this meeting's own minutes (`note: …`)."
        )
    text = clean(args["text"])
    if not text:
        raise UserError("Write the correction after the colon: `minutes correct: Action 2 is owned by GP`.")
    row = MinutesCorrection(
        meeting_id=target.id,
        made_in_meeting_id=current.id,
        text=text,
        created_by=ctx.actor_id,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit("minutes", target.id, "corrected", None, {"text": text, "in_meeting": current.id})
    then = (
        "" if target.minutes_approved_at else " Approve them with `minutes approve` when the meeting agrees."
    )
    return Reply().say(f"Correction to the minutes of {day} recorded: “{text}”.{then}", OK)


# --- agenda items: carry forward, withdraw ------------------------------------------------------------


def _find_item(ctx: Ctx, items: list[AgendaItem], typed: str) -> AgendaItem:
    wanted = typed.strip().strip("\"“”'‘’").lower()
    exact = [i for i in items if clean(i.title).lower() == wanted]
    near = exact or [i for i in items if wanted and wanted in clean(i.title).lower()]
    if len(near) == 1:
        return near[0]
    titles = "; ".join(f"“{clean(i.title)}”" for i in items) or "none"
    if not near:
        raise UserError(f"No agenda item matches “{typed.strip()}”. Items: {titles}.")
    raise UserError(f"“{typed.strip()}” matches several items ({titles}): give more of the title.")


@command(
    "agenda carry",
    usage='agenda carry "TITLE"',
    summary="Carry an agenda item not taken forward to the next meeting",
    section="Documents",
    perm=Perm.CHAIR_TEAM,
    aliases=("carry forward TITLE",),
    patterns=[
        r"agenda\s+carry(?:\s+forward)?\s*:?\s*(?P<title>.+)",
        r"carry\s+(?:forward|over)\s*:?\s*(?P<title>.+?)(?:\s+to\s+(?:the\s+)?next\s+meeting)?",
    ],
)
def agenda_carry(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    meetings = series_meetings(ctx, series)
    held = [m for m in meetings if m.status in ("open", "closed") and m.starts_at and m.starts_at <= ctx.now]
    if not held:
        raise UserError(f"{series.name} has held no meeting yet, so there is nothing to carry forward.")
    meeting = ctx.open_meeting() or held[-1]
    items = [i for i in series_items(ctx, series) if item_target(i, meetings) == meeting.id]
    item = _find_item(ctx, items, args["title"])
    before = {"meeting_id": item.meeting_id, "requested_in": item.requested_in_meeting_id}
    # Asked for again in this meeting: it falls to the next one, and its date shows it was carried.
    item.meeting_id, item.requested_in_meeting_id = None, meeting.id
    ctx.audit("agenda_item", item.id, "carried forward", before, {"requested_in": meeting.id})
    return Reply().say(f"“{clean(item.title)}” is carried forward to the next meeting's agenda.", OK)


@command(
    "agenda withdraw",
    usage='agenda withdraw "TITLE"',
    summary="Take an item off the next meeting's agenda",
    section="Documents",
    perm=Perm.CHAIR_TEAM,
    patterns=[r"agenda\s+(?:withdraw|remove|drop)\s*:?\s*(?P<title>.+)"],
)
def agenda_withdraw(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    meetings = series_meetings(ctx, series)
    held_ids = {m.id for m in meetings if m.status == "closed"}
    items = [i for i in series_items(ctx, series) if item_target(i, meetings) not in held_ids]
    item = _find_item(ctx, items, args["title"])
    item.status = "withdrawn"
    ctx.audit("agenda_item", item.id, "withdrawn", {"status": "proposed"}, {"status": "withdrawn"})
    return Reply().say(f"“{clean(item.title)}” is off the agenda.", OK)
