"""The chair's escalation digest: what needs the chair's attention before the next meeting.

Sent 5 working days before each meeting (policy `chair_digest`) and on demand (`digest`).
One entry per action, with every reason it is there and one suggested next step:
overdue (flagged when 14 or more days overdue), stale (only "no further update" for N
meetings), no owner or returned as "not mine", owners who left the partnership; then
members not in attendance without apologies at the last two meetings running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from handlers.actions import DECLINED, agency_reminded, current_owners, declined_by, shared_owner_gone
from handlers.format import owners_text, person_name, plural, short_date
from handlers.names import Owner
from handlers.reply import WARNING, Block, Text
from handlers.setup import TrackerPolicy
from handlers.tracker import held_meetings, is_stale
from storage.models import Action, Attendance, Meeting, Person, Series
from storage.roster import Roster, short_name


def action_ref(series: Series, number: int) -> str:
    """How reminders name an action to its owner: by the series' display name, never its id."""
    return f"{series.name} {number}"


def digest_ref(series: Series, number: int) -> str:
    """How the chair's digest names an action on each of its lines: by the series' short name
    ("CPOG 22"), as the tracker does; the digest's heading gives the series' full name."""
    return f"{short_name(series.key, series.name)} {number}"


@dataclass
class DigestEntry:
    ref: str  # "Board 3"
    text: str
    reasons: list[str]
    suggestion: str
    flagged: bool = False


@dataclass
class ChairDigest:
    series_key: str
    series_name: str
    chair: str | None  # initials; None: the series names no chair (the digest goes to its stand-ins)
    meeting_day: date | None
    today: date
    open_actions: int
    actions: list[DigestEntry] = field(default_factory=list)
    absent: list[DigestEntry] = field(default_factory=list)
    # Open actions of groups that have ended (`ends`) and escalate here first: now this chair's to see.
    ended: list[DigestEntry] = field(default_factory=list)
    # Open actions with no due date: listed before each meeting (their owners are chased meanwhile).
    undated: list[DigestEntry] = field(default_factory=list)
    # Actions closed since the last meeting by someone other than their first-named owner.
    closed_by_others: list[DigestEntry] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.actions or self.absent or self.ended or self.closed_by_others or self.undated)

    def blocks(self) -> list[Block]:
        when = ""
        if self.meeting_day is not None:
            when = f", before the meeting on {short_date(self.meeting_day)}"
        head = f"Chair's digest — {self.series_name}{when} ({plural(self.open_actions, 'open action')})."
        if self.chair is None:
            head += (
                " The group names no chair: the digest goes to its vice-chair, else its business manager, "
                "else the business unit."
            )
        if self.empty:
            return [Text(head + " Nothing to escalate: no action is overdue, stale or without an owner.")]
        out: list[Block] = [Text(head)]
        if self.actions:
            lines = [f"Actions that need you ({len(self.actions)}):"]
            for e in self.actions:
                flag = " ⚑" if e.flagged else ""
                lines.append(f"• {e.ref}{flag} {e.text}: {'; '.join(e.reasons)}. Suggested: {e.suggestion}")
            out.append(Text("\n".join(lines), WARNING if any(e.flagged for e in self.actions) else "info"))
        if self.absent:
            lines = ["Not in attendance without apologies at the last two meetings:"]
            lines.extend(f"• {e.text}. Suggested: {e.suggestion}" for e in self.absent)
            out.append(Text("\n".join(lines)))
        if self.undated:
            lines = [f"Actions with no date set ({len(self.undated)}):"]
            lines.extend(f"• {e.ref} {e.text}. Suggested: {e.suggestion}" for e in self.undated)
            out.append(Text("\n".join(lines)))
        if self.closed_by_others:
            lines = ["Closed since the last meeting by someone other than the first-named owner:"]
            lines.extend(f"• {e.ref} {e.text}: {'; '.join(e.reasons)}." for e in self.closed_by_others)
            out.append(Text("\n".join(lines)))
        if self.ended:
            head = f"Open actions of groups that have ended and report to {self.series_name}"
            lines = [f"{head} ({len(self.ended)}):"]
            lines.extend(
                f"• {e.ref} {e.text}: {'; '.join(e.reasons)}. Suggested: {e.suggestion}" for e in self.ended
            )
            out.append(Text("\n".join(lines)))
        return out


def _people(session: Session, partnership_id: str) -> dict[int, str]:
    return dict(
        session.execute(
            select(Person.id, Person.initials).where(Person.partnership_id == partnership_id)
        ).all()
    )


def _returned_by(action: Action, initials: dict[int, str]) -> tuple[str, date] | None:
    """Who last returned the action as "not mine", if nobody has reassigned it since."""
    for u in reversed(action.updates):
        if u.kind == "owner":
            return None
        if u.kind == "not_mine":
            return initials.get(u.person_id or -1, "someone"), u.at.date()
    return None


def chair_digest(
    session: Session,
    roster: Roster,
    series: Series,
    today: date,
    policy: TrackerPolicy,
    meeting_day: date | None = None,
) -> ChairDigest:
    initials = _people(session, series.partnership_id)
    mailed = _mailed(session, series.partnership_id)
    actions = list(
        session.scalars(
            select(Action)
            .where(Action.series_id == series.id, Action.status == "open")
            .order_by(Action.number)
            .options(selectinload(Action.owners), selectinload(Action.updates))
        )
    )
    for a in actions:
        for o in a.owners:
            if o.kind in ("person", DECLINED):
                o.__dict__["_initials"] = initials.get(o.person_id or -1)
    held = held_meetings(session, series.id)
    digest = ChairDigest(
        series_key=series.key,
        series_name=series.name,
        chair=roster.series[series.key].chair_on(meeting_day or today)
        if series.key in roster.series
        else series.chair or None,
        meeting_day=meeting_day,
        today=today,
        open_actions=len(actions),
    )
    for a in actions:
        ref = digest_ref(series, a.number)
        owners = current_owners(a)
        reasons: list[str] = []
        suggestion = ""
        flagged = False
        left = [o.id for o in owners if o.kind == "person" and o.id and not _active(roster, o.id)]
        returned = _returned_by(a, initials)
        gone = shared_owner_gone(roster, a)
        if not owners or gone:
            reasons.append("no owner" + (": everyone it was shared with declined it" if gone else ""))
        declined = [o.__dict__.get("_initials") or "someone" for o in declined_by(a)]
        if declined:
            reasons.append("declined by " + ", ".join(declined))
        unled = _agencies_without_lead(roster, series, a, owners, mailed)
        if unled:
            reasons.append(
                "for all partners: "
                + ", ".join(unled)
                + (" has" if len(unled) == 1 else " have")
                + " no lead or contact address to remind"
            )
        if returned is not None:
            who, day = returned
            reasons.append(f"returned as not mine by {person_name(roster, who)} on {short_date(day)}")
        if left:
            names = [roster.people[i].name if i in roster.people else i for i in left]
            reasons.append(
                ", ".join(names) + (" has" if len(names) == 1 else " have") + " left the partnership"
            )
        if (not owners or gone or returned is not None or left) and reasons:
            suggestion = f"reassign it — `{series.key} {a.number} owner …`."
        elif declined:
            suggestion = f"check who takes it on, or reassign it — `{series.key} {a.number} owner …`."
        elif unled:
            suggestion = "chase those agencies yourself, or give them a `lead` in the partnership file."
        stale = is_stale(a, held, policy.stale_after_meetings)
        if stale:
            reasons.append(f"no real update for {plural(policy.stale_after_meetings, 'meeting')}")
            suggestion = suggestion or (
                f"re-scope it with a new date, or close it — `{series.key} {a.number} due …`, "
                f"`{series.key} {a.number} drop: …`."
            )
        if a.due_date is not None and a.due_date < today:
            days = (today - a.due_date).days
            flagged = days >= policy.long_overdue_days
            reasons.append(f"overdue by {plural(days, 'day')} (due {short_date(a.due_date)})")
            suggestion = suggestion or (
                f"reassign, re-scope or close it — `{series.key} {a.number} owner …`, "
                f"`{series.key} {a.number} due …`, `{series.key} {a.number} drop: …`."
                if flagged
                else f"ask the owners for a new date — `{series.key} {a.number} due …`."
            )
        if reasons:
            who = owners_text(roster, owners)
            digest.actions.append(DigestEntry(ref, f"“{a.title}” ({who})", reasons, suggestion, flagged))
        elif a.due_date is None:
            who = owners_text(roster, owners)
            digest.undated.append(
                DigestEntry(
                    ref,
                    f"“{a.title}” ({who}, raised {short_date(a.created_at.date())})",
                    ["no date set"],
                    f"agree a date at the meeting — `{series.key} {a.number} due …`.",
                )
            )
    digest.actions.sort(key=lambda e: (not e.flagged,))
    digest.absent = _absent_twice(session, roster, series, initials)
    digest.ended = _ended_groups(session, roster, series, today, initials)
    digest.closed_by_others = _closed_by_others(session, roster, series, held, initials)
    return digest


def _closed_by_others(
    session: Session, roster: Roster, series: Series, held: list[datetime], initials: dict[int, str]
) -> list[DigestEntry]:
    """Done since the last held meeting, closed by someone other than the first-named owner (anyone who
    owns an action may close it: a group's member, an agency's lead, a co-owner)."""
    q = (
        select(Action)
        .where(Action.series_id == series.id, Action.status == "done")
        .order_by(Action.number)
        .options(selectinload(Action.owners), selectinload(Action.updates))
    )
    if held:
        q = q.where(Action.closed_at >= held[-1])
    out: list[DigestEntry] = []
    for a in session.scalars(q):
        for o in a.owners:
            if o.kind in ("person", DECLINED):
                o.__dict__["_initials"] = initials.get(o.person_id or -1)
        done = next((u for u in reversed(a.updates) if u.kind == "done"), None)
        owners = current_owners(a)
        if done is None or done.person_id is None or not owners:
            continue
        closer = initials.get(done.person_id, "")
        if owners[0] == Owner("person", closer):
            continue
        out.append(
            DigestEntry(
                digest_ref(series, a.number),
                f"“{a.title}” ({owners_text(roster, owners)})",
                [f"closed by {person_name(roster, closer)} on {short_date(done.at.date())}"],
                "",
            )
        )
    return out


def ended_group_actions(
    session: Session, roster: Roster, series: Series, today: date
) -> list[tuple[Series, list[Action]]]:
    """The groups that have ended by `today` and escalate to `series` first, each with its open actions
    (owners' initials loaded): what the parent's chair now sees in place of the owners' reminders."""
    keys = [s.id for s in roster.children_closed_on(series.key, today)]
    if not keys:
        return []
    initials = _people(session, series.partnership_id)
    out: list[tuple[Series, list[Action]]] = []
    for child in session.scalars(
        select(Series)
        .where(Series.partnership_id == series.partnership_id, Series.key.in_(keys), Series.active)
        .order_by(Series.id)
    ):
        actions = list(
            session.scalars(
                select(Action)
                .where(Action.series_id == child.id, Action.status == "open")
                .order_by(Action.number)
                .options(selectinload(Action.owners), selectinload(Action.updates))
            )
        )
        for a in actions:
            for o in a.owners:
                if o.kind == "person":
                    o.__dict__["_initials"] = initials.get(o.person_id or -1)
        out.append((child, actions))
    return out


def _ended_groups(
    session: Session, roster: Roster, series: Series, today: date, initials: dict[int, str]
) -> list[DigestEntry]:
    out: list[DigestEntry] = []
    for child, actions in ended_group_actions(session, roster, series, today):
        sref = roster.series[child.key]
        ended = short_date(sref.ends) if sref.ends else ""
        for a in actions:
            who = owners_text(roster, current_owners(a))
            due = f"due {short_date(a.due_date)}" if a.due_date else "no due date"
            out.append(
                DigestEntry(
                    digest_ref(child, a.number),
                    f"“{a.title}” ({who})",
                    [f"{child.name} ended on {ended}", due],
                    f"take it on at {series.name} if it is still needed, or let it close with the group.",
                )
            )
    return out


def _mailed(session: Session, partnership_id: str) -> set[str]:
    """Agencies whose contact address the reminders e-mail: those with a mailbox in service (the
    sweep keeps one while it has a door that reaches an address, scheduler/sweep.py)."""
    return {
        key
        for key in session.scalars(
            select(Person.mailbox_of).where(
                Person.partnership_id == partnership_id, Person.mailbox_of.is_not(None), Person.active
            )
        )
        if key is not None
    }


def _agencies_without_lead(
    roster: Roster, series: Series, action: Action, owners: list[Owner], mailed: set[str]
) -> list[str]:
    """For an "all partners" action: the names of the series' agencies nobody is reminded for (no
    `lead`, and no `contact` address the reminders e-mail) — only the chair's digest carries it for
    them (`handlers.actions.agency_reminded`, the sweep's rule)."""
    if not any(o.kind == "all" for o in owners) or series.key not in roster.series:
        return []
    sref = roster.series[series.key]
    out: list[str] = []
    for ini in [*sref.members, *sref.chairs(), *(i for i in (sref.vice_chair,) if i)]:
        person = roster.people.get(ini)
        if person is None:
            continue
        agency = roster.agencies.get(person.agency)
        name = agency.name if agency else person.agency
        reached = agency_reminded(roster, person.agency)
        unreached = reached is None or (reached[0] == "contact" and person.agency not in mailed)
        if unreached and name not in out:
            out.append(name)
    return out


def _active(roster: Roster, initials: str) -> bool:
    p = roster.people.get(initials)
    return p is not None and p.active


def _absent_twice(
    session: Session, roster: Roster, series: Series, initials: dict[int, str]
) -> list[DigestEntry]:
    last_two = list(
        session.scalars(
            select(Meeting.id)
            .where(Meeting.series_id == series.id, Meeting.status == "closed")
            .order_by(Meeting.starts_at.desc())
            .limit(2)
        )
    )
    if len(last_two) < 2:
        return []
    rows = session.execute(
        select(Attendance.person_id, Attendance.meeting_id).where(
            Attendance.meeting_id.in_(last_two), Attendance.status == "absent"
        )
    ).all()
    seen: dict[int, int] = {}
    for person_id, _ in rows:
        if person_id is not None:
            seen[person_id] = seen.get(person_id, 0) + 1
    out = []
    for person_id in sorted(p for p, n in seen.items() if n == 2):
        ini = initials.get(person_id)
        person = roster.people.get(ini or "")
        if person is None or not person.active:
            continue
        agency = roster.agencies.get(person.agency)
        contact = agency.contact if agency else None
        where = agency.name if agency else person.agency
        step = (
            f"write to the agency contact ({contact})."
            if contact
            else f"write to {where}'s line manager for the partnership."
        )
        out.append(DigestEntry(ini or "", f"{person.name} ({where})", ["absent twice"], step))
    return out
