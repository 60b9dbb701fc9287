"""What the agenda pack and the minutes draft hold, as plain data for the templates.

Everything is read from the database once and handed to the templates as frozen
dataclasses of strings and lists, so a template (a business unit's own included)
reads text and nothing else: no session, no models, no methods with effects.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.actions import current_owners, latest_update, load_owner_initials
from handlers.agenda import (
    CLOSING,
    AgendaLine,
    held_before,
    item_target,
    meeting_agenda,
    names_other_business,
    pending_ratification,
    series_items,
    series_meetings,
    split_label,
    standing_kind,
)
from handlers.attendance import describe_quorum, quorum_now
from handlers.capture import as_typed
from handlers.context import Ctx, UserError
from handlers.dates import month_named
from handlers.format import clean, long_date, owners_short, owners_text, plural, short_date
from handlers.meetings import planned_meeting, proposed_date
from handlers.tracker import held_meetings, is_overdue, is_stale, rag
from storage.cadence import CadenceError, parse_cadence, parse_papers_due
from storage.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    Attendance,
    Decision,
    Declaration,
    Meeting,
    MinutesCorrection,
    Note,
    Person,
    QuorumChange,
    Series,
)
from storage.roster import SeriesRef

__all__ = [  # also read from here by other modules: the documents' shared look-ups
    "CLOSING",
    "clean",
    "item_target",
    "series_items",
    "series_meetings",
    "standing_kind",
]


def clock_text(dt: datetime, ctx: Ctx) -> str:
    return dt.astimezone(ctx.tz).strftime("%H:%M")


# --- the agenda pack ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    number: str
    title: str
    kind: str  # standing | requested | carried | ratification
    presenter: str = ""
    paper: str = ""
    time: str = ""  # "15 minutes"
    note: str = ""
    presenter_initials: str = ""


@dataclass(frozen=True)
class ActionRow:
    number: str
    title: str
    owners: str
    due: str
    status: str  # Ongoing | Closed <date> | Dropped <date>
    update: str  # the latest update, or "No update yet"
    update_date: str
    flags: str = ""
    rag: str = ""  # Red | Amber | Green for an ongoing action (handlers/tracker.rag)


@dataclass(frozen=True)
class ActionGroup:
    key: str  # overdue | due | stale | attention | on_track
    label: str
    rag: str  # Red | Amber | Green
    actions: list[ActionRow]

    @property
    def count(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class Tracker:
    groups: list[ActionGroup]  # only the groups with actions, most urgent first
    open_count: int
    summary: str  # "3 open actions: 2 overdue, 1 due by the meeting."
    closed: list[ActionRow]  # closed since the last meeting


@dataclass(frozen=True)
class DecisionRow:
    date: str
    text: str


@dataclass(frozen=True)
class InviteAttendee:
    name: str
    address: str  # mailto:… or a urn when the file has no e-mail
    role: str  # CHAIR | REQ-PARTICIPANT | OPT-PARTICIPANT
    partstat: str = "NEEDS-ACTION"
    delegated_to: str = ""
    delegated_from: str = ""


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    location: str
    url: str
    description: str
    organizer: InviteAttendee
    attendees: list[InviteAttendee]


@dataclass(frozen=True)
class Paper:
    title: str  # "Minutes of the previous meeting, Friday 19 January 2024"
    note: str = ""  # "draft, for approval"
    link: str = ""
    item: str = ""  # the number of the agenda item it is for


@dataclass(frozen=True)
class EndedGroup:
    """A group that has ended (`ends`) and escalates to this series first: its open actions."""

    series: str  # the group's name
    ended: str  # "Sunday 31 March 2024"
    actions: list[ActionRow]


@dataclass(frozen=True)
class AgendaPack:
    title: str  # the document title
    partnership: str
    series: str
    series_key: str
    date_text: str
    date_iso: str
    time_text: str
    place: str
    online_link: str
    chair: str
    papers_due: str
    date_confirmed: bool  # False: only proposed by the cadence
    previous: str  # "Friday 19 January 2024", or ""
    items: list[AgendaEntry]
    ratification: list[DecisionRow]
    tracker: Tracker
    apologies: list[str]
    prepared: str
    invite: Invite | None = None
    # Papers for the meeting: the previous minutes for approval, then the items' papers.
    papers: list[Paper] = field(default_factory=list)
    terms_of_reference: str = ""  # the series' terms of reference (an https address), if the file links them
    ended_groups: list[EndedGroup] = field(default_factory=list)  # their open actions are this chair's now


# --- the minutes draft ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeRow:
    name: str  # "Chloe Grant (for Tom Rees)", "Miriam Tolley (Chair)"
    initials: str
    organisation: str
    title: str


@dataclass(frozen=True)
class Para:
    kind: str  # text | bullet | action | decision
    text: str


@dataclass(frozen=True)
class ReviewRow:
    """An action from an earlier meeting as the minutes' tracker review shows it."""

    number: str
    title: str
    owners: str  # as minutes write them: "SMa/PMw"
    update: str  # what was said at the meeting, or that nothing was
    status: str  # Action ongoing. | Action closed (Fri 15 Mar 2024). | Action dropped. | Action reopened.
    text: str = ""  # "Action 29. SMa/PMw to invite the performance lead …": the action as captured


@dataclass(frozen=True)
class MinutesItem:
    """One numbered section: an agenda item of the meeting, in agenda order (or "Any other business")."""

    number: str
    title: str
    # what the item is: welcome | declarations | minutes | tracker | risk | escalate | difference | aob
    # | next | other (standing items), requested | carried | ratification
    key: str
    paras: list[Para] = field(default_factory=list)
    review: list[ReviewRow] = field(default_factory=list)


@dataclass(frozen=True)
class Minutes:
    title: str
    partnership: str
    series: str
    series_key: str
    date_text: str
    date_iso: str
    when: str  # "Friday 19 January 2024, 10:00–10:46, Westshire House"
    chair: str
    status: str  # "Draft: not yet approved." or "Approved at the meeting of …"
    approved: bool
    corrections: list[str]
    attendees: list[AttendeeRow]
    business_unit: list[str]
    in_attendance: list[AttendeeRow]
    apologies: list[str]
    absent: list[AttendeeRow]
    movements: list[str]
    quorum: str
    items: list[MinutesItem]
    prepared: str
    preamble: list[str] = field(default_factory=list)  # the series' standing text, by paragraph
    # "Chair: not named.": the series names no chair and nobody chaired this meeting (`chair today`)
    chair_note: str = ""
    apologies_in_item: bool = False  # the apologies are listed under the welcome item, not again above


# --- shared look-ups ---------------------------------------------------------------------------------------


def _start_of(meeting: Meeting) -> datetime:
    """A dated meeting's start: one from `series_meetings`, the planned one, or one that was held."""
    if meeting.starts_at is None:
        raise ValueError(f"meeting {meeting.id} has no start time")
    return meeting.starts_at


def _person_line(ctx: Ctx, initials: str | None) -> str:
    """A person as apologies list them: "Tom Rees, Detective Superintendent, Marcia Police"."""
    if not initials or initials not in ctx.roster.people:
        return initials or "someone"
    p = ctx.roster.people[initials]
    agency = ctx.roster.agencies.get(p.agency)
    parts = [ctx.name(initials), p.title or "", agency.name if agency else ""]
    return ", ".join(x for x in parts if x)


def due_text(action: Action) -> str:
    if action.due_date is None:
        return "At the next meeting (no date set)" if action.due_kind == "next_meeting" else "No date"
    text = short_date(action.due_date)
    return text + " (next meeting)" if action.due_kind == "next_meeting" else text


def _action_row(ctx: Ctx, action: Action, status: str, flags: list[str], colour: str = "") -> ActionRow:
    latest = latest_update(action)
    return ActionRow(
        number=str(action.number),
        title=clean(action.title),
        owners=owners_text(ctx.roster, current_owners(action)),
        due=due_text(action),
        status=status,
        update=clean(latest.text) if latest and latest.text else "No update yet",
        update_date=short_date(latest.at.astimezone(ctx.tz).date()) if latest else "",
        flags="; ".join(flags),
        rag=colour,
    )


def prepared_line(ctx: Ctx) -> str:
    return f"Prepared by partnerbot on {short_date(ctx.today)} at {clock_text(ctx.now, ctx)}."


# --- the agenda pack ------------------------------------------------------------------------------------

GROUPS = (
    ("overdue", "Overdue", "Red"),
    ("due", "Due by the meeting", "Amber"),
    ("stale", "Stale: no real update for two meetings", "Red"),
    ("attention", "Needs a date or a real update", "Amber"),
    ("on_track", "On track", "Green"),
)


def _tracker(ctx: Ctx, series: Series, meeting_day: date, since: datetime | None) -> Tracker:
    actions = list(
        ctx.session.scalars(
            select(Action)
            .where(Action.series_id == series.id, Action.status == "open")
            .order_by(Action.number)
            .options(selectinload(Action.owners), selectinload(Action.updates))
        )
    )
    load_owner_initials(ctx, actions)
    held = held_meetings(ctx.session, series.id)
    stale_n = ctx.tracker_policy(series.key).stale_after_meetings
    grouped: dict[str, list[ActionRow]] = {key: [] for key, _, _ in GROUPS}
    labels = {key: label for key, label, _ in GROUPS}
    for a in actions:
        stale = is_stale(a, held, stale_n)
        if is_overdue(a, ctx.today):
            key = "overdue"
        elif a.due_date is not None and a.due_date <= meeting_day:
            key = "due"
        elif stale:
            key = "stale"
        else:
            key = "on_track"
        colour = rag(a, held, stale_n, ctx.now, ctx.today) or ""
        if key == "on_track" and colour == "amber":
            # undated, and its last word was "no further update", or nothing said since a meeting
            key = "attention"
        flags = []
        if not current_owners(a):
            flags.append("no owner")
        if stale and key != "stale":
            flags.append("stale")
        if a.snoozed_until and a.snoozed_until > ctx.today:
            flags.append(f"snoozed until {short_date(a.snoozed_until)}")
        grouped[key].append(_action_row(ctx, a, "Ongoing", flags, colour.capitalize()))
    closed_q = select(Action).where(Action.series_id == series.id, Action.status.in_(("done", "dropped")))
    if since is not None:
        closed_q = closed_q.where(Action.closed_at > since)
    closed_actions = list(
        ctx.session.scalars(
            closed_q.order_by(Action.number).options(
                selectinload(Action.owners), selectinload(Action.updates)
            )
        )
    )
    load_owner_initials(ctx, closed_actions)
    closed = []
    for a in closed_actions:
        when = short_date(a.closed_at.astimezone(ctx.tz).date()) if a.closed_at else ""
        status = ("Closed" if a.status == "done" else "Dropped") + (f" {when}" if when else "")
        closed.append(_action_row(ctx, a, status, []))
    groups = [ActionGroup(key, label, colour, grouped[key]) for key, label, colour in GROUPS if grouped[key]]
    counts = [f"{len(grouped[k])} {labels[k].split(':')[0].lower()}" for k, _, _ in GROUPS if grouped[k]]
    summary = f"{plural(len(actions), 'open action')}" + (f": {', '.join(counts)}" if counts else "") + "."
    if since is not None:
        summary += f" {len(closed)} closed since the last meeting."
    return Tracker(groups=groups, open_count=len(actions), summary=summary, closed=closed)


def _deputies_and_apologies(ctx: Ctx, meeting: Meeting) -> tuple[dict[str, str], list[str]]:
    """For a meeting: member initials -> deputy label, and the members who sent apologies (in order)."""
    rows = ctx.session.execute(
        select(Attendance, Person.initials)
        .outerjoin(Person, Person.id == Attendance.person_id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Attendance.id)
    ).all()
    deputies: dict[str, str] = {}
    apologies: list[str] = []
    for row, initials in rows:
        if row.status == "deputy" and row.deputy_for_id is not None:
            member = ctx.initials_of(row.deputy_for_id)
            if member:
                deputies[member] = initials or ""
                if row.person_id is None:
                    deputies[member] = "guest:" + clean(row.guest_name)
        elif row.status == "apologies" and initials:
            apologies.append(initials)
    return deputies, apologies


def _deputy_name(ctx: Ctx, label: str) -> str:
    return label.removeprefix("guest:") if label.startswith("guest:") else ctx.name(label)


def _apology_lines(ctx: Ctx, meeting: Meeting) -> list[str]:
    deputies, apologies = _deputies_and_apologies(ctx, meeting)
    lines = []
    for initials in apologies:
        line = _person_line(ctx, initials)
        if initials in deputies:
            line += f" ({_deputy_name(ctx, deputies[initials])} attending)"
        lines.append(line)
    return lines


@dataclass(frozen=True)
class _Slot:
    """When and where the next meeting is: the one set, or the date its cadence proposes."""

    day: date
    time_text: str
    place: str
    link: str


def _next_slot(ctx: Ctx, series: Series, nxt: Meeting | None) -> _Slot:
    if nxt is not None and nxt.starts_at is not None:
        start = nxt.starts_at.astimezone(ctx.tz)
        end = nxt.ends_at.astimezone(ctx.tz) if nxt.ends_at else None
        time_text = f"{start:%H:%M}" + (f"–{end:%H:%M}" if end else "")
        return _Slot(start.date(), time_text, clean(nxt.place or series.place), clean(nxt.online_link))
    proposed = proposed_date(ctx, series)
    if proposed is None:
        why = "it has no cadence" if series.cadence is None else "its cadence proposes none"
        raise UserError(
            f"No next meeting of {series.name} is set and {why}. "
            "Set it with `next meeting DATE TIME at PLACE`."
        )
    return _Slot(proposed, (series.time or "").replace("-", "–"), clean(series.place), "")


def _for_ratification(ctx: Ctx, series: Series) -> list[DecisionRow]:
    """Decisions taken while inquorate and not yet ratified."""
    return [
        DecisionRow(short_date(d.created_at.astimezone(ctx.tz).date()), clean(d.text) + _why_ratify(d))
        for d in pending_ratification(ctx, series)
    ]


def _why_ratify(d: Decision) -> str:
    """Why a decision waits for ratification, when it is not that the meeting was inquorate."""
    if d.decision_quorum_missing is None:
        return ""
    lacking = "; ".join(clean(str(x)) for x in d.decision_quorum_missing)
    return f" (taken without the decision quorum: {lacking})"


def _presenter(ctx: Ctx, item: AgendaItem | None) -> tuple[str, str]:
    """(name, initials) of an item's presenter, or empty strings."""
    if item is None or item.presenter_id is None:
        return "", ""
    initials = ctx.initials_of(item.presenter_id) or ""
    return ctx.name(initials), initials


def _agenda_entries(
    ctx: Ctx,
    series: Series,
    day: date,
    lines: list[AgendaLine],
    last: Meeting | None,
    tracker: Tracker,
    ratify: list[DecisionRow],
    apologies: bool,
) -> list[AgendaEntry]:
    """The numbered agenda (handlers/agenda has the order), each item with what the chair needs."""
    has_minutes_item = any(ln.standing == "minutes" for ln in lines)
    entries: list[AgendaEntry] = []
    for ln in lines:
        if ln.kind == "ratification":
            entries.append(_ratification_entry(str(ln.number), ratify))
            continue
        if ln.kind in ("requested", "carried"):
            item = ln.item
            name, initials = _presenter(ctx, item)
            carried = ln.kind == "carried"
            entries.append(
                AgendaEntry(
                    number=str(ln.number),
                    title=ln.title,
                    kind=ln.kind,
                    presenter=name,
                    paper=clean(item.paper_url) if item else "",
                    time=f"{item.minutes} minutes" if item and item.minutes else "",
                    note="Carried forward from the last meeting." if carried else "",
                    presenter_initials=initials,
                )
            )
            continue
        notes = []
        if ln.standing == "welcome" and apologies:
            notes.append("Apologies received so far are listed at the end of the pack.")
        # The previous minutes are approved under the minutes item; a series with none takes them
        # under its tracker review ("Relevant actions from the previous meeting").
        if ln.standing == "minutes" or (ln.tracker and not has_minutes_item):
            notes.append(_minutes_note(ctx, last))
        if ln.tracker:
            notes.append(tracker.summary)  # only under the tracker item, never any title with "action"
        if ln.standing == "next":
            notes.append(_proposed_next(series, day))
        entries.append(
            AgendaEntry(str(ln.number), ln.title, "standing", note=" ".join(n for n in notes if n))
        )
    return entries


def _proposed_next(series: Series, day: date) -> str:
    if series.cadence is None:
        return ""
    try:
        return f"Proposed by the cadence: {long_date(parse_cadence(series.cadence).next_after(day))}."
    except CadenceError:
        return ""


def _minutes_note(ctx: Ctx, last: Meeting | None) -> str:
    if last is None or last.starts_at is None:
        return ""
    held = long_date(last.starts_at.astimezone(ctx.tz).date())
    state = "approved" if last.minutes_approved_at else "draft, for approval"
    return f"Minutes of the meeting of {held} ({state}), for accuracy; matters arising."


def _papers(ctx: Ctx, entries: list[AgendaEntry], last: Meeting | None) -> list[Paper]:
    """The previous minutes, for approval when there was a previous meeting, then each item's paper."""
    papers: list[Paper] = []
    if last is not None and last.starts_at is not None:
        held = long_date(last.starts_at.astimezone(ctx.tz).date())
        state = "approved" if last.minutes_approved_at else "draft, for approval"
        item = next((e.number for e in entries if "Minutes of the meeting of" in e.note), "")
        papers.append(Paper(f"Minutes of the previous meeting, {held}", state, item=item))
    papers.extend(Paper(e.title, "", e.paper, e.number) for e in entries if e.paper)
    return papers


def _papers_due(series: Series, day: date) -> str:
    if not series.papers_due:
        return ""
    try:
        return long_date(parse_papers_due(series.papers_due).deadline(day))
    except CadenceError:
        return ""


def agenda_pack(ctx: Ctx, series: Series) -> AgendaPack:
    sref = ctx.roster.series[series.key]
    nxt = planned_meeting(ctx, series)
    slot = _next_slot(ctx, series, nxt)
    meetings = series_meetings(ctx, series)
    last = held_before(ctx, meetings, nxt)
    lines = meeting_agenda(ctx, series, nxt, meetings)
    ratify = _for_ratification(ctx, series)
    since = (last.closed_at or last.ends_at or last.starts_at) if last is not None else None
    tracker = _tracker(ctx, series, slot.day, since)
    apologies = _apology_lines(ctx, nxt) if nxt is not None else []
    date_text = long_date(slot.day)
    entries = _agenda_entries(ctx, series, slot.day, lines, last, tracker, ratify, bool(apologies))
    pack = AgendaPack(
        title=f"Agenda: {series.name}, {date_text}",
        partnership=ctx.roster.name,
        series=series.name,
        series_key=series.key,
        date_text=date_text,
        date_iso=slot.day.isoformat(),
        time_text=slot.time_text,
        place=slot.place,
        online_link=slot.link,
        chair=_chair_line(ctx, (nxt.chair if nxt is not None else None) or sref.chair_on(slot.day)),
        papers_due=_papers_due(series, slot.day),
        date_confirmed=nxt is not None,
        previous=long_date(last.starts_at.astimezone(ctx.tz).date()) if last and last.starts_at else "",
        items=entries,
        ratification=ratify,
        tracker=tracker,
        apologies=apologies,
        prepared=prepared_line(ctx),
        papers=_papers(ctx, entries, last),
        terms_of_reference=clean(sref.terms_of_reference),
        ended_groups=_ended_groups(ctx, series),
    )
    if nxt is not None:
        pack = _with_invite(ctx, series, nxt, pack)
    return pack


NO_CHAIR = "not named"  # "Chair: not named": the series names no chair and nobody said `chair today`


def _chair_line(ctx: Ctx, chair: str | None) -> str:
    """The chair as the pack and the minutes print it after "Chair:"."""
    return ctx.name(chair) if chair else NO_CHAIR


def _ended_groups(ctx: Ctx, series: Series) -> list[EndedGroup]:
    from handlers.chair_digest import ended_group_actions  # the digest's rule: one list of them

    out = []
    for child, actions in ended_group_actions(ctx.session, ctx.roster, series, ctx.today):
        ends = ctx.roster.series[child.key].ends
        rows = [_action_row(ctx, a, "Ongoing", [] if current_owners(a) else ["no owner"]) for a in actions]
        out.append(EndedGroup(child.name, long_date(ends) if ends else "", rows))
    return out


def _ratification_entry(number: str, ratify: list[DecisionRow]) -> AgendaEntry:
    return AgendaEntry(
        number,
        "Decisions for ratification",
        "ratification",
        note=f"{plural(len(ratify), 'decision')}: see below." if ratify else "",
    )


def _address(ctx: Ctx, initials: str) -> str:
    p = ctx.roster.people[initials]
    return f"mailto:{p.email}" if p.email else f"urn:partnerbot:{ctx.partnership_id}:person:{initials}"


def _with_invite(ctx: Ctx, series: Series, meeting: Meeting, pack: AgendaPack) -> AgendaPack:
    """The calendar invitation: members, roles, and apologies with deputies as delegations."""
    sref = ctx.roster.series[series.key]
    assert meeting.starts_at is not None
    start = meeting.starts_at.astimezone(ctx.tz)
    if meeting.ends_at is not None:
        end = meeting.ends_at.astimezone(ctx.tz)
    else:
        end = start + _default_length(series)
    deputies, apologies = _deputies_and_apologies(ctx, meeting)
    chair = meeting.chair or sref.chair_on(start.date())
    members = [*(i for i in (chair,) if i), *ctx.roster.members_on(sref, start.date())]
    if sref.vice_chair:
        members.append(sref.vice_chair)
    order: list[str] = []
    for i in [*members, sref.minute_taker, sref.business_manager]:
        if i and i not in order and i in ctx.roster.people and ctx.roster.people[i].active:
            order.append(i)
    attendees: list[InviteAttendee] = []
    for i in order:
        role = "CHAIR" if i == chair else "REQ-PARTICIPANT"
        partstat, delegated_to = "NEEDS-ACTION", ""
        if i in deputies:
            partstat = "DELEGATED"
            label = deputies[i]
            delegated_to = _address(ctx, label) if label in ctx.roster.people else ""
        elif i in apologies:
            partstat = "DECLINED"
        attendees.append(InviteAttendee(ctx.name(i), _address(ctx, i), role, partstat, delegated_to))
    for member, label in deputies.items():
        if label in ctx.roster.people:
            attendees.append(
                InviteAttendee(
                    ctx.name(label),
                    _address(ctx, label),
                    "REQ-PARTICIPANT",
                    delegated_from=_address(ctx, member) if member in ctx.roster.people else "",
                )
            )
    listed = {a.address for a in attendees}
    for item in pack.items:  # presenters from outside the series are invited too
        who = item.presenter_initials
        if who in ctx.roster.people and _address(ctx, who) not in listed:
            attendees.append(InviteAttendee(item.presenter, _address(ctx, who), "OPT-PARTICIPANT"))
            listed.add(_address(ctx, who))
    # The business manager sends it; else the chair; a series with no chair: whoever takes the chair's
    # part (Roster.chair_or_stand_ins), else the first person invited.
    stand_ins = ctx.roster.chair_or_stand_ins(sref, start.date())
    organiser = sref.business_manager or chair or (stand_ins[0] if stand_ins else order[0])
    lines = [f"{e.number}. {e.title}" + (f" ({e.presenter})" if e.presenter else "") for e in pack.items]
    description = "Agenda\n" + "\n".join(lines)
    if pack.papers_due:
        description += f"\n\nPapers are due by {pack.papers_due}."
    if pack.online_link:
        description += f"\n\nJoin online: {pack.online_link}"
    invite = Invite(
        uid=f"{ctx.partnership_id}-{series.key}-meeting-{meeting.id}@partnerbot",
        sequence=meeting.sequence or 0,
        start=start,
        end=end,
        summary=series.name,
        location=pack.place,
        url=pack.online_link,
        description=description,
        organizer=InviteAttendee(ctx.name(organiser), _address(ctx, organiser), "CHAIR"),
        attendees=attendees,
    )
    return dataclasses.replace(pack, invite=invite)


def _default_length(series: Series) -> timedelta:
    m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*", series.time or "")
    if m:
        a = time(int(m.group(1)), int(m.group(2)))
        b = time(int(m.group(3)), int(m.group(4)))
        minutes = (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)
        if minutes > 0:
            return timedelta(minutes=minutes)
    return timedelta(hours=2)


# --- which meeting: "last", a date, an id ----------------------------------------------------------------

_DATE_FORMATS = ("%d/%m/%y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")


def read_day(text: str) -> date | None:
    text = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", text.strip().rstrip("."), flags=re.I)
    text = re.sub(r"^(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)\w*,?\s+", "", text, flags=re.I)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


_WHICH_MEETING = "Use `last`, or the date of a meeting it has held, e.g. 19/01/24."


def find_meeting(
    ctx: Ctx, series: Series, text: str | None, *, before: Meeting | None = None, closed_only: bool = True
) -> Meeting:
    """The meeting a command names: `last` (default), a date such as 19/01/24, or a meeting number."""
    statuses = ("closed",) if closed_only else ("open", "closed")
    query = select(Meeting).where(Meeting.series_id == series.id, Meeting.status.in_(statuses))
    if before is not None and before.starts_at is not None:
        query = query.where(Meeting.starts_at < before.starts_at, Meeting.id != before.id)
    wanted = (text or "").strip().lower()
    if wanted in ("", "last", "last meeting", "previous", "previous meeting", "the last meeting"):
        found = ctx.session.scalars(query.order_by(Meeting.starts_at.desc(), Meeting.id.desc())).first()
        if found is None:
            raise UserError(f"{series.name} has no closed meeting yet: minutes come after `meeting end`.")
        return found
    if re.fullmatch(r"#?\d{1,9}", wanted):
        found = ctx.session.scalars(query.where(Meeting.id == int(wanted.lstrip("#")))).first()
        if found is None:
            raise UserError(
                f"{series.name} has no closed meeting number {wanted.lstrip('#')}. {_WHICH_MEETING}"
            )
        return found
    month = month_named(wanted)
    if month is not None:
        # "the January meeting": the latest held in a January (of the year given, if one was).
        number, year = month
        held = [
            m
            for m in ctx.session.scalars(query.order_by(Meeting.starts_at.desc(), Meeting.id.desc()))
            if m.starts_at is not None
            and (local := m.starts_at.astimezone(ctx.tz)).month == number
            and (year is None or local.year == year)
        ]
        if not held:
            raise UserError(
                f"{series.name} has no closed meeting in {calendar.month_name[number]}"
                f"{f' {year}' if year else ''}. {_WHICH_MEETING}"
            )
        return held[0]
    day = read_day(wanted)
    if day is None:
        raise UserError(f"I can't read “{text}” as a meeting: use `last` or its date, e.g. 19/01/24.")
    lo = datetime.combine(day, time(0), ctx.tz)
    found = ctx.session.scalars(
        query.where(Meeting.starts_at >= lo, Meeting.starts_at < lo + timedelta(days=1)).order_by(
            Meeting.starts_at.desc()
        )
    ).first()
    if found is None:
        raise UserError(f"{series.name} has no closed meeting on {long_date(day)}. {_WHICH_MEETING}")
    return found


# --- the minutes draft ----------------------------------------------------------------------------------

CLOSING_TITLES = {
    "risk": "Risk register",
    "escalate": "Matters to escalate",
    "difference": "What was discussed today that makes a difference to children's lives?",
    "aob": "Any other business",
    "next": "Next meeting",
}


def _time_range(ctx: Ctx, meeting: Meeting) -> str:
    assert meeting.starts_at is not None
    text = clock_text(meeting.starts_at, ctx)
    if meeting.ends_at and meeting.ends_at > meeting.starts_at:
        text += f"–{clock_text(meeting.ends_at, ctx)}"
    return text


def _quorum_statement(ctx: Ctx, meeting: Meeting, inquorate_decisions: int, without: int = 0) -> str:
    """When the meeting was quorate, and the decisions to ratify: taken while it was not
    (`inquorate_decisions`) or, while it was, without what the series' decision quorum asks (`without`)."""
    changes = list(
        ctx.session.scalars(
            select(QuorumChange).where(QuorumChange.meeting_id == meeting.id).order_by(QuorumChange.at)
        )
    )
    sentences: list[str] = []
    result = quorum_now(ctx, meeting)
    if not result.ruled:
        sentences.append("The series has no quorum rule.")
    elif not any(c.quorate for c in changes):
        sentences.append(
            "The meeting was not quorate at any point ("
            + describe_quorum(ctx, result).removeprefix("Not quorate: ").rstrip(".")
            + ")."
        )
    else:
        first = next(c for c in changes if c.quorate)
        sentences.append(f"The meeting was quorate from {clock_text(first.at, ctx)}.")
        after = changes[changes.index(first) + 1 :]
        i = 0
        while i < len(after):
            lost = after[i]
            if lost.quorate:
                i += 1
                continue
            why = ", ".join(clean(str(x)) for x in lost.missing) if lost.missing else "the quorum rule"
            regained = after[i + 1] if i + 1 < len(after) and after[i + 1].quorate else None
            sentence = f"Quorum was lost at {clock_text(lost.at, ctx)} (not represented: {why})"
            if lost.missing == []:
                sentence = f"Quorum was lost at {clock_text(lost.at, ctx)} (the quorum rule was not met)"
            sentence += (
                f" and regained at {clock_text(regained.at, ctx)}."
                if regained
                else " and not regained before the close."
            )
            sentences.append(sentence)
            i += 2 if regained else 1
        final = changes[-1].quorate
        sentences.append(f"The meeting was {'quorate' if final else 'not quorate'} at its close.")
    if inquorate_decisions:
        sentences.append(
            f"{plural(inquorate_decisions, 'decision was', 'decisions were')} taken while the meeting was "
            "not quorate and must be ratified at the next quorate meeting."
        )
    if without:
        sentences.append(
            f"{plural(without, 'decision was', 'decisions were')} taken without the decision quorum "
            "and must be ratified at the next quorate meeting."
        )
    return " ".join(sentences)


def _movements(ctx: Ctx, name: str, movements: list[dict[str, str]]) -> str:
    words = {"left": "left", "rejoined": "rejoined", "joined": "joined"}
    parts = []
    for m in movements:
        try:
            at = datetime.fromisoformat(str(m.get("at")))
        except ValueError:
            continue
        parts.append(f"{words.get(str(m.get('event')), str(m.get('event')))} at {clock_text(at, ctx)}")
    if not parts:
        return ""
    return f"{name} " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."


def _neighbours(meetings: list[Meeting], meeting: Meeting) -> tuple[Meeting | None, Meeting | None]:
    """The closed meeting before this one (whose minutes it approves) and the meeting after it."""
    earlier = [m for m in meetings if _start_of(m) < _start_of(meeting) and m.status == "closed"]
    later = [m for m in meetings if _start_of(m) > _start_of(meeting)]
    return (earlier[-1] if earlier else None), (later[0] if later else None)


@dataclass(frozen=True)
class _Attendance:
    """Who came and who did not, as the minutes list them."""

    attendees: list[AttendeeRow]  # the chair, the vice-chair, then the others and deputies
    business_unit: list[str]
    in_attendance: list[AttendeeRow]
    apologies: list[str]
    absent: list[AttendeeRow]
    movements: list[str]


def _attendee_row(ctx: Ctx, initials: str | None, name: str, note: str = "") -> AttendeeRow:
    p = ctx.roster.people.get(initials or "")
    agency = ctx.roster.agencies.get(p.agency) if p else None
    return AttendeeRow(
        name=name + (f" ({note})" if note else ""),
        initials=initials or "" if p is None or not p.guest else "",  # a guest has no initials
        organisation=agency.name if agency else "",
        title=clean(p.title) if p else "",
    )


def _business_unit_lines(bu_name: str, bu_lines: list[str], notes_by: str) -> list[str]:
    if bu_lines:
        lines = [f"Attending from the {bu_name}: " + "; ".join(bu_lines) + "."]
    else:
        lines = [f"No attendance from the {bu_name}."]
    if notes_by:
        lines.append(notes_by)
    return lines


def _minutes_attendance(ctx: Ctx, sref: SeriesRef, meeting: Meeting) -> _Attendance:
    """Who came and who did not; the notes are the series' minute taker's, marked present or not."""
    rows = ctx.session.execute(
        select(Attendance, Person.initials)
        .outerjoin(Person, Person.id == Attendance.person_id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Attendance.id)
    ).all()
    bu = ctx.roster.business_unit
    bu_people = set(ctx.roster.group_members(bu)) if bu and bu in ctx.roster.groups else set()
    bu_name = ctx.roster.groups[bu].name if bu and bu in ctx.roster.groups else "business unit"
    chair = ctx.chair(sref, meeting)
    # `chair today`: someone other than the series' chair of the day chaired this meeting.
    roles = {sref.vice_chair: "Vice-chair", chair: "Chair for this meeting" if meeting.chair else "Chair"}

    attendees: list[tuple[int, AttendeeRow]] = []
    guests: list[AttendeeRow] = []
    bu_lines: list[str] = []
    taker = sref.minute_taker if sref.minute_taker in ctx.roster.people else None
    notes_by = f"Notes were taken by {_bu_line(ctx, taker)}." if taker else ""
    absent: list[AttendeeRow] = []
    movements: list[str] = []
    deputy_for: dict[str, str] = {}
    apologies_in: list[str] = []
    for row, initials in rows:
        name = ctx.name(initials) if initials else clean(row.guest_name) or "A guest"
        if row.status in ("present", "deputy", "in_attendance") and row.movements:
            line = _movements(ctx, name, list(row.movements))
            if line:
                movements.append(line)
        if row.status == "deputy":
            member = ctx.initials_of(row.deputy_for_id)
            deputy_for[member or ""] = name
            said: dict[bool | None, str] = {
                True: ", authorised by the chair on the day",
                False: ", not authorised by the chair",
            }
            role = f"for {ctx.name(member)}{said.get(row.authorised, '')}"
            attendees.append((2, _attendee_row(ctx, initials, name, role)))
        elif row.status == "present":
            if initials in bu_people:
                if initials != taker:  # the minute taker has the notes line
                    bu_lines.append(_bu_line(ctx, initials))
                continue
            rank = 0 if initials == chair else 1 if initials == sref.vice_chair else 2
            role = roles.get(initials, "") if initials else ""
            if row.role_note == "observer":  # minuted as present, never counted for quorum
                role = "observer"
            attendees.append((rank, _attendee_row(ctx, initials, name, role)))
        elif row.status == "in_attendance":
            if initials and initials == taker:
                continue
            elif initials in bu_people:
                bu_lines.append(_bu_line(ctx, initials))
            else:
                guests.append(_attendee_row(ctx, initials, name, clean(row.role_note)))
        elif row.status == "apologies" and initials:
            apologies_in.append(initials)
            if initials == taker:  # someone else took the notes
                notes_by = ""
        elif row.status == "absent":
            absent.append(_attendee_row(ctx, initials, name))
    attendees.sort(key=lambda t: t[0])
    apologies = [
        _person_line(ctx, i) + (f" ({deputy_for[i]} attending)" if i in deputy_for else "")
        for i in apologies_in
    ]
    return _Attendance(
        attendees=[r for _, r in attendees],
        business_unit=_business_unit_lines(bu_name, bu_lines, notes_by),
        in_attendance=guests,
        apologies=apologies,
        absent=absent,
        movements=movements,
    )


def _actions_until_close(ctx: Ctx, series: Series, meeting: Meeting) -> list[Action]:
    actions = list(
        ctx.session.scalars(
            select(Action)
            .where(Action.series_id == series.id, Action.created_at <= (meeting.closed_at or ctx.now))
            .order_by(Action.number)
            .options(selectinload(Action.owners), selectinload(Action.updates))
        )
    )
    load_owner_initials(ctx, actions)
    return actions


def _sentence(text: str) -> str:
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def as_captured(action: Action) -> str:
    """The action as it was typed, without its "Action 3:" label: never re-joined from its parts."""
    return _sentence(clean(as_typed(action.text or "")) or clean(action.title))


class _Section:
    """One numbered section of the minutes while it is being filled."""

    def __init__(self, number: int, title: str, key: str, line: AgendaLine | None = None) -> None:
        self.number, self.title, self.key, self.line = number, title, key, line
        self.intro: list[Para] = []  # what the item always says first (apologies, previous minutes)
        self.records: list[tuple[datetime, int, Para]] = []  # notes, decisions, actions … in time order
        self.review: list[tuple[int, ReviewRow]] = []
        self.after: list[Para] = []  # what closes it (carried forward, next meeting)

    def put(self, at: datetime, para: Para) -> None:
        self.records.append((at, len(self.records), para))

    def empty(self) -> bool:
        return not (self.intro or self.records or self.review or self.after)

    def item(self) -> MinutesItem:
        paras = [
            *self.intro,
            *(p for _, _, p in sorted(self.records, key=lambda r: (r[0], r[1]))),
            *self.after,
        ]
        review = [r for _, r in sorted(self.review, key=lambda t: t[0])]
        if not paras and not review:
            empty = (
                "No items were raised." if self.key in CLOSING else "No notes were recorded for this item."
            )
            paras = [Para("text", empty)]
        return MinutesItem(str(self.number), self.title, self.key, paras, review)


class _Sections:
    """The meeting's agenda as sections, and where each kind of record goes."""

    def __init__(self, lines: list[AgendaLine]) -> None:
        self.list = [
            _Section(ln.number, ln.title, ln.standing if ln.kind == "standing" else ln.kind, ln)
            for ln in lines
        ]
        self.added_aob = self.first("aob") is None
        self.by_item = {ln.item.id: self.list[i] for i, ln in enumerate(lines) if ln.item is not None}
        self.lines = lines
        aob = self.first("aob")
        if aob is None:  # anything recorded outside an item has a home, as the last section
            aob = _Section(len(self.list) + 1, CLOSING_TITLES["aob"], "aob")
            self.list.append(aob)
        self.aob = aob
        self.tracker = next((sec for sec in self.list if sec.line is not None and sec.line.tracker), None)

    def first(self, key: str) -> _Section | None:
        return next((sec for sec in self.list if sec.key == key), None)

    def filed(self, item_id: int | None) -> _Section | None:
        return self.by_item.get(item_id) if item_id is not None else None

    def route(self, item_id: int | None, text: str) -> tuple[_Section, str]:
        """Where a note or decision goes: its item; one recorded before items were taken, by its label
        ("risk register: …", "Voice of the Child: …"); else any other business."""
        section = self.filed(item_id)
        if section is not None:
            return section, text
        line, rest = split_label(text, self.lines)
        target = next((sec for sec in self.list if line is not None and sec.line is line), None)
        if target is not None:
            return target, rest
        other = names_other_business(text)
        return self.aob, other if other is not None else text


def _fill_records(ctx: Ctx, meeting: Meeting, sections: _Sections, decisions: list[Decision]) -> None:
    by_time = select(Note).where(Note.meeting_id == meeting.id).order_by(Note.created_at, Note.id)
    notes = list(ctx.session.scalars(by_time))
    for n in notes:
        section, text = sections.route(n.agenda_item_id, clean(n.text))
        section.put(n.created_at, Para("text", text))
    for d in decisions:
        section, text = sections.route(d.agenda_item_id, clean(d.text))
        flag = " (taken while the meeting was not quorate: for ratification)" if d.inquorate else ""
        if d.inquorate and d.decision_quorum_missing is not None:
            lacking = "; ".join(clean(str(x)) for x in d.decision_quorum_missing)
            flag = f" (taken without the decision quorum, {lacking}: for ratification)"
        section.put(d.created_at, Para("decision", f"Decision: {text}{flag}"))
    # Declarations made outside an item belong to the declarations item, or the welcome one.
    declarations_item = sections.first("declarations")
    home = declarations_item or sections.first("welcome")
    declared = False
    for row in ctx.session.scalars(
        select(Declaration)
        .where(Declaration.meeting_id == meeting.id)
        .order_by(Declaration.created_at, Declaration.id)
    ):
        declared = True
        section = sections.filed(row.agenda_item_id) or home or sections.aob
        who = ctx.name(ctx.initials_of(row.person_id)) if row.person_id else None
        as_minutes = _said_as_minutes(ctx, row, who)
        if as_minutes is not None:  # "DL declared an interest in item 4": "Danielle Lowe declared an …"
            kind = "bullet" if section is declarations_item else "text"
            section.put(row.created_at, Para(kind, as_minutes))
        elif section is declarations_item:
            text = f"{who}: {clean(row.text)}" if who else clean(row.text)
            section.put(row.created_at, Para("bullet", text))
        else:
            # Under another item (the welcome, beside its apologies) it must say what it is.
            lead = f"{who} declared an interest" if who else "Declaration of interest"
            section.put(row.created_at, Para("text", f"{lead}: {clean(row.text)}"))
    # A note of the minute taker's own ("No conflicts of interest were declared") already says it.
    said = any(_NO_DECLARATIONS.search(n.text or "") for n in notes)
    if not declared and not said and home is not None:
        home.after.append(Para("text", "No declarations of interest were made."))


def _said_as_minutes(ctx: Ctx, row: Declaration, who: str | None) -> str | None:
    """A declaration typed as minutes put it ("DL declared an interest in …"), with the person's
    name written out; None for any other wording."""
    initials = ctx.initials_of(row.person_id) if row.person_id else None
    m = _DECLARED.match(row.text)
    if who is None or initials is None or m is None:
        return None
    if m.group("who").lower() not in (initials.lower(), who.lower()):
        return None
    text = clean(f"{who} {row.text[m.end('who') :].strip()}")
    return text if text.endswith((".", "!", "?")) else text + "."


_DECLARED = re.compile(r"(?P<who>.+?)\s+(?:has\s+)?declared?s?\b", re.I)

_NO_DECLARATIONS = re.compile(
    r"\b(?:no|nil|none)\b[^.]{0,40}\b(?:declarations?|conflicts?)\s+of\s+interests?|"
    r"\b(?:declarations?|conflicts?)\s+of\s+interests?\b[^.]{0,20}\b(?:none|nil)\b",
    re.I,
)


def _fill_actions(ctx: Ctx, meeting: Meeting, sections: _Sections, actions: list[Action]) -> None:
    """Actions raised at the meeting under the item they were raised in; the tracker review of the
    earlier ones under the tracker item, or under the item an update was given in."""
    assert meeting.starts_at is not None
    for a in actions:
        in_meeting = [u for u in a.updates if u.meeting_id == meeting.id]
        if a.created_meeting_id == meeting.id:
            raised_in = sections.filed(a.agenda_item_id) or sections.aob
            if raised_in is sections.tracker and re.match(r"\s*actions?\s+\d+\b", a.text or "", re.I):
                # Typed as a line of the tracker ("Action 29. …", even when its number was taken and
                # it became the next one): shown as the tracker shows it, under its own number.
                raised_in.review.append((a.number, _review_row(ctx, a, in_meeting, nothing_said="")))
                continue
            when = due_text(a)
            due = (
                f" Due {when[0].lower() + when[1:] if when.startswith('At ') else when}."
                if a.due_date is not None or a.due_kind == "next_meeting"
                else ""
            )
            raised_in.put(a.created_at, Para("action", f"Action {a.number}: {as_captured(a)}{due}"))
            for u in in_meeting:
                if u.kind == "update" and u.text:
                    target = sections.filed(u.agenda_item_id) or sections.aob
                    target.put(u.at, Para("bullet", f"Update on Action {a.number}: {clean(u.text)}"))
            continue
        if a.created_at >= meeting.starts_at:  # raised after the meeting: not part of it
            continue
        closed_before = a.closed_at is not None and a.closed_at < meeting.starts_at and a.status != "open"
        if closed_before and not in_meeting:
            continue
        elsewhere = next(
            (
                sections.filed(u.agenda_item_id)
                for u in in_meeting
                if sections.filed(u.agenda_item_id) not in (None, sections.tracker)
            ),
            None,
        )
        section = elsewhere or sections.tracker or (sections.aob if in_meeting else None)
        if section is not None:
            section.review.append((a.number, _review_row(ctx, a, in_meeting)))


def _minutes_items(
    ctx: Ctx,
    series: Series,
    meeting: Meeting,
    *,
    lines: list[AgendaLine],
    apologies: list[str],
    decisions: list[Decision],
    actions: list[Action],
    previous: Meeting | None,
    following: Meeting | None,
    meetings: list[Meeting],
) -> list[MinutesItem]:
    """One section per agenda item, in agenda order, each with what was recorded under it; what was
    recorded outside any item under any other business."""
    assert meeting.starts_at is not None
    sections = _Sections(lines)
    welcome = sections.first("welcome")
    if welcome is not None:
        welcome.intro.extend(_welcome_paras(apologies))
    ratify_section = sections.first("ratification")
    previous_paras, ratified = _previous_paras(ctx, meeting, previous)
    if ratify_section is not None:
        ratify_section.intro.extend(ratified or [Para("text", "No decisions were ratified.")])
    else:
        previous_paras.extend(ratified)
    home = sections.first("minutes") or sections.tracker
    if home is not None:
        home.intro.extend(previous_paras)
    elif previous is not None and (previous.minutes_approved_in == meeting.id or ratified):
        sections.aob.intro.extend(previous_paras)
    for sec in sections.list:
        line = sec.line
        if line is not None and line.kind in ("requested", "carried") and line.item is not None:
            sec.intro.extend(_item_intro(ctx, line.item))
            if line.item.requested_in_meeting_id == meeting.id and line.item.created_at < meeting.starts_at:
                sec.after.append(
                    Para("text", "Not taken at this meeting: carried forward to the next meeting.")
                )
    _fill_records(ctx, meeting, sections, decisions)
    _fill_actions(ctx, meeting, sections, actions)
    if sections.tracker is not None and sections.tracker.review:
        sections.tracker.intro.append(
            Para("text", "The action tracker was reviewed; updates given at the meeting are recorded below.")
        )
    elif sections.tracker is not None:
        sections.tracker.intro.append(Para("text", "There were no actions from earlier meetings to review."))
    nxt = sections.first("next") or sections.aob
    nxt.after.extend(_next_paras(ctx, series, meeting, following, meetings))
    if sections.added_aob and sections.aob.empty():  # nothing was recorded outside the agenda's items
        sections.list.remove(sections.aob)
    return [sec.item() for sec in sections.list]


def _item_intro(ctx: Ctx, item: AgendaItem) -> list[Para]:
    paras: list[Para] = []
    if item.presenter_id:
        paras.append(Para("text", f"Presented by {ctx.name(ctx.initials_of(item.presenter_id))}."))
    if item.paper_url:
        paras.append(Para("text", f"Paper: {clean(item.paper_url)}"))
    return paras


def _welcome_paras(apologies: list[str]) -> list[Para]:
    if not apologies:
        return [Para("text", "No apologies were received.")]
    return [Para("text", "Apologies were received from:")] + [Para("bullet", a) for a in apologies]


def _corrections(ctx: Ctx, meeting: Meeting) -> list[str]:
    return [
        f"Correction made at the meeting of {_meeting_day(ctx, c.made_in_meeting_id)}: {clean(c.text)}"
        for c in ctx.session.scalars(
            select(MinutesCorrection)
            .where(MinutesCorrection.meeting_id == meeting.id)
            .order_by(MinutesCorrection.created_at, MinutesCorrection.id)
        )
    ]


def _approval_status(ctx: Ctx, meeting: Meeting) -> str:
    if not meeting.minutes_approved_at:
        return "Draft: not yet approved."
    approved_in = _meeting_day(ctx, meeting.minutes_approved_in)
    return f"Approved at the meeting of {approved_in}." if approved_in else "Approved."


def minutes_draft(ctx: Ctx, series: Series, meeting: Meeting) -> Minutes:
    if meeting.status != "closed":
        raise UserError("That meeting is still open: `meeting end` first, then `minutes draft`.")
    assert meeting.starts_at is not None
    ctx.series = series
    sref = ctx.roster.series[series.key]
    meetings = series_meetings(ctx, series)
    previous, following = _neighbours(meetings, meeting)
    present = _minutes_attendance(ctx, sref, meeting)

    lines = meeting_agenda(ctx, series, meeting, meetings)
    decisions = list(
        ctx.session.scalars(
            select(Decision)
            .where(Decision.meeting_id == meeting.id)
            .order_by(Decision.created_at, Decision.id)
        )
    )
    items = _minutes_items(
        ctx,
        series,
        meeting,
        lines=lines,
        apologies=present.apologies,
        decisions=decisions,
        actions=_actions_until_close(ctx, series, meeting),
        previous=previous,
        following=following,
        meetings=meetings,
    )

    inquorate = sum(1 for d in decisions if d.inquorate and d.decision_quorum_missing is None)
    without = sum(1 for d in decisions if d.inquorate and d.decision_quorum_missing is not None)
    day = meeting.starts_at.astimezone(ctx.tz).date()
    date_text = long_date(day)
    place = clean(meeting.place)
    return Minutes(
        title=f"Minutes: {series.name}, {date_text}",
        partnership=ctx.roster.name,
        series=series.name,
        series_key=series.key,
        date_text=date_text,
        date_iso=day.isoformat(),
        when=f"{date_text}, {_time_range(ctx, meeting)}" + (f", {place}" if place else ""),
        chair=_chair_line(ctx, ctx.chair(sref, meeting)),
        chair_note="" if ctx.chair(sref, meeting) else f"Chair: {NO_CHAIR}.",
        status=_approval_status(ctx, meeting),
        approved=meeting.minutes_approved_at is not None,
        corrections=_corrections(ctx, meeting),
        attendees=present.attendees,
        business_unit=present.business_unit,
        in_attendance=present.in_attendance,
        apologies=present.apologies,
        absent=present.absent,
        movements=present.movements,
        quorum=_quorum_statement(ctx, meeting, inquorate, without),
        items=items,
        prepared=prepared_line(ctx),
        preamble=_paragraphs(series.minutes_preamble),
        apologies_in_item=any(it.key == "welcome" for it in items),
    )


def _paragraphs(text: str | None) -> list[str]:
    """Text from the partnership file, by paragraph (a blank line between them), each on one line."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean(text)) if p.strip()]


def _bu_line(ctx: Ctx, initials: str) -> str:
    p = ctx.roster.people[initials]
    return f"{p.name}, {clean(p.title)} ({initials})" if p.title else f"{p.name} ({initials})"


def _meeting_day(ctx: Ctx, meeting_id: int | None) -> str:
    if meeting_id is None:
        return ""
    m = ctx.session.get(Meeting, meeting_id)
    return long_date(m.starts_at.astimezone(ctx.tz).date()) if m and m.starts_at else ""


def _review_row(
    ctx: Ctx,
    action: Action,
    in_meeting: list[ActionUpdate],
    nothing_said: str = "No update was recorded at the meeting.",
) -> ReviewRow:
    said: list[str] = []
    status = "Action ongoing."
    for u in in_meeting:
        text = clean(u.text)
        if u.kind == "update" and text:
            said.append(text)
        elif u.kind == "done":
            status = f"Action closed ({short_date(u.at.astimezone(ctx.tz).date())})."
            if text:
                said.append(text)
        elif u.kind == "dropped":
            status = "Action dropped" + (f": {text}." if text else ".")
        elif u.kind == "reopened":
            status = "Action reopened."
        elif u.kind == "due" and text:
            said.append(f"New date: {text}.")
        elif u.kind == "owner" and text:
            said.append(f"Reassigned to {text}.")
    return ReviewRow(
        number=str(action.number),
        title=clean(action.title),
        owners=owners_short(ctx.roster, current_owners(action)),
        update=" ".join(_sentence(t) for t in said) if said else nothing_said,
        status=status,
        text=f"Action {action.number}. {as_captured(action)}",
    )


def _previous_paras(ctx: Ctx, meeting: Meeting, previous: Meeting | None) -> tuple[list[Para], list[Para]]:
    """What the meeting did with the previous minutes, and the decisions it ratified."""
    ratified = [
        Para("bullet", clean(d.text))
        for d in ctx.session.scalars(
            select(Decision).where(Decision.ratified_meeting_id == meeting.id).order_by(Decision.created_at)
        )
    ]
    if ratified:
        ratified.insert(0, Para("text", "Decisions ratified:"))
    if previous is None or previous.starts_at is None:
        return [Para("text", "There were no previous minutes to approve.")], ratified
    day = long_date(previous.starts_at.astimezone(ctx.tz).date())
    paras = [
        Para("text", f"A correction was made to the minutes: {clean(c.text)}")
        for c in ctx.session.scalars(
            select(MinutesCorrection)
            .where(
                MinutesCorrection.meeting_id == previous.id,
                MinutesCorrection.made_in_meeting_id == meeting.id,
            )
            .order_by(MinutesCorrection.created_at, MinutesCorrection.id)
        )
    ]
    if previous.minutes_approved_in == meeting.id:
        then = " then" if paras else ""
        paras.append(
            Para("text", f"The minutes of the meeting of {day} were{then} agreed as an accurate record.")
        )
    else:
        paras.append(Para("text", f"The minutes of the meeting of {day} were not approved at this meeting."))
    return paras, ratified


def _next_paras(
    ctx: Ctx, series: Series, meeting: Meeting, following: Meeting | None, meetings: list[Meeting]
) -> list[Para]:
    paras: list[Para] = []
    if following is not None and following.starts_at is not None:
        start = following.starts_at.astimezone(ctx.tz)
        text = f"{long_date(start.date())}, {start:%H:%M}"
        if following.ends_at:
            text += f"–{following.ends_at.astimezone(ctx.tz):%H:%M}"
        if following.place:
            text += f", {clean(following.place)}"
        paras.append(Para("text", f"Date of the next meeting: {text}."))
    elif series.cadence is None:
        paras.append(Para("text", "Date of the next meeting: to be confirmed."))
    else:
        try:
            nxt = parse_cadence(series.cadence).next_after(_start_of(meeting).astimezone(ctx.tz).date())
            paras.append(
                Para("text", f"Date of the next meeting: to be confirmed (proposed {long_date(nxt)}).")
            )
        except CadenceError:
            paras.append(Para("text", "Date of the next meeting: to be confirmed."))
    # Items asked for at or after this meeting are for the following one (or the next, not yet set).
    wanted = following.id if following is not None else None
    agenda = [it for it in series_items(ctx, series) if item_target(it, meetings) == wanted]
    due_next = list(
        ctx.session.scalars(
            select(Action)
            .where(
                Action.series_id == series.id,
                Action.created_meeting_id == meeting.id,
                Action.due_kind == "next_meeting",
            )
            .order_by(Action.number)
        )
    )
    if agenda or due_next:
        paras.append(Para("text", "Agenda items:"))
        for it in agenda:
            who = f" ({ctx.name(ctx.initials_of(it.presenter_id))})" if it.presenter_id else ""
            paras.append(Para("bullet", f"{clean(it.title)}{who}"))
        for a in due_next:
            paras.append(Para("bullet", f"Action {a.number}: {clean(a.title)}"))
    return paras
