"""What a meeting records besides actions: decisions, declarations of interest, notes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from handlers.actions import LIST_LIMIT
from handlers.agenda import file_record, where_filed
from handlers.attendance import decision_quorum_now, missing_now, quorum_now, quorum_reasons
from handlers.context import Ctx, UserError, require_length
from handlers.format import short_date
from handlers.names import Resolved, resolve_name
from handlers.registry import Perm, command
from handlers.reply import OK, WARNING, Reply, Table
from storage.models import Decision, Declaration, Meeting, Note

# The meeting itself as the subject of what it agreed: a decision, whatever follows.
_BODY_DECIDES = re.compile(
    r"(?:that\s+)?(?:the\s+(?:group|board|partnership|meeting|committee|panel|executive)|we)\s+"
    r"(?:will|would|should|shall|agreed|agrees|accepted|accepts|approved|approves|endorsed|endorses|adopts?"
    r"|supports?|noted|notes)\b",
    re.IGNORECASE,
)


@command(
    "decision",
    usage="decision: TEXT",
    summary="Record a decision of the meeting",
    section="Records",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("agreed: TEXT", "resolved: TEXT"),
    patterns=[r"(?:decision|decided|resolved|agreed|it\s+was\s+agreed)\s*(?:that)?\s*[:\-–]\s*(?P<text>.+)"],
)
def decision(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.actions import capture_from_chat

    # "Agreed: the protocol to be shared by the Business Manager by 3 May" is an action in minutes English;
    # "Agreed: the group will adopt the tool" is the body deciding, not someone given a task.
    if ctx.req.text.strip().lower().startswith("agreed") and not _BODY_DECIDES.match(args["text"].strip()):
        as_action = capture_from_chat(ctx)
        if as_action is not None:
            return as_action
    return record_decision(ctx, args["text"])


def record_decision(ctx: Ctx, typed: str) -> Reply:
    """A decision of the open meeting, marked for ratification if taken while inquorate."""
    meeting = ctx.require_meeting()
    result = quorum_now(ctx, meeting)
    # A decision needs the quorum and, where the series has one, its decision quorum too.
    for_decisions = decision_quorum_now(ctx, meeting)
    short = for_decisions if for_decisions is not None and not for_decisions.quorate else None
    item_id, text = file_record(ctx, meeting, require_length(typed.strip(), "decision"))
    row = Decision(
        series_id=meeting.series_id,
        meeting_id=meeting.id,
        text=text,
        agenda_item_id=item_id,
        inquorate=not result.quorate or short is not None,
        # marked for the decision quorum alone: what it lacked, for the minutes
        decision_quorum_missing=missing_now(ctx, short) if short is not None and result.quorate else None,
        created_by=ctx.actor_id,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    after: dict[str, Any] = {"text": text, "inquorate": row.inquorate, "item": item_id}
    if row.decision_quorum_missing is not None:
        after["decision_quorum_missing"] = row.decision_quorum_missing
    ctx.audit("decision", row.id, "recorded", None, after)
    reply = Reply().say(f"Decision recorded{where_filed(ctx, meeting, item_id)}: “{text}”.", OK)
    if not result.quorate:
        reply.say(
            f"It was taken while the meeting is not quorate ({quorum_reasons(ctx, result)}), so it is "
            "marked for ratification at the next quorate meeting.",
            WARNING,
        )
    elif short is not None:
        # "Marcia Police: no delegated safeguarding partner (dsp) present — marked for ratification …"
        reply.say(
            f"{quorum_reasons(ctx, short)} — marked for ratification at the next quorate meeting: "
            "the decision quorum is not met.",
            WARNING,
        )
    return reply


# "none", "nil", "none declared", "no declarations", "none were made", "n/a", "nothing declared"
_NONE = re.compile(
    r"^(?:(?:none|nil|no)(?:\s+were)?(?:\s+(?:declared|made|declarations?))?|n/?a|nothing\s+declared)\W*$",
    re.I,
)


@command(
    "declaration",
    usage="declaration: NAME has an interest in …",
    summary="Record a declaration of interest",
    section="Records",
    perm=Perm.MEMBER,
    needs_meeting=True,
    aliases=("interest: TEXT", "conflict of interest: TEXT"),
    patterns=[
        r"(?:declarations?(?:\s+of\s+interests?)?|interests?|conflicts?(?:\s+of\s+interests?)?|doi)"
        r"\s*[:\-–]\s*(?P<text>.+)",
        # the minutes' English: "DL declared an interest in item 4 as the provider"
        r"(?P<text>(?:\S+\s+){1,3}(?:has\s+)?declared?s?\s+(?:an?\s+|their\s+|her\s+|his\s+)?"
        r"(?:interests?|conflicts?)\b.*)",
        # "No conflicts of interest were declared by the group." (none: nothing is recorded)
        r"(?P<text>no)\s+(?:conflicts?|declarations?)\s+of\s+interests?\s+(?:were\s+|was\s+)?"
        r"(?:declared|made|noted|raised)(?:\s+by\s+(?:the\s+)?(?:group|board|meeting|members))?\.?",
    ],
)
def declaration(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = ctx.require_meeting()
    text = require_length(args["text"].strip(), "declaration")
    if _NONE.match(text):
        # "Declarations of interest: none" is no declaration by whoever typed it.
        made = ctx.session.scalar(
            select(func.count()).select_from(Declaration).where(Declaration.meeting_id == meeting.id)
        )
        if made:
            return Reply().say(
                f"{made} declaration{'s' if made != 1 else ''} of interest "
                f"{'are' if made != 1 else 'is'} already recorded for this meeting. Nothing changed."
            )
        return Reply().say(
            "No declarations of interest: the minutes will say “No declarations of interest were made.”"
        )
    first = text.split()[0] if text.split() else ""
    found = resolve_name(
        first, ctx.roster, ctx.series.key if ctx.series else None, people_only=True, day=ctx.day()
    )
    initials = found.owner.id if isinstance(found, Resolved) else (ctx.actor.initials if ctx.actor else None)
    row = Declaration(
        meeting_id=meeting.id,
        person_id=ctx.person_id(initials) if initials else None,
        text=text,
        agenda_item_id=meeting.current_item_id,
        created_by=ctx.actor_id,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit(
        "declaration",
        row.id,
        "recorded",
        None,
        {"person": initials, "text": text, "item": meeting.current_item_id},
    )
    return Reply().say(f"Declaration of interest recorded for {ctx.name(initials)}: “{text}”.", OK)


@command(
    "note",
    usage="note: TEXT",
    summary="Add a note to the minutes",
    section="Records",
    perm=Perm.MEMBER,
    needs_meeting=True,
    patterns=[r"(?:note|minute)\s*[:\-–]\s*(?P<text>.+)"],
)
def note(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return _record_note(ctx, ctx.require_meeting(), args["text"])


# A line of minutes: who (people of the file, or the meeting as a body) and what they said or did.
_REPORTED = re.compile(
    r"(?P<who>[^.;:!?\n]{1,80}?)\s+(?:also\s+|then\s+|further\s+|briefly\s+)?"
    r"(?:advised|reported|noted|explained|confirmed|shared|raised|updated|informed|highlighted|stated|said"
    r"|asked|queried|suggested|presented|outlined|thanked|welcomed|gave|provided|talked|discussed|commented"
    r"|mentioned|added|responded|clarified|acknowledged|expressed|proposed|recommended|requested"
    r"|emphasi[sz]ed|reminded|fed\s+back|introduced|summari[sz]ed|described|spoke|stressed|questioned"
    r"|offered|circulated|felt|reflected|opened|chaired|led|invited|agreed\s+(?:that|with))\b\s*\S",
    re.IGNORECASE,
)
# "JK – safeguarding session done at the start of term": who, a dash, what they reported.
_DASHED = re.compile(r"(?P<who>[A-Za-z][A-Za-z'’]{1,3}(?:\s*/\s*[A-Za-z][A-Za-z'’]{1,3})*)\s+[-–—]\s+\S")
_BODIES = {
    "the group",
    "group",
    "members",
    "all members",
    "the board",
    "board",
    "partners",
    "everyone",
}


def minute_line(ctx: Ctx) -> Reply | None:
    """A line of minutes said to the bot by the chair team while the meeting is open ("TM advised
    that …", "WB raised …", "JK – …"): a note under the current item, as `note:` records it. Only
    when every name before the verb is someone of the file (or the meeting as a body), so neither
    a mistyped command nor "The minutes were noted" becomes a note."""
    text = ctx.req.text.strip()
    said = _REPORTED.match(text) or _DASHED.match(text)
    if said is None or ctx.series is None or not ctx.is_chair_team():
        return None
    meeting = ctx.open_meeting()
    if meeting is None:
        return None
    from handlers.names import split_names

    for name in split_names(said["who"]):
        if name.casefold() in _BODIES:
            continue
        found = resolve_name(name, ctx.roster, ctx.series.key, suggest=False, day=ctx.day())
        if not isinstance(found, Resolved):
            return None
    return _record_note(ctx, meeting, text)


# "None", "Nil", "None declared", "Nothing to report": what minutes put under an item with nothing.
_NOTHING = re.compile(
    r"(?:none|nil|n/?a|nothing(?:\s+(?:to\s+report|further|raised|declared))?"
    r"|none\s+(?:declared|raised|received|reported|noted|made))\s*[.!]?",
    re.IGNORECASE,
)


def nothing_under_item(ctx: Ctx) -> Reply | None:
    """A bare "None." from the chair team under the current item: for the declarations item, no
    declarations (as `declarations of interest: none`); under any other, a note "None." for the
    minutes ("Any other business — None.")."""
    from handlers.agenda import current_line

    if not _NOTHING.fullmatch(ctx.req.text.strip()) or ctx.series is None or not ctx.is_chair_team():
        return None
    meeting = ctx.open_meeting()
    line = current_line(ctx, meeting) if meeting is not None else None
    if meeting is None or line is None:
        return None
    if line.standing == "declarations":
        return declaration(ctx, {"text": "none"})
    return _record_note(ctx, meeting, "None.")


def _record_note(ctx: Ctx, meeting: Meeting, typed: str) -> Reply:
    # "note: Performance Review: …" files the note under that item, whichever item is current.
    item_id, text = file_record(ctx, meeting, require_length(typed.strip(), "note"))
    row = Note(
        meeting_id=meeting.id,
        text=text,
        agenda_item_id=item_id,
        created_by=ctx.actor_id,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit("note", row.id, "recorded", None, {"text": row.text, "item": item_id})
    return Reply().say(f"Noted for the minutes{where_filed(ctx, meeting, item_id)}.", OK)


@command(
    "decisions ratified",
    usage="decisions ratified",
    summary="Record that this quorate meeting ratified the decisions awaiting ratification",
    section="Records",
    perm=Perm.CHAIR_TEAM,
    needs_meeting=True,
    aliases=("ratify decisions",),
    patterns=[r"(?:decisions?\s+ratified|ratify(?:\s+the)?\s+decisions?|decisions?\s+ratify)"],
)
def decisions_ratified(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.agenda import pending_ratification

    meeting = ctx.require_meeting()
    series = ctx.require_series()
    result = quorum_now(ctx, meeting)
    if not result.quorate:
        raise UserError(
            f"The meeting is not quorate ({quorum_reasons(ctx, result)}): decisions can be ratified only "
            "by a quorate meeting. Nothing changed."
        )
    pending = pending_ratification(ctx, series, meeting)
    if not pending:
        return Reply().say("No decisions are awaiting ratification. Nothing changed.")
    for d in pending:
        d.ratified_meeting_id = meeting.id
        ctx.audit("decision", d.id, "ratified", None, {"in_meeting": meeting.id})
    return Reply().say(
        f"{len(pending)} decision{'s' if len(pending) != 1 else ''} ratified by this meeting.", OK
    )


@command(
    "decisions",
    changes_series=False,
    usage="decisions [SERIES]",
    summary="List the series' decisions, newest last, and which await ratification",
    section="Records",
    perm=Perm.MEMBER,
    aliases=("what did we decide last time?",),
    patterns=[
        r"(?:list\s+(?:the\s+)?)?decisions(?!\s+ratif)(?:\s+(?:of|for)?\s*{series})?\??",
        r"what\s+(?:did|have)\s+we\s+(?:decided?|agreed?)(?P<last>\s+(?:last\s+time|at\s+the\s+last\s+meeting))?\??",
    ],
)
def decisions(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    query = (
        select(Decision, Meeting.starts_at)
        .outerjoin(Meeting, Meeting.id == Decision.meeting_id)
        .where(Decision.series_id == series.id)
        .order_by(Decision.created_at.desc(), Decision.id.desc())
    )
    what = f"Decisions of {series.name}"
    if args.get("last"):
        # "Last time": the latest meeting held before now, not the one being held.
        from handlers.documents_data import find_meeting

        held = find_meeting(ctx, series, "last")  # the latest closed one; says so when there is none
        query = query.where(Decision.meeting_id == held.id)
        day = (held.starts_at or held.closed_at or ctx.now).astimezone(ctx.tz).date()
        what = f"Decisions of {series.name} on {short_date(day)}"
    found = ctx.session.execute(query.limit(LIST_LIMIT + 1)).all()
    if not found:
        return Reply().say(
            f"No decisions are recorded for {series.name}{' at that meeting' if args.get('last') else ''}."
        )
    ratified_on = {
        m.id: m.starts_at
        for m in ctx.session.scalars(
            select(Meeting).where(
                Meeting.id.in_({d.ratified_meeting_id for d, _ in found if d.ratified_meeting_id})
            )
        )
    }
    rows = []
    for d, starts_at in reversed(found[:LIST_LIMIT]):
        day = (starts_at or d.created_at).astimezone(ctx.tz).date()
        status = ""
        if d.inquorate:
            on = ratified_on.get(d.ratified_meeting_id) if d.ratified_meeting_id else None
            status = (
                f"ratified {short_date(on.astimezone(ctx.tz).date())}"
                if on is not None
                else "ratified"
                if d.ratified_meeting_id
                else "awaiting ratification"
            )
        rows.append((short_date(day), d.text, status))
    caption = (
        f"{what}: the latest {LIST_LIMIT} shown; the minutes hold every one"
        if len(found) > LIST_LIMIT
        else f"{what} ({len(found)})"
    )
    return Reply().add(Table(("Date", "Decision", "Ratification"), tuple(rows), caption=caption))
