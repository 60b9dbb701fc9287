"""The words of a reminder: one message per person per sweep, whatever it carries.

A person in several partnerships gets one message with a part per partnership (each part that
partnership's own: its chair's digest, papers and actions, named in its words); where two of
them have a series of the same id, the answers name the partnership too (`westmere-sab/board 1`).

Action reminders come with their five answers (Done, Add update, New date, Not mine,
Snooze) as buttons; the shell prints the typed forms. The wording follows the dates as
of the sweep, so a reminder sent after a pause still tells the truth ("overdue by 3 days").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from handlers.actions import answer_buttons, current_owners, declined_by, latest_update
from handlers.chair_digest import ChairDigest, action_ref
from handlers.format import is_guest, owners_text, plural, short_date
from handlers.names import Owner
from handlers.reply import PERSON, Block, Buttons, Message, Text
from storage.models import Action, Series
from storage.roster import PersonRef, Roster
from storage.workdays import working_days_between


@dataclass
class ActionNudge:
    series: Series
    action: Action  # owners (with initials) and updates loaded
    kind: str
    qualifier: str = ""  # before the series id in the answers, where two partnerships share it


@dataclass
class PapersNudge:
    series: Series
    meeting_day: date
    deadline: date
    items: list[tuple[str, str | None]] = field(default_factory=list)  # (title, presenter initials)
    presenting: list[str] = field(default_factory=list)  # titles this person presents


def due_phrase(action: Action, today: date) -> str:
    due = action.due_date
    if due is None:
        return "has no date set"
    where = (
        f"at the next meeting, {short_date(due)}" if action.due_kind == "next_meeting" else short_date(due)
    )
    days = (due - today).days
    if days < 0:
        return f"is overdue by {plural(-days, 'day')} (due {where})"
    if days == 0:
        return f"is due today ({where})"
    if days == 1:
        return f"is due tomorrow ({where})"
    if working_days_between(today, due) == 1:
        return f"is due {where} (the next working day)"
    return f"is due {where} (in {days} days)"


def _shared_note(roster: Roster, action: Action, owners: list[Owner], person: PersonRef) -> str:
    """ " Shared with 3 others." for a member reminded of a group action whose group names no leads."""
    declined = {o.__dict__.get("_initials") for o in declined_by(action)}
    others: set[str] = set()
    for o in owners:
        if o.kind == "group" and o.id in roster.groups and not roster.groups[o.id].leads:
            members = roster.group_members(o.id)
            if person.initials in members:
                others.update(i for i in members if i != person.initials and i not in declined)
    if not others:
        return ""
    return f" Shared with {plural(len(others), 'other')}: one answer is enough."


def _owner_note(roster: Roster, owners: list[Owner], person: PersonRef) -> str:
    if owners == [Owner("person", person.initials)]:
        return ""
    note = f" Owners: {owners_text(roster, owners, with_members=True)}."
    # A guest with no e-mail cannot be reached: their reminders come to the business unit instead.
    unreached = [
        roster.people[o.id].name
        for o in owners
        if o.kind == "person" and is_guest(roster, o.id) and o.id and not roster.people[o.id].email
    ]
    if unreached and Owner("person", person.initials) not in owners:  # a co-owner hears as an owner
        who = " and ".join(unreached)
        note += (
            f" {who} {'is a guest' if len(unreached) == 1 else 'are guests'} with no e-mail, so this comes "
            f"to you: pass it on, or give them one (`person {unreached[0]} email …`)."
        )
    return note


def _action_blocks(
    n: ActionNudge, roster: Roster, person: PersonRef, today: date, tz: ZoneInfo, bullet: str
) -> list[Block]:
    a = n.action
    ref = action_ref(n.series, a.number)
    head = f"{bullet}{ref} {due_phrase(a, today)}: “{a.title}”."
    if a.due_date is None:
        answer = f"{n.qualifier}{n.series.key} {a.number} new date …"
        head = f"{bullet}{ref}: “{a.title}” — no date set: give one with `{answer}`."
    text = (
        f"{head}{_owner_note(roster, current_owners(a), person)}"
        f"{_shared_note(roster, a, current_owners(a), person)}"
    )
    latest = latest_update(a)
    if latest is not None:
        text += f" Latest update ({short_date(latest.at.astimezone(tz).date())}): {latest.text}"
    return [Text(text), answer_buttons(n.series, a, n.qualifier)]


def _papers_text(p: PapersNudge, roster: Roster, today: date) -> str:
    days = working_days_between(today, p.deadline)
    when = "today" if days <= 0 else ("tomorrow" if days == 1 else f"in {plural(days, 'working day')}")
    text = (
        f"Papers for the {p.series.name} meeting on {short_date(p.meeting_day)} are due "
        f"{short_date(p.deadline)} ({when})."
    )
    if p.presenting:
        text += " Your item" + ("s: " if len(p.presenting) > 1 else ": ")
        text += ", ".join(f"“{t}”" for t in p.presenting) + "."
    elif p.items:
        listed = [
            f"“{t}”" + (f" ({roster.people[i].name})" if i in roster.people else "") for t, i in p.items
        ]
        text += " Items so far: " + "; ".join(listed) + "."
    return text


def compose(
    person: PersonRef,
    roster: Roster,
    today: date,
    tz: ZoneInfo,
    actions: list[ActionNudge],
    papers: list[PapersNudge],
    chair: list[ChairDigest],
) -> tuple[str, Message]:
    """(e-mail subject, the message) for everything due to one person in one sweep."""
    blocks: list[Block] = []
    actions = sorted(actions, key=lambda n: (n.series.key, n.action.number))
    for c in chair:
        blocks.extend(c.blocks())
    for p in papers:
        blocks.append(Text(_papers_text(p, roster, today)))
    if len(actions) == 1:
        head = "Reminder: " if not blocks else "And your action: "
        blocks.extend(_action_blocks(actions[0], roster, person, today, tz, head))
    elif actions:
        whose = "actions for all partners" if person.mailbox else "of your actions"
        blocks.append(Text(f"Reminders: {len(actions)} {whose} need a look."))
        for n in actions:
            blocks.extend(_action_blocks(n, roster, person, today, tz, "• "))
    if person.mailbox:
        blocks = _to_mailbox(person, roster, blocks)
    return _subject(actions, papers, chair, today), Message(blocks, PERSON, person.initials)


def _to_mailbox(mailbox: PersonRef, roster: Roster, blocks: list[Block]) -> list[Block]:
    """A reminder to an agency's contact address: why it came there, and no answers. A shared mailbox
    is nobody in particular, and every answer is recorded against a person, so its readers answer
    through the business unit, who record it as themselves."""
    agency = mailbox.name
    intro = (
        f"This comes to {agency}'s contact address because the {roster.name} has nobody named to "
        f"answer for {agency}: please pass it to whoever does."
    )
    unit = roster.business_unit
    people = [roster.people[i] for i in roster.group_members(unit)] if unit and unit in roster.groups else []
    names = [f"{p.name} ({p.email})" if p.email else p.name for p in people]
    named = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    who = f"the business unit — {named} —" if named else "the business unit,"
    closing = (
        f"To give an update or say it is done, write to {who} who will record it. "
        f"So that these reminders reach a person, ask them to name a lead for {agency}."
    )
    kept = [b for b in blocks if not isinstance(b, Buttons)]
    return [Text(intro), *kept, Text(closing)]


@dataclass
class DigestPart:
    """What one partnership has for a person: as that partnership's person, in its roster."""

    person: PersonRef
    roster: Roster
    actions: list[ActionNudge]
    papers: list[PapersNudge]
    chair: list[ChairDigest]


def compose_across(
    person: PersonRef, parts: list[DigestPart], today: date, tz: ZoneInfo
) -> tuple[str, Message]:
    """(subject, message) for everything due to one person in one sweep, in every partnership.

    One partnership: exactly `compose`. Several: a part each, headed with the partnership's name."""
    if len(parts) == 1:
        p = parts[0]
        subject, message = compose(p.person, p.roster, today, tz, p.actions, p.papers, p.chair)
        return subject, Message(message.blocks, PERSON, person.initials)
    blocks: list[Block] = []
    for p in parts:
        _, message = compose(p.person, p.roster, today, tz, p.actions, p.papers, p.chair)
        blocks.append(Text(f"In the {p.roster.name}:"))
        blocks.extend(message.blocks)
    subject = _subject(
        [a for p in parts for a in p.actions],
        [x for p in parts for x in p.papers],
        [c for p in parts for c in p.chair],
        today,
    )
    return subject, Message(blocks, PERSON, person.initials)


def _subject(
    actions: list[ActionNudge], papers: list[PapersNudge], chair: list[ChairDigest], today: date
) -> str:
    parts = []
    if chair:
        parts.append("Chair's digest: " + ", ".join(c.series_name for c in chair))
    if papers:
        parts.append("Papers due " + short_date(min(p.deadline for p in papers)))
    if len(actions) == 1:
        a = actions[0]
        parts.append(f"{action_ref(a.series, a.action.number)} {due_phrase(a.action, today)}")
    elif actions:
        parts.append(f"{len(actions)} actions to look at")
    return "Reminder: " + "; ".join(parts) if parts else "Reminder"
