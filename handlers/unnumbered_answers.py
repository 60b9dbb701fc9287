"""An owner's answers in a direct message typed the short way, as people reply to a reminder:
"done" or "not mine" without the action's number, and "1 - the audit is delayed" for an update.

They are forms of `action N done` and `action N not mine` (handlers/actions.py holds the patterns).
With one open action, theirs by name, "done" is about that one; otherwise the bot asks which, and the
answer runs as `action N done`. In a meeting's chat these need the number, as there everyone has
actions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from handlers.context import Ask, Ctx, UserError
from handlers.names import Owner
from handlers.reply import Reply
from storage.roster import short_name

if TYPE_CHECKING:
    from collections.abc import Callable

DONE_ALONE = (
    r"(?:(?:yes|yep|yeah)[,!.]?\s+)?(?:it(?:'s|’s|\s+is)\s+|all\s+|now\s+)?"
    r"(?P<alone>done|complete|completed|finished)(?:\s+now)?\s*[.!]*"
)
NOT_MINE_ALONE = r"(?:it(?:'s|’s|\s+is)\s+)?(?P<alone>not\s+(?:mine|me))\s*[.!]*"


def numbered_or_to_the_bot(ctx: Ctx, args: dict[str, Any]) -> bool:
    """A bare "done" overheard in a meeting's chat is chat, not an answer."""
    return not args.get("alone") or ctx.req.direct or ctx.req.addressed


def without_a_number(ctx: Ctx, verb: str, answer: Callable[[Ctx, dict[str, Any]], Reply]) -> Reply:
    """`done` or `not mine` with no number: the person's one open action, or a question which."""
    from handlers.actions import current_owners, my_open_actions, soonest_due_first

    if not ctx.req.direct:
        raise UserError(f"Which action? Type its number: `action N {verb}`.")
    assert ctx.actor is not None  # Perm.PERSON
    mine = soonest_due_first(ctx, my_open_actions(ctx, ctx.actor.initials))
    if not mine:
        raise UserError(f"You have no open actions, so none to mark {verb}. `actions mine` lists yours.")
    named = Owner("person", ctx.actor.initials) in current_owners(mine[0][0])
    if len(mine) == 1 and named:  # theirs by name: a group's or all partners' action is asked about
        action, ctx.series = mine[0]
        return answer(ctx, {"num": str(action.number)})
    qualifier = ctx.req.qualifier or ""
    listed = "; ".join(f"{qualifier}{short_name(s.key, s.name)} {a.number}: “{a.title}”" for a, s in mine)
    raise Ask(
        f"Which action is {'done' if verb == 'done' else 'not yours'}? {listed}.",
        before="action ",
        after=f" {verb}",
        kind="choice",
        choices=[f"{qualifier}{s.key} {a.number}" for a, s in mine],
    )


# "1 - the audit is delayed", "Action 2: sent. Action closed." — how a tracker line gives an update
_TRACKER_LINE = re.compile(r"(?:action\s+)?(?P<num>\d{1,10})\s*(?:[:\-–]|\.\s)\s*(?P<text>\S.*)", re.I | re.S)


def captures_here(ctx: Ctx, args: dict[str, Any]) -> bool:
    """`Action 2: sent. Action closed.` in a direct message, where no series is bound to capture a new
    action in, is a tracker line about the person's own action 2 (`tracker_line_in_a_direct_message`)."""
    return not (ctx.req.direct and ctx.series is None and _TRACKER_LINE.fullmatch(ctx.req.text.strip()))


def tracker_line_in_a_direct_message(ctx: Ctx) -> Reply | None:
    """A direct message that is no command but reads as a line of the action tracker about one of
    the person's own actions: an update of it, or done when the line closes it. None: it is not one.
    (In a meeting's chat such a line is the tracker review's, or a new action.)"""
    from handlers.actions import action_done, action_not_mine, action_update
    from handlers.tracker_review import read_line

    m = _TRACKER_LINE.fullmatch(ctx.req.text.strip())
    if m is None or not ctx.req.direct or ctx.actor is None:
        return None
    args = {"num": m.group("num"), "text": m.group("text").strip()}
    if re.fullmatch(DONE_ALONE, args["text"], re.I):
        return action_done(ctx, {"num": args["num"]})
    if re.fullmatch(NOT_MINE_ALONE, args["text"], re.I):
        return action_not_mine(ctx, {"num": args["num"]})
    line = read_line(f"Action {args['num']}. {args['text']}")
    if line is not None and line.status == "closed":
        return action_done(ctx, {"num": args["num"], "text": line.body or None})
    return action_update(ctx, args)
