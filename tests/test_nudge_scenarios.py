"""Reminders over weeks of a frozen clock, through the shell door: who hears what, when, and what is stored.

The scripts of tests/fixtures run first (the board meeting, then six weeks of reminders);
the other scenarios build a meeting of their own. Every `! sweep` prints the bot's direct
messages as `→ XX: …`; the tests read those and the delivery table.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, FIXTURES, Chat
from sqlalchemy import select

import handlers.digest  # noqa: F401 - registers `digest` until handlers.commands lists it
from storage.models import Action, ActionOwner, ActionUpdate, Person
from storage.nudge_models import Digest, NudgeClaim

BOARD = [
    line
    for line in (FIXTURES / "board-meeting.script").read_text().splitlines()
    if line not in ("RB: minutes draft", "RB: agenda next board")  # documents: tested elsewhere
]
_SCRIPT = (FIXTURES / "reminders.script").read_text().splitlines()
_WHOM = next(i for i, line in enumerate(_SCRIPT) if line.startswith("# --- Who is reminded"))
REMINDERS, WHO_IS_REMINDED = _SCRIPT[:_WHOM], _SCRIPT[_WHOM:]
DM = re.compile(r"^→ (?P<who>[A-Za-z][A-Za-z0-9-]*): ", re.M)  # initials, or an agency's "mailbox-3"


def mailbox(chat: Chat, agency: str) -> str:
    """The recipient key of an agency's contact address (made by the sweep when first needed)."""
    with chat.app.sessions() as s:
        return s.scalars(select(Person.initials).where(Person.mailbox_of == agency)).one()


def received(out: str) -> dict[str, str]:
    """The direct messages in a piece of shell output, by recipient (one entry per message)."""
    found: dict[str, str] = {}
    parts = DM.split(out)
    # parts: [before, who, text, who, text, ...]
    for who, text in zip(parts[1::2], parts[2::2], strict=True):
        assert who not in found, f"{who} got two messages in one sweep"
        found[who] = text
    return found


def sweep(chat: Chat, iso: str) -> dict[str, str]:
    chat.at(iso)
    out = chat.script("! sweep")
    assert "(sweep " in out
    return received(out)


def run_lines(chat: Chat, lines: list[str]) -> list[tuple[str, str]]:
    """Each line of a script with what the bot printed for it."""
    done = []
    for line in lines:
        if line.strip() and not line.startswith("#"):
            done.append((line, chat.script(line)))
    return done


def log_of(chat: Chat, number: int) -> list[tuple[str, str | None, str, str | None]]:
    with chat.app.sessions() as s:
        return [
            (k, ini, at.isoformat(), text)
            for k, ini, at, text in s.execute(
                select(ActionUpdate.kind, Person.initials, ActionUpdate.at, ActionUpdate.text)
                .join(Action, Action.id == ActionUpdate.action_id)
                .outerjoin(Person, Person.id == ActionUpdate.person_id)
                .where(Action.number == number, Action.series_id == 1)
                .order_by(ActionUpdate.id)
            )
        ]


def claims(chat: Chat, number: int | None = None) -> list[tuple[str, str, str, str]]:
    """(kind, due date, recipient, state) of the delivery table, oldest first."""
    with chat.app.sessions() as s:
        q = (
            select(NudgeClaim.kind, NudgeClaim.due_on, Person.initials, NudgeClaim.state)
            .join(Person, Person.id == NudgeClaim.recipient_id)
            .order_by(NudgeClaim.id)
        )
        if number is not None:
            q = q.join(Action, Action.id == NudgeClaim.action_id).where(Action.number == number)
        return [(k, d.isoformat(), i, st) for k, d, i, st in s.execute(q)]


# --- the two scripts --------------------------------------------------------------------------------------


def test_board_meeting_then_six_weeks_of_reminders(chat: Chat) -> None:
    chat.script("\n".join(BOARD))
    steps = run_lines(chat, REMINDERS)
    sweeps = [received(out) for line, out in steps if line == "! sweep"]
    outputs = dict(steps)
    assert len(sweeps) == 6

    # Mon 22 Jan 09:05: Board 2 is due in 7 days: HN alone hears, with the five answers.
    assert list(sweeps[0]) == ["HN"]
    assert "Board 2 is due Mon 29 Jan 2024 (in 7 days)" in sweeps[0]["HN"]
    for answer in ("done", "update: …", "due …", "not mine", "snooze until …"):
        assert f"`action board 2 {answer}`" in sweeps[0]["HN"]
    assert (
        "update",
        "HN",
        "2024-01-22T09:05:00+00:00",
        "two schools have replied; chasing the third",
    ) in log_of(chat, 2)
    # 09:20: each reminder goes once.
    assert sweeps[1] == {}
    # Fri 26 Jan: one working day before Monday.
    assert list(sweeps[2]) == ["HN"] and "(the next working day)" in sweeps[2]["HN"]
    done = [e for e in log_of(chat, 2) if e[0] == "done"]
    assert done == [("done", "HN", "2024-01-26T09:00:00+00:00", None)]
    # Fri 2 Feb: the Business Unit owns Board 3: each of its members hears once.
    assert sorted(sweeps[3]) == ["OK", "RB"]
    assert all("Board 3 is due Fri 9 Feb 2024 (in 7 days)" in t for t in sweeps[3].values())
    assert "Board 3 is now due Fri 23 Feb 2024" in outputs["RB> 3 new date 23/02/24"]
    assert "not yours" in outputs["OK> done 2"] and len([e for e in log_of(chat, 2) if e[0] == "done"]) == 1
    # Saturday: nothing.
    assert sweeps[4] == {}
    assert "outside working days and hours" in outputs["@ 2024-02-03T10:00:00+00:00"] + "".join(
        out for line, out in steps if line == "! sweep"
    )
    # Fri 8 Mar, after five weeks without a sweep.
    last = sweeps[5]
    assert sorted(last) == ["MT", "OK", "PMw", "RB", "SMa"]
    for who in ("RB", "OK"):
        assert "Board 3 is overdue by 14 days (due Fri 23 Feb 2024)" in last[who]
        assert "in 7 days" not in last[who]  # the missed earlier reminders are not sent late
    for who in ("SMa", "PMw"):
        assert "Board 1 is due at the next meeting, Fri 15 Mar 2024 (in 7 days)" in last[who]
    assert "Chair's digest" in last["MT"] and "• Board 3 ⚑" in last["MT"]
    assert "overdue by 14 days" in last["MT"] and "reassign, re-scope or close" in last["MT"]
    # The papers deadline (5 working days before the meeting) is today: business unit and presenter hear.
    assert "Your item: “Voice of the Child”" in last["SMa"] and "Papers for" in last["RB"]

    # SMa returns Board 1: the chair hears at once, Paul Mawer still owns it.
    returned = outputs["SMa> not mine 1"]
    assert "→ MT: Samir Malik returned Board 1" in returned
    with chat.app.sessions() as s:
        owners = s.execute(
            select(Person.initials, ActionOwner.removed_reason)
            .join(Person, Person.id == ActionOwner.person_id)
            .join(Action, Action.id == ActionOwner.action_id)
            .where(Action.number == 1)
        ).all()
    assert sorted(owners) == [("PMw", None), ("SMa", "not_mine")]
    assert ("not_mine", "SMa", "2024-03-08T09:00:00+00:00", None) in log_of(chat, 1)

    # The delivery table: one row per nudge and person, all sent once; Board 3's schedule re-armed.
    assert claims(chat, 2) == [
        ("before:7d", "2024-01-29", "HN", "sent"),
        ("before:1wd", "2024-01-29", "HN", "sent"),
    ]
    assert sorted(claims(chat, 3)) == [
        ("before:7d", "2024-02-09", "OK", "sent"),
        ("before:7d", "2024-02-09", "RB", "sent"),
        ("overdue:14d", "2024-02-23", "OK", "sent"),
        ("overdue:14d", "2024-02-23", "RB", "sent"),
    ]
    every = claims(chat)
    assert all(state == "sent" for *_, state in every)
    assert len(every) == len(set(every)) == 12  # 8 action nudges, the chair's digest, 3 papers reminders
    with chat.app.sessions() as s:
        digests = list(s.scalars(select(Digest)))
    assert len(digests) == 9 and {d.door for d in digests} == {"shell"}  # one per person per sweep
    assert all(d.route == [{"door": "shell", "result": "sent"}] for d in digests)

    # Once more the same morning: nothing; and the chair's digest on demand names the returned action.
    assert sweep(chat, "2024-03-08T11:00:00+00:00") == {}
    on_demand = chat.dm("MT", "digest")
    assert "Board 1" in on_demand and "returned as not mine by Samir Malik on Fri 8 Mar 2024" in on_demand

    # The script goes on: who is reminded of a group's, all partners', a deputy's principal's and an
    # undated action.
    steps = run_lines(chat, WHO_IS_REMINDED)
    sweeps = [received(out) for line, out in steps if line == "! sweep"]
    outputs = dict(steps)
    assert (
        "Action 4 — Health colleagues"
        in outputs["PMw: Action: Health colleagues to audit the referrals by 29/03/24"]
    )
    # Board 3 (the Business Unit's) and Board 1 (PMw's) are still overdue; the rest is new. No agency names
    # a lead: Board 5 goes to the two with a contact address (the council's, the police's), nobody else.
    boxes = [mailbox(chat, "council"), mailbox(chat, "police")]
    assert sorted(sweeps[0]) == sorted(["LE", "OK", "PMw", "RB", "SC", "SMi", "TR", "TT", *boxes]), {
        k: v[:80] for k, v in sweeps[0].items()
    }  # not CG (TR's deputy)
    assert all("Shared with 3 others" in sweeps[0][i] for i in ("LE", "SMi", "TT", "SC"))
    assert "Board 6" in sweeps[0]["TR"]
    assert [who for who, text in sweeps[0].items() if "Board 5" in text] == boxes
    assert (
        "Marcia Police's contact address" in sweeps[0][boxes[1]] and "Reply with" not in sweeps[0][boxes[1]]
    )
    assert "You are off its reminders" in outputs["SMi> not mine 4"]
    assert sorted(sweeps[1]) == sorted(["LE", "SC", "TR", "TT", *boxes]), {
        k: v[:80] for k, v in sweeps[1].items()
    }
    assert all("Shared with 2 others" in sweeps[1][i] for i in ("LE", "TT", "SC"))
    assert ("done", "TT") in [(e[0], e[1]) for e in log_of(chat, 4)]
    assert sorted(sweeps[2]) == sorted(["HN", "OK", "PMw", "RB", "TR", *boxes]), {
        k: v[:80] for k, v in sweeps[2].items()
    }
    assert (
        "Board 7: “look into the attendance data” — no date set: give one with `board 7 new date …`"
        in (sweeps[2]["HN"])
    )
    assert "Board 6 is overdue by 14 days" in sweeps[2]["TR"]
    assert [(k, who) for k, _, who, _ in claims(chat, 7)] == [("undated:4w", "HN")]
    assert sorted((k, who) for k, _, who, _ in claims(chat, 5)) == sorted(
        (k, who)
        for k in ("before:7d", "due", "overdue:14d")
        for who in boxes  # 29 Mar is Good Friday
    )
    digest = outputs["MT> digest board"]
    (line5,) = [line for line in digest.splitlines() if "Board 5" in line]
    assert "Probation Service" in line5 and "no lead or contact address to remind" in line5
    assert "Westshire Council" not in line5 and "Marcia Police" not in line5
    assert "closed by Tess Turner on Thu 28 Mar 2024" in digest
    assert "Board 7" in digest.split("Actions with no date set")[1]


# --- scenarios of their own ------------------------------------------------------------------------------


def _meeting(chat: Chat, iso: str, *actions: str) -> None:
    chat.at(iso)
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE SMa HN RB TR")
    for text in actions:
        out = chat.say("PMw", f"Action: {text}")
        assert "Action " in out and "?" not in out.split("\n")[0], out
    chat.say("MT", "meeting end")


def _with_agency_leads(tmp_path: Path, leads: dict[str, str]) -> Path:
    spec = yaml.safe_load(EXAMPLE.read_text())
    for agency in spec["agencies"]:
        if agency["id"] in leads:
            agency["lead"] = leads[agency["id"]]
    path = tmp_path / "westshire-leads.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_one_digest_per_person_and_all_partners_reach_agency_leads(chat: Chat, tmp_path: Path) -> None:
    _meeting(
        chat,
        "2024-01-02T10:00:00+00:00",
        "HN to write to the three schools by 15/01/24",
        "HN to draft the attendance letter by 16/01/24",
        "HN to collect the audit returns by 18/01/24",
        "HN to book the training venue by 19/01/24",
        "All partners to read the neglect strategy by 15/01/24",
    )
    # No agency names a lead: "all partners" reminds the contact addresses of the two agencies that have
    # one (never every member of the series) ...
    got = sweep(chat, "2024-01-15T09:30:00+00:00")
    boxes = [mailbox(chat, "council"), mailbox(chat, "police")]
    assert set(got) == {"HN", *boxes}
    hn = got["HN"]
    assert "Reminders: 4 of your actions need a look." in hn
    assert hn.count("Reply with:") == 4
    for n, phrase in ((1, "is due today"), (2, "is due tomorrow"), (3, "(in 3 days)"), (4, "(in 4 days)")):
        (line,) = [line for line in hn.splitlines() if f"Board {n} " in line and "Reply" not in line]
        assert phrase in line
    assert sorted(who for _, _, who, _ in claims(chat, 5)) == boxes
    # ... and the chair's digest carries it, naming the agencies nobody answers for.
    digest = chat.dm("MT", "digest")
    line5 = next(line for line in digest.splitlines() if "Board 5" in line)
    assert "for all partners:" in line5 and "Probation Service" in line5 and "Marcia Police" not in line5

    # Agencies name their leads: from the next reminder each lead is reminded once, whichever series
    # members they answer for; the council's address no longer is, the police's (no lead) still is.
    (loaded,) = chat.app.load_files([str(_with_agency_leads(tmp_path, {"council": "GP", "acute": "TT"}))])
    assert loaded.changed
    assert sweep(chat, "2024-01-15T15:00:00+00:00") == {}  # today's reminder has gone: not again
    got = sweep(chat, "2024-01-22T09:30:00+00:00")
    assert {"GP", "TT", boxes[1]} <= set(got) and boxes[0] not in got
    assert "Board 5 is overdue by 7 days" in got["GP"] and "Owners: All members" in got["GP"]
    assert got["GP"].count("Reply with:") == 1
    assert sorted(who for k, _, who, _ in claims(chat, 5) if k == "overdue:7d") == sorted(
        ["GP", "TT", boxes[1]]
    )
    # A lead answers for the agency: they may close it.
    chat.at("2024-01-22T10:00:00+00:00")
    assert "is done" in chat.dm("TT", "done 5")
    digest = chat.dm("MT", "digest")
    (line5,) = [line for line in digest.splitlines() if "Board 5" in line]
    assert "closed by Tess Turner on Mon 22 Jan 2024" in line5  # not in "Actions that need you"
    assert sweep(chat, "2024-01-22T16:00:00+00:00") == {}


def test_bank_holiday_week_and_working_hours(chat: Chat) -> None:
    _meeting(chat, "2024-03-20T10:00:00+00:00", "HN to circulate the audit by 2 April 2024")
    assert sweep(chat, "2024-03-26T08:55:00+00:00") == {}  # before 09:00
    assert "in 7 days" in sweep(chat, "2024-03-26T09:00:00+00:00")["HN"]
    # 1 working day before Tue 2 Apr is Maundy Thursday (Good Friday and Easter Monday are holidays).
    assert sweep(chat, "2024-03-27T12:00:00+00:00") == {}
    assert "(the next working day)" in sweep(chat, "2024-03-28T16:00:00+00:00")["HN"]
    assert sweep(chat, "2024-03-29T10:00:00+00:00") == {}  # Good Friday
    assert sweep(chat, "2024-04-01T10:00:00+00:00") == {}  # Easter Monday
    # British Summer Time: 08:30 UTC is 09:30 in London.
    assert "is due today" in sweep(chat, "2024-04-02T08:30:00+00:00")["HN"]
    assert sweep(chat, "2024-04-09T16:45:00+00:00") == {}  # 17:45 BST: after hours
    # The 7-days-overdue reminder fell after hours on 9 Apr: it goes the next morning, telling the truth.
    assert "is overdue by 8 days" in sweep(chat, "2024-04-10T08:00:00+00:00")["HN"]
    assert [k for k, *_ in claims(chat, 1)] == ["before:7d", "before:1wd", "due", "overdue:7d"]


def test_snooze_then_the_most_recent_reminder(chat: Chat) -> None:
    _meeting(chat, "2024-01-19T10:00:00+00:00", "HN to tell MT why by Monday the 29th of January 2024")
    assert "in 7 days" in sweep(chat, "2024-01-22T09:05:00+00:00")["HN"]
    out = chat.dm("HN", "snooze 1 until 5/2/24")
    assert "No reminders for Board 1 until Mon 5 Feb 2024" in out
    assert ("snooze", "HN", "2024-01-22T09:05:00+00:00", "until Mon 5 Feb 2024") in log_of(chat, 1)
    for day in ("2024-01-26", "2024-01-29", "2024-02-02"):
        assert sweep(chat, f"{day}T10:00:00+00:00") == {}
    got = sweep(chat, "2024-02-05T10:00:00+00:00")
    assert "Board 1 is overdue by 7 days" in got["HN"]
    assert [k for k, *_ in claims(chat, 1)] == ["before:7d", "overdue:7d"]


def test_a_new_due_date_re_arms_the_schedule(chat: Chat) -> None:
    _meeting(chat, "2024-01-19T10:00:00+00:00", "HN to tell MT why by Monday the 29th of January 2024")
    assert "due today" in sweep(chat, "2024-01-29T09:00:00+00:00")["HN"]
    chat.at("2024-01-29T09:10:00+00:00")
    assert "now due Fri 9 Feb 2024" in chat.dm("HN", "1 new date 9/2/24")
    assert sweep(chat, "2024-01-29T11:00:00+00:00") == {}  # 7 days before 9 Feb is 2 Feb
    assert "in 7 days" in sweep(chat, "2024-02-02T09:00:00+00:00")["HN"]
    assert "is due tomorrow" in sweep(chat, "2024-02-08T09:00:00+00:00")["HN"]
    assert [(k, d) for k, d, *_ in claims(chat, 1)] == [
        ("due", "2024-01-29"),
        ("before:7d", "2024-02-09"),
        ("before:1wd", "2024-02-09"),
    ]


def test_done_and_dropped_actions_are_never_nudged_and_answers_count_once(chat: Chat) -> None:
    _meeting(
        chat,
        "2024-01-19T10:00:00+00:00",
        "HN to tell MT why by Monday the 29th of January 2024",
        "SMa to draft the protocol by Monday the 29th of January 2024",
    )
    chat.at("2024-01-22T08:00:00+00:00")
    assert "is done" in chat.dm("HN", "done 1")
    assert "already done" in chat.dm("HN", "done 1")  # the same answer twice changes nothing
    assert "is dropped" in chat.say("MT", "board 2 drop: superseded")
    assert sweep(chat, "2024-01-22T09:05:00+00:00") == {}
    assert [e[0] for e in log_of(chat, 1)] == ["created", "done"]
    assert claims(chat) == []


def test_a_reminder_for_an_action_closed_before_its_send_is_dropped(chat: Chat) -> None:
    _meeting(chat, "2024-01-19T10:00:00+00:00", "HN to tell MT why by Monday the 29th of January 2024")
    # The reminder is keyed, then the action is done before any process sends it (say all were down).
    from scheduler.sweep import Sweeper

    class Down:
        door = "shell"

        def reach(self, person: object) -> bool:
            return True

        def send(self, out: object) -> str:
            from scheduler.couriers import DeliveryFailed

            raise DeliveryFailed("the door is down")

    at = datetime(2024, 1, 22, 9, 5, tzinfo=UTC)
    report = Sweeper(chat.app.sessions, {"shell": Down()}).run(at)
    assert report.failed and claims(chat, 1) == [("before:7d", "2024-01-29", "HN", "failed")]
    chat.at("2024-01-22T09:30:00+00:00")
    chat.dm("HN", "done 1")
    assert sweep(chat, "2024-01-22T10:00:00+00:00") == {}
    assert claims(chat, 1) == [("before:7d", "2024-01-29", "HN", "dropped")]


def _without_hannah(tmp_path: Path) -> Path:
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["people"] = [p for p in spec["people"] if p["initials"] != "HN"]
    for group in spec["groups"]:
        if "members" in group:
            group["members"] = [m for m in group["members"] if m != "HN"]
    for series in spec["series"]:
        series["members"] = [m for m in series["members"] if m != "HN"]
    path = tmp_path / "westshire-without-hn.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_chair_digest_names_leavers_stale_actions_and_repeated_absence(chat: Chat, tmp_path: Path) -> None:
    # Two meetings: Gareth Pryce (council, with an agency contact) is absent without apologies at both.
    _meeting(
        chat,
        "2024-01-19T10:00:00+00:00",
        "HN to tell MT why by Monday the 29th of January 2024",
        "SMa to refresh the neglect toolkit by 30 June 2024",
    )
    chat.at("2024-01-19T12:00:00+00:00")
    chat.say("MT", "next meeting 15/03/24 10:00")
    chat.at("2024-02-16T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE SMa RB TR")
    chat.say("MT", "action 2 update: No further update. Action ongoing.")
    chat.say("MT", "meeting end")
    chat.at("2024-03-15T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE SMa RB TR")
    chat.say("MT", "action 2 update: no further update")
    chat.say("MT", "next meeting 17/05/24 10:00")
    chat.say("MT", "meeting end")
    # Hannah Noor leaves the partnership: her action goes to the chair's digest, not to her.
    (loaded,) = chat.app.load_files([str(_without_hannah(tmp_path))])
    assert loaded.changed

    got = sweep(chat, "2024-05-10T09:00:00+00:00")  # 5 working days before Fri 17 May
    digest = got["MT"]
    assert "Chair's digest" in digest and "before the meeting on Fri 17 May 2024" in digest
    line1 = next(line for line in digest.splitlines() if "Board 1" in line)
    assert "Hannah Noor has left the partnership" in line1 and "reassign it" in line1 and "⚑" in line1
    line2 = next(line for line in digest.splitlines() if "Board 2" in line)
    assert "no real update for 2 meetings" in line2 and "re-scope" in line2
    assert "Gareth Pryce (Westshire Council)" in digest
    assert "safeguarding.partnership@westshire.example" in digest
    assert "Samir Malik" not in digest.split("Not in attendance")[1]
    assert "HN" not in got
    assert not [c for c in claims(chat) if c[2] == "HN" and c[0] != "before:7d"]


def test_digest_on_demand_is_for_the_chair_team(chat: Chat) -> None:
    _meeting(chat, "2024-01-19T10:00:00+00:00", "HN to tell MT why by Monday the 29th of January 2024")
    chat.at("2024-02-19T10:00:00+00:00")
    out = chat.dm("MT", "digest")
    assert "→ MT: Chair's digest — Children's Safeguarding Partnership Board" in out
    assert "Board 1 ⚑" in out and "overdue by 21 days" in out
    assert "Only the chair" in chat.say("HN", "digest board")
    assert "chair team" in chat.dm("HN", "digest")
    # The business unit helps run every series: a digest for each.
    out = chat.dm("RB", "digest")
    assert out.count("Chair's digest") == 3
    assert "Nothing to escalate" in out


def test_sweep_output_is_the_same_on_every_run(chat: Chat) -> None:
    # Determinism matters for scripts people read: the shell sends in a stable order.
    chat.script("\n".join(BOARD))
    chat.at("2024-03-08T09:00:00+00:00")
    out = chat.script("! sweep")
    assert list(received(out)) == sorted(received(out), key=lambda i: _person_id(chat, i))


def _person_id(chat: Chat, initials: str) -> int:
    with chat.app.sessions() as s:
        return s.scalars(select(Person.id).where(Person.initials == initials)).one()


@pytest.mark.parametrize("when", ["2024-01-22T09:05:00+00:00"])
def test_claims_are_keyed_by_action_kind_due_date_and_recipient(chat: Chat, when: str) -> None:
    chat.script("\n".join(BOARD))
    sweep(chat, when)
    with chat.app.sessions() as s:
        (c,) = s.scalars(select(NudgeClaim)).all()
        action = s.get(Action, c.action_id)
    assert action is not None and action.number == 2
    assert (c.kind, c.due_on, c.scheduled_on, c.state) == (
        "before:7d",
        date(2024, 1, 29),
        date(2024, 1, 22),
        "sent",
    )
    assert c.attempts == 1 and c.door == "shell" and c.message_id and not c.possible_duplicate
