"""Questions back to the person: how each is put, which answers fit it, and the queue as people see it.

The core (handlers/core.py) runs the queue: it stores what a command asks, reads the person's next
message as the answer to their first open question, and runs everything else as usual while the
question waits. This module holds what the core and the commands share: reading an answer (an
option number, several numbers, `both`, `all of them`, initials, a name, a role, a group), the
words of a question and of its repetition, the `questions` command and the listing `meeting end`
gives of what it drops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers import identity
from handlers.context import Ctx
from handlers.format import clock
from handlers.names import Ambiguous, Resolved, Unknown, resolve_name, split_names
from handlers.registry import Perm, command
from handlers.reply import ACTOR, WARNING, Reply
from storage import questions as stored
from storage.models import PendingQuestion
from storage.roster import Roster

# A question waits this long after the person last wrote in the conversation.
QUESTION_TTL = timedelta(minutes=15)

CANCEL_WORDS = frozenset(
    {"cancel", "cancel it", "cancel that", "never mind", "nevermind", "stop", "forget it"}
)
SKIP_WORDS = frozenset(
    {
        "skip",
        "skip it",
        "skip that",
        "leave it",
        "leave it out",
        "leave out",
        "leave them out",
        "pass",
        "none",
        "none of them",
        "neither",
        "nobody",
        "no one",
        "noone",
    }
)
_BOTH = frozenset({"both", "both of them", "both of those", "the two of them", "the both of them"})
_ALL_OF = frozenset(
    {"all of them", "all of those", "all three", "all four", "all five", "every one of them", "them all"}
)
_NUMBERS = re.compile(r"\d+(?:\s*(?:,|/|&|\+|\band\b|\s)\s*\d+)*", re.I)
_HEAD = re.compile(
    r"^(?:i\s+meant|i\s+mean|meant|it'?s|it\s+is|it\s+was|that'?s|that\s+is|they\s+are|answer\s*:)\s+", re.I
)
_TAIL = re.compile(r"(?:[\s,]+(?:please|thanks|thank\s+you))?[\s.!]*$", re.I)


def answer_words(text: str) -> str:
    """What an answer says, without "I meant", "please" or a full stop; lower case, single spaces."""
    return re.sub(r"\s+", " ", clean(text)).lower()


def clean(text: str) -> str:
    out = _TAIL.sub("", _HEAD.sub("", text.strip()))
    return out.strip().strip("`").strip()


@dataclass(frozen=True)
class Waiting:
    """An open question as plain data (the core reads it in one transaction and acts in another)."""

    id: int
    asker: str
    position: int
    batch: str
    command: str
    part: str
    holds: str
    prompt: str
    before: str
    after: str
    kind: str
    choices: tuple[str, ...]
    multiple: bool
    skip: str | None
    sent_at: datetime
    message_id: str | None

    @classmethod
    def of(cls, row: PendingQuestion) -> Waiting:
        return cls(
            id=row.id,
            asker=row.asker,
            position=row.position,
            batch=row.batch,
            command=row.command,
            part=row.part,
            holds=row.holds,
            prompt=row.prompt,
            before=row.before,
            after=row.after,
            kind=row.kind,
            choices=tuple(str(c) for c in row.choices),
            multiple=row.multiple,
            skip=row.skip,
            sent_at=row.sent_at,
            message_id=row.message_id,
        )

    @property
    def about(self) -> str:
        """What the question is about, in a few words: “SM”, or the message it holds."""
        return f"“{self.part}”" if self.part else f"`{_short(self.command)}`"

    @property
    def what(self) -> str:
        """Exactly what waits on the answer: what is lost if the question goes unanswered."""
        if self.holds:
            return f"{self.holds}, from `{self.command}`"
        return f"all of `{self.command}`"

    def shown(self) -> str:
        """The question as asked, with how to answer it."""
        return f"{self.prompt or 'My question about ' + self.about + '.'} {how_to_answer(self)}"

    def repeated(self) -> str:
        """The question in one line, for the end of another answer."""
        source = f" (from `{_short(self.command)}`)" if self.part else ""
        prompt = self.prompt or "my question."
        return f"Still waiting for your answer about {self.about}{source}: {prompt} Or `skip`, `cancel`."


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- putting a question ----------------------------------------------------------------------------------


def options_text(roster: Roster, choices: list[str] | tuple[str, ...]) -> str:
    """ "1. SMa (Samir Malik); 2. SMi (Sarah Milner)"."""
    return "; ".join(
        f"{i}. {c} ({roster.people[c].name})" if c in roster.people else f"{i}. {c}"
        for i, c in enumerate(choices, 1)
    )


def prompt_with_options(roster: Roster, prompt: str, choices: list[str], kind: str = "person") -> str:
    if not choices or kind == "guest":  # a close-name question names its options itself
        return prompt
    return f"{prompt} {options_text(roster, choices)}."


def how_to_answer(q: Waiting) -> str:
    ways = []
    if q.choices:
        several = q.multiple and len(q.choices) > 1
        pair = "`both`" if len(q.choices) == 2 else "`all of them`"
        ways.append("a number" + (f" (`1 2` or {pair} for several)" if several else ""))
    if q.kind == "series":
        ways.append("the series")
    elif q.kind == "choice":
        ways.append("the word")
    elif q.kind == "owner":
        ways.append("initials, names, a group or `all`")
    else:
        ways.append("initials or names" if q.multiple else "initials or a name")
    leave = f"`skip` leaves {q.about} out" if q.part else "`skip` leaves it out"
    if q.kind == "guest":  # the question says how to answer it
        return f"Or {leave}, `cancel` drops {_what_cancel_drops(q)}."
    said = ", ".join(ways[:-1]) + " or " + ways[-1] if len(ways) > 1 else ways[0]
    return f"Reply with {said}; {leave}, `cancel` drops {_what_cancel_drops(q)}."


def _what_cancel_drops(q: Waiting) -> str:
    return "what waits on it" if q.holds else "the whole message"


def waiting_note(q: Waiting) -> str:
    """What is stored and what waits, said once when the question is first put."""
    if q.holds:
        return f"Waiting on your answer: {q.holds}."
    return "Nothing is stored until you answer."


# --- reading an answer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fits:
    fill: str  # what goes in the question's hole


@dataclass(frozen=True)
class Misfit:
    why: str


def read_answer(q: Waiting, text: str, roster: Roster, series: str | None) -> Fits | Misfit:
    """Does `text` answer the question, and with what? Never a guess: a Misfit says why not."""
    typed = clean(text)
    low = answer_words(text)
    n = len(q.choices)
    if not typed:
        return Misfit("there is nothing in it")
    if _NUMBERS.fullmatch(typed):
        # An option number has a few digits; a longer one is no option (and never reaches int()).
        numbers = list(dict.fromkeys(int(x) if len(x) <= 6 else 0 for x in re.findall(r"\d+", typed)))
        if not n:
            return Misfit("there are no numbered options")
        wrong = [x for x in numbers if not 1 <= x <= n]
        if wrong:
            shown = wrong[0] if wrong[0] else "with that number"
            return Misfit(f"there is no option {shown} (the options are 1 to {n})")
        return _several(q, [q.choices[i - 1] for i in numbers])
    if low in _BOTH:
        if n != 2:
            return Misfit(
                f"there are {n} options, not two: give the numbers you mean (`1 3`)"
                if n > 2
                else "there are not two options to take both of"
            )
        return _several(q, list(q.choices))
    if low in _ALL_OF or (low == "all" and n):
        if not n:
            return Misfit("there are no options to take all of")
        return _several(q, list(q.choices))
    if q.kind in ("series", "choice"):  # one of the words offered
        return _word_answer(q, typed, roster)
    if q.kind == "guest":  # a name close to someone's: the guests module read what fits
        return Misfit("answer `yes`, a number, their initials, or `guest` to record the name as typed")
    return _names_answer(q, typed, roster, series)


def _several(q: Waiting, picked: list[str]) -> Fits | Misfit:
    if len(picked) > 1 and not q.multiple:
        return Misfit("only one fits here: give one")
    return Fits("/".join(picked))


# A yes-or-no question (is this deputy authorised?) takes the usual ways of saying either.
_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "aye", "correct", "authorised", "authorized", "they are"})
_NO = frozenset({"no", "n", "nope", "not authorised", "not authorized", "they are not", "they aren't"})


def _word_answer(q: Waiting, typed: str, roster: Roster) -> Fits | Misfit:
    low = typed.lower()
    if set(q.choices) == {"yes", "no"}:
        said = re.sub(r"[\s,.!]+", " ", low).strip()
        head = said.split()[0] if said else ""
        if said in _YES or head in ("yes", "yeah", "yep", "aye"):
            return Fits("yes")
        if said in _NO or head in ("no", "nope"):
            return Fits("no")
    word = low.split()[0]
    for key in q.choices:
        s = roster.series.get(key) if q.kind == "series" else None
        if key.lower() == word or (s is not None and s.name.lower() == low):
            return Fits(key)
    return Misfit(f"“{typed}” is not one of the options: {', '.join(f'`{c}`' for c in q.choices)}")


def _names_answer(q: Waiting, typed: str, roster: Roster, series: str | None) -> Fits | Misfit:
    parts = split_names(typed)
    if not parts:
        return Misfit("there is no name in it")
    picked: list[str] = []
    for part in parts:
        got = _name(q, part, roster, series)
        if isinstance(got, Misfit):
            return got
        picked.extend(p for p in got if p not in picked)
    return _several(q, picked)


def _name(q: Waiting, part: str, roster: Roster, series: str | None) -> list[str] | Misfit:
    day = q.sent_at.astimezone(ZoneInfo(roster.timezone)).date()  # "chair": the chair when it was asked
    found = resolve_name(part, roster, series, people_only=True, day=day)
    if isinstance(found, Resolved) and found.owner.kind == "person" and found.owner.id:
        return [found.owner.id]
    if isinstance(found, Ambiguous):
        return Misfit(f"“{part}” is still more than one person ({' or '.join(found.candidates)})")
    wider = resolve_name(part, roster, series, suggest=False, day=day)
    if isinstance(wider, Resolved):
        owner = wider.owner
        if q.kind == "owner":
            return [part]  # a group, an agency or everyone owns actions as typed
        members = roster.group_members(owner.id) if owner.kind == "group" and owner.id else []
        if members and (q.multiple or len(members) == 1):
            return members
        what = {"group": "a group", "agency": "an agency", "all": "everyone"}.get(owner.kind, "not a person")
        return Misfit(f"“{part}” is {what}, not one person: name the person")
    suggestions = found.suggestions if isinstance(found, Unknown) else ()
    hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
    return Misfit(f"I don't know “{part}” in the partnership file{hint}")


# --- the queue as people see it ---------------------------------------------------------------------------


def dropped_text(dropped: list[Waiting]) -> str:
    return "; ".join(q.what for q in dropped)


def close_questions(ctx: Ctx) -> Reply:
    """At the end of a meeting: drop the conversation's open questions, saying exactly what each held."""
    dropped = [Waiting.of(q) for q in stored.drop_all_in(ctx.session, ctx.req.door, ctx.req.channel)]
    reply = Reply()
    if not dropped:
        return reply
    lines = [
        f"- {_asker_name(ctx, q.asker)}: {q.about} — not recorded: {q.what}"
        for q in dropped  # in each person's queue order
    ]
    reply.say(
        f"{len(dropped)} question{'s were' if len(dropped) > 1 else ' was'} still open and "
        f"{'are' if len(dropped) > 1 else 'is'} now dropped with the meeting; type what is needed again "
        f"to record {'them' if len(dropped) > 1 else 'it'}:\n" + "\n".join(lines),
        WARNING,
    )
    return reply


def _asker_name(ctx: Ctx, asker: str) -> str:
    person = identity.person_for(ctx.session, ctx.partnership_id, ctx.req.door, asker)
    return ctx.name(person.initials) if person is not None else asker


@command(
    "questions",
    changes_series=False,
    usage="questions",
    summary="List the questions still waiting for an answer here, and what each holds",
    section="Other",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("open questions",),
    patterns=[r"(?:open\s+|waiting\s+)?questions\??", r"what\s+(?:are\s+you|is)\s+waiting\s+(?:for|on)\??"],
)
def questions_(ctx: Ctx, args: dict[str, Any]) -> Reply:
    waiting = [Waiting.of(q) for q in stored.in_conversation(ctx.session, ctx.req.door, ctx.req.channel)]
    if not waiting:
        return Reply().say("No questions are waiting for an answer here.", audience=ACTOR)
    lines: list[str] = []
    seen: set[str] = set()
    for q in waiting:
        first = q.asker not in seen
        seen.add(q.asker)
        lines.append(
            f"- {_asker_name(ctx, q.asker)}{' (their next answer goes here)' if first else ''}: "
            f"{q.prompt or q.about} "
            f"Holds: {q.what}. Asked {clock(q.sent_at, ctx.tz)}."
        )
    return Reply().say(
        f"Waiting for an answer here ({len(waiting)}):\n"
        + "\n".join(lines)
        + "\nEach person's next message answers their first question; `skip` or `cancel` let it go.",
        audience=ACTOR,
    )
