"""A meeting's agenda: its standing items and the items asked for it, numbered once for the agenda
pack, the meeting itself (`item 3`, `next item`) and its minutes; and which item reviews the tracker.

The numbering is the pack's: the series' standing items in order, the items asked for the meeting
(those carried forward first) before the first closing standing item (risk register, escalation,
"what difference", any other business, next meeting), and an item for decisions to ratify after
the minutes item. When a meeting opens, its standing items become rows of their own (`kind`
standing), so what is recorded during an item can refer to it and a later change to the file
leaves the meeting's agenda as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from handlers.context import Ctx, UserError
from handlers.format import clean
from handlers.registry import Perm, command
from handlers.reply import OK, Reply
from storage.models import AgendaItem, Decision, Meeting, Series

RATIFICATION_TITLE = "Decisions taken while the meeting was not quorate, for ratification"

# --- standing items: which is which ----------------------------------------------------------------------

# Titles that name the action tracker, strongest first. A title merely containing "action" names
# nothing ("Strategic Action Plan Review" is an item of its own).
_TRACKER_NAMES = (
    re.compile(
        r"\btracker\b|\baction\s+log\b|\bactions?\s+(?:from|arising)\b"
        r"|\breview\s+of\s+(?:the\s+)?actions\b|^\s*(?:open\s+|outstanding\s+)?actions\s*$",
        re.I,
    ),
    re.compile(r"\bmatters\s+arising\b", re.I),
)

_KINDS = (
    ("welcome", re.compile(r"welcome|apolog|introduc", re.I)),
    ("declarations", re.compile(r"declaration|interest", re.I)),
    ("minutes", re.compile(r"minutes|matters\s+arising", re.I)),
    ("tracker", _TRACKER_NAMES[0]),
    ("risk", re.compile(r"risk", re.I)),
    ("escalate", re.compile(r"escalat|raised\s+to", re.I)),
    ("difference", re.compile(r"difference|children'?s\s+lives|people'?s\s+lives|impact", re.I)),
    ("aob", re.compile(r"any\s+other\s+business|\baob\b", re.I)),
    ("next", re.compile(r"next\s+meeting|date\s+of\s+(?:the\s+)?next", re.I)),
)
# Partnership agendas take the meeting's own items before the first of these (items, then risk register …).
CLOSING = ("risk", "escalate", "difference", "aob", "next")

# What a record's label names ("risk register: …", "aob: …"): the standing item of that kind.
_KIND_LABELS = {
    "risk": re.compile(r"^(?:risk\s+register|risks?)$", re.I),
    "escalate": re.compile(r"^(?:escalat\w*|matters\s+to\s+escalate|to\s+escalate)$", re.I),
    "difference": re.compile(r"^(?:difference|impact|children'?s\s+lives|what\s+difference)$", re.I),
    "aob": re.compile(r"^(?:aob|any\s+other\s+business|other\s+business)$", re.I),
}
_LABEL = re.compile(r"^\s*([^:\n]{2,80}?)\s*:\s*(.+)$", re.S)
_ITEM_NUMBER = re.compile(r"^(?:agenda\s+)?item\s*(?:no\.?\s*|number\s+|#)?(\d{1,3})$", re.I)


def standing_kind(title: str) -> str:
    # "Matters escalated from the Board" opens a meeting; only escalation *to* somewhere closes one.
    if re.search(r"escalated\s+from", title, re.I):
        return "other"
    for kind, pattern in _KINDS:
        if pattern.search(title):
            return kind
    return "other"


def tracker_rank(title: str) -> int | None:
    """How plainly a title names the action tracker: 0 names it, 1 is "matters arising", None not."""
    for rank, pattern in enumerate(_TRACKER_NAMES):
        if pattern.search(title):
            return rank
    return None


def tracker_position(titles: list[str], configured: str | None) -> int | None:
    """Which standing item (an index into `titles`) reviews the action tracker.

    The one the partnership file names (`tracker_item`), else the first whose title names the
    tracker ("Action tracker", "Action log", "Relevant actions from the previous meeting"),
    else the first "Matters arising". None: the meeting has no tracker review.
    """
    if configured:
        for i, title in enumerate(titles):
            if title.lower() == configured.strip().lower():
                return i
    best: tuple[int, int] | None = None
    for i, title in enumerate(titles):
        rank = tracker_rank(title)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, i)
    return best[1] if best else None


# --- which meeting an asked-for item is for ----------------------------------------------------------


def series_meetings(ctx: Ctx, series: Series) -> list[Meeting]:
    """The series' meetings that have a date, oldest first (cancelled ones are not meetings)."""
    return [
        m
        for m in ctx.session.scalars(
            select(Meeting)
            .where(Meeting.series_id == series.id, Meeting.status != "cancelled")
            .order_by(Meeting.starts_at, Meeting.id)
        )
        if m.starts_at is not None
    ]


def series_items(ctx: Ctx, series: Series) -> list[AgendaItem]:
    """The items asked for with `agenda add` and not withdrawn, oldest first."""
    return list(
        ctx.session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.series_id == series.id,
                AgendaItem.kind == "requested",
                AgendaItem.status != "withdrawn",
            )
            .order_by(AgendaItem.created_at, AgendaItem.id)
        )
    )


def item_target(item: AgendaItem, meetings: list[Meeting]) -> int | None:
    """The meeting an agenda item is for: the one named, else the first held after it was asked for.

    Asked for during a meeting means the meeting after that one; carrying an item forward moves its
    `requested_in_meeting_id` to the meeting that carried it. None: a meeting not yet set.
    """
    if item.meeting_id is not None:
        return item.meeting_id
    starts = {m.id: m.starts_at for m in meetings}
    anchor_id = item.requested_in_meeting_id
    anchor = starts.get(anchor_id) if anchor_id is not None else None
    if anchor is None:
        anchor = item.created_at
    for m in meetings:
        if m.id != anchor_id and m.starts_at is not None and m.starts_at > anchor:
            return m.id
    return None


def held_before(ctx: Ctx, meetings: list[Meeting], meeting: Meeting | None) -> Meeting | None:
    """The last meeting held before this one (or, for a meeting not yet set, before now)."""
    held = [
        m
        for m in meetings
        if m.status in ("open", "closed")
        and m.starts_at is not None
        and (
            (m.starts_at < meeting.starts_at and m.id != meeting.id)
            if meeting is not None and meeting.starts_at is not None
            else m.starts_at <= ctx.now
        )
    ]
    return held[-1] if held else None


# --- the agenda of one meeting ----------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaLine:
    """One numbered item of a meeting's agenda."""

    number: int
    title: str
    kind: str  # standing | requested | carried | ratification
    standing: str = ""  # for a standing item, what it is: welcome, declarations, minutes, tracker, risk …
    tracker: bool = False  # the item that reviews the action tracker
    # The row: None for a standing item of a meeting not yet open, or decisions still to ratify.
    item: AgendaItem | None = None


def pending_ratification(ctx: Ctx, series: Series, meeting: Meeting | None = None) -> list[Decision]:
    """Decisions taken while inquorate and not yet ratified (those of `meeting` itself excluded)."""
    query = select(Decision).where(
        Decision.series_id == series.id,
        Decision.inquorate.is_(True),
        Decision.ratified_meeting_id.is_(None),
    )
    if meeting is not None and meeting.id is not None:
        query = query.where((Decision.meeting_id != meeting.id) | Decision.meeting_id.is_(None))
    return list(ctx.session.scalars(query.order_by(Decision.created_at, Decision.id)))


def _fixed_rows(ctx: Ctx, meeting: Meeting | None) -> list[AgendaItem]:
    if meeting is None or meeting.id is None:
        return []
    return list(
        ctx.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.kind.in_(("standing", "ratification")))
            .order_by(AgendaItem.id)
        )
    )


def requested_for(
    ctx: Ctx, series: Series, meeting: Meeting | None, meetings: list[Meeting]
) -> list[tuple[AgendaItem, bool]]:
    """Items asked for a meeting, with whether each was carried forward from the one before.

    For a meeting held, the items it carried forward to the next one are its items too.
    """
    target = meeting.id if meeting is not None else None
    last = held_before(ctx, meetings, meeting)
    out: list[tuple[AgendaItem, bool]] = []
    for item in series_items(ctx, series):
        carried_out = (
            meeting is not None
            and meeting.starts_at is not None
            and item.requested_in_meeting_id == meeting.id
            and item.created_at < meeting.starts_at
        )
        if item_target(item, meetings) != target and not carried_out:
            continue
        carried_in = (
            last is not None
            and last.starts_at is not None
            and item.requested_in_meeting_id == last.id
            and item.created_at < last.starts_at
        )
        out.append((item, carried_in))
    out.sort(key=lambda pair: not pair[1])  # carried items first, as agendas list them
    return out


def meeting_agenda(
    ctx: Ctx, series: Series, meeting: Meeting | None, meetings: list[Meeting] | None = None
) -> list[AgendaLine]:
    """The numbered agenda of a meeting (None: the next one, not yet set), as the pack numbers it."""
    meetings = meetings if meetings is not None else series_meetings(ctx, series)
    rows = _fixed_rows(ctx, meeting)
    standing_rows = [r for r in rows if r.kind == "standing"]
    standing: list[tuple[str, AgendaItem | None]]
    if standing_rows or rows:
        standing = [(clean(r.title), r) for r in standing_rows]
    else:
        standing = [(clean(str(t)), None) for t in (series.standing_items or [])]
    ratify: AgendaLine | None = None
    ratify_rows = [r for r in rows if r.kind == "ratification"]
    if ratify_rows:
        ratify = AgendaLine(0, clean(ratify_rows[0].title), "ratification", item=ratify_rows[0])
    elif not rows and (meeting is None or meeting.status == "planned") and pending_ratification(ctx, series):
        ratify = AgendaLine(0, RATIFICATION_TITLE, "ratification")

    titles = [t for t, _ in standing]
    kinds = [standing_kind(t) for t in titles]
    tracker_at = tracker_position(titles, series.tracker_item)
    requested = [
        AgendaLine(0, clean(item.title), "carried" if carried else "requested", item=item)
        for item, carried in requested_for(ctx, series, meeting, meetings)
    ]
    insert_at = next((i for i, k in enumerate(kinds) if k in CLOSING), len(standing))
    lines: list[AgendaLine] = []
    for i, (title, row) in enumerate(standing):
        if i == insert_at:
            lines.extend(requested)
        lines.append(AgendaLine(0, title, "standing", kinds[i], i == tracker_at, row))
        if kinds[i] == "minutes" and ratify is not None:
            lines.append(ratify)
    if insert_at >= len(standing):
        lines.extend(requested)
    if ratify is not None and "minutes" not in kinds:
        lines.insert(min(1, len(lines)), ratify)
    return [
        AgendaLine(n, ln.title, ln.kind, ln.standing, ln.tracker, ln.item) for n, ln in enumerate(lines, 1)
    ]


def fix_agenda(ctx: Ctx, series: Series, meeting: Meeting, *, new: bool = False) -> None:
    """Give an opening meeting its standing items (and decisions to ratify) as rows, once.
    `new`: the meeting was made by this command, so it has no rows yet (nothing to read)."""
    if not new and _fixed_rows(ctx, meeting):
        return
    for title in series.standing_items or []:
        ctx.session.add(
            AgendaItem(
                series_id=series.id,
                meeting_id=meeting.id,
                title=clean(str(title)),
                kind="standing",
                status="taken",
                created_at=ctx.now,
            )
        )
    if pending_ratification(ctx, series, meeting):
        ctx.session.add(
            AgendaItem(
                series_id=series.id,
                meeting_id=meeting.id,
                title=RATIFICATION_TITLE,
                kind="ratification",
                status="taken",
                created_at=ctx.now,
            )
        )
    ctx.session.flush()


def open_agenda(ctx: Ctx, meeting: Meeting) -> list[AgendaLine]:
    """The open meeting's agenda, every item a row."""
    series = ctx.require_series()
    fix_agenda(ctx, series, meeting)
    return meeting_agenda(ctx, series, meeting)


def current_line(ctx: Ctx, meeting: Meeting) -> AgendaLine | None:
    """The item being taken now, if the chair has made one current."""
    if meeting.current_item_id is None:
        return None
    return next(
        (ln for ln in open_agenda(ctx, meeting) if ln.item and ln.item.id == meeting.current_item_id),
        None,
    )


def current_item_id(ctx: Ctx) -> int | None:
    """The item what is recorded now belongs to: the open meeting's current item, if any."""
    meeting = ctx.open_meeting()
    return meeting.current_item_id if meeting is not None else None


# --- which item a text names -------------------------------------------------------------------------


def _unquote(text: str) -> str:
    return text.strip().strip("\"“”'‘’").strip().rstrip(".").strip()


def named_line(lines: list[AgendaLine], label: str, *, prefixes: bool = True) -> AgendaLine | None:
    """The item a label names: `item 5`, its title, a closing part's word (aob, risks), a title's start."""
    wanted = _unquote(label)
    low = wanted.lower()
    m = _ITEM_NUMBER.match(wanted)
    if m:
        return next((ln for ln in lines if ln.number == int(m.group(1))), None)
    exact = [ln for ln in lines if ln.title.lower() == low]
    if exact:
        return exact[0]
    for kind, pattern in _KIND_LABELS.items():
        if pattern.match(wanted):
            return next((ln for ln in lines if ln.standing == kind), None)
    if prefixes and len(low) >= 6:
        starts = [ln for ln in lines if re.match(re.escape(low) + r"\b", ln.title.lower())]
        if len(starts) == 1:
            return starts[0]
    return None


def split_label(text: str, lines: list[AgendaLine]) -> tuple[AgendaLine | None, str]:
    """A record that starts by naming an item ("Performance Review: …"): that item and the rest."""
    m = _LABEL.match(text)
    if m:
        line = named_line(lines, m.group(1))
        if line is not None:
            return line, m.group(2).strip()
    return None, text


def names_other_business(text: str) -> str | None:
    """For "aob: …" when the agenda has no such item: the rest, which the minutes put under that heading."""
    m = _LABEL.match(text)
    return m.group(2).strip() if m and _KIND_LABELS["aob"].match(_unquote(m.group(1))) else None


def file_record(ctx: Ctx, meeting: Meeting, text: str) -> tuple[int | None, str]:
    """Where a record of the open meeting belongs: the item its text names, else the current item.

    None: under no item, which the minutes call any other business.
    """
    if _LABEL.match(text):
        line, rest = split_label(text, open_agenda(ctx, meeting))
        if line is not None and line.item is not None:
            return line.item.id, rest
        other = names_other_business(text)
        if line is None and other is not None:
            return None, other
    return meeting.current_item_id, text


def where_filed(ctx: Ctx, meeting: Meeting, item_id: int | None) -> str:
    """ " under item 5, Performance Review" for a reply; "" when a record is under no item."""
    if item_id is None:
        return ""
    line = next((ln for ln in open_agenda(ctx, meeting) if ln.item and ln.item.id == item_id), None)
    return f" under item {line.number}, {line.title}" if line is not None else ""


# --- taking an item -----------------------------------------------------------------------------------


_LOOSE_WORDS = frozenset({"from", "with", "last", "previous", "this", "that", "next", "item", "update"})


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _LOOSE_WORDS}


def _fit(line: AgendaLine, recalled: str) -> int:
    """How well a title typed from memory ("actions from the last meeting") fits the item's title
    ("Relevant Actions from the previous meeting"): 0 when it does not (fewer than half its words
    are the title's), else the words shared; naming the item outright fits best."""
    if named_line([line], recalled) is line:
        return 1000
    typed = _words(recalled)
    shared = len(typed & _words(line.title))
    return shared if typed and 2 * shared >= len(typed) else 0


def best_fit(lines: list[AgendaLine], recalled: str, *, whole: bool = False) -> AgendaLine | None:
    """The one item a title typed from memory fits best (`_fit`); None if none fits, or two fit
    as well. `whole` (a heading typed alone, "Matters arising"): every word typed is in the title,
    or three of them are ("Relevant Actions from previous Children's … Group" for "Relevant Actions
    from the previous meeting"), or it names the item outright."""
    typed = _words(recalled)

    def fit(line: AgendaLine) -> int:
        score = _fit(line, recalled)
        if not whole or score >= 1000:
            return score
        shared = typed & _words(line.title)
        return len(shared) if typed and (shared == typed or len(shared) >= 3) else 0

    fits = {ln.number: fit(ln) for ln in lines}
    top = max(fits.values(), default=0)
    best = [ln for ln in lines if top and fits[ln.number] == top]
    return best[0] if len(best) == 1 else None


# "Actions from the last meeting", "Relevant Actions from previous … Group": the tracker review.
_FROM_LAST = re.compile(r"\bactions?\s+(?:from|of)\s+(?:the\s+)?(?:last|previous)\b", re.I)


def tracker_heading(ctx: Ctx) -> Reply | None:
    """The tracker review item headed by name by the chair team ("Action tracker", "Actions from the
    last meeting"): that item is taken, as well as the tracker listed. `actions` alone only lists."""
    text = ctx.req.text.strip().rstrip(":.?")
    if re.fullmatch(r"(?:open\s+)?actions|tracker", text, re.IGNORECASE) or not ctx.is_chair_team():
        return None
    meeting = ctx.open_meeting()
    if meeting is None:
        return None
    lines = open_agenda(ctx, meeting)
    found = _headed(lines, text)
    if found is None or not found.tracker or found.item is None or meeting.current_item_id == found.item.id:
        return None
    return _take(ctx, meeting, lines, found)


def heading(ctx: Ctx) -> Reply | None:
    """An agenda item's title typed alone by the chair team during the meeting, as minutes head
    each item ("Matters arising" for "Minutes and matters arising"): that item is taken."""
    text = ctx.req.text.strip().rstrip(":.")
    if len(text) > 150 or ctx.series is None or not ctx.is_chair_team():
        return None
    meeting = ctx.open_meeting()
    if meeting is None:
        return None
    lines = open_agenda(ctx, meeting)
    found = _headed(lines, _typed_title(text), whole=True)
    return _take(ctx, meeting, lines, found) if found is not None else None


def _headed(lines: list[AgendaLine], text: str, *, whole: bool = False) -> AgendaLine | None:
    """The item a heading names: the tracker review by its usual words, else the best fit."""
    if _FROM_LAST.search(text):
        return next((ln for ln in lines if ln.tracker), None)
    return best_fit(lines, text, whole=whole)


def _listing(lines: list[AgendaLine]) -> str:
    return "; ".join(f"{ln.number}. {ln.title}" for ln in lines) or "none"


def describe_line(ctx: Ctx, line: AgendaLine) -> str:
    text = f"Item {line.number}: {line.title}"
    item = line.item
    if item is not None and item.presenter_id is not None:
        text += f", presented by {ctx.name(ctx.initials_of(item.presenter_id))}"
    if line.kind == "carried":
        text += " (carried forward)"
    return text + "."


def _take(ctx: Ctx, meeting: Meeting, lines: list[AgendaLine], line: AgendaLine) -> Reply:
    assert line.item is not None
    before = next((ln for ln in lines if ln.item and ln.item.id == meeting.current_item_id), None)
    if before is not None and before.number == line.number:
        return Reply().say(f"{describe_line(ctx, line)} It is already the current item.")
    meeting.current_item_id = line.item.id
    ctx.audit(
        "meeting",
        meeting.id,
        "item taken",
        {"item": before.number, "title": before.title} if before else None,
        {"item": line.number, "title": line.title},
    )
    reply = Reply().say(describe_line(ctx, line) + " Notes, decisions and actions now go under it.", OK)
    if line.item.paper_url:
        reply.say(f"Paper: {clean(line.item.paper_url)}")
    if line.tracker:
        reply.say(
            "This is the action tracker review: type each action the way the tracker has it, e.g. "
            "`Action 12. No further update. Action ongoing.` or `Action 12: the report is done. "
            "Action closed.`, and it is recorded on that action."
        )
    return reply


def _names_an_item(ctx: Ctx, args: dict[str, Any]) -> bool:
    """`item Performance Review` in overheard chat is a command only when it names an item."""
    if ctx.req.addressed or not args.get("title"):
        return True
    meeting = ctx.open_meeting()
    if meeting is None or ctx.series is None:
        return False
    return named_line(meeting_agenda(ctx, ctx.series, meeting), _typed_title(args["title"])) is not None


def _typed_title(title: str) -> str:
    """An item's title as typed, "AOB" spelt out."""
    typed = _unquote(title)
    return "any other business" if re.fullmatch(r"a\.?o\.?b\.?", typed, re.IGNORECASE) else typed


@command(
    "item",
    usage="item N | item TITLE",
    summary="Take an agenda item: what is recorded next is filed under it",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("item Performance Review", "item (which item is current)"),
    patterns=[
        # "item 2 actions from the last meeting": the number, then the title as the chair recalls it
        r"(?:agenda\s+)?item\s*(?:no\.?\s*|number\s+|#)?(?P<num>\d{1,3})(?:\s*[:.)\-–]?\s+(?P<recalled>\D.*))?",
        r"(?:agenda\s+)?item(?:\s*[:\-–]\s*|\s+)(?P<title>\D.*)",
        r"(?:agenda\s+)?item\??",
        # The chair moving on to the last item by its name alone ("Any other business?").
        r"(?P<title>any\s+other\s+business|a\.?o\.?b\.?)\s*[?.]?",
        r"(?:current|which)\s+item\??",
    ],
    applies=_names_an_item,
)
def item(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    lines = open_agenda(ctx, meeting)
    if not lines:
        raise UserError(
            "This meeting has no agenda items: the series has no standing items and none were asked "
            'for. Add one with `agenda add "TITLE"` before the meeting.'
        )
    if args.get("num"):
        number = int(args["num"])
        line = next((ln for ln in lines if ln.number == number), None)
        if line is None:
            raise UserError(f"The agenda has items 1 to {len(lines)}: {_listing(lines)}.")
        recalled = _unquote(args.get("recalled") or "")
        if recalled and not _fit(line, recalled):
            fits = {ln.number: _fit(ln, recalled) for ln in lines}
            best = [ln for ln in lines if fits[ln.number] and fits[ln.number] == max(fits.values())]
            hint, either = "", f"`item {number}`"
            if len(best) == 1:
                hint = f" “{recalled}” sounds like item {best[0].number} ({best[0].title})."
                either += f" or `item {best[0].number}`"
            raise UserError(
                f"Item {number} is “{line.title}”, not “{recalled}”.{hint} Nothing changed: type {either}. "
                f"The items: {_listing(lines)}."
            )
        return _take(ctx, meeting, lines, line)
    if args.get("title"):
        typed = _typed_title(args["title"])
        found = named_line(lines, typed, prefixes=False)
        if found is None:
            starts = [ln for ln in lines if ln.title.lower().startswith(typed.lower())] if typed else []
            if len(starts) > 1:
                names = " or ".join(f"item {ln.number} ({ln.title})" for ln in starts)
                raise UserError(f"“{typed}” could be {names}: give more of the title, or the number.")
            found = starts[0] if starts else best_fit(lines, typed)
            if found is None:
                raise UserError(f"No agenda item is called “{typed}”. The items: {_listing(lines)}.")
        return _take(ctx, meeting, lines, found)
    current = current_line(ctx, meeting)
    if current is None:
        return Reply().say(
            f"No item has been taken yet: `item 1` or `next item`. The items: {_listing(lines)}."
        )
    return Reply().say(f"Now: {describe_line(ctx, current)}")


@command(
    "next item",
    usage="next item",
    summary="Move on to the next agenda item",
    section="Meetings",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("item next",),
    patterns=[
        r"(?:next|following)\s+(?:agenda\s+)?item",
        r"item\s+next",
        r"move\s+on\s+to\s+the\s+next\s+item",
    ],
)
def next_item(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    lines = open_agenda(ctx, meeting)
    if not lines:
        raise UserError(
            "This meeting has no agenda items: the series has no standing items and none were asked for."
        )
    current = next((ln for ln in lines if ln.item and ln.item.id == meeting.current_item_id), None)
    if current is None:
        return _take(ctx, meeting, lines, lines[0])
    if current.number >= len(lines):
        raise UserError(
            f"Item {current.number}, “{current.title}”, is the last item on the agenda. "
            "`meeting end` closes the meeting."
        )
    return _take(ctx, meeting, lines, lines[current.number])
