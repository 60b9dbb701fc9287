"""The action tracker review as minute takers type it.

During the agenda item that reviews the tracker (handlers/agenda.tracker_position), a numbered
line in the tracker's own form is an update of the existing action with that number, not a new
action:

    Action 28. EH to inform TM … — No further update. Action ongoing.
    Action 3: Neglect training has been undertaken across the service. Action closed.

The action's text may be repeated before the update (as trackers print it); "Action closed" or
"complete" completes it. Every change goes through `handlers.actions.change_action`. When the
line cannot be an update of that action (no such number, or it reads as a different action) the
bot asks, and the answer comes back as a marker at the end of the line: `[tracker review: …]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.actions import (
    DONE,
    NO_UPDATE,
    UPDATE,
    Changed,
    change_action,
    create_action,
    latest_update,
    load_owner_initials,
)
from handlers.agenda import current_line
from handlers.context import Ask, Ctx
from handlers.reply import ACTOR, OK, Reply
from storage.models import Action, Series

_NUMBERED = re.compile(
    r"^\s*actions?\s+(?:no\.?\s*)?(?P<num>\d{1,5})(?:\s*[.:;\-–—]+\s*|\s+)(?P<body>.*?)\s*$", re.I | re.S
)
_STATUS = re.compile(
    r"(?:^|[\s.;,—–-])\s*(?:the\s+)?action\s+(?P<word>ongoing|open|remains\s+open|to\s+remain\s+open|"
    r"closed|complete|completed|done)\s*[.!]?\s*$"
    # the status word alone, as the whole line or its last sentence ("Action 3 - completed")
    r"|(?:^|[.;—–-])\s*(?P<bare>ongoing|closed|complete|completed|done)\s*[.!]?\s*$",
    re.I,
)
_MARKER = re.compile(r"\s*\[tracker review:\s*(?P<choice>update|new|keep|next)\s*\]\s*$", re.I)
_DASH = re.compile(r"\s+[—–]\s+|\s+-{1,2}\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(])")
_WORD = re.compile(r"[a-z0-9]+")
_ANY_WORD = re.compile(r"[A-Za-z0-9]+")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOP = _wordset(
    "the and for with from that this are was were has have had will not but all any its their our "
    "into onto about who what when which been being than then there these those"
)
# Words that make a sentence a report ("SM has spoken to …"), not an action ("SM to speak to …").
_REPORTING = _wordset(
    "is are was were has have had will would can could should been being do does did may might"
)
_ACTION_SHAPED = re.compile(r"^(?P<subject>.{1,80}?)\s+to\s+(?:be\s+)?[a-z]", re.I | re.S)
SAME = 0.6  # share of a sentence's words found in the action's text for it to restate the action


@dataclass(frozen=True)
class TrackerLine:
    number: int
    body: str  # what follows the number, without the closing status and any marker
    status: str | None  # ongoing | closed | None (not said)
    choice: str | None  # the answer to a question about this line: update | new | keep | next


def read_line(text: str) -> TrackerLine | None:
    """`Action 28. … Action ongoing.` as its number, body and status; None if not in that form."""
    marker = _MARKER.search(text)
    choice = marker.group("choice").lower() if marker else None
    if marker:
        text = text[: marker.start()]
    m = _NUMBERED.match(text)
    if m is None:
        return None
    body = m.group("body").strip()
    status = None
    s = _STATUS.search(body)
    if s:
        word = (s.group("word") or s.group("bare")).lower()
        status = "closed" if word in ("closed", "complete", "completed", "done") else "ongoing"
        body = body[: s.start()].rstrip(" ,;—–-")
        if body and body[-1].isalnum():
            body += "."
    return TrackerLine(int(m.group("num")), body, status, choice)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOP}


def _score(sentence: str, action_words: set[str]) -> float:
    words = _words(sentence)
    return len(words & action_words) / len(words) if words else 0.0


def action_shaped(sentence: str) -> bool:
    """Reads as an action ("Voice of the Child resources to be delayed …"), not a report of one."""
    m = _ACTION_SHAPED.match(sentence.strip())
    if m is None:
        return False
    subject = _WORD.findall(m.group("subject").lower())
    return 0 < len(subject) <= 8 and not (set(subject) & _REPORTING)


@dataclass(frozen=True)
class Reading:
    update: str  # the update given (empty: nothing beyond the status)
    differs: bool  # the line restates another action, so it may be a new one


def _after_restated(body: str, action: Action) -> str | None:
    """What follows the action's own words when the line repeats them word for word, as a tracker
    copied from the last minutes does; None if it does not start with them."""
    from handlers.capture import as_typed

    for known in (as_typed(action.text or ""), action.title):
        words = _ANY_WORD.findall(known.lower())
        typed = list(_ANY_WORD.finditer(body))
        if words and len(typed) > len(words) and [m.group().lower() for m in typed[: len(words)]] == words:
            return body[typed[len(words) - 1].end() :].lstrip(" .,;:–—-")
    return None


def split_update(body: str, action: Action) -> Reading:
    """The update in a tracker line, after the action's own text if the line repeats it."""
    exact = _after_restated(body, action)
    if exact is not None:
        return Reading(exact, False)
    known = _words(f"{action.text} {action.title}")
    dash = _DASH.split(body, maxsplit=1)
    if len(dash) == 2 and dash[0].strip():
        restated, update = dash[0].strip(), dash[1].strip()
        if _score(restated, known) >= SAME:
            return Reading(update, False)
        if action_shaped(restated):
            return Reading(body, True)
        return Reading(body, False)
    sentences = [s.strip() for s in _SENTENCE.split(body) if s.strip()]
    restated = 0
    while (
        restated < len(sentences)
        and not NO_UPDATE.match(sentences[restated])
        and _score(sentences[restated], known) >= SAME
    ):
        restated += 1
    if restated:
        return Reading(" ".join(sentences[restated:]), False)
    return Reading(body, bool(sentences) and action_shaped(sentences[0]))


def _first_sentence(body: str) -> tuple[str, str]:
    sentences = [s.strip() for s in _SENTENCE.split(body) if s.strip()]
    return (sentences[0], " ".join(sentences[1:])) if sentences else ("", "")


# --- the review -----------------------------------------------------------------------------------------


def _action(ctx: Ctx, series: Series, number: int) -> Action | None:
    action = ctx.session.scalars(
        select(Action)
        .where(Action.series_id == series.id, Action.number == number)
        .options(selectinload(Action.owners), selectinload(Action.updates))
    ).first()
    if action is not None:
        load_owner_initials(ctx, [action])
    return action


def _in_tracker_item(ctx: Ctx) -> bool:
    meeting = ctx.open_meeting()
    if meeting is None or meeting.current_item_id is None:
        return False
    line = current_line(ctx, meeting)
    return line is not None and line.tracker


def _update_elsewhere(ctx: Ctx, series: Series, line: TrackerLine) -> Reply | None:
    """With no agenda item taken, a tracker line that can only be an update of an existing action
    ("Action 2 - no further update, action ongoing") is recorded on it: read as a new action it would
    store nothing. Under another item the numbers may be another list's (a strategic plan's
    actions), so there it stays a new action; anything that could be one is left to capture."""
    if line.choice is not None or not (line.status or NO_UPDATE.match(line.body)):
        return None
    meeting = ctx.open_meeting()
    if meeting is not None and meeting.current_item_id is not None:
        return None
    action = _action(ctx, series, line.number)
    if action is None:
        return None
    reading = split_update(line.body, action)
    return None if reading.differs else _review(ctx, action, reading.update, line.status)


def review_line(ctx: Ctx, text: str) -> Reply | None:
    """A tracker line typed during the tracker item, recorded on its action; None: not one."""
    series = ctx.series
    if series is None:
        return None
    line = read_line(text)
    if line is None:
        return None
    if not _in_tracker_item(ctx):
        return _update_elsewhere(ctx, series, line)
    typed = _MARKER.sub("", text).rstrip()
    following = series.last_action_number + 1
    action = _action(ctx, series, line.number)
    if action is None:
        if line.choice == "keep":
            first, rest = _first_sentence(line.body)
            return _create(ctx, f"Action {line.number}. {first}", line, rest)
        if line.choice in ("next", "new"):
            return _create_next(ctx, line, following)
        raise Ask(
            f"There is no Action {line.number} in {series.name} yet. Reply `keep` (1) to record this as a "
            f"new Action {line.number}, or `next` (2) to record it as a new action numbered {following}.",
            before=typed + " [tracker review: ",
            after="]",
            kind="choice",
            choices=["keep", "next"],
        )
    if line.choice in ("new", "next"):
        return _create_next(ctx, line, following)
    reading = split_update(line.body, action)
    if line.choice == "update":
        reading = Reading(reading.update, False)
    if reading.differs:
        raise Ask(
            f"Action {line.number} is “{action.title}”, and this line reads like another action. "
            f"Reply `update` (1) to record it as an update of Action {line.number}, or `new` (2) to "
            f"record it as a new action, Action {following}.",
            before=typed + " [tracker review: ",
            after="]",
            kind="choice",
            choices=["update", "new"],
        )
    return _review(ctx, action, reading.update, line.status)


def _create_next(ctx: Ctx, line: TrackerLine, following: int) -> Reply:
    """A new action numbered next: its first sentence is the action, the rest its update, as for a
    kept number (so an owner question on the way keeps both, under that next number)."""
    first, rest = _first_sentence(line.body)
    kept = replace(line, number=following, choice="keep")
    return _create(ctx, f"Action {following}. {first}", kept, rest)


def _create(ctx: Ctx, action_text: str, line: TrackerLine, rest: str = "") -> Reply:
    """A new action from a tracker line; for one that keeps its number, the rest is its update."""
    try:
        reply = create_action(ctx, action_text, review=False)
    except Ask as q:
        if line.choice == "keep":
            # Any question here is about this action's owners: the answer completes the action text, and the
            # rest of the line (its update, its closing, the answer already given) comes back too.
            closing = " Action closed." if line.status == "closed" else ""
            kept = (f" {rest}" if rest else "") + closing + " [tracker review: keep]"
            q.after += kept
            if q.skip is not None:  # `skip`/`none`: the same line with no owner, still this number
                q.skip += kept
        raise
    if line.choice == "keep" and (rest or line.status == "closed"):
        action = _action(ctx, ctx.require_series(), line.number)
        if action is not None:
            reply.extend(_review(ctx, action, rest, line.status))
    return reply


def _review(ctx: Ctx, action: Action, update: str, status: str | None) -> Reply:
    """Record the update (and the closing) on the action, through the one path every change takes."""
    args: dict[str, Any] = {"num": str(action.number)}
    text = update.strip()
    if status == "closed" and action.status == "open":

        def close(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
            action.status, action.closed_at = "done", ctx.now
            said = f": “{text}”" if text else "."
            return Changed(
                Reply().say(f"Action {action.number} closed{said} No more reminders for it.", OK),
                text or None,
            )

        return change_action(ctx, args, DONE, close)
    if not text:
        text = "No further update."  # "Action ongoing." alone is the tracker's "no further update"

    def record(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
        last = latest_update(action)
        if last is not None and last.text == text and last.person_id == ctx.actor_id:
            return Reply().say(f"That update is already recorded on Action {action.number}.", audience=ACTOR)
        state = {"open": "Action ongoing.", "done": "Action closed.", "dropped": "Action dropped."}[
            action.status
        ]
        reply = Reply().say(f"Action {action.number} updated: “{text}” {state}", OK)
        if action.status != "open" and status == "ongoing":
            reply.say(
                f"Action {action.number} is already closed: `action {action.number} reopen` if it is not."
            )
        return Changed(reply, text)

    return change_action(ctx, args, UPDATE, record)
