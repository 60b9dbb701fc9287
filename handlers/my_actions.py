"""A person's open actions as plain data, soonest due first, with their answers (a "My actions" page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from handlers.actions import (
    action_number,
    answer_buttons,
    current_owners,
    is_owner,
    latest_update,
    may_see,
    my_open_actions,
    query_action,
    soonest_due_first,
)
from handlers.context import Ctx
from handlers.format import due_text, owners_text, short_date
from handlers.reply import Buttons
from storage.models import Series
from storage.roster import short_name


@dataclass(frozen=True)
class MyAction:
    series: str  # the series' key (with its partnership's before it where two have that key)
    label: str  # how a sentence names the series: "Board", "CPOG" (with the same qualifier)
    number: int
    title: str
    due: str  # as the tracker says it: "due 29 March 2024", "no due date"
    overdue_days: int  # 0 unless overdue
    owners: str
    latest_on: date | None  # the latest update with words, if any
    latest: str | None
    answers: Buttons  # what a reminder offers: done, update, new date, not mine, snooze


def my_actions(ctx: Ctx) -> list[MyAction]:
    """The open actions of the person asking."""
    if ctx.actor is None:
        return []
    actions = soonest_due_first(ctx, my_open_actions(ctx, ctx.actor.initials))
    today = ctx.today
    out = []
    for a, series in actions:
        latest = latest_update(a)
        said = latest is not None and bool(latest.text)
        out.append(
            MyAction(
                series=f"{ctx.req.qualifier or ''}{series.key}",
                label=f"{ctx.req.qualifier or ''}{short_name(series.key, series.name)}",
                number=a.number,
                title=a.title,
                due=due_text(a.due_date, a.due_kind),
                overdue_days=(today - a.due_date).days if a.due_date and a.due_date < today else 0,
                owners=owners_text(ctx.roster, current_owners(a)),
                latest_on=latest.at.astimezone(ctx.tz).date() if latest is not None and said else None,
                latest=latest.text if latest is not None and said else None,
                answers=answer_buttons(series, a, ctx.req.qualifier or ""),
            )
        )
    return out


@dataclass(frozen=True)
class ActionState:
    """An action as it stands now, for a door redrawing a reminder it answered (a Teams card)."""

    ref: str  # "Board 3" (with its partnership's qualifier before it where the card had one)
    title: str
    state: str  # "done ✓", "dropped", "snoozed until …", "due Fri 9 Feb 2024", "no due date"
    buttons: Buttons | None  # None: nothing more to answer here (closed, or not the person's)


def action_states(ctx: Ctx, refs: list[str]) -> list[ActionState]:
    """How each action named by `refs` ("board 3") stands now, with its answers while it is open and
    the person asking may answer it: the same rule (`is_owner`) the core applies to the answer."""
    qualifier = ctx.req.qualifier or ""
    today = ctx.today
    out: list[ActionState] = []
    for ref in refs:
        key, _, typed = ref.rpartition(" ")
        number = action_number(typed)
        if not key or number is None:
            continue
        series = ctx.session.scalars(
            select(Series).where(Series.partnership_id == ctx.partnership_id, Series.key == key)
        ).first()
        if series is None:
            continue
        action = query_action(ctx, series.id, number)
        if action is None or not may_see(ctx, action, series):
            continue  # to someone outside its series (a card's refs are the door's to send) it does not exist
        if action.status == "done":
            state = "done ✓"
        elif action.status == "dropped":
            state = "dropped"
        elif action.snoozed_until and action.snoozed_until > today:
            state = f"snoozed until {short_date(action.snoozed_until)}"
        elif action.due_date:
            state = f"due {short_date(action.due_date)}"
        else:
            state = "no due date"
        mine = ctx.actor is not None and is_owner(ctx, action, ctx.actor.initials, series)
        out.append(
            ActionState(
                f"{qualifier}{short_name(key, series.name)} {action.number}",
                action.title,
                state,
                answer_buttons(series, action, qualifier) if mine and action.status == "open" else None,
            )
        )
    return out
