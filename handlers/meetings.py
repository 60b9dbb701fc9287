"""Meetings: bind a channel to a series, open and close a meeting, set the next one, request agenda items."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from handlers.context import BOUND, Ctx, Refused, UserError, meeting_day
from handlers.format import clock, long_date, plural, short_date, when
from handlers.names import Resolved, resolve_name
from handlers.registry import Perm, command
from handlers.reply import ACTOR, OK, Reply
from storage import bindings
from storage.cadence import CadenceError, parse_cadence
from storage.models import Action, AgendaItem, Attendance, Decision, Meeting, Series

# --- the next meeting's date -------------------------------------------------------------------------


def planned_meeting(ctx: Ctx, series: Series) -> Meeting | None:
    """The next meeting that has been set and not yet held."""
    return ctx.session.scalars(
        select(Meeting)
        .where(
            Meeting.series_id == series.id,
            Meeting.status == "planned",
            Meeting.starts_at >= datetime.combine(ctx.today, time(0), ctx.tz),
        )
        .order_by(Meeting.starts_at)
    ).first()


def last_meeting_day(ctx: Ctx, series: Series) -> date | None:
    started = ctx.session.scalar(
        select(Meeting.starts_at)
        .where(Meeting.series_id == series.id, Meeting.status.in_(("open", "closed")))
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    return started.astimezone(ctx.tz).date() if started else None


def proposed_date(ctx: Ctx, series: Series) -> date | None:
    """The date the series' cadence proposes for its next meeting, from its last meeting (or today)."""
    if series.cadence is None:
        return None  # an ad hoc group: each date is set with `next meeting`
    try:
        cadence = parse_cadence(series.cadence)
    except CadenceError:
        return None
    base = last_meeting_day(ctx, series) or ctx.today
    proposed = cadence.next_after(base)
    while proposed <= ctx.today:
        proposed = cadence.next_after(proposed)
    return proposed


def next_meeting_date(ctx: Ctx, series: Series) -> tuple[date | None, bool]:
    """(date of the next meeting, whether it is only proposed by the cadence)."""
    planned = planned_meeting(ctx, series)
    if planned is not None and planned.starts_at is not None:
        return planned.starts_at.astimezone(ctx.tz).date(), False
    return proposed_date(ctx, series), True


def next_meeting_for(ctx: Ctx, series: Series, text: str) -> tuple[date | None, bool]:
    """`next_meeting_date` for reading a due date in `text`: not looked up when the text cannot
    name a date from it ("by the next meeting", "2 weeks before the board")."""
    from handlers.dates import may_name_next_meeting

    return next_meeting_date(ctx, series) if may_name_next_meeting(text) else (None, False)


# --- reading "Friday 15 March 2024 10:00-12:00 at Westshire House" ----------------------------------

_CLOCK = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?"
_TIMES = re.compile(
    rf"(?:\bfrom\s+|\bat\s+|,\s*)?(?P<t1>{_CLOCK})(?:\s*(?:-|–|to|until)\s*(?P<t2>{_CLOCK}))?(?=\s|,|$)", re.I
)
_PLACE = re.compile(r"(?:^|\s|,)\s*(?:at|in|@|venue:?|place:?)\s+(?P<place>.+)$", re.I)


def parse_clock(text: str, pm_hint: bool = False) -> time:
    m = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", text.strip(), re.I)
    if not m:
        raise UserError(f"I can't read “{text}” as a time: use 10:00, 14:30 or 2pm.")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    elif not half and pm_hint and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise UserError(f"I can't read “{text}” as a time: use 10:00, 14:30 or 2pm.")
    return time(hour, minute)


def _time_range(text: str) -> tuple[time, time | None]:
    parts = re.split(r"\s*(?:-|–|to|until)\s*", text.strip(), maxsplit=1)
    end_pm = len(parts) == 2 and parts[1].lower().endswith("pm")
    start = parse_clock(parts[0], pm_hint=end_pm and not re.search(r"am$", parts[0], re.I))
    end = parse_clock(parts[1]) if len(parts) == 2 else None
    return start, end


def parse_meeting_when(ctx: Ctx, series: Series, text: str) -> tuple[datetime, datetime | None, str | None]:
    from handlers.dates import parse_date, refused_reason

    text = text.strip().rstrip(".")
    place = None
    times = None
    # A time is digits with a colon/dot or am/pm; plain day numbers ("15 March") are part of the date.
    for m in _TIMES.finditer(text):
        if re.search(r"[:.]|am|pm", m.group("t1"), re.I) or m.group("t2"):
            times = m
    date_text = text
    if times is not None:
        date_text = text[: times.start()]
        rest = text[times.end() :]
        pm = _PLACE.search(" " + rest) or (re.match(r"\s*,\s*(?P<place>.+)$", rest))
        place = pm.group("place").strip() if pm else (rest.strip(" ,") or None)
        start_t, end_t = _time_range(
            times.group("t1") + (f"-{times.group('t2')}" if times.group("t2") else "")
        )
    else:
        pm = _PLACE.search(text)
        if pm:
            date_text, place = text[: pm.start()], pm.group("place").strip()
        default = series.time or "10:00"
        start_t, end_t = _time_range(default)
    date_text = re.sub(r"^\s*(?:on|is|will be|:)\s+", "", date_text.strip(" ,"), flags=re.I)
    due = parse_date(date_text, sent_at=ctx.now, tz=ctx.roster.timezone)
    if due is None and (why := refused_reason(date_text, sent_at=ctx.now, tz=ctx.roster.timezone)):
        raise UserError(f"{why}.")
    if due is None or due.date is None:
        raise UserError(
            f"I can't read “{date_text}” as a date. Try `next meeting Friday 15 March 2024 "
            "10:00-12:00 at Westshire House` or `next meeting 15/03/24 10:00`."
        )
    if due.date < ctx.today:
        raise UserError(f"{long_date(due.date)} has passed: give a date from today on.")
    start = datetime.combine(due.date, start_t, ctx.tz)
    end = datetime.combine(due.date, end_t, ctx.tz) if end_t else None
    if end is not None and end <= start:
        raise UserError("The meeting ends before it starts: check the times.")
    return start, end, place or series.place


def describe_meeting(ctx: Ctx, meeting: Meeting) -> str:
    assert meeting.starts_at is not None
    local = meeting.starts_at.astimezone(ctx.tz)
    text = f"{long_date(local.date())} {local:%H:%M}"
    if meeting.ends_at:
        text += f"–{meeting.ends_at.astimezone(ctx.tz):%H:%M}"
    if meeting.place:
        text += f", {meeting.place}"
    return text


# --- commands ---------------------------------------------------------------------------------------


def _bound(ctx: Ctx) -> Series | None:
    if BOUND in ctx.memo:
        return ctx.memo[BOUND]
    return bindings.bound_series(ctx.session, ctx.req.door, ctx.req.channel)


def bind_channel(ctx: Ctx, series: Series, current: Series | None) -> None:
    """Bind this conversation to a series (stored, so it survives restarts), replacing another binding."""
    # Known unbound (read in this transaction): the binding is added without being looked for again.
    new = current is None and BOUND in ctx.memo
    bindings.bind(ctx.session, ctx.req.door, ctx.req.channel, series.id, ctx.actor_id, ctx.now, new=new)
    ctx.memo[BOUND] = series
    before = {"series": current.key} if current is not None else None
    ctx.audit("binding", ctx.req.channel, "bound", before, {"series": series.key, "door": ctx.req.door})


def _may_take_over(ctx: Ctx, current: Series) -> None:
    """Binding a channel bound to another series moves that series' commands and actions: it needs
    the rights to run that series too (its chair team or the business unit), not only the new one's."""
    if current.partnership_id != ctx.partnership_id:
        raise Refused(
            "This channel is bound to a series of another partnership: its chair team can `unbind` it "
            "first. Nothing changed."
        )
    sref = ctx.roster.series.get(current.key)
    if sref is None or not current.active:
        return  # the series has left the file: its binding is stale
    if not ctx.is_chair_team(sref):
        raise Refused(
            f"This channel is bound to {current.name}, and only {ctx.who_can_run_meeting(sref)} can bind it "
            f"to another series (or `unbind` it first). Nothing changed."
        )


@command(
    "bind",
    changes_series=False,
    usage="bind SERIES",
    summary="Bind this channel to a series",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    patterns=[r"bind\s+(?:to\s+)?{series}"],
)
def bind(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    current = _bound(ctx)
    if current is not None and current.id == series.id:
        return Reply().say(f"This channel is already bound to {series.name}.", audience=ACTOR)
    if current is not None:
        _may_take_over(ctx, current)
    bind_channel(ctx, series, current)
    return Reply().say(
        f"This channel is now bound to {series.name}: meeting commands here need no series name.", OK
    )


@command(
    "unbind",
    changes_series=False,
    usage="unbind",
    summary="Unbind this channel from its series",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    patterns=[r"unbind"],
)
def unbind(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    if _bound(ctx) is None:
        return Reply().say("This channel is not bound to a series.", audience=ACTOR)
    if ctx.open_meeting() is not None:
        raise UserError("A meeting is open here: end it with `meeting end` before unbinding.")
    bindings.unbind(ctx.session, ctx.req.door, ctx.req.channel)
    ctx.memo[BOUND] = None
    ctx.audit("binding", ctx.req.channel, "unbound", {"series": series.key}, None)
    return Reply().say(f"This channel is no longer bound to {series.name}.", OK)


@command(
    "meeting start",
    usage="meeting start [SERIES]",
    summary="Open a meeting in this channel",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    aliases=("start meeting", "open meeting"),
    patterns=[
        r"(?:meeting\s+(?:start|open)|(?:start|open)\s+(?:the\s+|a\s+)?meeting)(?:\s+(?:of\s+)?{series})?"
    ],
)
def meeting_start(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.agenda import fix_agenda

    series = ctx.require_series()
    reply = Reply()
    bound = _bound(ctx)
    if bound is not None and bound.id != series.id:
        raise UserError(
            f"This channel is bound to {bound.name}. "
            f"Open the meeting there, or `bind {series.key}` here first."
        )
    if bound is None:
        bind_channel(ctx, series, None)
    current = ctx.open_meeting()
    if current is not None and current.opened_at is not None:
        raise UserError(
            f"A meeting of {series.name} is already open (since {when(current.opened_at, ctx.tz)}). "
            "End it with `meeting end`."
        )
    planned = planned_meeting(ctx, series)
    new = not (
        planned is not None and planned.starts_at and planned.starts_at.astimezone(ctx.tz).date() == ctx.today
    )
    if not new:
        assert planned is not None
        meeting = planned
    else:
        meeting = Meeting(series_id=series.id, starts_at=ctx.now, place=series.place, sequence=0)
        ctx.session.add(meeting)
    meeting.status, meeting.opened_at, meeting.opened_by = "open", ctx.now, ctx.actor_id
    meeting.door, meeting.channel = ctx.req.door, ctx.req.channel
    ctx.session.flush()
    ctx.opened(meeting)
    fix_agenda(ctx, series, meeting, new=new)
    ctx.audit("meeting", meeting.id, "opened", None, {"series": series.key, "at": ctx.now})
    chair = ctx.chair(meeting=meeting)
    chaired = (
        f"chaired by {ctx.name(chair)}"
        if chair
        else f"with no chair: {series.name} names none. Say who chairs it with `chair today XX`"
    )
    reply.say(
        f"The meeting of {series.name} is open in this channel ({when(ctx.now, ctx.tz)}), {chaired}.",
        OK,
    )
    reply.say(_attendance_hint(ctx))
    return reply


def _attendance_hint(ctx: Ctx) -> str:
    """How to record attendance, shown with this series' own people so the example can be typed."""
    s = ctx.sref
    chair = ctx.chair(s)
    people = [*(i for i in (chair,) if i), *(i for i in ctx.seats(s) if i != chair)]
    active = [i for i in people if i in ctx.roster.people and ctx.roster.people[i].active]
    present = " ".join(active[:2]) or "INITIALS"
    apologies = active[2] if len(active) > 2 else "…"
    pairs = [(d[0], m) for m, d in s.deputies.items() if d]
    deputy = (
        f"`{pairs[0][0]} for {pairs[0][1]}`" if pairs else f"`DEPUTY for {active[0] if active else 'MEMBER'}`"
    )
    return (
        f"Record who is here with `present {present} …`, `apologies {apologies}` and {deputy}; "
        "`quorum` says whether the meeting is quorate."
    )


@command(
    "meeting end",
    usage="meeting end",
    summary="Close the meeting and summarise it",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    # A meeting left open across a time-limited group's last day can still be closed and minuted.
    changes_series=False,
    aliases=("end meeting", "close meeting", "meeting closed at TIME"),
    patterns=[
        r"(?:meeting\s+(?:end|close)|(?:end|close)\s+(?:the\s+)?meeting)(?:\s+at\s+(?P<at>\S+?))?\.?",
        # As minutes put it: "Meeting closed at 15:45", "The meeting ended at 3.40pm".
        r"(?:(?:thanks|thank\s+you)(?:\s+(?:everyone|everybody|all))?[,.!]*\s+)?(?:the\s+)?meeting\s+"
        r"(?:closed|ended|finished)(?:\s+(?:at\s+)?(?P<at>\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?))?\.?",
        r"end\s+of\s+(?:the\s+)?meeting\.?",
    ],
)
def meeting_end(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.asking import close_questions
    from handlers.attendance import add_row, at_time, attendance_summary, quorum_now, sheet

    series = ctx.require_series()
    meeting = ctx.require_meeting()
    # "Meeting closed at 15:45", typed a little after: the time it closed, never one still to come.
    at = at_time(ctx, args.get("at"))
    opened = meeting.opened_at or meeting.starts_at
    if opened is not None and at < opened:
        raise UserError(
            f"The meeting opened at {clock(opened, ctx.tz)}, so it cannot have closed at "
            f"{clock(at, ctx.tz)}. Give the time it closed, or `meeting end` to close it now. "
            "Nothing changed."
        )
    if at < ctx.now and opened is not None:
        # The minutes take the actions raised until the close: none raised since may fall out.
        last = ctx.session.scalar(
            select(func.max(Action.created_at)).where(
                Action.series_id == series.id, Action.created_at >= opened, Action.created_at <= ctx.now
            )
        )
        if last is not None and last > at:
            raise UserError(
                f"An action was raised in this meeting at {clock(last, ctx.tz)}, after "
                f"{clock(at, ctx.tz)}: the meeting cannot have closed before it. Give a later time, or "
                "`meeting end` to close it now. Nothing changed."
            )
    # Members with no record were not in attendance: stored, so it stays true if membership changes.
    # The minute taker was there taking the notes, marked present or not.
    recorded = {row.person_id for row in sheet(ctx, meeting)}
    absent = []
    deputies = {d for ds in ctx.sref.deputies.values() for d in ds}
    for initials in sorted(ctx.members() - deputies - {ctx.sref.minute_taker}):
        pid = ctx.person_id(initials)
        if pid not in recorded and ctx.roster.people[initials].active:
            add_row(
                ctx,
                meeting,
                Attendance(
                    meeting_id=meeting.id, person_id=pid, status="absent", updated_at=ctx.now, movements=[]
                ),
            )
            absent.append(initials)
    result = quorum_now(ctx, meeting)
    meeting.status, meeting.closed_at, meeting.closed_by = "closed", at, ctx.actor_id
    if meeting.ends_at is None or (meeting.starts_at is not None and meeting.ends_at < meeting.starts_at):
        meeting.ends_at = at
    dropped = close_questions(ctx)  # said plainly, at the end of the summary
    ctx.session.flush()
    ctx.audit("meeting", meeting.id, "closed", None, {"at": at, "not_in_attendance": absent})

    actions = list(
        ctx.session.scalars(
            select(Action.number).where(Action.created_meeting_id == meeting.id).order_by(Action.number)
        )
    )
    decisions = list(ctx.session.scalars(select(Decision).where(Decision.meeting_id == meeting.id)))
    reply = Reply().say(f"The meeting of {series.name} is closed ({when(at, ctx.tz)}).", OK)
    reply.say(attendance_summary(ctx, meeting))
    if result.ruled:
        reply.say(f"Quorum at the close: {'quorate' if result.quorate else 'not quorate'}.")
    inquorate = sum(1 for d in decisions if d.inquorate and d.decision_quorum_missing is None)
    without = sum(1 for d in decisions if d.inquorate and d.decision_quorum_missing is not None)
    line = f"{plural(len(decisions), 'decision')}"
    marked = [f"{inquorate} taken while not quorate"] if inquorate else []
    marked += [f"{without} taken without the decision quorum"] if without else []
    if marked:
        line += f" ({', '.join(marked)}, for ratification)"
    line += (
        "; "
        + (
            f"{plural(len(actions), 'action')} raised: " + ", ".join(str(n) for n in actions)
            if actions
            else "no actions raised"
        )
        + "."
    )
    reply.say(line[0].upper() + line[1:])
    nxt, proposed = next_meeting_date(ctx, series)
    if nxt is not None:
        reply.say(
            f"Next meeting: {long_date(nxt)}"
            + (" (proposed by the cadence; set it with `next meeting DATE TIME`)." if proposed else ".")
        )
    else:
        reply.say("No next meeting is set: set it with `next meeting DATE TIME`.")
    reply.say("The minutes draft is ready when you are: `minutes draft`.")
    return reply.extend(dropped)


@command(
    "next meeting",
    usage="next meeting [DATE TIME at PLACE]",
    summary="Show or set the date of the next meeting",
    section="Meetings",
    perm=Perm.MEMBER,
    patterns=[
        r"(?:(?:the\s+)?date\s+of\s+(?:the\s+)?)?next\s+meeting(?:\s+of\s+{series})?\??",
        r"when(?:'s|’s|\s+is)\s+(?:the\s+)?next(?:\s+{series})?\s+meeting\??",
        r"(?:set\s+)?next\s+meeting\s*(?:[:\-–]|is|on)?\s*(?P<when>.+)",
        # The minutes' last item: "Date of next meeting – Friday 15 March 2024, 10:00–12:00, Teams"
        # (also "Date, time and venue of next meeting: …")
        r"(?:the\s+)?(?:date|time)(?:\s*(?:,|and|&)\s*(?:date|time|venue|place|location))*\s+of\s+"
        r"(?:the\s+)?next\s+meeting\s*(?:[:\-–]|is|will\s+be)?\s*(?P<when>.+)",
    ],
)
def next_meeting(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    text = args.get("when")
    if not text:
        planned = planned_meeting(ctx, series)
        if planned is not None:
            return Reply().say(f"The next meeting of {series.name}: {describe_meeting(ctx, planned)}.")
        proposed = proposed_date(ctx, series)
        if proposed is None:
            return Reply().say(
                f"No next meeting of {series.name} is set. Set it with `next meeting DATE TIME`."
            )
        return Reply().say(
            f"No next meeting of {series.name} is set. Its cadence ({series.cadence}) proposes "
            f"{long_date(proposed)}: set it with `next meeting {proposed:%d/%m/%y} "
            f"{(series.time or '10:00').split('-')[0]}`."
        )
    if not ctx.is_chair_team():
        raise UserError(f"Only {ctx.who_can_run_meeting()} can set the next meeting.")
    start, end, place = parse_meeting_when(ctx, series, text)
    meeting = planned_meeting(ctx, series)
    before = None
    if meeting is None:
        meeting = Meeting(series_id=series.id, status="planned", sequence=0)
        ctx.session.add(meeting)
    else:
        before = {"starts_at": meeting.starts_at, "ends_at": meeting.ends_at, "place": meeting.place}
        meeting.sequence += 1
    meeting.starts_at, meeting.ends_at, meeting.place = start, end, place
    ctx.session.flush()
    ctx.audit(
        "meeting", meeting.id, "scheduled", before, {"starts_at": start, "ends_at": end, "place": place}
    )
    moved = retarget_next_meeting_actions(ctx, series, start.date())
    reply = Reply().say(f"The next meeting of {series.name} is {describe_meeting(ctx, meeting)}.", OK)
    if moved:
        reply.say(
            f"{plural(moved, 'action')} due at the next meeting now {'falls' if moved == 1 else 'fall'} "
            f"due on {short_date(start.date())}."
        )
    return reply


def retarget_next_meeting_actions(ctx: Ctx, series: Series, day: date) -> int:
    """Open "next meeting" actions whose meeting has not yet come follow the meeting's new date."""
    result = ctx.session.execute(
        update(Action)
        .where(
            Action.series_id == series.id,
            Action.status == "open",
            Action.due_kind == "next_meeting",
            # No date yet (raised before any next meeting was set), or one that is still to come;
            # SQL's `!=` is never true of NULL, hence the NULL test on its own.
            Action.due_date.is_(None) | ((Action.due_date >= ctx.today) & (Action.due_date != day)),
        )
        .values(due_date=day)
        .execution_options(synchronize_session=False)
    )
    count = cast(CursorResult[Any], result).rowcount or 0  # an UPDATE's result is a CursorResult
    if count:
        ctx.audit("actions", series.key, "due moved with the meeting", None, {"due": day, "count": count})
    return count


_AGENDA = re.compile(
    # A quoted title keeps its apostrophes ("Children's …"): each quote pairs with its own
    # closing mark, and a straight single quote closes only before a space or the end.
    r"""^\s*(?:"(?P<dq>[^"]+)"|“(?P<cq>[^”"]+)[”"]|‘(?P<sq>[^’]+)’|'(?P<aq>.+?)'(?=\s|$)|(?P<t>.+?))
        (?:\s+(?:presenter|presented\s+by|by|lead)\s*:?\s+(?P<presenter>[^,;]+?))?
        (?:\s+(?:paper|papers|link)\s*:?\s+(?P<paper>\S+))?
        (?:\s+(?P<minutes>\d{1,3})\s*(?:min|mins|minutes))?\s*$""",
    re.X | re.I,
)


@command(
    "agenda add",
    usage='agenda add "TITLE" [presenter NAME] [paper LINK] [N minutes]',
    summary="Ask for an item on the next meeting's agenda",
    section="Meetings",
    perm=Perm.MEMBER,
    patterns=[r"agenda\s+add\s*:?\s*(?P<rest>.+)", r"add\s+to\s+(?:the\s+)?agenda\s*:?\s*(?P<rest>.+)"],
)
def agenda_add(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.names import Ambiguous, Resolved, resolve_name

    series = ctx.require_series()
    m = _AGENDA.match(args["rest"])
    title = next((g.strip() for g in m.group("dq", "cq", "sq", "aq", "t") if g), "") if m else ""
    if m is None or not title:
        raise UserError('Write it as `agenda add "Voice of the Child" presenter SMa`.')
    presenter_id = None
    presenter = m.group("presenter")
    if presenter:
        from handlers.names import Owner, Unknown
        from handlers.people import guest_or_ask

        found = resolve_name(presenter, ctx.roster, series.key, people_only=True, day=ctx.day())
        if isinstance(found, Unknown) and (guest := guest_or_ask(ctx, presenter, role="who presents?")):
            found = Resolved(Owner("person", guest), presenter)
        if isinstance(found, Ambiguous):
            from handlers.context import Ask

            before, after = ctx.hole(presenter.strip())
            raise Ask(
                f"“{presenter}” could be more than one person: who presents?",
                before=before,
                after=after,
                kind="person",
                choices=list(found.candidates),
            )
        if not isinstance(found, Resolved) or found.owner.id is None:
            raise UserError(
                f"I don't know “{presenter}”. Use their initials or full name (someone not in the "
                "partnership file by their full name: they are recorded as a guest)."
            )
        presenter_id = ctx.person_id(found.owner.id)
    item = AgendaItem(
        series_id=series.id,
        meeting_id=None,
        title=title,
        presenter_id=presenter_id,
        paper_url=m.group("paper"),
        minutes=int(m.group("minutes")) if m.group("minutes") else None,
        requested_by=ctx.actor_id,
        requested_in_meeting_id=(ctx.open_meeting() or Meeting()).id,
        created_at=ctx.now,
        status="proposed",
    )
    ctx.session.add(item)
    ctx.session.flush()
    ctx.audit(
        "agenda_item",
        item.id,
        "requested",
        None,
        {"title": title, "presenter": ctx.initials_of(presenter_id), "paper": item.paper_url},
    )
    nxt, _ = next_meeting_date(ctx, series)
    who = f", presented by {ctx.name(ctx.initials_of(presenter_id))}" if presenter_id else ""
    return Reply().say(
        f"Added “{title}”{who} to the agenda of the next meeting"
        + (f" ({short_date(nxt)})." if nxt else "."),
        OK,
    )


@command(
    "chair today",
    usage="chair today XX",
    summary="Let the vice-chair or another member chair the open meeting",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    patterns=[r"chair\s+today\s*:?\s+(?P<who>.+)"],
)
def chair_today(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    s = ctx.sref
    typed = args["who"].strip()
    found = resolve_name(typed, ctx.roster, s.id, people_only=True, suggest=False, day=ctx.day(s))
    who = found.owner.id if isinstance(found, Resolved) and found.owner.kind == "person" else None
    eligible = set(ctx.seats(s, meeting)) | set(s.chairs()) | {i for i in (s.vice_chair,) if i}
    if who is None or who not in ctx.roster.people:
        raise UserError(
            f"I don't know “{typed}” in the partnership file: give their initials. Nothing changed."
        )
    if who not in eligible:
        raise UserError(
            f"{ctx.name(who)} is not a member of {s.name}: the vice-chair or a member may chair a meeting. "
            "Nothing changed."
        )
    of_the_day = s.chair_on(meeting_day(meeting, ctx.tz) or ctx.today)
    before = meeting.chair
    meeting.chair = None if who == of_the_day else who
    ctx.audit("meeting", meeting.id, "chair today", {"chair": before or of_the_day}, {"chair": who})
    if meeting.chair is None:
        return Reply().say(f"{ctx.name(who)}, the chair of {s.name}, chairs this meeting.", OK)
    if of_the_day is None:  # the series names no chair: this person chairs this meeting only
        return Reply().say(
            f"{ctx.name(who)} chairs this meeting ({s.name} names no chair): they have the chair's part "
            "in this meeting only, and the minutes say so.",
            OK,
        )
    return Reply().say(
        f"{ctx.name(who)} chairs this meeting in place of {ctx.name(of_the_day)}; the minutes say so.", OK
    )
