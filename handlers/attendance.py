"""Attendance and live quorum: present, apologies, deputies, joined, left, in attendance, quorum."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from handlers.context import Ask, Ctx, UserError
from handlers.format import clock, is_guest, plural
from handlers.meetings import parse_clock
from handlers.names import Ambiguous, Resolved, Unknown, full_name_like, resolve_name, split_names
from handlers.people import guest_or_ask, record_guest
from handlers.quorum import Presence, QuorumResult, describe_labels, evaluate
from handlers.registry import Perm, command
from handlers.reply import OK, WARNING, Reply
from storage.models import Attendance, Meeting, QuorumChange

ROLE_NOTES = {"minute_taker": "minute taker", "business_manager": "business manager"}
OBSERVER = "observer"  # the role note of an observer's attendance row


def true_members(ctx: Ctx) -> set[str]:
    """Members in their own right (deputies are not members)."""
    s = ctx.sref
    return set(ctx.seats(s)) | set(s.chairs()) | {i for i in (ctx.chair(s), s.vice_chair) if i}


def _seated(ctx: Ctx, initials: str) -> dict[str, Any] | None:
    """Fields of a present row for someone with a place at the table (a member, or an observer, who
    is recorded present but never counts), or None for anyone else."""
    if initials in true_members(ctx):
        return {}
    if initials in ctx.sref.observers:
        return {"role_note": OBSERVER}
    return None


# Built once: building the select cost more than running it.
_SHEET = select(Attendance).where(Attendance.meeting_id == bindparam("meeting_id")).order_by(Attendance.id)


def sheet(ctx: Ctx, meeting: Meeting) -> list[Attendance]:
    """The meeting's attendance rows, read once per command; rows added during it are appended."""
    key = ("attendance", meeting.id)
    if key not in ctx.memo:
        ctx.memo[key] = list(ctx.session.scalars(_SHEET, {"meeting_id": meeting.id}))
    rows: list[Attendance] = ctx.memo[key]
    return rows


def add_row(ctx: Ctx, meeting: Meeting, row: Attendance) -> Attendance:
    ctx.session.add(row)
    sheet(ctx, meeting).append(row)
    return row


def _rows(ctx: Ctx, meeting: Meeting) -> list[tuple[Attendance, str | None]]:
    return [(row, ctx.initials_of(row.person_id)) for row in sheet(ctx, meeting)]


def _presences(ctx: Ctx, meeting: Meeting) -> list[Presence]:
    """Who counts in the room now: members present, and deputies counting for their member's agency."""
    members = true_members(ctx)
    s = ctx.sref
    people = ctx.roster.people
    holders = {"chair": ctx.chair(s, meeting), "vice_chair": s.vice_chair}
    present: list[Presence] = []
    for row, initials in _rows(ctx, meeting):
        if row.left_at is not None or initials is None:
            continue
        if row.status == "present" and initials in members:
            roles = frozenset(r for r, holder in holders.items() if holder == initials)
            person = people[initials]
            present.append(Presence(initials, person.agency, roles=roles, labels=frozenset(person.roles)))
        elif row.status == "deputy" and row.deputy_for_id is not None:
            member = ctx.initials_of(row.deputy_for_id)
            if (
                member in members
                and deputy_standing(ctx, initials, member, row.authorised) == COUNTS
                and initials not in s.observers
            ):
                labels = frozenset(people[member].roles) | frozenset(people[initials].roles)
                present.append(Presence(initials, people[member].agency, for_member=member, labels=labels))
    return present


def quorum_now(ctx: Ctx, meeting: Meeting) -> QuorumResult:
    quorum = ctx.series.quorum if ctx.series else None
    return evaluate(quorum, _presences(ctx, meeting), ctx.roster.agencies)


def decision_quorum_now(ctx: Ctx, meeting: Meeting) -> QuorumResult | None:
    """The series' decision quorum over who is in the room; None when the series has none."""
    rule = ctx.series.decision_quorum if ctx.series else None
    if not rule:
        return None
    return evaluate(rule, _presences(ctx, meeting), ctx.roster.agencies)


def describe_quorum(ctx: Ctx, result: QuorumResult) -> str:
    agencies = ctx.roster.agencies

    def label(p: Presence) -> str:
        who = f"{ctx.name(p.initials)} for {ctx.name(p.for_member)}" if p.for_member else ctx.name(p.initials)
        carried = [lab for lab in result.labels if lab in p.labels]
        return who + (f" ({', '.join(carried)})" if carried else "")

    if not result.ruled:
        if ctx.series is not None and ctx.series.decision_quorum:
            return "There is no quorum rule for this series; its decisions need the decision quorum."
        return "There is no quorum rule for this series: decisions are never marked for ratification."
    if result.quorate:
        shown = [a for a in result.required] + [a for a in result.represented if a not in result.required]
        parts = [
            f"{agencies[a].name if a in agencies else a} ({', '.join(map(label, result.represented[a]))})"
            for a in shown
            if a in result.represented
        ]
        return f"Quorate: {'; '.join(parts)}. {plural(result.count, 'member')} present."
    reasons = []
    if result.missing:
        names = [agencies[a].name if a in agencies else a for a in result.missing]
        reasons.append("not represented: " + ", ".join(names))
    if result.short_of_members:
        reasons.append(f"{result.count} of the {result.min_members} members needed are present")
    if not result.roles_met:
        reasons.append(" or ".join(r.replace("_", "-") for r in result.roles) + " not present")
    reasons.extend(lacking_roles(ctx, result))
    return f"Not quorate: {'; '.join(reasons)}."


def lacking_roles(ctx: Ctx, result: QuorumResult) -> list[str]:
    """ "Marcia Police: no delegated safeguarding partner (dsp) present", one per agency lacking."""
    agencies = ctx.roster.agencies
    return [
        f"{agencies[a].name if a in agencies else a}: no {describe_labels(result.labels)} present"
        for a in result.lacking
    ]


def missing_now(ctx: Ctx, result: QuorumResult) -> list[str]:
    """What a stored quorum change lists as missing: agencies not represented, then agencies lacking
    the role the rule requires ("Marcia Police (no dsp)")."""
    agencies = ctx.roster.agencies
    out = [agencies[a].name for a in result.missing if a in agencies]
    out += [f"{agencies[a].name} (no {' or '.join(result.labels)})" for a in result.lacking if a in agencies]
    return out


def describe_decision_quorum(ctx: Ctx, result: QuorumResult) -> str:
    """What the series' decision quorum says now, in a sentence of its own."""
    if result.quorate:
        return "The decision quorum is met: " + describe_quorum(ctx, result).removeprefix("Quorate: ")
    return (
        f"The decision quorum is not met: {quorum_reasons(ctx, result)}. "
        "Decisions taken now will be marked for ratification."
    )


def quorum_reasons(ctx: Ctx, result: QuorumResult) -> str:
    """Why a meeting is not quorate, without the verdict: "not represented: …"."""
    return describe_quorum(ctx, result).removeprefix("Not quorate: ").rstrip(".")


def _with_quorum_watch(ctx: Ctx, meeting: Meeting, change: Callable[[], Reply]) -> Reply:
    """Run an attendance change; say at once if the meeting became quorate or stopped being quorate."""
    before = quorum_now(ctx, meeting)
    before_d = decision_quorum_now(ctx, meeting)
    reply = change()
    ctx.session.flush()
    after = quorum_now(ctx, meeting)
    after_d = decision_quorum_now(ctx, meeting)
    if before_d is not None and after_d is not None and before_d.quorate != after_d.quorate:
        ctx.audit(
            "meeting",
            meeting.id,
            "decision quorum " + ("met" if after_d.quorate else "lost"),
            {"quorate": before_d.quorate},
            {"quorate": after_d.quorate, "missing": missing_now(ctx, after_d)},
        )
    if before.quorate != after.quorate:
        missing = missing_now(ctx, after)
        ctx.session.add(
            QuorumChange(meeting_id=meeting.id, at=ctx.now, quorate=after.quorate, missing=missing)
        )
        ctx.audit(
            "meeting",
            meeting.id,
            "quorum " + ("met" if after.quorate else "lost"),
            {"quorate": before.quorate},
            {"quorate": after.quorate, "missing": missing},
        )
        if after.quorate:
            # Quorate before (the change just added says so): " again" if it was also lost before.
            again = " again" if _lost_before(ctx, meeting) else ""
            reply.say(
                f"The meeting is quorate{again}: {describe_quorum(ctx, after).removeprefix('Quorate: ')}", OK
            )
        else:
            reply.say(
                f"Warning: the meeting is no longer quorate. {describe_quorum(ctx, after)} "
                "Decisions taken now will be marked for ratification.",
                WARNING,
            )
    # While the meeting is quorate, say when what decisions need changes, or is not met on becoming quorate
    # (not quorate, the warning above already says decisions go for ratification).
    if (
        after_d is not None
        and after.quorate
        and (
            (before_d is not None and before_d.quorate != after_d.quorate)
            or (not before.quorate and not after_d.quorate)
        )
    ):
        reply.say(describe_decision_quorum(ctx, after_d), OK if after_d.quorate else WARNING)
    return reply


def _lost_before(ctx: Ctx, meeting: Meeting) -> bool:
    return (
        ctx.session.scalar(
            select(QuorumChange.id)
            .where(QuorumChange.meeting_id == meeting.id, QuorumChange.quorate.is_(False))
            .limit(1)
        )
        is not None
    )


# The most one list of people may hold. A partnership meeting has a few dozen people; reading each
# name costs queries, so a list of thousands would stall the bot (docs/reliability.md).
MAX_NAMES = 100
MAX_NAMES_TEXT = 2_000


def _too_many() -> UserError:
    return UserError(
        f"That names more than {MAX_NAMES} people: the most one command takes is {MAX_NAMES}. "
        "Nothing was recorded. Record them in parts."
    )


def people_spans(ctx: Ctx, text: str) -> list[str]:
    """Split a list of people: "MT LE SMa", "Tom Rees, Dev Anand", "MT Lowri Evans (minutes)".

    Separators split first; within a part, the longest run of words that names someone wins, so
    full names stay whole and initials typed with spaces between them come apart. A list longer
    than MAX_NAMES_TEXT characters or MAX_NAMES people is refused before any name is looked up.
    """
    if len(text) > MAX_NAMES_TEXT:
        raise UserError(
            f"That list of people is {len(text):,} characters long: the most one command reads is "
            f"{MAX_NAMES_TEXT:,}. Nothing was recorded. Record them in parts."
        )
    out: list[str] = []
    series = ctx.series.key if ctx.series else None
    for part in split_names(text):
        words = part.split()
        if len(out) > MAX_NAMES:
            raise _too_many()
        if len(words) > 1 and all(w in ctx.roster.people for w in words):  # the common case: "MT LE SMa PMw"
            out.extend(words)
            continue
        if (
            not isinstance(resolve_name(part, ctx.roster, series, people_only=True), Unknown)
            or "(" in part
            or part[:1] in '"“'
        ):
            out.append(part)
            continue
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + 4), i, -1):
                span = " ".join(words[i:j])
                if not isinstance(resolve_name(span, ctx.roster, series, people_only=True), Unknown):
                    break
                if j == i + 1:
                    j = i + _new_name_length(ctx, words[i:], series)  # a full name nobody has: a guest
                    span = " ".join(words[i:j])
                    break
            out.append(span)
            if len(out) > MAX_NAMES:
                raise _too_many()
            i = j
    if len(out) > MAX_NAMES:
        raise _too_many()
    return out


def _new_name_length(ctx: Ctx, words: list[str], series: str | None) -> int:
    """How many of these words make a full name nobody in the file has: 3, 2, or 1 (no full name)."""
    if len(words) >= 3 and full_name_like(" ".join(words[:3])):
        third = resolve_name(words[2], ctx.roster, series, people_only=True, suggest=False)
        if isinstance(third, Unknown):  # "Mary Ann Hale", but not "Imogen Parry Tom" (Tom Rees)
            return 3
    return 2 if len(words) >= 2 and full_name_like(" ".join(words[:2])) else 1


def names_someone(ctx: Ctx, *texts: str) -> bool:
    """Does any of these name lists name someone in the file? (Loose patterns also catch chat.)"""
    try:
        spans = [p for t in texts for p in people_spans(ctx, t)]
    except UserError:
        return False  # too long to be a list of people: chat
    return any(
        not isinstance(resolve_name(p.strip('"“”'), ctx.roster, None, people_only=True), Unknown)
        or p.strip()[:1] in '"“'
        for p in spans
    )


def _names_apply(ctx: Ctx, args: dict[str, Any]) -> bool:
    return names_someone(ctx, args.get("names", ""), args.get("deputy", ""), args.get("member", ""))


# --- names in attendance lines: what is clear is recorded, and a question for each name that is not -------

Named = tuple[str, str, str | None]  # initials (or a guest's key), the name as typed, a note in brackets

_NOTE = re.compile(r"^(.*?)\s*\((.+)\)\s*$")
# Ranks and titles before a surname: "Superintendent Rees", "DCI Rees", "Cllr Hughes".
_RANKS = re.compile(
    r"^(?:(?:the|acting|temporary|interim|detective|det\.?|chief|superintendent|supt\.?|inspector|insp\.?|"
    r"sergeant|sgt\.?|constable|pc|di|dci|ds|dr|mr|mrs|ms|miss|mx|prof|professor|cllr|councillor)\s+)+",
    re.I,
)
# "(for Superintendent Rees)", "(deputising for TR)", "(on behalf of DA)" after someone present.
_FOR_MEMBER = re.compile(
    r"^(?:(?:deputising|deputizing|deputy|attending|sitting\s+in|standing\s+in)\s+)?"
    r"(?:for|on\s+behalf\s+of|in\s+place\s+of|representing)\s+(?P<member>.+)$",
    re.I,
)
# "(Paula Mason attending)", "(PM deputising)", "(represented by PM)" after someone sending apologies.
_DEPUTY_NOTE = (
    re.compile(
        r"^(?P<deputy>.+?)\s+(?:is\s+|was\s+)?(?:attending|attended|attends|deputising|deputizing|deputised|"
        r"deputized|sitting\s+in|sat\s+in|standing\s+in|stood\s+in|in\s+(?:her|his|their)\s+place|instead|"
        r"as\s+(?:a\s+|their\s+|her\s+|his\s+)?deputy)"
        r"(?:\s+(?:in\s+(?:her|his|their)\s+place|for\s+(?:her|him|them)|instead))?$",
        re.I,
    ),
    re.compile(
        r"^(?:deputy|deputised\s+by|deputized\s+by|represented\s+by|attended\s+by|replaced\s+by)\s*:?\s*"
        r"(?P<deputy>.+)$",
        re.I,
    ),
)


_BRACKETS = re.compile(r"\s*\(([^()]*)\)")
_INITIALS_NOTE = re.compile(r"[A-Z][a-z]?[A-Z][A-Za-z]{0,3}")  # "(AE)", "(PMcL)": initials, not "(Chair)"


def _split_notes(span: str) -> tuple[str, list[str]]:
    """ "Beth Lloyd (BLl) (for Mr Anand)" -> ("Beth Lloyd", ["BLl", "for Mr Anand"])."""
    notes = [n.strip() for n in _BRACKETS.findall(span) if n.strip()]
    typed = " ".join(_BRACKETS.sub(" ", span).split())
    return typed.strip('"“”').strip(), notes


def _brackets(notes: list[str]) -> str:
    return "".join(f" ({n})" for n in notes)


def _role_note(notes: list[str]) -> str | None:
    """The note saying what someone is there as ("presenter"): not their initials, nor whom they stand for."""
    return next(
        (
            n
            for n in notes
            if not _INITIALS_NOTE.fullmatch(n) and _member_in(n) is None and _deputy_in(n) is None
        ),
        None,
    )


def _named(ctx: Ctx, typed: str, notes: list[str], *, member: bool = False) -> str | Ambiguous | Unknown:
    """A name, or failing that the initials given in brackets after it ("Beth Lloyd (BLl)")."""
    found = _person(ctx, typed, member=member)
    if isinstance(found, str):
        return found
    for note in notes:
        if _INITIALS_NOTE.fullmatch(note):
            by_initials = _person(ctx, note, member=member)
            if isinstance(by_initials, str):
                return by_initials
    return found


def _member_in(note: str) -> str | None:
    m = _FOR_MEMBER.match(note)
    return m.group("member").strip() if m else None


def _deputy_in(note: str) -> str | None:
    for pattern in _DEPUTY_NOTE:
        m = pattern.match(note)
        if m:
            return m.group("deputy").strip()
    return None


def _person(ctx: Ctx, typed: str, *, member: bool = False) -> str | Ambiguous | Unknown:
    """One typed name -> initials, or why not. A member may also be named by a surname after a rank or
    title ("Superintendent Rees"); of several people a name fits, the one member of the series is meant."""
    series = ctx.series.key if ctx.series else None
    found = resolve_name(typed, ctx.roster, series, people_only=True, day=ctx.day())
    if isinstance(found, Resolved) and found.owner.id:
        return found.owner.id
    problem = found if isinstance(found, Ambiguous | Unknown) else Unknown(typed)
    if not member:
        return problem
    members = true_members(ctx)
    if isinstance(problem, Ambiguous):
        mine = [c for c in problem.candidates if c in members]
        return mine[0] if len(mine) == 1 else problem
    bare = _RANKS.sub("", typed.strip())
    if bare and bare != typed.strip():
        again = _person(ctx, bare, member=True)  # "Superintendent Rees" -> "Rees", a surname
        if isinstance(again, str):
            return again
    return problem


def _ask_about(
    ctx: Ctx,
    typed: str,
    found: Ambiguous | Unknown,
    *,
    before: str,
    after: str,
    holds: str,
    multiple: bool,
    hint: str = "",
) -> None:
    """Ask who a name is, and carry on: the answer runs `before + answer + after`."""
    if isinstance(found, Ambiguous):
        prompt, choices = (
            f"“{typed}” could be more than one person: who did you mean?",
            list(found.candidates),
        )
    else:
        prompt = f"I don't know “{typed}” in the partnership file: who did you mean?{hint}"
        choices = list(found.suggestions)
    ctx.ask(
        Ask(
            prompt,
            before=before,
            after=after,
            kind="person",
            choices=choices,
            part=typed,
            holds=holds,
            multiple=multiple,
        )
    )


_NOT_IN_FILE = " A full name records someone who is not in the file as a guest."


def _key_or_ask(
    ctx: Ctx,
    typed: str,
    notes: list[str],
    *,
    before: str,
    after: str,
    holds: str,
    multiple: bool = True,
    member: bool = False,
    guests: bool = False,
    quoted: bool = False,
) -> str | None:
    """Who a typed name is: initials, or a guest's key; otherwise a question (None), the rest carrying on.

    A full name nobody in the file has is a guest, asked about first if it is close to someone's;
    with `guests`, so is a name in quotes or with small letters ("Neil"). A member is never a guest.
    The answer runs `before + answer + after`.
    """
    found = _named(ctx, typed, notes, member=member)
    if isinstance(found, str):
        return found
    if isinstance(found, Unknown) and not member:
        agency = _agency_of(ctx, _role_note(notes))  # "Aled Price (Marcia Police)"
        if guests and (quoted or (re.search(r"[a-z]", typed) and not full_name_like(typed))):
            return record_guest(ctx, typed, agency=agency)  # `in attendance` takes any name
        try:
            guest = guest_or_ask(ctx, typed, agency=agency)
        except Ask as close:  # close to someone in the file: asked, the rest recorded meanwhile
            ctx.ask(
                Ask(
                    close.prompt,
                    before=before,
                    after=after,
                    kind=close.kind,
                    choices=close.choices,
                    part=typed,
                    holds=holds,
                )
            )
            return None
        except ValueError:  # the name as read is not in the message as typed: our own question
            guest = None
        if guest is not None:
            return guest
    _ask_about(
        ctx,
        typed,
        found,
        before=before,
        after=after,
        holds=holds,
        multiple=multiple,
        hint="" if member else _NOT_IN_FILE,
    )
    return None


def _agency_of(ctx: Ctx, note: str | None) -> str:
    """The agency a guest's bracketed note names, if it names one ("Tim Hale (Barnardo's)")."""
    if not note:
        return ""
    found = resolve_name(note, ctx.roster, None, suggest=False)
    return found.owner.id or "" if isinstance(found, Resolved) and found.owner.kind == "agency" else ""


def people_or_ask(
    ctx: Ctx, text: str, *, again: str, doing: str, tail: str = "", guests: bool = False
) -> list[Named]:
    """The people named in a list; for each name that is not exactly one person, a question.

    The rest is recorded at once. An answer runs `again + answer (notes) + tail` ("present SMa",
    "left SMa at 10:40"); `doing` says what waits on it ("as present").
    """
    out: list[Named] = []
    for span in people_spans(ctx, text):
        typed, notes = _split_notes(span)
        key = _key_or_ask(
            ctx,
            typed,
            notes,
            before=again,
            after=_brackets(notes) + tail,
            holds=f"“{typed}” {doing}",
            guests=guests,
            quoted=span.lstrip()[:1] in '"“',
        )
        if key is not None:
            out.append((key, typed, _role_note(notes)))
    if not out and not ctx.asked:
        raise UserError("Name at least one person, by initials or name.")
    return out


# A deputy attending for a member: (the deputy's initials or guest key, the member's initials).
Deputy = tuple[str, str]


def _deputy_for(ctx: Ctx, typed: str, member: str, notes: list[str] | None = None) -> Deputy | None:
    """The deputy named for a member (whose name is clear); a question if the deputy's is not.

    A name in quotes is taken as it is: a guest unless it is someone's name in the file. Unanswered,
    the member's apologies stay recorded; the answer runs `DEPUTY for MEMBER`.
    """
    quoted = typed[:1] in '"“'
    name = typed.strip('"“”').strip()
    key = _key_or_ask(
        ctx,
        name,
        notes or [],
        before="",
        after=f" for {member}",
        holds=f"“{name}” attending for {ctx.name(member)} (their apologies are recorded)",
        multiple=False,
        guests=quoted,
        quoted=quoted,
    )
    return (key, member) if key is not None else None


def _row(ctx: Ctx, meeting: Meeting, person_id: int) -> Attendance | None:
    return next((row for row in sheet(ctx, meeting) if row.person_id == person_id), None)


def _record(
    ctx: Ctx, meeting: Meeting, initials: str, status: str, **fields: Any
) -> tuple[Attendance, str | None]:
    """Create or change one attendance row (of someone in the file or a guest); returns the row and its
    status before."""
    pid = ctx.person_id(initials)
    row = _row(ctx, meeting, pid)
    before = row.status if row else None
    if row is None:
        row = Attendance(
            meeting_id=meeting.id,
            person_id=pid,
            status=status,
            updated_at=ctx.now,
            movements=[],
        )
        add_row(ctx, meeting, row)
    row.status = status
    row.updated_at = ctx.now
    for key, value in fields.items():
        setattr(row, key, value)
    ctx.audit(
        "attendance",
        f"{meeting.id}:{initials}",
        "recorded",
        {"status": before} if before else None,
        {"status": status, **{k: v for k, v in fields.items() if k != "movements"}},
    )
    return row, before


def at_time(ctx: Ctx, text: str | None) -> datetime:
    """A time typed today ("at 15:10"), never one still to come; now if none was given."""
    if not text:
        return ctx.now
    t = parse_clock(text)
    local = ctx.now.astimezone(ctx.tz)
    at = local.replace(hour=t.hour, minute=t.minute, second=0, microsecond=0)
    if at > ctx.now:
        # A time still to come is a slip (10:40 for 09:40) or a guess: recording it would be false.
        raise UserError(
            f"{clock(at, ctx.tz)} has not happened yet: it is {clock(ctx.now, ctx.tz)} now. "
            "Give the time it happened, or leave the time out to record it as now. Nothing recorded."
        )
    return at


def _non_member_note(ctx: Ctx, initials: str) -> str | None:
    s = ctx.sref
    for role, note in ROLE_NOTES.items():
        if getattr(s, role) == initials:
            return note
    return None


# --- commands ---------------------------------------------------------------------------------------

_NAMES_CS = (
    r"(?-i:(?P<names>(?:[A-Z@\"“][\w@.'’\"”-]*)(?:(?:\s*(?:,|/|&|\band\b)\s*|\s+)[A-Z@\"“][\w@.'’\"”-]*)*))"
)


_DEPUTY_CS = r"(?-i:(?P<deputy>(?:[A-Z@][\w@.'’-]*)(?:\s+[A-Z][\w.'’-]*){0,2}|[\"“][^\"”]+[\"”]))"


def _same_agency(ctx: Ctx, deputy: str, member: str) -> bool:
    """A deputy represents only their own agency: someone from another agency standing in for a
    member attends on their behalf, but cannot make the member's agency represented."""
    return ctx.roster.people[deputy].agency == ctx.roster.people[member].agency


# Whether a deputy counts for the member's agency, and if not, why not.
COUNTS, GUEST, OTHER_AGENCY, UNLISTED, AWAITING, NOT_AUTHORISED = (
    "counts",
    "guest",
    "other agency",
    "unlisted",
    "awaiting the chair",
    "not authorised",
)


def deputy_standing(ctx: Ctx, deputy: str, member: str, authorised: bool | None) -> str:
    """The one rule for a deputy: they count only when from the member's own agency, and only if the
    file lists them as the member's deputy or the series lets the chair authorise a deputy on the day
    (and the chair said yes). A guest never counts: the file does not hold them."""
    if is_guest(ctx.roster, deputy):
        return GUEST
    if not _same_agency(ctx, deputy, member):
        return OTHER_AGENCY
    if deputy in ctx.sref.deputies.get(member, ()):
        return COUNTS
    if not ctx.sref.deputies_on_the_day:
        return UNLISTED
    return {True: COUNTS, False: NOT_AUTHORISED, None: AWAITING}[authorised]


def _check_deputies(ctx: Ctx, deputies: list[Deputy]) -> None:
    members = true_members(ctx)
    for deputy_key, member in deputies:
        if member not in members:
            raise UserError(
                f"{ctx.name(member)} is not a member of {ctx.require_series().name}: "
                "a deputy stands in for a member. Nothing was recorded."
            )
        if deputy_key == member:
            raise UserError("Someone cannot deputise for themselves. Nothing was recorded.")


def _deputise(ctx: Ctx, meeting: Meeting, deputy: Deputy, reply: Reply) -> None:
    """Record a deputy attending for a member (the member's apologies with it), by the series' rules."""
    deputy_key, member = deputy
    mrow = _row(ctx, meeting, ctx.person_id(member))
    if mrow is not None and mrow.status == "present":
        # The member came: their attendance stands as it was (a deputy takes over from here on,
        # e.g. after they left); it is never rewritten as apologies.
        if mrow.left_at is None:
            _record(
                ctx,
                meeting,
                member,
                "present",
                left_at=ctx.now,
                movements=[*mrow.movements, {"event": "left", "at": ctx.now.isoformat()}],
            )
    elif mrow is None or mrow.status != "apologies":
        _record(ctx, meeting, member, "apologies", left_at=None)
    row, was = _record(
        ctx,
        meeting,
        deputy_key,
        "deputy",
        deputy_for_id=ctx.person_id(member),
        arrived_at=ctx.now,
        left_at=None,
    )
    authorised = row.authorised
    name, member_name = ctx.name(deputy_key), ctx.name(member)
    agency = ctx.roster.agencies.get(ctx.roster.people[member].agency)
    observer = deputy_key in ctx.sref.observers
    agency_name = agency.name if agency else "their agency"
    standing = deputy_standing(ctx, deputy_key, member, authorised)
    counts = standing == COUNTS and agency is not None and not observer
    reply.say(
        f"{name} is attending for {member_name}{f' and counts for {agency_name}' if counts else ''}.", OK
    )
    if standing == OTHER_AGENCY:
        own = ctx.roster.agencies.get(ctx.roster.people[deputy_key].agency)
        reply.say(
            f"{name} is from {own.name if own else 'another agency'}, so attends on "
            f"{member_name}'s behalf but does not count for {agency_name} towards quorum: "
            "a deputy counts only when from the same agency as the member they stand in for."
        )
    if observer and standing not in (OTHER_AGENCY, GUEST):  # listed or not, asked about or not
        reply.say(
            f"{name} observes {ctx.require_series().name}, so attends on {member_name}'s behalf but "
            f"does not count for {agency_name} towards quorum: an observer never represents their agency."
        )
    elif standing == GUEST:
        reply.say(
            f"Note: {name} is not listed as an authorised deputy for {member_name} in the partnership file. "
            "A deputy not in the file does not count towards quorum."
        )
    elif standing == UNLISTED:
        series = ctx.sref
        reply.say(
            f"{name} is not listed as a deputy for {member_name} in the partnership file, so attends on "
            f"{member_name}'s behalf but does not count for {agency_name} towards quorum. To let them count, "
            f"list them in `deputies` of series {series.id} ({{{member}: [{deputy_key}]}}), or set "
            f"`deputies_on_the_day: true` there so the chair can authorise a deputy on the day."
        )
    elif standing == NOT_AUTHORISED:
        reply.say(f"The chair said {name} is not authorised to act for {member_name}: they do not count.")
    elif standing == AWAITING and was == "deputy":
        reply.say(
            f"The chair has not yet said whether {name} is authorised: `authorise {deputy_key} for {member}`."
        )
    elif standing == AWAITING:
        reply.say(
            f"{name} is not listed as a deputy for {member_name} in the partnership file: they count for "
            f"{agency_name} once the chair says they are authorised to act for {member_name}."
        )
        # The meeting's chair answers, whoever typed the deputy in; with no chair named for the
        # series and nobody chairing this meeting (`chair today`), whoever typed it answers.
        chair = ctx.chair(ctx.sref, meeting)
        whose = "the chair's answer" if chair else "no chair is named for this meeting: your answer"
        ctx.ask(
            Ask(
                f"Is {name} authorised to act for {member_name}? ({whose})",
                before=f"authorise {deputy_key} for {member}: ",
                after="",
                kind="choice",
                choices=["yes", "no"],
                holds=f"whether {name} counts for {agency_name} (they are recorded as attending for "
                f"{member_name} meanwhile)",
                to=chair,
            )
        )


def _record_apologies(ctx: Ctx, meeting: Meeting, away: list[str], deputies: list[Deputy]) -> Reply:
    reply = Reply()
    names = []
    for initials in away:
        row = _row(ctx, meeting, ctx.person_id(initials))
        if row is not None and row.status == "apologies":
            continue
        _record(ctx, meeting, initials, "apologies", left_at=None)
        names.append(ctx.name(initials))
    if names:
        reply.say(f"Apologies: {', '.join(names)}.", OK)
    elif away:
        reply.say("Those apologies were already recorded.", OK)
    for deputy in deputies:
        _deputise(ctx, meeting, deputy, reply)
    return reply


def _apologies(ctx: Ctx, entries: list[tuple[str, str | None]], again: str) -> Reply:
    """Apologies from members, each perhaps with a deputy attending in their place.

    `entries`: (member as typed, deputy as typed or None). A member whose name is unclear is asked
    about (the answer runs `again + answer`, with the deputy), nothing of theirs recorded meanwhile;
    an unclear deputy is asked about with the member's apologies recorded.
    """
    meeting = ctx.require_meeting()
    away: list[str] = []
    deputies: list[Deputy] = []
    for typed, deputy_typed in entries:
        member = _key_or_ask(
            ctx,
            typed,
            [],
            before=again,
            after=f" ({deputy_typed} attending)" if deputy_typed else "",
            holds=f"apologies from “{typed}”"
            + (f", and {deputy_typed} attending for them" if deputy_typed else ""),
            multiple=deputy_typed is None,
            member=True,
        )
        if member is None:
            continue
        away.append(member)
        if deputy_typed:
            deputy = _deputy_for(ctx, deputy_typed, member)
            if deputy is not None:
                deputies.append(deputy)
    if not away and not ctx.asked:
        raise UserError("Name at least one person, by initials or name.")
    members = true_members(ctx)
    for initials in away:
        if initials not in members:
            raise UserError(
                f"{ctx.name(initials)} is not a member of {ctx.require_series().name}: apologies are for "
                "members. Nothing was recorded."
            )
    _check_deputies(ctx, deputies)
    return _with_quorum_watch(ctx, meeting, lambda: _record_apologies(ctx, meeting, away, deputies))


@command(
    "present",
    usage="present NAMES",
    summary="Record who is present (`present CG (for TR)` records a deputy)",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    patterns=[
        r"present\s*[:\-–]?\s*(?P<names>.+)",
        # as minutes head the list: "Attendees: …", "Members present – …", "In attendance (members): …"
        r"(?:attendees|attending|attendance|members\s+present|those\s+present)\s*[:\-–]\s*(?P<names>.+)",
    ],
)
def present(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    people: list[str] = []
    deputies: list[Deputy] = []
    absent: list[str] = []  # members whose deputy is asked about
    for span in people_spans(ctx, args["names"]):
        typed, notes = _split_notes(span)
        member_typed = next((m for m in map(_member_in, notes) if m), None)
        if member_typed is None:
            key = _key_or_ask(
                ctx, typed, notes, before="present ", after=_brackets(notes), holds=f"“{typed}” as present"
            )
            if key is not None:
                people.append(key)
            continue
        initials_notes = _brackets([n for n in notes if _INITIALS_NOTE.fullmatch(n)])
        member = _key_or_ask(
            ctx,
            member_typed,
            [],
            before=f"present {typed}{initials_notes} (for ",
            after=")",
            holds=f"{typed} attending for “{member_typed}”",
            multiple=False,
            member=True,
        )
        if member is None:
            continue
        deputy = _deputy_for(ctx, typed if span.lstrip()[:1] not in '"“' else f'"{typed}"', member, notes)
        if deputy is None:
            absent.append(member)
        else:
            deputies.append(deputy)
    if not people and not deputies and not absent and not ctx.asked:
        raise UserError("Name at least one person, by initials or name.")
    _check_deputies(ctx, deputies + [("", m) for m in absent])

    def change() -> Reply:
        done, notes = [], []
        for initials in people:
            row = _row(ctx, meeting, ctx.person_id(initials))
            seat = _seated(ctx, initials)
            if seat is not None:
                if row is not None and row.status in ("present", "deputy") and row.left_at is None:
                    notes.append(f"{ctx.name(initials)} was already recorded as present.")
                    continue
                _, before = _record(
                    ctx,
                    meeting,
                    initials,
                    "present",
                    arrived_at=row.arrived_at if row and row.arrived_at else ctx.now,
                    left_at=None,
                    **seat,
                )
                if before == "apologies":
                    notes.append(f"{ctx.name(initials)} had sent apologies: now present.")
                done.append(ctx.name(initials) + (f" ({OBSERVER})" if seat else ""))
            else:
                note = _non_member_note(ctx, initials)
                _record(ctx, meeting, initials, "in_attendance", role_note=note, arrived_at=ctx.now)
                deputy_of = [m for m, ds in ctx.sref.deputies.items() if initials in ds]
                extra = f" If they are deputising, say `{initials} for {deputy_of[0]}`." if deputy_of else ""
                notes.append(
                    f"{ctx.name(initials)} is not a member of {ctx.require_series().name}: recorded as in "
                    f"attendance{f' ({note})' if note else ''}.{extra}"
                )
        reply = Reply()
        if done:
            reply.say(f"Present: {', '.join(done)}.", OK)
        for n in notes:
            reply.say(n)
        if absent:
            reply.extend(_record_apologies(ctx, meeting, absent, []))
        for deputy in deputies:
            _deputise(ctx, meeting, deputy, reply)
        return reply

    return _with_quorum_watch(ctx, meeting, change)


@command(
    "apologies",
    usage="apologies NAMES",
    summary="Record apologies (`apologies TR (CG attending)` records the deputy too)",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    # "apologies from GB and SA", "Apologies were received from: GB"
    patterns=[
        r"(?:apologies|apols)(?:\s+(?:were\s+|have\s+been\s+)?(?:received|given|sent|noted|tendered))?(?:\s+from)?"
        r"\s*[:\-–]?\s*(?P<names>.+)",
        # a line of the minutes' apologies list alone: "Anne-Marie Speed (Paula Mason attending)"
        r"(?P<names>[^()\n]{2,60}\([^()\n]{2,60}\s+attending\))\.?",
    ],
)
def apologies(ctx: Ctx, args: dict[str, Any]) -> Reply:
    entries = []
    for span in people_spans(ctx, args["names"]):
        typed, notes = _split_notes(span)
        entries.append((typed, next((d for d in map(_deputy_in, notes) if d), None)))
    return _apologies(ctx, entries, "apologies ")


@command(
    "sent apologies",
    usage="NAME sent apologies; DEPUTY attended in her place",
    summary="Record apologies, and who attended in the member's place",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("TR sent apologies",),
    applies=_names_apply,
    patterns=[
        _NAMES_CS
        + r"\s+(?:has\s+|have\s+)?(?:sent|sends|gave|give|offered)\s+(?:(?:her|his|their)\s+)?apologies"
        r"(?:\s*[;,.]\s*(?:and\s+)?|\s+and\s+)"
        + _DEPUTY_CS
        + r"\s+(?:is\s+|was\s+)?(?:attended|attending|attends|came|deputised|deputized|deputising|deputizing|"
        r"sat\s+in|stood\s+in)"
        r"(?:\s+(?:in\s+(?:her|his|their)\s+place|for\s+(?:her|him|them)|instead|on\s+(?:her|his|their)\s+behalf))?",
        _NAMES_CS
        + r"\s+(?:has\s+|have\s+)?(?:sent|sends|gave|give|offered)\s+(?:(?:her|his|their)\s+)?apologies",
        # "AMS has sent PM in her place": away, and who came instead
        _NAMES_CS
        + r"\s+(?:has\s+|have\s+)?(?:sent|sends)\s+"
        + _DEPUTY_CS
        + r"\s+(?:in\s+(?:her|his|their)\s+place|to\s+deputi[sz]e|as\s+(?:her|his|their)\s+deputy|instead"
        r"|on\s+(?:her|his|their)\s+behalf)\.?",
    ],
)
def sent_apologies(ctx: Ctx, args: dict[str, Any]) -> Reply:
    names = people_spans(ctx, args["names"])
    deputy_typed = args.get("deputy")
    if deputy_typed and len(names) != 1:
        raise UserError("Name the one member whose place the deputy took: `TR sent apologies; CG attended`.")
    entries = [(_split_notes(n)[0], deputy_typed.strip() if deputy_typed else None) for n in names]
    return _apologies(ctx, entries, "apologies ")


@command(
    "deputy",
    usage="DEPUTY for MEMBER",
    summary="Record a deputy attending for a member",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("CG deputising for TR", "CG deputised for TR", "CG attending for TR"),
    applies=_names_apply,
    patterns=[
        _DEPUTY_CS + r"\s+(?:is\s+|was\s+)?(?:deputising|deputizing|deputised|deputized|deputises|deputizes|"
        r"attending|attended|attends|deputy|sitting\s+in|sat\s+in|standing\s+in|stood\s+in)?\s*"
        r"(?:for|on\s+behalf\s+of)\s+(?P<member>[\w@.'’ -]+?)",
        # as attendance lists have it: "Clare Green (for Tracey Ryland)", "CG (deputising for TR)"
        _DEPUTY_CS + r"\s*\(\s*(?:deputising\s+|deputizing\s+|attending\s+|sitting\s+in\s+|standing\s+in\s+)?"
        r"(?:for|on\s+behalf\s+of)\s+(?P<member>[\w@.'’ -]+?)\s*\)",
    ],
)
def deputy(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    typed = args["deputy"].strip()
    member_typed = args["member"].strip()
    if len(split_names(member_typed)) != 1:
        raise UserError("Name one member: `CG for TR`.")
    member = _person(ctx, member_typed, member=True)
    if not isinstance(member, str):
        before, after = ctx.hole(member_typed, max(ctx.req.text.rfind(member_typed), 0))
        if isinstance(member, Ambiguous):
            prompt, choices = (
                f"“{member_typed}” could be more than one person: who did you mean?",
                member.candidates,
            )
        else:
            prompt, choices = (
                f"I don't know “{member_typed}” in the partnership file: who did you mean?",
                member.suggestions,
            )
        raise Ask(prompt, before=before, after=after, kind="person", choices=list(choices), part=member_typed)
    found = _deputy_for(ctx, typed, member)
    _check_deputies(ctx, [found or ("", member)])

    def change() -> Reply:
        if found is None:
            return _record_apologies(ctx, meeting, [member], [])
        reply = Reply()
        _deputise(ctx, meeting, found, reply)
        return reply

    return _with_quorum_watch(ctx, meeting, change)


@command(
    "authorise",
    usage="authorise DEPUTY for MEMBER: yes|no",
    summary="Say whether a deputy chosen on the day is authorised to act for a member (the chair's answer)",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("authorize LM for FH",),
    patterns=[
        r"(?:authorise|authorize)\s+(?P<deputy>.+?)\s+(?:to\s+act\s+)?for\s+(?P<member>[^:]+?)"
        r"(?:\s*:?\s*(?P<answer>yes|no|y|n))?"
    ],
)
def authorise(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    found = []
    for typed, is_member in ((args["deputy"].strip(), False), (args["member"].strip(), True)):
        who = _person(ctx, typed.strip('"“”'), member=is_member)
        if not isinstance(who, str):
            raise UserError(
                f"I don't know which one person “{typed}” is: give their initials. Nothing changed."
            )
        found.append(who)
    deputy_key, member = found
    yes = (args.get("answer") or "yes").lower() in ("yes", "y")
    row = _row(ctx, meeting, ctx.person_id(deputy_key))
    if row is None or row.status != "deputy" or row.deputy_for_id != ctx.person_id(member):
        raise UserError(
            f"{ctx.name(deputy_key)} is not recorded as attending for {ctx.name(member)}: record them first "
            f"with `{deputy_key} for {member}`. Nothing changed."
        )
    standing = deputy_standing(ctx, deputy_key, member, None)
    if standing != AWAITING:
        why = {
            GUEST: "they are not in the partnership file, so never count",
            OTHER_AGENCY: "a deputy from another agency never counts for the member's agency",
            COUNTS: "the partnership file lists them as the member's deputy: they count already",
            UNLISTED: f"series {ctx.sref.id} does not allow deputies chosen on the day: list them in its "
            "`deputies`, or set `deputies_on_the_day: true`",
        }[standing]
        raise UserError(f"There is nothing for the chair to authorise: {why}. Nothing changed.")

    def change() -> Reply:
        before = row.authorised
        row.authorised = yes
        row.updated_at = ctx.now
        ctx.audit(
            "attendance",
            f"{meeting.id}:{deputy_key}",
            "authorised" if yes else "not authorised",
            {"authorised": before},
            {"authorised": yes, "deputy_for": member},
        )
        agency = ctx.roster.agencies.get(ctx.roster.people[member].agency)
        name, member_name = ctx.name(deputy_key), ctx.name(member)
        if yes:
            return Reply().say(
                f"{name} is authorised by the chair to act for {member_name} and counts for "
                f"{agency.name if agency else 'their agency'}.",
                OK,
            )
        return Reply().say(
            f"{name} is not authorised to act for {member_name}: recorded as attending on "
            f"{member_name}'s behalf, not counted towards quorum.",
            OK,
        )

    return _with_quorum_watch(ctx, meeting, change)


@command(
    "left",
    usage="NAMES left [HH:MM]",
    summary="Record someone leaving",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("left LE",),
    applies=_names_apply,
    patterns=[
        # "EL left", "EL left the meeting at 10:15", "DL had to leave", "TT left early"
        _NAMES_CS + r"\s+(?:has\s+|had\s+to\s+|needed\s+to\s+|is\s+)?(?:left|leaves|leave|leaving)"
        r"(?:\s+the\s+meeting)?(?:\s+early)?(?:\s+(?:at\s+)?(?P<time>\d{1,2}[:.]\d{2}\s*(?:am|pm)?))?\.?",
        r"left\s*:?\s+(?P<names>.+?)(?:\s+at\s+(?P<time>\d{1,2}[:.]\d{2}\s*(?:am|pm)?))?",
    ],
)
def left(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    at = at_time(ctx, args.get("time"))  # refused before any question about the names
    tail = f" at {args['time']}" if args.get("time") else ""
    people = people_or_ask(ctx, args["names"], again="left ", doing="as having left", tail=tail)

    def change() -> Reply:
        names = []
        for initials, _t, _n in people:
            assert initials
            row = _row(ctx, meeting, ctx.person_id(initials))
            if (
                row is None
                or row.status not in ("present", "deputy", "in_attendance")
                or row.left_at is not None
            ):
                raise UserError(
                    f"{ctx.name(initials)} is not recorded as here, so cannot leave. Nothing changed."
                )
            _record(
                ctx,
                meeting,
                initials,
                row.status,
                left_at=at,
                movements=[*row.movements, {"event": "left", "at": at.isoformat()}],
            )
            names.append(ctx.name(initials))
        if not names:
            return Reply()  # every name waits on a question
        return Reply().say(f"{', '.join(names)} left at {clock(at, ctx.tz)}.", OK)

    return _with_quorum_watch(ctx, meeting, change)


@command(
    "joined",
    usage="NAMES joined [HH:MM]",
    summary="Record someone arriving or coming back",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("joined LE", "LE arrived"),
    applies=_names_apply,
    patterns=[
        # "KB joined", "KB joined late at 9:30", "KB joined the meeting at 09:30"
        _NAMES_CS + r"\s+(?:has\s+)?(?:joined|arrived|rejoined|returned|is\s+back)"
        r"(?:\s+the\s+meeting)?(?:\s+late)?(?:\s+(?:at\s+)?(?P<time>\d{1,2}[:.]\d{2}\s*(?:am|pm)?))?\.?",
        r"(?:joined|arrived)\s*:?\s+(?P<names>.+?)(?:\s+at\s+(?P<time>\d{1,2}[:.]\d{2}\s*(?:am|pm)?))?",
    ],
)
def joined(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    at = at_time(ctx, args.get("time"))  # refused before any question about the names
    tail = f" at {args['time']}" if args.get("time") else ""
    people = people_or_ask(ctx, args["names"], again="joined ", doing="as having joined", tail=tail)

    def change() -> Reply:
        names: list[str] = []
        corrected: list[str] = []
        for initials, _t, _n in people:
            assert initials
            row = _row(ctx, meeting, ctx.person_id(initials))
            seat = _seated(ctx, initials)
            if (
                row is not None
                and row.status in ("present", "deputy", "in_attendance")
                and row.left_at is None
            ):
                opened = meeting.opened_at or meeting.starts_at
                if args.get("time") and not row.movements and (opened is None or at >= opened):
                    # Listed as present, then "KB joined late at 9:30": the minutes say when they
                    # arrived. Only the arrival is corrected; they are here now either way.
                    _record(
                        ctx,
                        meeting,
                        initials,
                        row.status,
                        arrived_at=at,
                        movements=[{"event": "joined", "at": at.isoformat()}],
                    )
                    names.append(f"{ctx.name(initials)} joined")
                    corrected.append(ctx.name(initials))
                    continue
                raise UserError(f"{ctx.name(initials)} is already recorded as here. Nothing changed.")
            if row is not None and row.left_at is not None:
                _record(
                    ctx,
                    meeting,
                    initials,
                    row.status,
                    left_at=None,
                    movements=[*row.movements, {"event": "rejoined", "at": at.isoformat()}],
                )
                names.append(f"{ctx.name(initials)} rejoined")
            elif seat is not None:
                _record(
                    ctx,
                    meeting,
                    initials,
                    "present",
                    arrived_at=at,
                    left_at=None,
                    movements=[{"event": "joined", "at": at.isoformat()}],
                    **seat,
                )
                names.append(f"{ctx.name(initials)} joined" + (f" ({OBSERVER})" if seat else ""))
            else:
                _record(
                    ctx,
                    meeting,
                    initials,
                    "in_attendance",
                    arrived_at=at,
                    role_note=_non_member_note(ctx, initials),
                    movements=[],
                )
                names.append(f"{ctx.name(initials)} joined (in attendance, not a member)")
        if not names:
            return Reply()  # every name waits on a question
        reply = Reply().say(f"{'; '.join(names)} at {clock(at, ctx.tz)}.", OK)
        if corrected:
            reply.say(
                f"{' and '.join(corrected)} {'was' if len(corrected) == 1 else 'were'} already recorded as "
                f"here: the arrival is corrected to {clock(at, ctx.tz)} for the minutes."
            )
        return reply

    return _with_quorum_watch(ctx, meeting, change)


@command(
    "in attendance",
    usage="in attendance NAMES (role)",
    summary="Record people attending who are not members (guests, presenters)",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    patterns=[r"(?:in\s+attendance|also\s+(?:present|attending)|guests?)\s*:?\s*(?P<names>.+)"],
)
def in_attendance(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    people = people_or_ask(ctx, args["names"], again="in attendance ", doing="as in attendance", guests=True)
    members = true_members(ctx)

    def change() -> Reply:
        names = []
        for initials, _typed, note in people:
            status = "present" if initials in members else "in_attendance"
            if initials in ctx.sref.observers:
                status, note = "present", OBSERVER
            _record(
                ctx,
                meeting,
                initials,
                status,
                role_note=note or _non_member_note(ctx, initials),
                arrived_at=ctx.now,
                left_at=None,
            )
            if note == OBSERVER:
                names.append(f"{ctx.name(initials)} ({OBSERVER}: present, never counted for quorum)")
            elif status == "present":
                names.append(ctx.name(initials) + " (a member: recorded as present)")
            else:
                names.append(ctx.name(initials) + (f" ({note})" if note else ""))
        if not names:
            return Reply()  # every name waits on a question
        return Reply().say(f"In attendance: {', '.join(names)}.", OK)

    return _with_quorum_watch(ctx, meeting, change)


@command(
    "quorum",
    changes_series=False,
    usage="quorum",
    summary="Say whether the meeting is quorate and why",
    section="Attendance",
    perm=Perm.MEMBER,
    needs_meeting=True,
    patterns=[
        r"quorum\??",
        r"quorate\??",
        r"(?:quorum\s+check|check\s+(?:the\s+)?quorum)\??",
        # the minutes' line, which the bot checks rather than takes on trust
        r"(?:the\s+)?meeting\s+(?:was|is)\s+(?:not\s+|in)?quorate\.?",
        r"(?:is\s+(?:it|the\s+meeting|this)|are\s+we)\s+(?:still\s+)?quorate(?:\s+still)?\??",
        r"(?:do\s+we\s+(?:still\s+)?have|have\s+we\s+(?:still\s+)?got|is\s+there\s+still|is\s+there)"
        r"\s+(?:a\s+)?quorum\??",
    ],
)
def quorum(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    result = quorum_now(ctx, meeting)
    reply = Reply().say(describe_quorum(ctx, result), OK if result.quorate else WARNING)
    for_decisions = decision_quorum_now(ctx, meeting)
    if for_decisions is not None:
        reply.say(describe_decision_quorum(ctx, for_decisions), OK if for_decisions.quorate else WARNING)
    return reply


@command(
    "attendance",
    changes_series=False,
    usage="attendance",
    summary="List who is here, deputies and apologies",
    section="Attendance",
    perm=Perm.MEMBER,
    needs_meeting=True,
    patterns=[
        r"attendance",
        r"who(?:'s|’s|\s+is|\s+are)\s+(?:here|present|missing|absent|not\s+here|we\s+missing)\??",
        r"who\s+(?:has|have)\s+(?:sent\s+)?apologies\??",
    ],
)
def attendance(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    return Reply().say(attendance_summary(ctx, meeting))


def attendance_summary(ctx: Ctx, meeting: Meeting) -> str:
    present, deputies, guests, apologies, absent, gone = [], [], [], [], [], []
    recorded: set[str] = set()
    for row, initials in _rows(ctx, meeting):
        recorded.add(initials or "")
        name = ctx.name(initials) if initials else (row.guest_name or "a guest")
        if row.status == "present":
            present.append(name + (f" ({OBSERVER})" if row.role_note == OBSERVER else ""))
        elif row.status == "deputy":
            said = {True: ", authorised by the chair", False: ", not authorised by the chair"}
            member_name = ctx.name(ctx.initials_of(row.deputy_for_id))
            deputies.append(
                f"{name} (for {member_name}{said[row.authorised] if row.authorised is not None else ''})"
            )
        elif row.status == "in_attendance":
            guests.append(name + (f" ({row.role_note})" if row.role_note else ""))
        elif row.status == "apologies":
            apologies.append(name)
        elif row.status == "absent":
            absent.append(name)
        if row.left_at is not None and row.status in ("present", "deputy", "in_attendance"):
            gone.append(f"{name} ({clock(row.left_at, ctx.tz)})")
    lines = [f"Present ({len(present) + len(deputies)}): {', '.join(present + deputies) or 'nobody yet'}."]
    if guests:
        lines.append(f"In attendance: {', '.join(guests)}.")
    if apologies:
        lines.append(f"Apologies: {', '.join(apologies)}.")
    if absent:
        lines.append(f"Not in attendance: {', '.join(absent)}.")
    if gone:
        lines.append(f"Left: {', '.join(gone)}.")
    if meeting.status == "open" and ctx.series is not None:
        # "who is missing?": the members nobody has recorded yet, present or with apologies
        missing = sorted(ctx.name(i) for i in true_members(ctx) - recorded)
        if missing:
            lines.append(f"Not here, no apologies ({len(missing)}): {', '.join(missing)}.")
    return "\n".join(lines)
