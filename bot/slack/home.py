"""The App Home tab: "My actions", each with the reminder's answers as buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.slack.deliver import Where
from bot.slack.identity import find_person
from bot.slack.render import escape, home_view
from handlers.actions import answer_buttons, current_owners, latest_update, my_open_actions
from handlers.chair_digest import short_series
from handlers.context import Request
from handlers.format import due_text, owners_text, plural, short_date
from handlers.reply import Buttons, Text
from storage.models import Series

if TYPE_CHECKING:
    from bot.slack.app import SlackDoor

HEADING = "My actions"


def home_view_for(door: SlackDoor, user: str, note: str | None) -> dict[str, Any]:
    door.identities.initials(user)  # the first visit may be before any message: learn by e-mail
    now = door.clock()
    with door.app.sessions() as session:
        person = find_person(session, door.partnership_id, user)
        if person is None:
            # The core's own words for someone not in the file ("ask the business manager …").
            reply = door.core.handle(door.request(Where(user=user, channel=None), "actions mine"))
            said = " ".join(b.text for m in reply.messages for b in m.blocks if isinstance(b, Text))
            return home_view(HEADING, said, [], note)
        roster = door.core.roster()
        tz = ZoneInfo(roster.timezone)
        ctx = door.core.context(
            session,
            Request("slack", f"home:{user}", user, "", now),
            actor=roster.people[person.initials],
            actor_id=person.id,
        )
        actions = my_open_actions(ctx, person.initials)
        today = now.astimezone(tz).date()
        series = {
            s.id: s
            for s in session.scalars(select(Series).where(Series.id.in_({a.series_id for a in actions})))
        }
        actions.sort(key=lambda a: (a.due_date is None, a.due_date or today, a.series_id, a.number))
        items: list[tuple[str, Buttons | None]] = []
        for a in actions:
            s = series[a.series_id]
            line = f"*{escape(short_series(s.key))} {a.number}* — {escape(a.title)}"
            due = due_text(a.due_date, a.due_kind)
            if a.due_date and a.due_date < today:
                due += f" (overdue by {plural((today - a.due_date).days, 'day')})"
            detail = [escape(due), "Owners: " + escape(owners_text(roster, current_owners(a)))]
            latest = latest_update(a)
            if latest is not None and latest.text:
                detail.append(
                    f"Latest ({short_date(latest.at.astimezone(tz).date())}): {escape(latest.text)}"
                )
            items.append((line + "\n" + " · ".join(detail), answer_buttons(s, a)))
    intro = (
        f"{len(items)} open action{'s' if len(items) != 1 else ''}, soonest due first."
        if items
        else "You have no open actions."
    )
    return home_view(HEADING, intro, items, note)
