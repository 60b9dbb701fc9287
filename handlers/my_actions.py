"""A person's open actions as plain data, soonest due first, with their answers (a "My actions" page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from handlers.actions import answer_buttons, current_owners, latest_update, my_open_actions
from handlers.context import Ctx
from handlers.format import due_text, owners_text
from handlers.reply import Buttons
from storage.models import Series


@dataclass(frozen=True)
class MyAction:
    series: str  # the series' key (with its partnership's before it where two have that key)
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
    actions = my_open_actions(ctx, ctx.actor.initials)
    today = ctx.today
    series = {
        s.id: s
        for s in ctx.session.scalars(select(Series).where(Series.id.in_({a.series_id for a in actions})))
    }
    actions.sort(key=lambda a: (a.due_date is None, a.due_date or today, a.series_id, a.number))
    out = []
    for a in actions:
        latest = latest_update(a)
        said = latest is not None and bool(latest.text)
        out.append(
            MyAction(
                series=f"{ctx.req.qualifier or ''}{series[a.series_id].key}",
                number=a.number,
                title=a.title,
                due=due_text(a.due_date, a.due_kind),
                overdue_days=(today - a.due_date).days if a.due_date and a.due_date < today else 0,
                owners=owners_text(ctx.roster, current_owners(a)),
                latest_on=latest.at.astimezone(ctx.tz).date() if latest is not None and said else None,
                latest=latest.text if latest is not None and said else None,
                answers=answer_buttons(series[a.series_id], a, ctx.req.qualifier or ""),
            )
        )
    return out
