"""An owner's answers in a direct message typed the short way, as people reply to a reminder:
"done" or "not mine" without the action's number, and "1 - the audit is delayed" for an update.

With one open action, theirs by name, "done" is about that one; otherwise the bot asks which, and the
answer runs as `action N done`. In a meeting's chat these need the number, as there everyone has actions.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.actions import action_done, action_not_mine, action_update, current_owners, my_open_actions
from handlers.context import Ask, Ctx, UserError
from handlers.names import Owner
from handlers.registry import Perm, command
from handlers.reply import Reply
from handlers.tracker_review import read_line
from storage.roster import short_name

_DONE = r"(?:it(?:'s|’s|\s+is)\s+|all\s+|now\s+)?(?P<done>done|complete|completed|finished)\s*[.!]*"
_NOT_MINE = r"(?:it(?:'s|’s|\s+is)\s+)?(?P<not_mine>not\s+(?:mine|me))\s*[.!]*"


def _direct(ctx: Ctx, args: dict[str, Any]) -> bool:
    return ctx.req.direct


def _to_the_bot(ctx: Ctx, args: dict[str, Any]) -> bool:
    """A bare "done" overheard in a meeting's chat is chat, not an answer."""
    return ctx.req.direct or ctx.req.addressed


@command(
    "done without a number",
    usage="done | not mine (in a direct message)",
    summary="Answer about your open action without its number: asked which, if you have several",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("it's done", "not mine"),
    patterns=[_DONE, _NOT_MINE],
    applies=_to_the_bot,
)
def without_a_number(ctx: Ctx, args: dict[str, Any]) -> Reply:
    verb = "done" if args.get("done") else "not mine"
    if not ctx.req.direct:
        raise UserError(f"Which action? Type its number: `action N {verb}`.")
    assert ctx.actor is not None  # Perm.PERSON
    mine = sorted(
        my_open_actions(ctx, ctx.actor.initials),
        key=lambda r: (r[0].due_date is None, r[0].due_date or ctx.today, r[0].series_id, r[0].number),
    )
    if not mine:
        raise UserError(f"You have no open actions, so none to mark {verb}. `actions mine` lists yours.")
    named = Owner("person", ctx.actor.initials) in current_owners(mine[0][0])
    if len(mine) == 1 and named:  # theirs by name: a group's or all partners' action is asked about
        action, ctx.series = mine[0]
        return (action_done if verb == "done" else action_not_mine)(ctx, {"num": str(action.number)})
    qualifier = ctx.req.qualifier or ""
    listed = "; ".join(f"{qualifier}{short_name(s.key, s.name)} {a.number}: “{a.title}”" for a, s in mine)
    raise Ask(
        f"Which action is {'done' if verb == 'done' else 'not yours'}? {listed}.",
        before="action ",
        after=f" {verb}",
        kind="choice",
        choices=[f"{qualifier}{s.key} {a.number}" for a, s in mine],
    )


@command(
    "update without the word",
    usage="N - TEXT (in a direct message)",
    summary="Add an update to your action, as a tracker line puts it",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("1 - the audit is delayed",),
    # "1 - the audit is delayed": in a meeting's chat such a line is the tracker review's (or chat)
    patterns=[r"(?:action\s+)?{ref}\s*(?:[:\-–]|\.\s)\s*(?P<text>\S.*)"],
    applies=_direct,
)
def update_without_the_word(ctx: Ctx, args: dict[str, Any]) -> Reply:
    text = args["text"].strip()
    if re.fullmatch(_DONE, text, re.I):
        return action_done(ctx, {**args, "text": None})
    if re.fullmatch(_NOT_MINE, text, re.I):
        return action_not_mine(ctx, args)
    line = read_line(f"Action {args['num']}. {text}")  # "2 - sent. Action closed.", as in a tracker
    if line is not None and line.status == "closed":
        return action_done(ctx, {**args, "text": line.body or None})
    return action_update(ctx, args)
