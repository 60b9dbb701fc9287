"""How a message would be captured as an action, as plain data, without storing anything.

A door that shows a form before capturing (Slack's "Capture as action" shortcut) prefills it
and checks the person's corrections with this; the capture itself is still `Core.handle`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import registry
from handlers.capture import action_start, capture_action, opens_with_verb
from handlers.context import Ctx
from handlers.format import short_name
from handlers.meetings import next_meeting_date
from handlers.names import Ambiguous, Unknown, close_people, full_name_like
from storage.models import Action, Series


@dataclass(frozen=True)
class Unclear:
    """A name that looked like an owner but is not exactly one person, with who it might be."""

    text: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class CapturePreview:
    series: str  # the key of the series it would be captured in
    is_action: bool
    title: str
    owners: str  # as a person would type them: initials, group or agency names, "all", unclear names
    due: str  # "29/03/2024", "next meeting" or ""
    has_owners: bool
    has_due: bool  # a due date or "next meeting" was read
    unclear: tuple[Unclear, ...]


def as_capture(text: str) -> str:
    """An explicit capture (an emoji, a shortcut) reads a message as an action even without "Action:"."""
    found = registry.match(text)
    if found is not None and found[0].name == "action":  # the capture command
        return text
    if action_start(text) > 0:  # "FD suggested … Action: LE to …": the action is already marked
        return text
    return "Action: " + text


_DUE_LEAD = re.compile(r"^(?:by|within|before|on|at|for|to|end|next|in|no\s+later)\b", re.IGNORECASE)


def compose_capture(owners: str, title: str, due: str) -> str:
    """The message a capture form's fields stand for.

    "SMa" and "invite the lead" read as "Action: SMa to invite the lead"; a task that is not a verb
    ("FD suggested …") keeps its words and gets its owner marked after it, never glued in front.
    """
    title = title.strip()
    if due:
        if re.fullmatch(r"(?:the\s+)?next\s+meeting", due, re.IGNORECASE):
            due = "the next meeting"
        due = f" {due}" if _DUE_LEAD.match(due) else f" by {due}"
    if opens_with_verb(title):
        task = re.sub(r"^to\s+", "", title, flags=re.IGNORECASE)
        return f"Action: {owners.strip()} to {task}{due}"
    return f"Action: {title.rstrip(' .')}{due} (owner: {owners.strip()})"


def captured_as(session: Session, door: str, channel: str, message_id: str) -> int | None:
    """The number of the action already captured from this message, by any route."""
    return session.scalar(
        select(Action.number).where(
            Action.source_door == door,
            Action.source_channel == channel,
            Action.source_message == message_id,
        )
    )


def preview_capture(ctx: Ctx, series: Series, text: str) -> CapturePreview:
    """What the capture grammar reads in `text`, sent at the request's time, for a series."""
    nm, _ = next_meeting_date(ctx, series)
    c = capture_action(text, ctx.roster, series=series.key, sent_at=ctx.now, next_meeting=nm, day=ctx.day())
    roster = ctx.roster
    names: list[str] = []
    for o in c.owners:
        if o.kind == "person" and o.id:
            names.append(short_name(roster, o.id))  # a guest by name: they have no initials
        elif o.kind == "group" and o.id in roster.groups:
            names.append(roster.groups[o.id].name)
        elif o.kind == "agency" and o.id in roster.agencies:
            names.append(roster.agencies[o.id].name)
        elif o.kind == "all":
            names.append("all")
    names.extend(q.text for q in c.questions)
    # A full name nobody has, close to no one, is recorded as a guest when captured: no question.
    guests = [q for q in c.questions if isinstance(q, Unknown) and full_name_like(q.text)]
    new_guests = [q for q in guests if not close_people(q.text, roster)]
    due = c.due.strftime("%d/%m/%Y") if c.due else ""
    if c.due_kind == "next_meeting":
        due = "next meeting"
    return CapturePreview(
        series=series.key,
        is_action=c.is_action,
        title=c.title,
        owners="/".join(names),
        due=due,
        has_owners=bool(c.owners) or bool(new_guests),
        has_due=c.due is not None or c.due_kind is not None,
        unclear=tuple(
            Unclear(
                q.text,
                tuple(
                    q.candidates
                    if isinstance(q, Ambiguous)
                    else close_people(q.text, roster)
                    if q in guests
                    else q.suggestions
                ),
            )
            for q in c.questions
            if q not in new_guests
        ),
    )
