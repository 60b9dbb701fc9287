"""Actions: capture from the meeting thread, the tracker, and every change an owner or the chair makes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, select, union, update
from sqlalchemy.orm import aliased, joinedload, load_only, object_session

from handlers import unnumbered_answers as unnumbered
from handlers.context import Ask, Ctx, Refused, Request, UserError, require_length
from handlers.format import clean, due_text, owners_text, plural, short_date
from handlers.meetings import next_meeting_date, next_meeting_for
from handlers.names import Ambiguous, Owner, Resolved, Unknown, resolve_name, role_named, split_names
from handlers.people import guest_or_ask
from handlers.registry import Perm, command
from handlers.reply import ACTOR, OK, WARNING, Button, Buttons, Reply, Table, Text
from storage.models import Action, ActionOwner, ActionUpdate, Series
from storage.roster import Roster, SeriesRef, short_name

if TYPE_CHECKING:
    from handlers.capture import Capture

_CLOSED = ("closed", "complete", "completed", "done")
# The owner given in answer to "Who owns this action?" is written after the text with an invisible
# mark, so the action keeps the words that were typed (the minutes print those) without it.
_ASKED = "\u2060"
_ASKED_OWNER = re.compile(r"\s*\(owner: [^()]*\)" + _ASKED)
_NO_OWNER = re.compile(r"\s*\(\s*owners?\s*:\s*(?:none|no\s*one|nobody|not\s+yet\s+agreed|tbc)\s*\)", re.I)
NO_UPDATE = re.compile(r"^\s*(?:no\s+(?:further\s+)?updates?|nothing\s+(?:new|further)|ongoing)\b", re.I)


# --- reading and describing actions ------------------------------------------------------------------


# A member of an owning group (or agency, or all partners) who answered "not mine": an action_owners
# row of this kind, with their person id and the owner's key, removed when they answered (so it is
# never an owner) and with reason DECLINED while it holds; a reassignment ends it (REASSIGNED_SINCE).
DECLINED = "declined"
TWIN_HOURS = 12  # outside a meeting, the same action captured again this soon is the same one
REASSIGNED_SINCE = "declined_then_reassigned"


def current_owners(action: Action) -> list[Owner]:
    return [Owner(o.kind, _owner_key(o)) for o in action.owners if o.removed_at is None]


def declined_by(action: Action) -> list[ActionOwner]:
    """The members who returned a shared action as not theirs, first first (person ids; initials loaded
    when the owners' are)."""
    return [o for o in action.owners if o.kind == DECLINED and o.removed_reason == DECLINED]


def shared_owner_gone(roster: Roster, action: Action) -> bool:
    """Has everyone a group action reminds declined it (and nobody else owns it)? Then it is unowned."""
    owners = current_owners(action)
    if not owners or any(o.kind != "group" or o.id not in roster.groups for o in owners):
        return False
    declined = {o.__dict__.get("_initials") for o in declined_by(action)}
    return all(set(group_reminded(roster, o.id or "")) <= declined for o in owners)


def group_reminded(roster: Roster, group_id: str) -> list[str]:
    """Who a group's action reminds: its leads (`leads` in the partnership file), else every member."""
    group = roster.groups[group_id]
    leads = [i for i in group.leads if i in roster.people and roster.people[i].active]
    return leads or roster.group_members(group_id)


def agency_reminded(roster: Roster, agency_id: str) -> tuple[str, str] | None:
    """Who an "all partners" action reminds for an agency: ("lead", initials) when it names a lead
    still in the file, else ("contact", address) when it has a contact address, else None (only the
    chair's digest carries it for that agency)."""
    agency = roster.agencies.get(agency_id)
    if agency is None:
        return None
    lead = agency.lead
    if lead and lead in roster.people and roster.people[lead].active:
        return ("lead", lead)
    if agency.contact:
        return ("contact", agency.contact)
    return None


def _owner_key(o: ActionOwner) -> str | None:
    if o.kind in ("person", DECLINED):
        return o.__dict__.get("_initials")
    return o.key


def load_owner_initials(ctx: Ctx, actions: list[Action]) -> None:
    """Person owners are stored by id; give each its initials for display and matching."""
    for action in actions:
        for o in action.owners:
            if o.kind in ("person", DECLINED):
                o.__dict__["_initials"] = ctx.initials_of(o.person_id)


def _short(series: Series | SeriesRef) -> str:
    return short_name(series.key if isinstance(series, Series) else series.id, series.name)


def latest_update(action: Action) -> ActionUpdate | None:
    """The action's newest entry of kind "update": from its log if that is loaded, else as a listing
    read it with the action (`_with_latest`), else that one entry is read, not the whole log."""
    if "updates" not in action.__dict__:
        if _LATEST in action.__dict__:
            latest: ActionUpdate | None = action.__dict__[_LATEST]
            return latest
        session = object_session(action)
        if session is not None and action.id is not None:
            return session.scalars(_NEWEST_UPDATE, {"action_id": action.id}).first()
    for u in reversed(action.updates):
        if u.kind == "update":
            return u
    return None


def echo(ctx: Ctx, action: Action, series: Series, *, proposed: bool = False) -> str:
    owners = owners_text(ctx.roster, current_owners(action), with_members=True)
    return (
        f"Action {action.number} — {owners} — {due_text(action.due_date, action.due_kind, proposed=proposed)}"
    )


def answer_buttons(series: Series, action: Action, qualifier: str = "") -> Buttons:
    """The answers an owner can give from a reminder; doors render them as buttons.

    `qualifier` goes before the series id where two partnerships have one of that id ("westmere/").
    """
    r = f"{qualifier}{series.key} {action.number}"
    # The action's id too: an e-mailed reminder signs its answer links with it (handlers/answer_links.py).
    payload = {"series": f"{qualifier}{series.key}", "number": action.number, "action_id": action.id}
    return Buttons(
        (
            Button("Done", "done", payload, f"action {r} done"),
            Button("Add update", "update", payload, f"action {r} update: {{text}}", needs_text="Your update"),
            Button("New date", "new_date", payload, f"action {r} due {{text}}", needs_text="New due date"),
            Button("Not mine", "not_mine", payload, f"action {r} not mine"),
            Button(
                "Snooze", "snooze", payload, f"action {r} snooze until {{text}}", needs_text="Snooze until"
            ),
        )
    )


def correction_buttons(series: Series, action: Action) -> Buttons:
    r = f"{series.key} {action.number}"
    payload = {"series": series.key, "number": action.number}
    return Buttons(
        (
            Button("Change owner", "owner", payload, f"action {r} owner {{text}}", needs_text="Owner(s)"),
            Button("Change date", "new_date", payload, f"action {r} due {{text}}", needs_text="Due date"),
        )
    )


def is_owner(ctx: Ctx, action: Action, initials: str, series: Series) -> bool:
    """Owns it by name, or through a group, an agency or all partners (unless they declined it)."""
    sref = ctx.roster.series.get(series.key)
    person = ctx.roster.people.get(initials)
    owners = current_owners(action)
    if Owner("person", initials) in owners:
        return True
    if any(o.__dict__.get("_initials") == initials for o in declined_by(action)):
        return False
    for o in owners:
        if o.kind == "all" and any(a.lead == initials for a in ctx.roster.agencies.values()):
            return True  # an agency's lead answers for it
        if o.kind == "group" and o.id in ctx.roster.groups and initials in ctx.group_members(o.id):
            return True
        in_series = sref is not None and initials in ctx.members(sref)
        if in_series and (
            o.kind == "all" or (o.kind == "agency" and person is not None and person.agency == o.id)
        ):
            return True
    return False


# --- finding the action a command means ----------------------------------------------------------------

# Action numbers are stored as 32-bit integers (PostgreSQL's INTEGER): a larger number is no action.
MAX_ACTION_NUMBER = 2_147_483_647


def action_number(typed: str) -> int | None:
    """An action number as typed, or None where it cannot be one (too long or too large to store).

    The one place a typed action number is read: the core's lookups and the router's both use it."""
    digits = typed.strip()
    if not digits.isdecimal() or len(digits) > 10:
        return None
    number = int(digits)
    return number if 0 < number <= MAX_ACTION_NUMBER else None


def _shown(typed: str) -> str:
    """A typed number as an answer repeats it: never more than a few digits of it."""
    return typed if len(typed) <= 12 else typed[:12] + "…"


# Built once with bind parameters (SQLAlchemy then compiles them once). The owners come joined, in
# the same statement; an action's log (`Action.updates`) is read only by what reads it.
_ACTION = (
    select(Action)
    .where(Action.series_id == bindparam("series_id"), Action.number == bindparam("number"))
    .options(joinedload(Action.owners))
)
_NUMBERED = (
    select(Action, Series)
    .join(Series, Series.id == Action.series_id)
    .where(Action.number == bindparam("number"), Series.partnership_id == bindparam("pid"), Series.active)
    .options(joinedload(Action.owners))
)


def query_action(ctx: Ctx, series_id: int, number: int) -> Action | None:
    params = {"series_id": series_id, "number": number}
    action = ctx.session.scalars(_ACTION, params).unique().one_or_none()
    if action is not None:
        load_owner_initials(ctx, [action])
    return action


def may_see(ctx: Ctx, action: Action, series: Series) -> bool:
    """To someone outside a series its actions do not exist, unless they own one."""
    if ctx.actor is None:
        return False
    sref = ctx.roster.series.get(series.key)
    return (sref is not None and ctx.is_member(sref)) or is_owner(ctx, action, ctx.actor.initials, series)


def find_action(ctx: Ctx, args: dict[str, Any]) -> tuple[Action, Series]:
    """The action a command means. An action the person may not see gets the same answer as a number
    never used, so nobody learns from it that an action exists or whose it is."""
    typed = str(args["num"])
    number = action_number(typed)
    if ctx.series is not None:
        action = query_action(ctx, ctx.series.id, number) if number is not None else None
        if action is None or not may_see(ctx, action, ctx.series):
            raise UserError(f"There is no action {_shown(typed)} in {ctx.series.name}. `actions` lists them.")
        return action, ctx.series
    # A direct message with a bare number: the person's own actions of that number, in any series.
    if ctx.actor is None:
        raise UserError("Name the series: `board 3 done`.")
    if number is None:
        raise UserError(f"You have no action {_shown(typed)}. `actions mine` lists yours.")
    found = ctx.session.execute(_NUMBERED, {"number": number, "pid": ctx.partnership_id}).unique().all()
    series_of = {a.id: s for a, s in found}
    rows = [a for a, _ in found]
    load_owner_initials(ctx, rows)
    mine = [a for a in rows if is_owner(ctx, a, ctx.actor.initials, series_of[a.id])]
    if len(mine) == 1:
        series = series_of[mine[0].id]
        ctx.series = series
        return mine[0], series
    if len(mine) > 1:
        keys = [series_of[a.id].key for a in mine]
        named = [_short(series_of[a.id]) for a in mine]
        before, after = ctx.hole(str(number))
        raise Ask(
            f"Which action {number}: " + " or ".join(f"{n} {number}" for n in named) + "?",
            before=before,
            after=f" {number}{after}",
            kind="series",
            choices=keys,
            part=f"action {number}",
        )
    seen = [a for a in rows if may_see(ctx, a, series_of[a.id])]
    if seen:
        a = seen[0]
        series = series_of[a.id]
        owners = owners_text(ctx.roster, current_owners(a))
        raise Refused(
            f"{_short(series)} {number} is not yours (owners: {owners}). Nothing changed."
            + (
                f" To change it for the {series.name}, name the series: `{series.key} {number} …`."
                if ctx.is_chair_team(ctx.roster.series.get(series.key))
                else ""
            )
        )
    raise UserError(f"You have no action {number}. `actions mine` lists yours.")


# --- who may change an action --------------------------------------------------------------------------


def _owners_or_chair_team(ctx: Ctx, action: Action, series: Series) -> None:
    assert ctx.actor is not None
    sref = ctx.roster.series[series.key]
    if ctx.is_chair_team(sref) or is_owner(ctx, action, ctx.actor.initials, series):
        return
    owners = owners_text(ctx.roster, current_owners(action))
    raise Refused(
        f"{_short(series)} {action.number} is not yours (owners: {owners}): only its owners or "
        f"{ctx.who_can_run_meeting(sref)} can change it. Nothing changed."
    )


def _chair_team(ctx: Ctx, action: Action, series: Series) -> None:
    sref = ctx.roster.series[series.key]
    if not ctx.is_chair_team(sref):
        raise Refused(f"Only {ctx.who_can_run_meeting(sref)} can drop an action. Nothing changed.")


def _owners(ctx: Ctx, action: Action, series: Series) -> None:
    """Only an owner can return an action as not theirs, the chair team included."""
    assert ctx.actor is not None
    if not is_owner(ctx, action, ctx.actor.initials, series):
        raise Refused(f"{_short(series)} {action.number} is not yours, so there is nothing to return.")


def _log(ctx: Ctx, action: Action, kind: str, text: str | None = None) -> None:
    meeting = ctx.open_meeting()
    # Added through the entry's side of the relationship: the action's log is not read to add to it
    # (it is, with this entry, when something reads it).
    ctx.session.add(
        ActionUpdate(
            action=action,
            at=ctx.now,
            person_id=ctx.actor_id,
            door=ctx.req.door,
            kind=kind,
            text=text,
            meeting_id=meeting.id if meeting else None,
            # Given while an agenda item is being taken: the minutes show it under that item.
            agenda_item_id=meeting.current_item_id if meeting else None,
            route=update_route(ctx.req),
        )
    )


# The door of the answer page: an e-mailed reminder's signed link (bot/answer_page.py).
ANSWER_PAGE_DOOR = "web"


def update_route(req: Request) -> str:
    """How an update reached the bot, for the year report's reminder figures."""
    if req.door == ANSWER_PAGE_DOOR:
        return "email"
    return "chat" if req.direct else "channel"


def snapshot(action: Action) -> dict[str, Any]:
    return {
        "number": action.number,
        "title": action.title,
        "status": action.status,
        "due": action.due_date,
        "due_kind": action.due_kind,
        "owners": [o.as_json() for o in current_owners(action)],
        "snoozed_until": action.snoozed_until,
    }


# --- changing an action: the one path every change takes ------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A kind of change: the kind of its log entry (action_updates), its audit verb, who may make it."""

    log: str
    audit: str
    may: Callable[[Ctx, Action, Series], None] = _owners_or_chair_team
    # An update only adds to the log: its audit event holds the update's text, not the action.
    fields: bool = True


UPDATE = Change("update", "updated", fields=False)
DONE = Change("done", "done")
DUE = Change("due", "due changed")
OWNER = Change("owner", "reassigned")
NOT_MINE = Change("not_mine", "returned", may=_owners)
SNOOZE = Change("snooze", "snoozed")
DROP = Change("dropped", "dropped", may=_chair_team)
REOPEN = Change("reopened", "reopened")


@dataclass(frozen=True)
class Changed:
    """What `apply` did to the action: the answer, and the text of the log entry."""

    reply: Reply
    text: str | None = None


Apply = Callable[[Ctx, dict[str, Any], Action, Series], Changed | Reply]


def change_action(ctx: Ctx, args: dict[str, Any], change: Change, apply: Apply) -> Reply:
    """Find the action, check who may change it, apply the change, then log it and audit it.

    `apply` checks what was typed (raising UserError or Ask) and changes the action, returning
    `Changed`; a plain Reply means there was nothing to change (already done, the same date),
    so nothing is logged or audited.
    """
    action, series = find_action(ctx, args)
    ctx.require_open(ctx.roster.series[series.key])  # found from a direct message: its own series
    change.may(ctx, action, series)
    before = snapshot(action)
    result = apply(ctx, args, action, series)
    if isinstance(result, Reply):
        return result
    _log(ctx, action, change.log, result.text)
    ref = f"{series.key}:{action.number}"
    if change.fields:
        ctx.audit("action", ref, change.audit, before, snapshot(action))
    else:
        ctx.audit("action", ref, change.audit, None, {"update": result.text})
    return result.reply


# --- owners typed in a command ------------------------------------------------------------------------


def _chair_of_chairless(ctx: Ctx, sref: SeriesRef | None, typed: str, start: int = 0) -> str | None:
    """ "The chair" as an owner in a series that names no chair (resolve_name found nobody): whoever
    chairs this meeting (`chair today`); else a question, since nobody holds the role to own it."""
    if sref is None or role_named(typed) != "chair" or sref.chair_on(ctx.day(sref)):
        return None
    chair = ctx.chair(sref)  # `chair today`, in this series' open meeting
    if chair:
        return chair
    before, after = ctx.hole(typed, start)
    raise Ask(
        f"{sref.name} has no chair named, and nobody chairs this meeting (`chair today XX`): "
        f"who owns it instead of “{typed}”? (initials, a name, a group or “all”)",
        before=before,
        after=after,
        kind="owner",
        choices=list(ctx.roster.chair_or_stand_ins(sref, ctx.day(sref))),
        part=typed,
        multiple=True,
    )


def read_owners(ctx: Ctx, text: str, series_key: str | None) -> list[Owner]:
    owners: list[Owner] = []
    start = ctx.req.text.find(text)
    names = split_names(text)
    for name in names:
        found = resolve_name(
            name, ctx.roster, series_key, day=ctx.day(ctx.roster.series.get(series_key or ""))
        )
        if isinstance(found, Unknown):
            chair = _chair_of_chairless(ctx, ctx.roster.series.get(series_key or ""), name, max(start, 0))
            if chair is not None:
                found = Resolved(Owner("person", chair), name)
        if isinstance(found, Unknown) and (guest := guest_or_ask(ctx, name, start=max(start, 0))):
            found = Resolved(Owner("person", guest), name)
        if isinstance(found, Resolved):
            if found.owner not in owners:
                owners.append(found.owner)
            continue
        before, after = ctx.hole(name, max(start, 0))
        # Nothing changes until every owner is settled; `skip` leaves this name out of the list.
        skip = ctx.without(name, max(start, 0)) if len(names) > 1 else None
        if isinstance(found, Ambiguous):
            raise Ask(
                f"“{name}” could be more than one person: who did you mean?",
                before=before,
                after=after,
                kind="owner",
                choices=list(found.candidates),
                part=name,
                multiple=True,
                skip=skip,
            )
        raise Ask(
            f"I don't know “{name}”: who did you mean? (initials, a name, a group or “all”)",
            before=before,
            after=after,
            kind="owner",
            choices=list(found.suggestions),
            part=name,
            multiple=True,
            skip=skip,
        )
    return owners


def _set_owners(ctx: Ctx, action: Action, owners: list[Owner], reason: str) -> None:
    for o in action.owners:
        if o.removed_at is None:
            o.removed_at, o.removed_reason = ctx.now, reason
        elif o.kind == DECLINED and o.removed_reason == DECLINED:
            o.removed_reason = REASSIGNED_SINCE  # new owners: whoever declined may be asked again
    start = len(action.owners)
    for i, owner in enumerate(owners):
        row = ActionOwner(
            kind=owner.kind,
            position=start + i,
            added_at=ctx.now,
            person_id=ctx.person_id(owner.id) if owner.kind == "person" and owner.id else None,
            key=None if owner.kind in ("person", "all") else owner.id,
        )
        row.__dict__["_initials"] = owner.id if owner.kind == "person" else None
        action.owners.append(row)


# --- capture ---------------------------------------------------------------------------------------------


def create_action(ctx: Ctx, text: str, *, review: bool = True) -> Reply:
    """Capture an action from a message; ask about owners until it can be stored whole.

    During the tracker review, a numbered line is first read as an update of that action
    (handlers/tracker_review); `review=False` is that module creating one itself.
    """
    from handlers.capture import capture_action, has_action_label

    series = ctx.require_series()
    typed = _ASKED_OWNER.sub("", text)
    text = text.replace(_ASKED, "")
    ctx.require_open()  # chat read as an action reaches here without the command's check
    if review:
        from handlers.tracker_review import review_line

        reviewed = review_line(ctx, text)
        if reviewed is not None:
            return reviewed
    if ctx.req.message_id:
        seen = ctx.session.scalars(
            select(Action).where(
                Action.source_door == ctx.req.door,
                Action.source_channel == ctx.req.channel,
                Action.source_message == ctx.req.message_id,
            )
        ).first()
        if seen is not None:
            return Reply().say(f"That message is already Action {seen.number}.", audience=ACTOR)
    nm, proposed = next_meeting_for(ctx, series, text)
    # "(owner: none)": the meeting agreed the action but not who leads it (the answer `none`, or
    # `skip`, to "Who owns this action?"). It is stored without an owner for the chair to settle.
    unowned = _NO_OWNER.search(text)
    if unowned:
        text = (text[: unowned.start()] + text[unowned.end() :]).strip()
        typed = _NO_OWNER.sub("", typed).strip()
    c = capture_action(text, ctx.roster, series=series.key, sent_at=ctx.now, next_meeting=nm, day=ctx.day())
    if c.is_action:
        require_length(c.title, "action title")  # before any question about its owners is stored
    if not c.is_action:
        if c.number is not None and (c.update or c.status):
            said = " ".join(p for p in (c.update, f"Action {c.status}." if c.status else None) if p)
            raise UserError(
                f"That reads as an update of Action {c.number} (“{said}”), not a new action: nothing was "
                f"stored. Record it with `action {c.number} update: …`"
                + (f" or `action {c.number} done`." if c.status in _CLOSED else ".")
            )
        raise UserError(
            "I couldn't read an action in that. Write it as "
            "`Action: SMa to invite the performance lead by 29/09/23`."
        )
    owners = list(c.owners)
    # A full name nobody in the file has is a guest (or, close to someone, a question first); not in
    # chat the bot only overheard, unless it says it is an action ("Happy Birthday to you" is not).
    guests_ok = ctx.req.addressed or has_action_label(text)
    # An action is stored whole or not at all: a question about an owner holds the whole message
    # (an action with some of its owners would remind the wrong people). `skip` leaves the name
    # out when others own it too.
    if c.number is not None:  # refused before any question: an answer could not save it
        existing = query_action(ctx, series.id, c.number)
        if existing is not None:
            raise UserError(
                f"Action {c.number} of {series.name} already exists: “{existing.title}”. "
                f"To add to it: `action {c.number} update: …`; to change who owns it: "
                f"`action {c.number} owner …`."
            )
    for q in c.questions:
        sref = ctx.roster.series.get(series.key)
        chair = _chair_of_chairless(ctx, sref, q.text, c.offset) if isinstance(q, Unknown) else None
        if chair is not None:
            owners.append(Owner("person", chair))
            continue
        guest = (
            guest_or_ask(ctx, q.text, role="who owns this action?")
            if guests_ok and isinstance(q, Unknown)
            else None
        )
        if guest is not None:
            owners.append(Owner("person", guest))
            continue
        before, after = ctx.hole(q.text, c.offset)  # not a name in the sentence before a mid-line "Action:"
        skip = ctx.without(q.text, c.offset) if owners or len(c.questions) > 1 else None
        if isinstance(q, Ambiguous):
            names = " or ".join(q.candidates)
            raise Ask(
                f"“{q.text}” matches more than one person ({names}): who owns this action?",
                before=before,
                after=after,
                kind="owner",
                choices=list(q.candidates),
                part=q.text,
                multiple=True,
                skip=skip,
            )
        assert isinstance(q, Unknown)
        raise Ask(
            f"I don't know “{q.text}”: who owns this action?",
            before=before,
            after=after,
            kind="owner",
            choices=list(q.suggestions),
            part=q.text,
            multiple=True,
            skip=skip,
        )
    if not owners and not unowned:
        # The answer is marked as the owner after the text, never glued into its sentence
        # ("Action 4. FD suggested …" must not become "SH FD suggested …").
        body = text.rstrip()
        stop = len(body) - len(body.rstrip(".!?"))
        before, after = body[: len(body) - stop] + " (owner: ", ")" + _ASKED + body[len(body) - stop :]
        raise Ask(
            "Who owns this action? (`none` if nobody leads it yet: the chair's digest lists it until "
            "someone does.)",
            before=before,
            after=after,
            kind="owner",
            multiple=True,
            skip=before + "none" + after,
        )
    twin = _captured_already(ctx, series, c.title, owners) if c.number is None else None
    if twin is not None:
        # The same line sent twice (pasted again, or typed by two people): one action, not two.
        return Reply().say(
            f"That is Action {twin.number} already (“{twin.title}”, "
            f"{owners_text(ctx.roster, current_owners(twin))}): nothing was added. To change its due "
            f"date: `action {twin.number} due …`; if it is another action, word it differently.",
            WARNING,
        )
    if c.number is not None:
        number = c.number
        if number > series.last_action_number:
            ctx.session.execute(
                update(Series)
                .where(Series.id == series.id, Series.last_action_number < number)
                .values(last_action_number=number)
            )
    else:
        number = ctx.session.execute(
            update(Series)
            .where(Series.id == series.id)
            .values(last_action_number=Series.last_action_number + 1)
            .returning(Series.last_action_number)
        ).scalar_one()
    due, kind = c.due, c.due_kind
    if kind == "next_meeting":
        due = nm
    meeting = ctx.open_meeting()
    action = Action(
        series_id=series.id,
        number=number,
        title=c.title,
        text=typed,
        status="open",
        due_date=due,
        due_kind=kind,
        created_meeting_id=meeting.id if meeting else None,
        agenda_item_id=meeting.current_item_id if meeting else None,
        created_by=ctx.actor_id,
        created_at=ctx.now,
        source_door=ctx.req.door if ctx.req.message_id else None,
        source_channel=ctx.req.channel if ctx.req.message_id else None,
        source_message=ctx.req.message_id,
    )
    ctx.session.add(action)
    _set_owners(ctx, action, owners, "")
    _log(ctx, action, "created", text)
    ctx.session.flush()
    ctx.audit("action", f"{series.key}:{number}", "created", None, snapshot(action))
    reply = Reply().say(echo(ctx, action, series, proposed=proposed and kind == "next_meeting"), OK)
    reply.say(f"“{c.title}”. Not right? `action {number} owner …` or `action {number} due …`.")
    if c.due_refused is not None:
        reply.say(
            f"“{c.due_refused.text}” is not taken as the due date: {c.due_refused.why}. "
            f"To give it one: `action {number} due …`."
        )
    if not owners:
        reply.say(
            f"Action {number} has no owner yet: nobody is reminded, and the chair's digest lists it "
            f"until someone takes it (`action {number} owner …`)."
        )
    if c.update or c.status:
        said = " ".join(p for p in (c.update, f"Action {c.status}." if c.status else None) if p)
        reply.say(
            f"The update after it (“{said}”) is not recorded on the new action: add it with "
            f"`action {number} update: …`" + (f" or `action {number} done`." if c.status in _CLOSED else ".")
        )
    reply.add(correction_buttons(series, action))
    return reply


def _captured_already(ctx: Ctx, series: Series, title: str, owners: list[Owner]) -> Action | None:
    """An open action of this series with the same words and owners, captured in the meeting now
    open (outside a meeting, in the last TWIN_HOURS)."""
    meeting = ctx.open_meeting()
    same = (
        Action.created_meeting_id == meeting.id
        if meeting is not None
        else Action.created_at >= ctx.now - timedelta(hours=TWIN_HOURS)
    )
    found = ctx.session.scalars(
        select(Action)
        .options(joinedload(Action.owners))
        .where(Action.series_id == series.id, Action.status == "open", same)
    ).unique()
    wanted, whose = _words(title), {(o.kind, o.id) for o in owners}
    for action in found:
        if _words(action.title) == wanted:
            load_owner_initials(ctx, [action])
            if {(o.kind, o.id) for o in current_owners(action)} == whose:
                return action
    return None


def _words(title: str) -> str:
    return " ".join(title.casefold().split()).rstrip(".")


def _read(ctx: Ctx, series: Series, text: str) -> Capture:
    """How capture reads `text` in this series, against its next meeting and the meeting's day."""
    from handlers.capture import capture_action

    nm, _ = next_meeting_for(ctx, series, text)
    return capture_action(
        text, ctx.roster, series=series.key, sent_at=ctx.now, next_meeting=nm, day=ctx.day()
    )


def action_if_labelled(ctx: Ctx, text: str) -> bool:
    """Would this line be an action of people the file knows with `Action:` before it? ("SMa will
    circulate the slides": a "will" is narrative in minutes unless the line says it is an action.)"""
    if ctx.series is None:
        return False
    c = _read(ctx, ctx.series, f"Action: {text}")
    return c.is_action and bool(c.owners) and not c.questions


def capture_from_chat(ctx: Ctx) -> Reply | None:
    """A message that is no command but reads as an action in minutes English ("HN to inform MT by …"),
    or, from the chair team, as the meeting agreeing something nobody is given to do (a decision)."""
    from handlers.capture import agreement_body

    if ctx.series is None:
        return None
    from handlers.tracker_review import review_line

    reviewed = review_line(ctx, ctx.req.text)  # read before capture: it is an update, not a new action
    if reviewed is not None:
        return reviewed
    c = _read(ctx, ctx.series, ctx.req.text)
    agreed = agreement_body(ctx.req.text) if ctx.is_chair_team() else None
    if agreed is not None and (not c.is_action or _of_a_thing(c)):
        from handlers.records import record_decision

        return record_decision(ctx, agreed)
    return create_action(ctx, ctx.req.text) if c.is_action else None


# What a thing, not a person, is the subject of: "the strategy", "this report", "all plans".
_A_THING = re.compile(r"(?:the|this|that|these|those|a|an|all|each|every|our|its|their|any)\s", re.I)


def _of_a_thing(c: Capture) -> bool:
    """ "It was agreed that the strategy would go to the next board": what happens to a thing, which
    names nobody, is agreed. A named owner, or a name the file lacks, stays an action (or its question)."""
    return (
        not c.owners
        and bool(c.questions)
        and all(isinstance(q, Unknown) and _A_THING.match(q.text) for q in c.questions)
    )


# --- commands, most specific first -------------------------------------------------------------------

_A = r"(?:action\s+)?"
# "not mine - action 39 belongs to DL": who the owner thinks should have it, passed on to the chair.
_SUGGESTED = (
    r"(?:\s*[,;:.\-–]*\s*(?:it\s+|this\s+)?(?:belongs\s+to|is\s+for|should\s+(?:go\s+to|be\s+with|be\s+for)"
    r"|is\s+(?:really\s+)?(?:with|for))\s+(?P<suggest>.+?))?\.?"
)


@command(
    "action update",
    usage="action N update: TEXT",
    summary="Add an update to an action",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("update N: TEXT", "N update TEXT"),
    patterns=[
        _A + r"{ref}\s+update\s*[:\-–]?\s*(?P<text>.+)",
        r"update\s+(?:on\s+|to\s+|for\s+)?" + _A + r"{ref}\s*[:\-–]?\s*(?P<text>.+)",
    ],
)
def action_update(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return change_action(ctx, args, UPDATE, _add_update)


def _add_update(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    text = require_length(args["text"].strip(), "update")
    last = latest_update(action)
    if last is not None and last.text == text and last.person_id == ctx.actor_id:
        # The same answer twice (a button pressed again, a message re-sent) is recorded once.
        return Reply().say(
            f"That update is already recorded on {_short(series)} {action.number}.", audience=ACTOR
        )
    reply = Reply().say(f"Update recorded on {_short(series)} {action.number}: “{text}”.", OK)
    if NO_UPDATE.match(text) and action.due_date and action.due_date < ctx.today:
        reply.say(
            f"It was due {short_date(action.due_date)}: a new date (`action {action.number} due …`) helps "
            "the chair see where it stands."
        )
    return Changed(reply, text)


@command(
    "action done",
    usage="action N done",
    summary="Mark an action done",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("done N", "N done", "done (in a direct message)"),
    patterns=[
        _A + r"{ref}\s+(?:is\s+)?(?:done|complete|completed|closed|finished)(?:\s*[:\-–]\s*(?P<text>.+))?",
        r"(?:(?:i|we)(?:'ve|’ve|\s+have)\s+)?(?:done|completed?|close|closed|finished)\s+(?:with\s+|on\s+)?"
        + _A
        + r"{ref}(?:\s*[:\-–]\s*(?P<text>.+))?",
        unnumbered.DONE_ALONE,
    ],
    applies=unnumbered.numbered_or_to_the_bot,
)
def action_done(ctx: Ctx, args: dict[str, Any]) -> Reply:
    if not args.get("num"):
        return unnumbered.without_a_number(ctx, "done", action_done)
    return change_action(ctx, args, DONE, _mark_done)


def _mark_done(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    if action.status == "done":
        since = (
            f" (since {short_date(action.closed_at.astimezone(ctx.tz).date())})" if action.closed_at else ""
        )
        return Reply().say(
            f"{_short(series)} {action.number} is already done{since}. Nothing changed.", audience=ACTOR
        )
    action.status, action.closed_at = "done", ctx.now
    return Changed(
        Reply().say(
            f"{_short(series)} {action.number} is done: “{action.title}”. No more reminders for it.", OK
        ),
        args.get("text"),
    )


@command(
    "action due",
    usage="action N due DATE",
    summary="Give an action a new due date",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("N new date DATE", "new date N DATE"),
    patterns=[
        _A + r"{ref}\s+(?:due|new\s+(?:due\s+)?date|deadline|date)\s*[:\-–]?\s*(?P<when>.+)",
        r"new\s+(?:due\s+)?date\s+(?:for\s+)?" + _A + r"{ref}\s*[:\-–]?\s*(?P<when>.+)",
        # As owners ask for it: "extend action 38 to 31/01/24", "can I have more time on 38? end of January"
        r"(?:please\s+)?(?:extend|move|push(?:\s+back)?|postpone|defer)\s+"
        + _A
        + r"{ref}\s+(?:to|until|till)\s+(?P<when>.+)",
        _A
        + r"{ref}\s+(?:extended|moved|pushed\s+back|postponed|deferred)\s+(?:to|until|till)\s+(?P<when>.+)",
        r"(?:(?:can|could|may)\s+(?:i|we)\s+(?:have|get)\s+|i\s+need\s+)?(?:some\s+)?more\s+time\s+(?:on|for)\s+"
        + _A
        + r"{ref}(?:\s*[?:,.;\-–]+\s*(?:until\s+|till\s+|to\s+)?|\s+(?:until|till|to)\s+)?(?P<when>.*)",
    ],
)
def action_due(ctx: Ctx, args: dict[str, Any]) -> Reply:
    # "more time for action 39 please": a "please" is no part of the date.
    when = re.sub(r"^please\b[\s,]*|[\s,]*\bplease$", "", (args.get("when") or "").strip(" ?.!"), flags=re.I)
    args = {**args, "when": when}
    if not when:
        raise UserError(
            f"Which date should action {args['num']} move to? Say `action {args['num']} due 31/01/24` "
            "(or `… due end of January`). Nothing changed."
        )
    return change_action(ctx, args, DUE, _new_date)


def _new_date(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    from handlers.dates import parse_date, refused_reason

    nm, proposed = next_meeting_date(ctx, series)
    when = args["when"].strip()
    due = parse_date(when, sent_at=ctx.now, tz=ctx.roster.timezone, next_meeting=nm)
    if due is None and (why := refused_reason(when, sent_at=ctx.now, tz=ctx.roster.timezone)):
        raise UserError(f"{why}. Nothing changed.")
    if due is None or (due.kind == "date" and due.date is None):
        raise UserError(
            f"I can't read “{when}” as a date. Try 29/09/23, Friday, end of June, within 10 working "
            "days or next meeting. Nothing changed."
        )
    day = nm if due.kind == "next_meeting" else due.date
    if day is not None and day < ctx.today and due.kind == "date":
        raise UserError(f"{short_date(day)} has passed: give a date from today on. Nothing changed.")
    if (action.due_date, action.due_kind) == (day, due.kind):
        return Reply().say(
            f"{_short(series)} {action.number} is already {due_text(day, due.kind)}. Nothing changed.",
            audience=ACTOR,
        )
    action.due_date, action.due_kind, action.snoozed_until = day, due.kind, None
    text = due_text(day, due.kind, proposed=proposed and due.kind == "next_meeting")
    return Changed(
        Reply().say(
            f"{_short(series)} {action.number} is now {text}; its reminders start again from the new date.",
            OK,
        ),
        due_text(day, due.kind),
    )


@command(
    "action owner",
    usage="action N owner NAMES",
    summary="Reassign an action",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("reassign N to NAMES",),
    patterns=[
        _A + r"{ref}\s+(?:owners?|owned\s+by|reassign(?:ed)?\s+to|assign(?:ed)?\s+to)\s*[:\-–]?\s*"
        r"(?P<names>.+)",
        r"(?:reassign|assign)\s+" + _A + r"{ref}\s+to\s+(?P<names>.+)",
    ],
)
def action_owner(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return change_action(ctx, args, OWNER, _reassign)


def _reassign(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    owners = read_owners(ctx, args["names"], series.key)
    if not owners:
        raise UserError("Name the new owner: `action 3 owner HN`.")
    _set_owners(ctx, action, owners, "reassigned")
    return Changed(Reply().say(echo(ctx, action, series), OK), owners_text(ctx.roster, owners))


@command(
    "action not mine",
    usage="action N not mine",
    summary="Return an action that is not yours to the chair",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("not mine N", "not mine (in a direct message)"),
    patterns=[
        _A + r"{ref}\s+(?:is\s+)?not\s+(?:mine|me|ours)" + _SUGGESTED,
        r"not\s+(?:mine|me|ours)\s*[:\-–,]?\s*" + _A + r"{ref}" + _SUGGESTED,
        unnumbered.NOT_MINE_ALONE,
    ],
    applies=unnumbered.numbered_or_to_the_bot,
)
def action_not_mine(ctx: Ctx, args: dict[str, Any]) -> Reply:
    if not args.get("num"):
        return unnumbered.without_a_number(ctx, "not mine", action_not_mine)
    return change_action(ctx, args, NOT_MINE, _return_to_chair)


def _return_to_chair(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    assert ctx.actor is not None
    mine = [
        o
        for o in action.owners
        if o.removed_at is None and o.kind == "person" and o.__dict__.get("_initials") == ctx.actor.initials
    ]
    for o in mine:
        o.removed_at, o.removed_reason = ctx.now, "not_mine"
    shared = [o for o in current_owners(action) if o.kind != "person"]
    if not mine and shared:
        # Theirs through a group (or agency, or all partners): they come off its reminders; the owner stays.
        row = ActionOwner(
            kind=DECLINED,
            position=len(action.owners),
            added_at=ctx.now,
            person_id=ctx.actor_id,
            key=",".join(o.id or o.kind for o in shared)[:64],
            removed_at=ctx.now,
            removed_reason=DECLINED,
        )
        row.__dict__["_initials"] = ctx.actor.initials
        action.owners.append(row)
    left = current_owners(action)
    gone = shared_owner_gone(ctx.roster, action) if left else False
    if not mine and shared:
        still = (
            f"You are off its reminders; it stays with {owners_text(ctx.roster, left)}."
            if not gone
            else f"Everyone it was shared with has declined it: it has no owner now, reassign it with "
            f"`{series.key} {action.number} owner …`."
        )
    else:
        still = (
            f"{owners_text(ctx.roster, left)} still own{'s' if len(left) == 1 else ''} it."
            if left
            else f"It has no owner now: reassign it with `{series.key} {action.number} owner …`."
        )
    sref = ctx.roster.series[series.key]
    chair = ctx.chair(sref)
    if chair:
        told: tuple[str, ...] = (chair,)
        whom = f"the chair ({ctx.name(chair)})"
    else:  # the series names no chair: whoever takes the chair's part (Roster.chair_or_stand_ins)
        told = ctx.roster.chair_or_stand_ins(sref, ctx.day(sref))
        names = ", ".join(ctx.name(i) for i in told) or "the chair team"
        whom = f"{names} ({sref.name} names no chair)"
    suggested = clean(args.get("suggest") or "").strip(" .")
    said = f" They suggest it is for {suggested}." if suggested else ""
    reply = Reply().say(
        f"{_short(series)} {action.number} goes back to {whom}. {still}"
        + (f" I've passed on that you suggest {suggested}." if suggested else ""),
        OK,
    )
    for person in told:
        reply.tell(
            person,
            Text(
                f"{ctx.name(ctx.actor.initials)} returned {_short(series)} {action.number} "
                f"(“{action.title}”) as not theirs.{said} {still}"
            ),
        )
    return Changed(reply, f"suggested {suggested}" if suggested else None)


@command(
    "action snooze",
    usage="action N snooze until DATE",
    summary="Pause reminders for an action",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("snooze N until DATE",),
    patterns=[
        _A + r"{ref}\s+snooze(?:\s+(?:until|till|to))?\s+(?P<when>.+)",
        r"snooze\s+" + _A + r"{ref}\s+(?:until|till|to)?\s*(?P<when>.+)",
    ],
)
def action_snooze(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return change_action(ctx, args, SNOOZE, _snooze)


def _snooze(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    from handlers.dates import parse_date, refused_reason

    when = args["when"].strip()
    due = parse_date(when, sent_at=ctx.now, tz=ctx.roster.timezone)
    if due is None and (why := refused_reason(when, sent_at=ctx.now, tz=ctx.roster.timezone)):
        raise UserError(f"{why}. Nothing changed.")
    if due is None or due.date is None or due.date <= ctx.today:
        raise UserError(
            f"I can't read “{when}” as a date from tomorrow on. Try `snooze {action.number} until "
            "Friday` or `until 1/3/24`. Nothing changed."
        )
    if action.snoozed_until == due.date:
        return Reply().say(
            f"{_short(series)} {action.number} is already snoozed until "
            f"{short_date(due.date)}. Nothing changed.",
            audience=ACTOR,
        )
    action.snoozed_until = due.date
    return Changed(
        Reply().say(f"No reminders for {_short(series)} {action.number} until {short_date(due.date)}.", OK),
        f"until {short_date(due.date)}",
    )


@command(
    "action drop",
    usage="action N drop: REASON",
    summary="Drop an action that is no longer needed",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("drop N REASON",),
    patterns=[
        _A + r"{ref}\s+(?:drop|dropped|withdrawn|withdraw|cancel|cancelled)(?:\s*[:\-–]?\s*(?P<text>.+))?",
        r"(?:drop|withdraw)\s+" + _A + r"{ref}(?:\s*[:\-–]?\s*(?P<text>.+))?",
    ],
)
def action_drop(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return change_action(ctx, args, DROP, _drop)


def _drop(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    if action.status == "dropped":
        return Reply().say(
            f"{_short(series)} {action.number} was already dropped. Nothing changed.", audience=ACTOR
        )
    action.status, action.closed_at = "dropped", ctx.now
    reason = f" ({args['text'].strip()})" if args.get("text") else ""
    return Changed(
        Reply().say(f"{_short(series)} {action.number} is dropped{reason}. No more reminders for it.", OK),
        args.get("text"),
    )


@command(
    "action reopen",
    usage="action N reopen",
    summary="Reopen a done or dropped action",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("reopen N",),
    patterns=[_A + r"{ref}\s+(?:reopen|reopened|re-open)", r"(?:reopen|re-open)\s+" + _A + r"{ref}"],
)
def action_reopen(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return change_action(ctx, args, REOPEN, _reopen)


def _reopen(ctx: Ctx, args: dict[str, Any], action: Action, series: Series) -> Changed | Reply:
    if action.status == "open":
        return Reply().say(
            f"{_short(series)} {action.number} is already open. Nothing changed.", audience=ACTOR
        )
    action.status, action.closed_at = "open", None
    return Changed(
        Reply().say(f"{_short(series)} {action.number} is open again: {echo(ctx, action, series)}.", OK)
    )


@command(
    "action show",
    changes_series=False,
    usage="action N",
    summary="Show one action with its log",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    patterns=[r"(?:show\s+)?action\s+{ref}\??"],
)
def action_show(ctx: Ctx, args: dict[str, Any]) -> Reply:
    action, series = find_action(ctx, args)  # only an action this person may see
    status = {"open": "open", "done": "done", "dropped": "dropped"}[action.status]
    flags = _flags(ctx, action, current_owners(action))
    reply = Reply().say(f"{echo(ctx, action, series)} — {status}{'; ' + ', '.join(flags) if flags else ''}")
    reply.say(f"“{action.title}”")
    rows = tuple(
        (
            short_date(u.at.astimezone(ctx.tz).date()),
            ctx.name(ctx.initials_of(u.person_id)),
            u.kind.replace("_", " "),
            u.text or "",
        )
        for u in action.updates
    )
    reply.add(
        Table(("Date", "Who", "What", "Text"), rows, caption=f"Log of {_short(series)} {action.number}")
    )
    if action.status == "open":
        reply.add(answer_buttons(series, action))
    return reply


@command(
    "actions mine",
    changes_series=False,
    usage="actions mine",
    summary="List your open actions in every series",
    section="Actions",
    perm=Perm.PERSON,
    needs_series=False,
    aliases=("my actions", "what's due?"),
    patterns=[
        r"actions\s+mine",
        r"my\s+(?:open\s+)?actions\??",
        r"(?:what|which)\s+(?:open\s+)?actions\s+(?:do\s+i\s+have|have\s+i(?:\s+got)?|are\s+mine|am\s+i\s+(?:down\s+)?for)"
        r"(?:\s+(?:open|outstanding|to\s+do))?\??",
        r"mine",
        r"what(?:'s|’s|\s+is)\s+(?:due|mine|on\s+my\s+list)(?:\s+for\s+me)?\??",
        r"what(?:\s+have\s+i|(?:'ve|’ve)\s+i|\s+do\s+i\s+have)\s+got(?:\s+(?:on|to\s+do|outstanding))?\??",
        r"what\s+(?:do\s+i\s+(?:owe|have\s+(?:on|to\s+do|outstanding))|am\s+i\s+(?:down|on)\s+for)\??",
        # "What's due this week?": those due by then, the overdue ones included.
        r"(?:what(?:'s|’s|\s+is)|(?:what\s+)?(?:have\s+i\s+got|do\s+i\s+have)|(?:my\s+)?actions)\s+due\s+"
        r"(?:(?:for\s+me|by\s+me)\s+)?(?P<within>today|tomorrow|this\s+week|next\s+week|this\s+month|soon)\??",
    ],
)
def actions_mine(ctx: Ctx, args: dict[str, Any]) -> Reply:
    actions = my_open_actions(ctx, ctx.actor.initials if ctx.actor else "")
    across = f" in the {ctx.roster.name}" if ctx.req.qualifier is not None else ""  # one of several
    if not actions:
        return Reply().say(f"You have no open actions{across}.", audience=ACTOR)
    if args.get("within"):
        by = _due_window(ctx.today, args["within"])
        due = [r for r in actions if r[0].due_date is not None and r[0].due_date <= by]
        if not due:
            return Reply().say(
                f"Nothing of yours{across} is due by {short_date(by)}: you have "
                f"{plural(len(actions), 'open action')} (`actions mine` lists them).",
                audience=ACTOR,
            )
        shown = soonest_due_first(ctx, due)[:LIST_LIMIT]
        caption = _caption(f"Your actions{across} due by {short_date(by)}", len(shown), len(due))
        return Reply().add(_table(ctx, shown, qualified=True, caption=caption), ACTOR)
    shown = sorted(actions, key=lambda r: (r[0].due_date is None, r[0].due_date or ctx.today, r[0].number))[
        :LIST_LIMIT
    ]
    shown.sort(key=lambda r: (r[0].series_id, r[0].number))
    caption = _caption(f"Your open actions{across}", len(shown), len(actions))
    return Reply().add(_table(ctx, shown, qualified=True, caption=caption), ACTOR)


@command(
    "actions overdue",
    changes_series=False,
    usage="actions overdue [SERIES]",
    summary="List overdue actions",
    section="Actions",
    perm=Perm.MEMBER,
    patterns=[
        r"actions\s+overdue(?:\s+(?:of|for|in)?\s*{series})?\??",
        r"overdue(?:\s+actions)?(?:\s+(?:of|for|in)\s+{series})?\??",
        r"(?:what(?:'s|’s|\s+is|\s+actions\s+are)|which\s+actions\s+are|(?:is\s+)?anything)\s+overdue\??",
    ],
)
def actions_overdue(ctx: Ctx, args: dict[str, Any]) -> Reply:
    series = ctx.require_series()
    actions, total = _series_actions(ctx, series, overdue=True)
    if not actions:
        return Reply().say(f"No overdue actions in {series.name}.")
    caption = _caption(f"Overdue actions of {series.name}", len(actions), total, series)
    return Reply().add(_table(ctx, [(a, series) for a in actions], caption=caption))


@command(
    "actions",
    changes_series=False,
    usage="actions [SERIES]",
    summary="List the open actions of the series",
    section="Actions",
    perm=Perm.MEMBER,
    aliases=("tracker",),
    patterns=[
        r"(?:actions|tracker|action\s+tracker|open\s+actions)(?:\s+(?:of|for)?\s*{series})?",
        # The chair taking the minutes' item by its name: "Actions from the last meeting"
        r"(?:(?:review\s+of\s+|matters\s+arising\s+and\s+)?(?:the\s+)?)(?:actions|action\s+tracker|action\s+log)\s+"
        r"(?:from|of)\s+(?:the\s+)?(?:last|previous)\s+meeting\??",
    ],
)
def actions_list(ctx: Ctx, args: dict[str, Any]) -> Reply:
    from handlers.agenda import tracker_heading

    series = ctx.require_series()
    taken = None if args.get("series") else tracker_heading(ctx)
    reply = taken or Reply()
    actions, total = _series_actions(ctx, series)
    if not actions:
        return reply.say(f"{series.name} has no open actions.")
    return reply.add(
        _table(
            ctx,
            [(a, series) for a in actions],
            caption=_caption(f"Open actions of {series.name}", len(actions), total, series),
        )
    )


@command(
    "action",
    usage="Action: OWNERS to DO SOMETHING by DATE",
    summary="Capture an action",
    section="Actions",
    perm=Perm.MEMBER,
    # During the tracker review item, a numbered line updates that action (handlers/tracker_review).
    aliases=("HN to inform MT by Friday", "Action 28. No further update. Action ongoing. (tracker review)"),
    patterns=[r"(?P<text>actions?\s*(?:\d+\s*)?[:.\-–—]\s*.+)", r"(?P<text>action\s+\d+\s+.+)"],
    applies=unnumbered.captures_here,
)
def action_capture(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return create_action(ctx, args["text"])


# --- lists ----------------------------------------------------------------------------------------------


LIST_LIMIT = 30  # a chat message stays readable (and within Slack's and Teams' limits)

_NEWEST_UPDATE = (
    select(ActionUpdate)
    .where(ActionUpdate.action_id == bindparam("action_id"), ActionUpdate.kind == "update")
    .order_by(ActionUpdate.id.desc())
    .limit(1)
)

# A listing shows each action's latest update: read in the listing's own statement, the newest
# "update" entry outer-joined to its action, rather than each action's whole log (a real tracker's
# old actions have dozens of entries). `latest_update` finds it under this key.
_LATEST = "_latest_update"
_LATEST_UPDATE = aliased(ActionUpdate, name="latest_update")


def _newest_update_of_action() -> ColumnElement[bool]:
    """The join condition of `_LATEST_UPDATE` to `Action`: the action's newest "update" entry."""
    entry = aliased(ActionUpdate)
    newest = (
        select(func.max(entry.id))
        .where(entry.action_id == Action.id, entry.kind == "update")
        .correlate(Action)
        .scalar_subquery()
    )
    return _LATEST_UPDATE.id == newest


def _with_latest(action: Action, latest: ActionUpdate | None) -> Action:
    action.__dict__[_LATEST] = latest
    return action


def _listing(overdue: bool) -> Select[Any]:
    """Open actions of a series (overdue ones only, or all), in number order; past LIST_LIMIT, the most
    urgent ones; each row with the total (a window count, so the total costs no statement of its own)."""
    where = [Action.series_id == bindparam("series_id"), Action.status == "open"]
    if overdue:
        where.append(Action.due_date < bindparam("today"))
    urgent = (
        select(Action.id, func.count().over().label("total"))
        .where(*where)
        .order_by(Action.due_date.is_(None), Action.due_date, Action.number)
        .limit(LIST_LIMIT)
        .subquery()
    )
    return (
        select(Action, urgent.c.total, _LATEST_UPDATE)
        .join(urgent, urgent.c.id == Action.id)
        .outerjoin(_LATEST_UPDATE, _newest_update_of_action())
        .order_by(Action.number)
        .options(joinedload(Action.owners))
    )


_LISTINGS = {overdue: _listing(overdue) for overdue in (False, True)}


def _series_actions(ctx: Ctx, series: Series, *, overdue: bool = False) -> tuple[list[Action], int]:
    """Open actions of a series, in number order; past LIST_LIMIT, the most urgent ones. Also the total."""
    params: dict[str, Any] = {"series_id": series.id}
    if overdue:
        params["today"] = ctx.today
    found = ctx.session.execute(_LISTINGS[overdue], params).unique().all()
    rows = [_with_latest(a, latest) for a, _, latest in found]
    load_owner_initials(ctx, rows)
    return rows, found[0].total if found else 0


def _caption(what: str, shown: int, total: int, series: Series | None = None) -> str:
    if shown >= total:
        return f"{what} ({total})"
    where = f" --series {series.key}" if series else ""
    return (
        f"{what}: {total}, the {shown} most urgent shown. The whole tracker: "
        f"`partnerbot export actions{where}` or the agenda pack."
    )


def _mine(groups: bool, series: bool) -> Select[Action, Series, ActionUpdate]:
    """The open actions someone owns, with their series and latest update (`my_open_actions`).

    One indexed lookup per way of owning an action, rather than one OR over all of them; each keeps
    open actions only (the history is mostly closed), and a way the person cannot own anything by
    (no group, no series) is left out rather than asked as an always-false IN, which SQLite answers
    by scanning every owner: hence one statement per combination, each built once with bind
    parameters. Each way reads owner rows by an index of its own and checks the action in an
    EXISTS: joined, SQLite read every open action of the person's series with its owners instead
    (thousands for someone in every series' chair team). `shared` is the condition of the index of
    owners that are not a person (migration 0020), written out so SQLite uses it."""
    live = ActionOwner.removed_at.is_(None)
    still_open = Action.status == "open"
    partnership = Series.partnership_id == bindparam("partnership_id")

    def branch(*where: ColumnElement[bool], action: tuple[ColumnElement[bool], ...] = ()) -> Select[int]:
        held = exists().where(Action.id == ActionOwner.action_id, still_open, *action)
        return select(ActionOwner.action_id).where(live, *where, held)

    shared = ActionOwner.kind != "person"
    ways = [branch(ActionOwner.person_id == bindparam("person_id"))]
    if groups:
        listed = ActionOwner.key.in_(bindparam("groups", expanding=True))
        ways.append(branch(shared, ActionOwner.kind == "group", listed))
    if series:
        theirs = Action.series_id.in_(
            select(Series.id).where(partnership, Series.key.in_(bindparam("series_keys", expanding=True)))
        )
        agency = (shared, ActionOwner.kind == "agency", ActionOwner.key == bindparam("agency"))
        ways.append(branch(*agency, action=(theirs,)))
        ways.append(branch(shared, ActionOwner.kind == "all", action=(theirs,)))
    # Of each row's series only what a listing names it by: its ten JSON columns, decoded for
    # every row, were most of the loading (a series already in the session stays as loaded).
    return (
        select(Action, Series, _LATEST_UPDATE)
        .join(Series, Series.id == Action.series_id)
        .outerjoin(_LATEST_UPDATE, _newest_update_of_action())
        .where(Action.id.in_(union(*ways)), still_open, partnership)
        .order_by(Action.series_id, Action.number)
        .options(joinedload(Action.owners), load_only(Series.partnership_id, Series.key, Series.name))
    )


_MINE = {(groups, series): _mine(groups, series) for groups in (False, True) for series in (False, True)}


def _due_window(today: date, within: str) -> date:
    """The last day of "today", "tomorrow", "this week" (to Sunday), "next week", "this month", "soon"
    (a fortnight)."""
    within = " ".join(within.lower().split())
    if within == "today":
        return today
    if within == "tomorrow":
        return today + timedelta(days=1)
    if within in ("this week", "next week"):
        sunday = today + timedelta(days=6 - today.weekday())
        return sunday if within == "this week" else sunday + timedelta(days=7)
    if within == "this month":
        from handlers.dates import month_end

        return month_end(today.year, today.month)
    return today + timedelta(days=14)


def soonest_due_first(ctx: Ctx, rows: list[tuple[Action, Series]]) -> list[tuple[Action, Series]]:
    """A person's actions as their list shows them: soonest due first, undated last."""
    today = ctx.today
    return sorted(
        rows, key=lambda r: (r[0].due_date is None, r[0].due_date or today, r[0].series_id, r[0].number)
    )


def my_open_actions(ctx: Ctx, initials: str) -> list[tuple[Action, Series]]:
    """Open actions a person owns, each with its series: by name, through a group, their agency in a
    series, or "all"."""
    roster = ctx.roster
    person = roster.people.get(initials)
    if person is None:
        return []
    pid = ctx.person_id(initials)
    groups = [g for g in roster.groups if initials in ctx.group_members(g)]
    lead = any(a.lead == initials for a in roster.agencies.values())  # answers for "all partners" too
    series_keys = [
        k
        for k, s in roster.series.items()
        if initials in ctx.members(s) or initials in ctx.chair_team(s) or lead
    ]
    params: dict[str, Any] = {
        "person_id": pid,
        "partnership_id": ctx.partnership_id,
        "groups": groups,
        "series_keys": series_keys,
        "agency": person.agency,
    }
    found = ctx.session.execute(_MINE[bool(groups), bool(series_keys)], params).unique()
    rows = [(_with_latest(a, latest), s) for a, s, latest in found]
    load_owner_initials(ctx, [a for a, _ in rows])
    # Not those they returned as "not mine" while its group (or agency, or all partners) keeps it.
    return [(a, s) for a, s in rows if is_owner(ctx, a, initials, s)]


def _flags(ctx: Ctx, action: Action, owners: list[Owner]) -> list[str]:
    """What a listing says beside the due date; `owners` as `current_owners` gives them."""
    flags = []
    today = ctx.today
    if action.status == "open" and action.due_date and action.due_date < today:
        flags.append(f"overdue by {plural((today - action.due_date).days, 'day')}")
    if action.snoozed_until and action.snoozed_until > today:
        flags.append(f"snoozed until {short_date(action.snoozed_until)}")
    if not owners:
        flags.append("no owner")
    return flags


def _table(ctx: Ctx, actions: list[tuple[Action, Series]], *, qualified: bool = False, caption: str) -> Table:
    """The tracker's table of actions, each given with its series."""
    rows = []
    for a, series in actions:
        latest = latest_update(a)
        update_text = f"{latest.text} ({short_date(latest.at.astimezone(ctx.tz).date())})" if latest else ""
        due = due_text(a.due_date, a.due_kind).removeprefix("due ")
        owners = current_owners(a)
        flags = _flags(ctx, a, owners)
        if flags:
            due += f" [{', '.join(flags)}]"
        if qualified and ctx.req.qualifier:  # several partnerships' series with the same id
            number = f"{ctx.req.qualifier}{series.key} {a.number}"
        else:
            number = f"{_short(series)} {a.number}" if qualified else str(a.number)
        rows.append((number, a.title, owners_text(ctx.roster, owners), due, update_text))
    return Table(("No.", "Action", "Owners", "Due", "Latest update"), tuple(rows), caption=caption)
