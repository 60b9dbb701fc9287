"""People who are not in the partnership file: guests, and the business unit's commands for them.

A full name nobody in the file has (an action owner, a presenter, an attendee, a deputy) is
recorded as a guest of the partnership, with no question; the same name later finds the same
guest. A full name close to someone ("Bethan Loyd") is asked about first: `yes`, their initials,
or `guest`. Initials that match nobody are the callers' own question, as before.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import identity
from handlers.context import Ask, Ctx, Refused, UserError
from handlers.format import plural
from handlers.names import (
    Resolved,
    Unknown,
    close_people,
    full_name_like,
    name_key,
    resolve_name,
    split_names,
)
from handlers.registry import Perm, command
from handlers.reply import OK, Reply, Table
from storage import bindings
from storage import guests as guest_rows
from storage.models import Action, ActionOwner, AuditEvent, PendingQuestion, Person
from storage.roster import PersonRef, Roster

GUEST_QUESTION = "guest"  # the kind of a close-name question (storage: pending_questions.kind)
_GUEST_CHOICE = "guest: "
_RECORDED = ("guests", "recorded")  # ctx.memo: guests recorded by this command, for the answer
_GUEST_WORDS = {"guest", "a guest", "as a guest", "new guest", "no", "no, a guest", "no guest"}
_YES_WORDS = {"yes", "y", "yes please", "yep", "correct", "that's right", "thats right", "right"}
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[A-Za-z]{2,}")


def typed_name(text: str) -> str:
    """A name as typed, without quotes or extra spaces."""
    return " ".join(text.strip().strip("\"“”'‘’").split())


# --- guests named in commands ---------------------------------------------------------------------------


def record_guest(ctx: Ctx, name: str, *, agency: str = "") -> str:
    """Record a guest of the partnership (in this command's transaction); returns their key."""
    typed = typed_name(name)
    row = guest_rows.add_guest(ctx.session, ctx.partnership_id, typed, agency_key=agency)
    ref = PersonRef(
        initials=row.initials, name=typed, agency=agency, guest=True, partnership_id=ctx.partnership_id
    )
    ctx.add_person(ref, row.id)
    ctx.audit("person", row.initials, "guest added", None, {"name": typed, "agency": agency or None})
    ctx.memo.setdefault(_RECORDED, []).append(typed)
    return row.initials


def guest_or_ask(ctx: Ctx, name: str, *, start: int = 0, role: str = "", agency: str = "") -> str | None:
    """A name nobody in the file has (`resolve_name` found no one): the key of a new guest, or a question
    if it is close to someone. None if it is no full name: the caller asks its own question.

    `role` says what the name is for in the question ("who owns this action?").
    """
    typed = typed_name(name)
    if not full_name_like(typed):
        return None
    close = close_people(typed, ctx.roster)
    if not close:
        return record_guest(ctx, typed, agency=agency)
    before, after = ctx.hole(name.strip(), start)
    raise Ask(
        _close_prompt(ctx.roster, typed, close, role),
        before=before,
        after=after,
        kind=GUEST_QUESTION,
        choices=[*close, _GUEST_CHOICE + typed],
    )


def _label(roster: Roster, key: str) -> str:
    p = roster.people.get(key)
    if p is None:
        return f"{key}, already recorded as a guest"
    return f"{p.name} ({p.initials})"


def _close_prompt(roster: Roster, typed: str, close: tuple[str, ...], role: str) -> str:
    options = " or ".join(_label(roster, k) for k in close)
    yes = "`yes`, their initials" if len(close) == 1 else "a number or initials"
    if all(k not in roster.people for k in close):
        yes = "`yes`" if len(close) == 1 else "a number"
    return (
        f"“{typed}” is not in the partnership file{' (' + role + ')' if role else ''}. "
        f"Did you mean {options}? "
        f"Answer {yes}, or `guest` to record {typed} as a guest."
    )


def announce(ctx: Ctx, reply: Reply) -> Reply:
    """Add to a command's answer who it recorded as a guest, and where their reminders go."""
    for name in ctx.memo.get(_RECORDED, []):
        reply.say(
            f"{name} is not in the partnership file: recorded as a guest. Reminders for them go to "
            f"{_business_unit(ctx.roster)} until they have an e-mail (`person {name} email …`)."
        )
    return reply


def _business_unit(roster: Roster) -> str:
    bu = roster.business_unit
    if bu and bu in roster.groups:
        return "the " + roster.groups[bu].name
    return "the business unit"


# --- answers to questions about names (the core asks this first) -----------------------------------------


def read_answer(
    session: Session, partnership_id: str, roster: Roster, q: PendingQuestion, text: str
) -> str | None:
    """What an answer puts where the name was, for questions about names; None: not an answer this reads.

    A close-name question takes `yes`, a number, initials or a name, or `guest` (the guest is recorded
    now, so the original message finds them). A question about a person or owner also takes a full
    name nobody has: the original message then records that guest (or asks about a close name).
    """
    if q.kind == GUEST_QUESTION:
        return _close_answer(session, partnership_id, roster, q, text)
    if q.kind in ("person", "owner"):
        # Guests have no initials to put in the message: their name stays as typed.
        names = split_names(text) if q.kind == "owner" else [text.strip()]
        found = [resolve_name(n, roster, None, people_only=q.kind == "person", suggest=False) for n in names]
        guests = [
            n
            for n, f in zip(names, found, strict=True)
            if (isinstance(f, Unknown) and full_name_like(n))
            or (isinstance(f, Resolved) and f.owner.kind == "person" and _is_guest(roster, f.owner.id))
        ]
        if guests and all(isinstance(f, Resolved) or n in guests for n, f in zip(names, found, strict=True)):
            return text.strip()
    return None


def _is_guest(roster: Roster, key: str | None) -> bool:
    p = roster.people.get(key or "")
    return p is not None and p.guest


def _close_answer(
    session: Session, partnership_id: str, roster: Roster, q: PendingQuestion, text: str
) -> str | None:
    choices = [str(c) for c in q.choices]
    people = [c for c in choices if not c.startswith(_GUEST_CHOICE)]
    typed = next((c.removeprefix(_GUEST_CHOICE) for c in choices if c.startswith(_GUEST_CHOICE)), "")
    low = text.strip().lower().rstrip(".!")
    if low.isdigit() and 1 <= int(low) <= len(choices):
        picked = choices[int(low) - 1]
        if not picked.startswith(_GUEST_CHOICE):
            return _as_typed(roster, picked)
        low = "guest"
    if low in _GUEST_WORDS and typed:
        _guest_from_answer(session, partnership_id, roster, q, typed)
        return typed
    if low in _YES_WORDS:
        return _as_typed(roster, people[0]) if len(people) == 1 else None
    found = resolve_name(text.strip(), roster, None, people_only=True, suggest=False)
    if isinstance(found, Resolved) and found.owner.id:
        return _as_typed(roster, found.owner.id)
    if isinstance(found, Unknown) and full_name_like(text.strip()):
        return text.strip()  # someone else: the original message reads it afresh
    return None


def _as_typed(roster: Roster, key: str) -> str:
    """What to put in the message for someone chosen: their full name where it finds them, else initials."""
    p = roster.people.get(key)
    if p is None:
        return key  # a guest offered by name
    found = resolve_name(p.name, roster, None, people_only=True, suggest=False)
    return p.name if isinstance(found, Resolved) and found.owner.id == key else key


def _guest_from_answer(
    session: Session, partnership_id: str, roster: Roster, q: PendingQuestion, name: str
) -> None:
    """`guest` answered: record the guest now (audited as the asker), unless the name finds someone."""
    if isinstance(resolve_name(name, roster, None, people_only=True, suggest=False), Resolved):
        return
    row = guest_rows.add_guest(session, partnership_id, name)
    actor = identity.person_for(session, partnership_id, q.door, q.asker)
    series = bindings.bound_series(session, q.door, q.channel)
    session.add(
        AuditEvent(
            at=q.sent_at,
            partnership_id=partnership_id,
            series_id=series.id if series else None,
            actor_id=actor.id if actor else None,
            actor=actor.initials if actor else q.asker,
            door=q.door,
            entity="person",
            entity_id=row.initials,
            verb="guest added",
            before=None,
            after={"name": name, "agency": None},
        )
    )


# --- the business unit's commands --------------------------------------------------------------------------


def _may_manage(ctx: Ctx) -> None:
    """The business unit, or the chair team of a series (the core has checked a bound series already)."""
    if ctx.series is not None or any(ctx.is_chair_team(s) for s in ctx.roster.series.values()):
        return
    raise Refused(f"Only {_business_unit(ctx.roster)} or a series' chair team can change guests.")


def _guest(ctx: Ctx, text: str) -> Person:
    """The guest a command names (by full name), or a clear refusal."""
    typed = typed_name(text)
    wanted = name_key(typed)
    rows = guest_rows.guests(ctx.session, ctx.partnership_id)
    found = [r for r in rows if name_key(r.name) == wanted]
    if found:
        return found[0]
    merged = next(
        (
            r
            for r in guest_rows.guests(ctx.session, ctx.partnership_id, merged=True)
            if name_key(r.name) == wanted
        ),
        None,
    )
    if merged is not None and merged.merged_into_id is not None:
        into = ctx.initials_of(merged.merged_into_id)
        raise UserError(
            f"{merged.name} was merged into {ctx.name(into)} ({into}), who is in the partnership file. "
            "Nothing changed."
        )
    who = resolve_name(typed, ctx.roster, None, people_only=True, suggest=False)
    if isinstance(who, Resolved) and who.owner.id and not ctx.roster.people[who.owner.id].guest:
        raise UserError(
            f"{ctx.name(who.owner.id)} ({who.owner.id}) is in the partnership file, not a guest: "
            "change their details in the file. Nothing changed."
        )
    near = [r.name for r in rows if typed and r.name.split()[-1].lower() == typed.split()[-1].lower()]
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    raise UserError(f"No guest is called “{typed}”.{hint} `people guests` lists them. Nothing changed.")


def _agency(ctx: Ctx, text: str) -> str:
    typed = text.strip().strip('"“”')
    by_key = {k.lower(): k for k in ctx.roster.agencies}
    if typed.lower() in by_key:
        return by_key[typed.lower()]
    found = resolve_name(typed, ctx.roster, None, suggest=False)
    if isinstance(found, Resolved) and found.owner.kind == "agency" and found.owner.id:
        return found.owner.id
    keys = ", ".join(f"{a.id} ({a.name})" for a in ctx.roster.agencies.values())
    raise UserError(f"“{typed}” is not an agency in the partnership file. Agencies: {keys}. Nothing changed.")


@command(
    "person merge",
    changes_series=False,
    usage='person merge "GUEST NAME" INITIALS',
    summary="Merge a guest into a person the file now holds, with all their actions and attendance",
    section="Other",
    perm=Perm.CHAIR_TEAM,
    needs_series=False,
    aliases=("merge guest NAME into INITIALS",),
    patterns=[
        r"(?:person|guest)\s+merge\s+(?P<guest>.+?)\s+(?:(?:into|with|to|as)\s+|->\s*|→\s*)?(?P<into>[^\s\"”]+)",
        r"merge\s+guest\s+(?P<guest>.+?)\s+(?:into|with|to|as)\s+(?P<into>[^\s\"”]+)",
    ],
)
def person_merge(ctx: Ctx, args: dict[str, Any]) -> Reply:
    _may_manage(ctx)
    guest = _guest(ctx, args["guest"])
    typed = args["into"].strip()
    found = resolve_name(typed, ctx.roster, None, people_only=True, suggest=False)
    into_key = found.owner.id if isinstance(found, Resolved) else None
    person = ctx.roster.people.get(into_key or "")
    if person is None or person.guest:
        raise UserError(
            f"“{typed}” is nobody in the partnership file: give the initials the file gives them "
            "(load the changed file first). Nothing changed."
        )
    if not person.active:
        raise UserError(f"{person.name} ({person.initials}) has left the partnership. Nothing changed.")
    into = ctx.session.get(Person, ctx.person_id(person.initials))
    assert into is not None  # the roster and the table are one partnership's
    before = {"name": guest.name, "agency": guest.agency_key or None, "email": guest.email}
    key, name = guest.initials, guest.name
    moved, removed = guest_rows.merge_guest(ctx.session, guest, into, ctx.now)
    after = {"into": person.initials, "moved": moved, "attendance removed": removed}
    ctx.audit("person", key, "guest merged", before, after)
    reply = Reply().say(f"{name} (a guest) is now {person.name} ({person.initials}).", OK)
    reply.say(_moved_text(moved, person.initials) if moved else "They had no actions or attendance to move.")
    return reply


_MOVED_WORDS = {
    "action_owners.person_id": ("action", "actions"),
    "attendance.person_id": ("attendance record", "attendance records"),
    "attendance.deputy_for_id": ("deputy record", "deputy records"),
    "agenda_items.presenter_id": ("agenda item presented", "agenda items presented"),
    "action_updates.person_id": ("action update", "action updates"),
    "declarations.person_id": ("declaration", "declarations"),
}


def _moved_text(moved: dict[str, int], initials: str) -> str:
    parts = []
    for key, count in moved.items():
        if key == guest_rows.DUPLICATE_ATTENDANCE:
            continue
        one, many = _MOVED_WORDS.get(key, (key, key))
        parts.append(plural(count, one, many))
    text = ("Moved to " + initials + ": " + ", ".join(parts) + ".") if parts else ""
    if guest_rows.DUPLICATE_ATTENDANCE in moved:
        text += (
            f" {plural(moved[guest_rows.DUPLICATE_ATTENDANCE], 'meeting')} recorded both: {initials}'s own "
            "record stays (the guest's is in the audit trail)."
        )
    return text.strip()


@command(
    "person",
    changes_series=False,
    usage="person GUEST NAME email ADDRESS | agency AGENCY",
    summary="Give a guest (someone not in the partnership file) an e-mail address or an agency",
    section="Other",
    perm=Perm.CHAIR_TEAM,
    needs_series=False,
    aliases=("person GUEST NAME agency police",),
    patterns=[
        r"(?:person|guest)\s+(?P<name>.+?)\s+(?P<field>e-?mail|email\s+address|agency|organisation|organization)"
        r"\s*(?::|=|\bis\b)?\s*(?P<value>\S.*?)",
    ],
)
def person_set(ctx: Ctx, args: dict[str, Any]) -> Reply:
    _may_manage(ctx)
    guest = _guest(ctx, args["name"])
    field = "email" if "mail" in args["field"].lower() else "agency"
    value = args["value"].strip().removeprefix("mailto:").strip("<>")
    if field == "email":
        if not _EMAIL.fullmatch(value):
            raise UserError(
                f"“{value}” is not an e-mail address: write it as "
                f"`person {guest.name} email name@example.org`. "
                "Nothing changed."
            )
        before, after = guest.email, value
        guest.email = value
        note = f"Reminders for {guest.name} now go to {value}."
    else:
        key = _agency(ctx, value)
        before, after = guest.agency_key or None, key
        guest.agency_key = key
        note = f"{guest.name} is with {ctx.roster.agencies[key].name}."
    if before == after:
        return Reply().say(f"{guest.name} already has that {'e-mail' if field == 'email' else 'agency'}.", OK)
    guest_rows.touch(ctx.session, ctx.partnership_id)
    ctx.audit("person", guest.initials, "guest changed", {field: before}, {field: after})
    return Reply().say(note, OK)


@command(
    "people guests",
    changes_series=False,
    usage="people guests",
    summary="List the guests: people named in meetings who are not in the partnership file",
    section="Other",
    perm=Perm.CHAIR_TEAM,
    needs_series=False,
    aliases=("guests", "list guests"),
    patterns=[r"(?:people\s+guests|guests|list\s+(?:the\s+)?guests|people\s+not\s+in\s+the\s+file)\??"],
)
def people_guests(ctx: Ctx, args: dict[str, Any]) -> Reply:
    _may_manage(ctx)
    rows = guest_rows.guests(ctx.session, ctx.partnership_id)
    if not rows:
        return Reply().say("There are no guests: everyone named so far is in the partnership file.", OK)
    counted = ctx.session.execute(
        select(ActionOwner.person_id, func.count(func.distinct(ActionOwner.action_id)))
        .join(Action, Action.id == ActionOwner.action_id)
        .where(
            ActionOwner.person_id.in_([r.id for r in rows]),
            ActionOwner.removed_at.is_(None),
            Action.status == "open",
        )
        .group_by(ActionOwner.person_id)
    )
    open_counts = {person_id: count for person_id, count in counted}
    table_rows = []
    notes = []
    for r in rows:
        agency = ctx.roster.agencies.get(r.agency_key)
        table_rows.append(
            (r.name, agency.name if agency else "", r.email or "", str(open_counts.get(r.id, 0)))
        )
        same = resolve_name(r.name, ctx.roster, None, people_only=True, suggest=False)
        if isinstance(same, Resolved) and same.owner.id and not ctx.roster.people[same.owner.id].guest:
            notes.append(
                f'{r.name} is now in the file as {same.owner.id}: `person merge "{r.name}" {same.owner.id}`.'
            )
    reply = Reply().add(
        Table(
            ("Guest", "Agency", "E-mail", "Open actions"),
            tuple(table_rows),
            caption=plural(len(rows), "guest"),
        )
    )
    for n in notes:
        reply.say(n)
    reply.say(
        "Without an e-mail, a guest's reminders go to "
        f"{_business_unit(ctx.roster)}: `person NAME email …`, `person NAME agency …`."
    )
    return reply
