"""The App Home tab: "My actions", each with the reminder's answers as buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.slack.deliver import Where
from bot.slack.identity import DOOR
from bot.slack.render import escape, home_view
from handlers.format import plural, short_date
from handlers.reply import Buttons, Text

if TYPE_CHECKING:
    from bot.slack.app import SlackDoor

HEADING = "My actions"


def home_view_for(door: SlackDoor, user: str, note: str | None) -> dict[str, Any]:
    door.identities.initials(user)  # the first visit may be before any message: learn by e-mail
    mine = door.core.my_actions(DOOR, user, door.clock())
    if mine is None:
        # The core's own words for someone not in the file ("ask the business manager …").
        reply = door.core.handle(door.request(Where(user=user, channel=None), "actions mine"))
        said = " ".join(b.text for m in reply.messages for b in m.blocks if isinstance(b, Text))
        return home_view(HEADING, said, [], note)
    items: list[tuple[str, Buttons | None]] = []
    for a in mine:
        line = f"*{escape(a.label)} {a.number}* — {escape(a.title)}"
        due = a.due
        if a.overdue_days:
            due += f" (overdue by {plural(a.overdue_days, 'day')})"
        detail = [escape(due), "Owners: " + escape(a.owners)]
        if a.latest is not None and a.latest_on is not None:
            detail.append(f"Latest ({short_date(a.latest_on)}): {escape(a.latest)}")
        items.append((line + "\n" + " · ".join(detail), a.answers))
    intro = (
        f"{len(items)} open action{'s' if len(items) != 1 else ''}, soonest due first."
        if items
        else "You have no open actions."
    )
    return home_view(HEADING, intro, items, note)
