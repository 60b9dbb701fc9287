"""`help`: the commands this person may run here, generated from the registry."""

from __future__ import annotations

import re
from typing import Any

from handlers.context import Ctx
from handlers.format import long_date
from handlers.registry import SECTIONS, Perm, all_commands, command
from handlers.reply import ACTOR, Reply


def _level(ctx: Ctx) -> Perm:
    """The most this person may do here: help lists the commands at or below it. Worked out once,
    not per command listed (each asks for the chair team and members of every series)."""
    if ctx.actor is None:
        return Perm.ANYONE
    # Here: the bound series; elsewhere, any series of theirs (they can name it or bind a channel).
    series = [ctx.sref] if ctx.series is not None else list(ctx.roster.series.values())
    if any(ctx.is_chair_team(s) for s in series):
        return Perm.CHAIR_TEAM
    if any(ctx.is_member(s) for s in series):
        return Perm.MEMBER
    return Perm.PERSON


def _terms_of_reference(ctx: Ctx) -> list[str]:
    """The terms of reference of this series, or (elsewhere) of each series of theirs, for its members."""
    series = [ctx.sref] if ctx.series is not None else list(ctx.roster.series.values())
    return [
        f"Terms of reference of {s.name}: {s.terms_of_reference}"
        for s in series
        if s.terms_of_reference and (ctx.is_member(s) or ctx.is_chair_team(s))
    ]


def _to_the_bot_or_asked(ctx: Ctx) -> bool:
    """A greeting or "what can you do?" is for the bot only when said to it: in a chat the bot
    overhears (a Teams meeting chat) people greet each other. `help` itself is asked anywhere."""
    return ctx.req.addressed or bool(re.match(r"\s*(?:help\b|\?|commands\b)", ctx.req.text, re.I))


@command(
    "help",
    changes_series=False,
    usage="help [COMMAND]",
    summary="List the commands you can use here",
    section="Other",
    perm=Perm.ANYONE,
    needs_series=False,
    patterns=[
        # "help me", "help please": no topic
        r"help(?:\s+(?:me|please|me\s+please)\s*[?!.]*)",
        r"help(?:\s+(?P<topic>.+))?",
        r"\?",
        r"commands",
        r"(?:hi|hello|hey)(?:\s+(?:there|partnerbot|bot))?\s*[!.?]*",
        r"what\s+(?:can\s+you\s+do|do\s+you\s+do|are\s+the\s+commands)\s*\??",
        r"how\s+(?:does\s+this\s+work|do\s+i\s+use\s+(?:this|you|it))\s*\??",
    ],
    applies=lambda ctx, args: _to_the_bot_or_asked(ctx),
)
def help_(ctx: Ctx, args: dict[str, Any]) -> Reply:
    topic = (args.get("topic") or "").strip().lower()
    if topic:
        specs = [
            s
            for s in all_commands()
            if topic in s.name or topic in s.usage.lower() or any(topic in a.lower() for a in s.aliases)
        ]
        if not specs:
            return Reply().say(f"No command matches “{topic}”. Type `help` for them all.", audience=ACTOR)
        lines = []
        for s in specs:
            also = f" (also: {', '.join(f'`{a}`' for a in s.aliases)})" if s.aliases else ""
            lines.append(f"`{s.usage}` — {s.summary}{also}")
        return Reply().say("\n".join(lines), audience=ACTOR)
    where = f" in {ctx.series.name}" if ctx.series else ""
    if ctx.actor is None:
        return Reply().say(
            f"I help {ctx.roster.name} run its meetings and actions. You are not in its partnership "
            "file yet: ask the business unit to add you.",
            audience=ACTOR,
        )
    lines = [f"Commands you can use here{where}:"]
    level = _level(ctx)
    for section in SECTIONS:
        specs = [s for s in all_commands() if s.section == section and s.perm <= level]
        if specs:
            lines.append(f"{section}:")
            lines.extend(f"  `{s.usage}` — {s.summary}" for s in specs)
    if ctx.series is None:
        lines.append(
            "Meeting commands work in a channel bound to a series (`bind SERIES`), or name the series."
        )
    lines.extend(_terms_of_reference(ctx))
    if ctx.series is not None and ctx.sref.closed_on(ctx.today) and ctx.sref.ends is not None:
        lines.append(
            f"{ctx.series.name} ended on {long_date(ctx.sref.ends)}: its record can be read, not changed."
        )
    lines.append("`help WORD` shows a command's other forms.")
    return Reply().say("\n".join(lines), audience=ACTOR)


@command(
    "cancel",
    changes_series=False,
    usage="cancel",
    summary="Drop the question I asked you",
    section="Other",
    perm=Perm.ANYONE,
    needs_series=False,
    patterns=[r"cancel"],
)
def cancel(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return Reply().say("There is no open question to cancel.", audience=ACTOR)
