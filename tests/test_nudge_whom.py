"""Who is reminded: group actions (with and without leads, after "not mine"), deputies, guests.

Frozen clocks through the shell door; the tests read the delivery table and the action's owners."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import EXAMPLE, Chat
from sqlalchemy import select
from test_nudge_scenarios import _meeting, claims, sweep

from storage.models import Action, ActionOwner, ActionUpdate, AuditEvent, Person


def _with_group_leads(tmp_path: Path, group: str, leads: list[str]) -> Path:
    spec = yaml.safe_load(EXAMPLE.read_text())
    for g in spec["groups"]:
        if g["id"] == group:
            g["leads"] = leads
    path = tmp_path / "westshire-group-leads.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def declined(chat: Chat, number: int) -> list[tuple[str, str | None, str | None]]:
    """(initials, key, reason) of the members who declined an action, as stored."""
    with chat.app.sessions() as s:
        return [
            (ini, key, reason)
            for ini, key, reason in s.execute(
                select(Person.initials, ActionOwner.key, ActionOwner.removed_reason)
                .join(Action, Action.id == ActionOwner.action_id)
                .join(Person, Person.id == ActionOwner.person_id)
                .where(Action.number == number, Action.series_id == 1, ActionOwner.kind == "declined")
                .order_by(ActionOwner.id)
            )
        ]


def owners(chat: Chat, number: int) -> list[tuple[str, str | None]]:
    with chat.app.sessions() as s:
        return [
            (k, key)
            for k, key in s.execute(
                select(ActionOwner.kind, ActionOwner.key)
                .join(Action, Action.id == ActionOwner.action_id)
                .where(Action.number == number, Action.series_id == 1, ActionOwner.removed_at.is_(None))
            )
        ]


def recipients(chat: Chat, number: int, due: str, kind: str) -> set[str]:
    return {who for k, d, who, _ in claims(chat, number) if d == due and k == kind}


HEALTH = {"LE", "SMi", "TT", "SC"}  # Health colleagues: everyone of the ICB, acute and community trusts


def test_group_action_without_leads_reminds_each_member_once_until_each_declines(chat: Chat) -> None:
    _meeting(chat, "2024-01-02T10:00:00+00:00", "Health colleagues to audit the referrals by 15/01/24")
    got = sweep(chat, "2024-01-08T09:30:00+00:00")  # 7 days before
    assert set(got) == HEALTH
    assert all("Shared with 3 others: one answer is enough." in got[i] for i in HEALTH)
    assert recipients(chat, 1, "2024-01-15", "before:7d") == HEALTH

    # Sarah Milner: not hers. She comes off its reminders; the group keeps it.
    chat.at("2024-01-08T11:00:00+00:00")
    assert "audit the referrals" in chat.dm("SMi", "actions mine")
    out = chat.dm("SMi", "not mine 1")
    assert "audit the referrals" not in chat.dm("SMi", "actions mine")
    assert "audit the referrals" in chat.dm("LE", "actions mine")
    assert "You are off its reminders; it stays with Health colleagues" in out
    assert owners(chat, 1) == [("group", "health")]
    assert declined(chat, 1) == [("SMi", "health", "declined")]
    with chat.app.sessions() as s:
        (event,) = s.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == "board:1", AuditEvent.verb == "returned")
        )
        assert event.actor == "SMi" and event.after and event.after["owners"] == event.before["owners"]
    assert "Board 1 is not yours (owners: Health colleagues). Nothing changed." in chat.dm(
        "SMi", "not mine 1"
    )
    assert declined(chat, 1) == [("SMi", "health", "declined")]  # once
    got = sweep(chat, "2024-01-12T09:30:00+00:00")  # 1 working day before
    assert set(got) == HEALTH - {"SMi"}
    assert all("Shared with 2 others" in got[i] for i in got)
    assert recipients(chat, 1, "2024-01-15", "before:1wd") == HEALTH - {"SMi"}
    digest = chat.dm("MT", "digest")
    line = next(line for line in digest.splitlines() if "Board 1" in line)
    assert "declined by SMi" in line and "no owner" not in line

    # Everyone else declines too: the action is unowned, in the chair's digest, and nobody is reminded.
    for who in ("LE", "TT", "SC"):
        chat.dm(who, "not mine 1")
    assert [d[0] for d in declined(chat, 1)] == ["SMi", "LE", "TT", "SC"]
    digest = chat.dm("MT", "digest")
    line = next(line for line in digest.splitlines() if "Board 1" in line)
    assert "no owner: everyone it was shared with declined it" in line
    assert "declined by SMi, LE, TT, SC" in line and "reassign it" in line
    assert sweep(chat, "2024-01-15T09:30:00+00:00") == {}
    assert recipients(chat, 1, "2024-01-15", "due") == set()

    # Reassigned to the group again: the declines were for the old owners, so everyone hears again.
    chat.at("2024-01-15T11:00:00+00:00")
    chat.say("MT", "action 1 owner Health colleagues")
    assert declined(chat, 1) == [(i, "health", "declined_then_reassigned") for i in ("SMi", "LE", "TT", "SC")]
    assert set(sweep(chat, "2024-01-22T09:30:00+00:00")) == HEALTH  # overdue by 7 days


def test_group_action_with_leads_reminds_only_them(chat: Chat, tmp_path: Path) -> None:
    (loaded,) = chat.app.load_files([str(_with_group_leads(tmp_path, "health", ["SC", "LE"]))])
    assert loaded.changed
    _meeting(chat, "2024-01-02T10:00:00+00:00", "Health colleagues to audit the referrals by 15/01/24")
    got = sweep(chat, "2024-01-08T09:30:00+00:00")
    assert set(got) == {"SC", "LE"}
    assert "Shared with" not in got["SC"]
    assert recipients(chat, 1, "2024-01-15", "before:7d") == {"SC", "LE"}

    chat.at("2024-01-08T11:00:00+00:00")
    chat.dm("SC", "not mine 1")
    assert set(sweep(chat, "2024-01-12T09:30:00+00:00")) == {"LE"}
    chat.at("2024-01-12T11:00:00+00:00")
    chat.dm("LE", "not mine 1")
    line = next(line for line in chat.dm("MT", "digest").splitlines() if "Board 1" in line)
    assert "no owner: everyone it was shared with declined it" in line and "declined by SC, LE" in line
    assert sweep(chat, "2024-01-15T09:30:00+00:00") == {}

    # Any member still owns it (the leads only answer for the reminders): Tess Turner closes it.
    chat.at("2024-01-15T12:00:00+00:00")
    assert "is done" in chat.dm("TT", "done 1")
    with chat.app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == 1, Action.series_id == 1)).one()
        assert action.status == "done"


def test_a_deputy_is_not_reminded_for_their_principals_actions(chat: Chat) -> None:
    # Chloe Grant deputises for Tom Rees on the board; his actions are his.
    _meeting(chat, "2024-01-02T10:00:00+00:00", "TR to brief the police leads by 15/01/24")
    got = sweep(chat, "2024-01-08T09:30:00+00:00")
    assert set(got) == {"TR"}
    assert recipients(chat, 1, "2024-01-15", "before:7d") == {"TR"}
    assert "Board 1 is not yours (owners: Tom Rees). Nothing changed." in chat.dm("CG", "done 1")
    with chat.app.sessions() as s:
        assert s.scalars(select(Action.status).where(Action.number == 1)).one() == "open"


def test_any_owner_may_close_and_the_chair_sees_who(chat: Chat) -> None:
    _meeting(
        chat,
        "2024-01-02T10:00:00+00:00",
        "TR and HN to agree the joint protocol by 15/01/24",
        "HN to write to the schools by 16/01/24",
        "Education colleagues to share the audit by 17/01/24",
    )
    chat.at("2024-01-09T11:00:00+00:00")
    assert "is done" in chat.dm("HN", "done 1")  # a co-owner, not the first-named
    assert "is done" in chat.dm("HN", "done 2")  # the owner
    assert "is done" in chat.dm("GP", "done 3")  # a member of the owning group
    with chat.app.sessions() as s:
        closed = dict(
            s.execute(
                select(Action.number, Person.initials)
                .join(ActionUpdate, ActionUpdate.action_id == Action.id)
                .join(Person, Person.id == ActionUpdate.person_id)
                .where(ActionUpdate.kind == "done")
            ).all()
        )
    assert closed == {1: "HN", 2: "HN", 3: "GP"}
    digest = chat.dm("MT", "digest")
    section = digest.split("Closed since the last meeting by someone other than the first-named owner:")[1]
    assert "Board 1" in section and "closed by Hannah Noor on Tue 9 Jan 2024" in section
    assert "Board 3" in section and "closed by Gareth Pryce" in section
    assert "Board 2" not in section


def test_undated_actions_are_chased_on_schedule_and_listed_for_the_chair(chat: Chat) -> None:
    _meeting(chat, "2024-01-02T10:00:00+00:00", "HN to look into the attendance data")
    with chat.app.sessions() as s:
        assert s.scalars(select(Action.due_date).where(Action.number == 1)).one() is None
    assert sweep(chat, "2024-01-29T09:30:00+00:00") == {}
    got = sweep(chat, "2024-01-30T09:30:00+00:00")  # four weeks after it was raised
    assert set(got) == {"HN"}
    assert "no date set: give one with `board 1 new date …`" in got["HN"]
    assert claims(chat, 1) == [("undated:4w", "2024-01-30", "HN", "sent")]
    assert sweep(chat, "2024-02-05T09:30:00+00:00") == {}  # once per four weeks
    got = sweep(chat, "2024-02-27T09:30:00+00:00")
    assert "no date set" in got["HN"]
    assert [c[:2] for c in claims(chat, 1)] == [("undated:4w", "2024-01-30"), ("undated:8w", "2024-02-27")]

    # Before the next meeting the chair's digest lists it.
    chat.at("2024-02-27T12:00:00+00:00")
    chat.say("MT", "next meeting 15/03/24 10:00")
    got = sweep(chat, "2024-03-08T09:30:00+00:00")  # 5 working days before
    undated = got["MT"].split("Actions with no date set (1):")[1]
    assert "Board 1" in undated and "look into the attendance data" in undated

    # A date given: no more chasing; the dated schedule takes over.
    chat.at("2024-03-08T12:00:00+00:00")
    chat.dm("HN", "1 new date 29/03/24")
    got = sweep(chat, "2024-03-26T09:30:00+00:00")  # twelve weeks after it was raised
    assert "is due Fri 29 Mar 2024" in got["HN"] and "no date set" not in got["HN"]
    assert [c[:2] for c in claims(chat, 1)][2:] == [("before:7d", "2024-03-29")]
