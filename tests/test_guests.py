"""People who are not in the partnership file: guests, close-name questions, and merging a guest.

Every name here is fictional; the partnership is examples/westshire.yaml (Bethan Lloyd is BLl,
Hannah Noor is HN, the business unit is RB and OK).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import func, select, text

import handlers.documents  # noqa: F401 - registers the document commands
from bot.app import App
from bot.cli import main
from handlers.names import close_people, full_name_like
from storage.db import make_engine
from storage.models import (
    Action,
    ActionOwner,
    ActionUpdate,
    AgendaItem,
    Attendance,
    AuditEvent,
    Partnership,
    Person,
)
from storage.nudge_models import NudgeClaim
from storage.partnership_file import read_partnership
from storage.roster import Roster

# --- reading what was stored ------------------------------------------------------------------------------


def guests(chat: Chat) -> list[tuple[str, str, str | None, bool]]:
    """(name, agency, e-mail, still a guest of their own) of every guest, oldest first."""
    with chat.app.sessions() as s:
        return [
            (p.name, p.agency_key, p.email, p.merged_into_id is None)
            for p in s.scalars(select(Person).where(Person.guest.is_(True)).order_by(Person.id))
        ]


def guest_id(chat: Chat, name: str) -> int:
    with chat.app.sessions() as s:
        return s.scalars(select(Person.id).where(Person.guest.is_(True), Person.name == name)).one()


def person_id(chat: Chat, initials: str) -> int:
    with chat.app.sessions() as s:
        return s.scalars(select(Person.id).where(Person.initials == initials)).one()


def owners(chat: Chat, number: int) -> list[str]:
    """The current owners of a board action: initials, or a guest's name."""
    with chat.app.sessions() as s:
        rows = s.execute(
            select(Person.initials, Person.name, Person.guest)
            .join(ActionOwner, ActionOwner.person_id == Person.id)
            .join(Action, Action.id == ActionOwner.action_id)
            .where(Action.number == number, ActionOwner.removed_at.is_(None))
            .order_by(ActionOwner.position)
        )
        return [name if guest else initials for initials, name, guest in rows]


def audit(chat: Chat, verb: str) -> list[AuditEvent]:
    with chat.app.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)))


def count(chat: Chat, model: Any) -> int:
    with chat.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def open_board(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "next meeting Friday 15 March 2024 10:00-12:00 at Westshire House")


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--database", database_url, *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# --- which names may become guests (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Imogen Parry", True),
        ("imogen parry", False),  # not capitalised like a name: read as text, not a new person
        ("Ann O'Neil", True),
        ("Rhys ap Gwyn", True),
        ("Mary Ann Hale-Jones", True),
        ("SM PMcL", False),
        ("Imogen", False),
        ("Business Unit", False),
        ("Early Help", False),
        ("Designated Nurse", False),
        ("Health Colleagues", False),
        ("J. Parry", False),
    ],
)
def test_which_names_read_as_full_names(typed: str, expected: bool) -> None:
    assert full_name_like(typed) is expected


def test_close_names_are_misspellings_or_the_same_surname() -> None:
    roster = Roster.from_spec(read_partnership(EXAMPLE))
    assert close_people("Bethan Loyd", roster) == ("BLl",)
    assert close_people("Beth Lloyd", roster) == ("BLl",)
    assert close_people("Hanna Noor", roster) == ("HN",)
    assert close_people("Imogen Parry", roster) == ()
    assert close_people("Jane Lloyd", roster) == ()  # the same surname, another first name


# --- owners ------------------------------------------------------------------------------------------------


def test_an_owner_not_in_the_file_is_recorded_as_a_guest_and_found_again(chat: Chat) -> None:
    open_board(chat)
    out = chat.say("MT", "Action 1. Imogen Parry to agree the timescale with the police by 9/2/24")
    assert "Action 1 — Imogen Parry — due Fri 9 Feb 2024" in out
    assert "Imogen Parry is not in the partnership file: recorded as a guest." in out
    assert "Reminders for them go to the Business Unit" in out and "`person Imogen Parry email …`" in out
    assert guests(chat) == [("Imogen Parry", "", None, True)]
    assert owners(chat, 1) == ["Imogen Parry"]
    with chat.app.sessions() as s:
        guest = s.scalars(select(Person).where(Person.guest.is_(True))).one()
        assert guest.initials == f"guest-{guest.id}" and guest.active
    added = audit(chat, "guest added")
    assert [(e.entity, e.actor, e.after) for e in added] == [
        ("person", "MT", {"name": "Imogen Parry", "agency": None})
    ]
    # The same name again, in any case: the same guest, and nothing more to say about her.
    out = chat.say("MT", "Action: imogen parry and HN to share the data by Friday")
    assert "Action 2 — Imogen Parry, Hannah Noor" in out and "recorded as a guest" not in out
    assert owners(chat, 2) == ["Imogen Parry", "HN"]
    out = chat.say("MT", "action 2 owner Imogen Parry")
    assert owners(chat, 2) == ["Imogen Parry"]
    assert len(guests(chat)) == 1 and len(audit(chat, "guest added")) == 1
    assert "Imogen Parry" in chat.say("MT", "actions")
    assert "Action 2 — Imogen Parry" in chat.say("MT", "action 2")


def test_initials_that_match_nobody_still_get_a_question(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale by 9/2/24")
    # A guest is found by full name only: her initials name nobody.
    out = chat.say("MT", "Action: IP to circulate the protocol by 9/2/24")
    assert "I don't know “IP”" in out
    assert count(chat, Action) == 1
    out = chat.say("MT", "Imogen Parry")  # the answer can be a full name
    assert "Action 2 — Imogen Parry" in out
    assert owners(chat, 2) == ["Imogen Parry"] and len(guests(chat)) == 1


def test_an_answer_with_a_new_full_name_records_a_guest(chat: Chat) -> None:
    open_board(chat)
    out = chat.say("MT", "Action: ZQ to circulate the protocol by 9/2/24")
    assert "I don't know “ZQ”" in out and count(chat, Action) == 0
    out = chat.say("MT", "Marcus Webb")
    assert "Action 1 — Marcus Webb" in out and "Marcus Webb is not in the partnership file" in out
    assert guests(chat) == [("Marcus Webb", "", None, True)]


def test_a_close_name_is_asked_about_and_yes_means_that_person(chat: Chat) -> None:
    open_board(chat)
    out = chat.say("MT", "Action: Bethan Loyd to circulate the protocol by 9/2/24")
    assert "“Bethan Loyd” is not in the partnership file" in out and "Did you mean Bethan Lloyd (BLl)?" in out
    assert "`guest`" in out
    assert count(chat, Action) == 0 and guests(chat) == []  # nothing stored until the answer
    out = chat.say("MT", "yes")
    assert "Action 1 — Bethan Lloyd" in out
    assert owners(chat, 1) == ["BLl"] and guests(chat) == []
    with chat.app.sessions() as s:
        assert (
            s.scalars(select(Action.text)).one() == "Action: Bethan Lloyd to circulate the protocol by 9/2/24"
        )


def test_a_close_name_answered_with_initials(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action: Hanna Noor and Marcus Webb to brief the schools by 9/2/24")
    out = chat.say("MT", "HN")
    assert "Action 1 — Hannah Noor, Marcus Webb" in out
    assert owners(chat, 1) == ["HN", "Marcus Webb"]
    assert guests(chat) == [("Marcus Webb", "", None, True)]


def test_a_close_name_answered_guest_records_the_guest(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action: Bethan Loyd to circulate the protocol by 9/2/24")
    out = chat.say("MT", "guest")
    assert "Action 1 — Bethan Loyd" in out
    assert owners(chat, 1) == ["Bethan Loyd"] and guests(chat) == [("Bethan Loyd", "", None, True)]
    assert [e.actor for e in audit(chat, "guest added")] == ["MT"]
    # Next time the guest is found at once; a name close to both asks about both.
    out = chat.say("MT", "Action: Bethan Loyd to check the figures by 9/2/24")
    assert "Action 2 — Bethan Loyd" in out
    out = chat.say("MT", "Action: Bethan Lloyde to draft the letter by 9/2/24")
    assert "Bethan Lloyd (BLl)" in out and "Bethan Loyd, already recorded as a guest" in out
    out = chat.say("MT", "2")
    assert "Action 3 — Bethan Loyd" in out
    assert owners(chat, 3) == ["Bethan Loyd"] and len(guests(chat)) == 1


def test_a_close_name_question_keeps_asking_until_it_is_answered(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action: Bethan Loyd to circulate the protocol by 9/2/24")
    out = chat.say("MT", "perhaps")
    assert "doesn't answer my question" in out and "`guest`" in out and "`cancel`" in out
    assert "Cancelled" in chat.say("MT", "cancel")
    assert count(chat, Action) == 0 and guests(chat) == []


# --- presenters, attendees, deputies -----------------------------------------------------------------------


def test_presenter_attendee_and_deputy_guests(chat: Chat) -> None:
    open_board(chat)
    out = chat.say("MT", 'agenda add "Children\'s Summit" presenter Marcus Webb')
    assert "presented by Marcus Webb" in out and "Marcus Webb is not in the partnership file" in out
    with chat.app.sessions() as s:
        assert s.scalars(
            select(AgendaItem.presenter_id).where(AgendaItem.presenter_id.is_not(None))
        ).one() == guest_id(chat, "Marcus Webb")
    out = chat.say("MT", "present MT LE SMa Aled Price")
    assert "Aled Price is not a member" in out and "recorded as a guest" in out
    out = chat.say("MT", "in attendance Aled Price (Marcia Police), Marcus Webb")
    assert "recorded as a guest" not in out
    out = chat.say("MT", "Neil Wiley for TR")
    assert "Neil Wiley is attending for Tom Rees." in out and "does not count towards quorum" in out
    assert [(n, a) for n, a, _, _ in guests(chat)] == [
        ("Marcus Webb", ""),
        ("Aled Price", ""),
        ("Neil Wiley", ""),
    ]
    with chat.app.sessions() as s:
        rows = {
            name: (a.status, a.deputy_for_id, a.role_note)
            for a, name in s.execute(
                select(Attendance, Person.name).join(Person, Person.id == Attendance.person_id)
            ).all()
            if name in ("Aled Price", "Marcus Webb", "Neil Wiley")
        }
    assert rows == {
        "Aled Price": ("in_attendance", None, "Marcia Police"),
        "Marcus Webb": ("in_attendance", None, None),
        "Neil Wiley": ("deputy", person_id(chat, "TR"), None),
    }
    # A guest deputy does not make the police represented.
    assert "Marcia Police" in chat.say("MT", "quorum")
    said = chat.say("MT", "attendance")
    assert "Neil Wiley (for Tom Rees)" in said and "Aled Price (Marcia Police)" in said


def test_a_guest_attendee_named_with_an_agency_gets_it(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "in attendance Aled Price (Marcia Police)")
    assert guests(chat) == [("Aled Price", "police", None, True)]


# --- the business unit's commands --------------------------------------------------------------------------


def test_business_unit_gives_a_guest_an_email_and_an_agency(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale by 9/2/24")
    out = chat.say("RB", "person Imogen Parry email imogen.parry@example.org")
    assert "Reminders for Imogen Parry now go to imogen.parry@example.org." in out
    out = chat.say("RB", "person Imogen Parry agency police")
    assert "Imogen Parry is with Marcia Police." in out
    out = chat.say("RB", "person imogen parry agency Westshire Council")
    assert guests(chat) == [("Imogen Parry", "council", "imogen.parry@example.org", True)]
    changed = audit(chat, "guest changed")
    assert [(e.actor, e.before, e.after) for e in changed] == [
        ("RB", {"email": None}, {"email": "imogen.parry@example.org"}),
        ("RB", {"agency": None}, {"agency": "police"}),
        ("RB", {"agency": "police"}, {"agency": "council"}),
    ]
    listed = chat.say("RB", "people guests")
    assert "Imogen Parry" in listed and "imogen.parry@example.org" in listed


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("person Imogen Parry email imogen.parry", "is not an e-mail address"),
        ("person Imogen Parry agency the moon", "is not an agency in the partnership file"),
        (
            "person Ivy Parry email ivy@example.org",
            "No guest is called “Ivy Parry”. Did you mean Imogen Parry?",
        ),
        ("person Rhian Bowen email rb@example.org", "is in the partnership file, not a guest"),
        ('person merge "Imogen Parry" ZZ', "is nobody in the partnership file"),
        ('person merge "Imogen Parry" NF', "Nadia Frost (NF) has left the partnership"),
        ('person merge "Ivy Parry" RB', "No guest is called"),
    ],
)
def test_bad_input_to_the_people_commands_changes_nothing(
    chat: Chat, app: App, tmp_path: Path, line: str, answer: str
) -> None:
    open_board(chat)
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale by 9/2/24")
    if "NF" in line:  # Nadia Frost leaves the file
        text_ = EXAMPLE.read_text().replace(
            "  - {name: Nadia Frost, initials: NF, agency: probation, title: Head of Service}\n", ""
        )
        text_ = text_.replace(", OK, NF]", ", OK]")
        changed = tmp_path / "westshire.yaml"
        changed.write_text(text_)
        code, _, err = cli(app.settings.database_url, "load", str(changed))
        assert code == 0, err
    before = (guests(chat), owners(chat, 1), count(chat, AuditEvent))
    out = chat.say("RB", line)
    assert answer in out and "Nothing changed." in out
    assert (guests(chat), owners(chat, 1), count(chat, AuditEvent)) == before


def test_only_the_business_unit_or_a_chair_team_manages_guests(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale by 9/2/24")
    assert "Only " in chat.say("HN", "person Imogen Parry email imogen.parry@example.org")
    assert "Only the Business Unit or a series' chair team" in chat.dm("HN", "people guests")
    assert "Imogen Parry" in chat.dm("OK", "people guests")
    assert guests(chat) == [("Imogen Parry", "", None, True)]


# --- the file changes; the guest is merged ----------------------------------------------------------------


def _file_with_imogen(tmp_path: Path) -> Path:
    text_ = EXAMPLE.read_text().replace(
        "  - {name: Owen Kaye,",
        "  - {name: Imogen Parry, initials: IP, agency: council, title: Commissioning Officer}\n"
        "  - {name: Owen Kaye,",
    )
    path = tmp_path / "westshire.yaml"
    path.write_text(text_)
    return path


def test_file_reload_keeps_guests_and_merge_moves_everything(chat: Chat, app: App, tmp_path: Path) -> None:
    open_board(chat)
    chat.say("MT", "present MT LE SMa Imogen Parry")
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale with the police by 9/2/24")
    chat.say("MT", "Action 2. Imogen Parry and HN to brief the schools by 9/2/24")
    chat.say("MT", "action 1 update: met the police lead")
    chat.say("MT", 'agenda add "Commissioning review" presenter Imogen Parry')
    chat.say("MT", "meeting end")
    guest = guest_id(chat, "Imogen Parry")
    updates_before = count(chat, ActionUpdate)
    with app.sessions() as s:
        version = s.scalars(select(Partnership.version)).one()

    # Loading the same file changes nothing; a changed file that gains her keeps the guest and her actions.
    assert "already up to date" in cli(app.settings.database_url, "load", str(EXAMPLE))[1]
    code, out, err = cli(app.settings.database_url, "load", str(_file_with_imogen(tmp_path)))
    assert code == 0, err
    assert out.splitlines()[1:] == ["  added person IP"]
    assert guests(chat) == [("Imogen Parry", "", None, True)]
    assert owners(chat, 1) == ["Imogen Parry"] and owners(chat, 2) == ["Imogen Parry", "HN"]
    with app.sessions() as s:
        row = s.get(Person, guest)
        assert row is not None and row.active and row.merged_into_id is None
        assert s.scalars(select(Partnership.version)).one() > version
    # The file's Imogen Parry is found by her name now; the business unit is told to merge.
    assert '`person merge "Imogen Parry" IP`' in chat.say("RB", "people guests")

    out = chat.say("RB", 'person merge "Imogen Parry" IP')
    assert "Imogen Parry (a guest) is now Imogen Parry (IP)." in out
    assert "2 actions" in out and "1 attendance record" in out and "1 agenda item presented" in out
    ip = person_id(chat, "IP")
    with app.sessions() as s:
        row = s.get(Person, guest)
        assert row is not None and row.merged_into_id == ip and not row.active and row.guest
        assert (
            s.scalars(
                select(func.count()).select_from(ActionOwner).where(ActionOwner.person_id == guest)
            ).one()
            == 0
        )
        assert (
            s.scalars(
                select(Attendance.person_id)
                .join(Person, Person.id == Attendance.person_id)
                .where(Person.initials == "IP")
            ).one()
            == ip
        )
        assert (
            s.scalars(select(AgendaItem.presenter_id).where(AgendaItem.presenter_id.is_not(None))).one() == ip
        )
    assert owners(chat, 1) == ["IP"] and owners(chat, 2) == ["IP", "HN"]
    assert count(chat, ActionUpdate) == updates_before  # every update kept, on the same actions
    merged = audit(chat, "guest merged")
    assert len(merged) == 1 and merged[0].actor == "RB" and merged[0].entity_id == f"guest-{guest}"
    assert merged[0].after is not None and merged[0].after["into"] == "IP"
    assert merged[0].after["moved"]["action_owners.person_id"] == 2
    # Her name and her action read as the file's person now; she is no guest to change or merge again.
    assert "Action 1 — Imogen Parry — due" in chat.say("RB", "action 1")
    assert "was merged into Imogen Parry (IP)" in chat.say("RB", 'person merge "Imogen Parry" IP')
    assert chat.say("RB", "people guests").startswith("bot: There are no guests")


def test_merge_where_both_attended_keeps_the_persons_record(chat: Chat, app: App, tmp_path: Path) -> None:
    code, _, err = cli(app.settings.database_url, "load", str(_file_with_imogen(tmp_path)))
    assert code == 0, err
    open_board(chat)
    chat.say("MT", 'in attendance "Imogen Parrie" (commissioning)')  # quoted: taken as it is
    chat.say("MT", "in attendance IP")
    out = chat.say("RB", 'person merge "Imogen Parrie" IP')
    assert "1 meeting recorded both: IP's own record stays" in out
    with app.sessions() as s:
        assert list(
            s.scalars(select(Person.initials).join(Attendance, Attendance.person_id == Person.id))
        ) == ["IP"]
    removed = audit(chat, "guest merged")[0].after
    assert removed is not None and removed["attendance removed"][0]["role"] == "commissioning"


# --- everywhere a guest is shown ---------------------------------------------------------------------------


def test_export_marks_guests(chat: Chat, app: App) -> None:
    open_board(chat)
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale by 9/2/24")
    chat.say("MT", "Action 2. HN and Imogen Parry to brief the schools by 9/2/24")
    chat.say("MT", "Action 3. SMa to share the figures by 9/2/24")
    code, out, _ = cli(app.settings.database_url, "export", "actions", "--series", "board", "--format", "csv")
    assert code == 0
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["1"]["owners"], rows["1"]["guest_owners"]) == ("Imogen Parry", "Imogen Parry")
    assert (rows["2"]["owners"], rows["2"]["guest_owners"]) == ("HN/Imogen Parry", "Imogen Parry")
    assert (rows["3"]["owners"], rows["3"]["guest_owners"]) == ("SMa", "")


def test_minutes_and_agenda_pack_name_guests(chat: Chat, tmp_path: Path) -> None:
    chat.door.files_dir = tmp_path
    open_board(chat)
    chat.say("MT", "present MT LE SMa Aled Price")
    chat.say("MT", "Action 1. Imogen Parry to agree the timescale by 9/2/24")
    chat.say("MT", 'agenda add "Children\'s Summit" presenter Marcus Webb')
    chat.say("MT", "meeting end")
    minutes = chat.say("RB", "minutes draft")
    assert "Aled Price" in minutes and "Imogen Parry" in minutes and "guest-" not in minutes
    pack = chat.say("RB", "agenda next board")
    assert "Children's Summit" in pack and "Marcus Webb" in pack and "Imogen Parry" in pack
    assert "guest-" not in pack


def test_reminders_of_a_guest_go_to_the_business_unit_until_they_have_an_email(chat: Chat) -> None:
    open_board(chat)
    chat.say("MT", "Action 1. Imogen Parry and HN to agree the timescale by 24/1/24")
    chat.say("MT", "meeting end")
    chat.at("2024-01-23T10:00:00+00:00")
    out = chat.script("! sweep")
    assert "→ RB:" in out and "→ OK:" in out and "→ HN:" in out
    assert "Imogen Parry is a guest with no e-mail, so this comes to you" in out
    with chat.app.sessions() as s:
        recipients = set(
            s.scalars(select(Person.initials).join(NudgeClaim, NudgeClaim.recipient_id == Person.id))
        )
    assert recipients == {"RB", "OK", "HN"}
    chat.say("RB", "person Imogen Parry email imogen.parry@example.org")
    chat.at("2024-01-24T10:00:00+00:00")
    chat.script("! sweep")
    with chat.app.sessions() as s:
        due_today = set(
            s.scalars(
                select(Person.initials)
                .join(NudgeClaim, NudgeClaim.recipient_id == Person.id)
                .where(NudgeClaim.created_at >= chat.now)
            )
        )
    assert f"guest-{guest_id(chat, 'Imogen Parry')}" in due_today and "RB" not in due_today


# --- attendance names from before guests were people --------------------------------------------------------


def test_migration_makes_attendance_guest_names_guest_people(app: App, database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from storage.db import MIGRATIONS

    chat = Chat(app)
    open_board(chat)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(database_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.begin() as conn:
        meeting = conn.execute(text("SELECT id FROM meetings WHERE status = 'open'")).scalar_one()
        for name in ("Neil Wiley", "neil  wiley", "Aled Price"):
            conn.execute(
                text(
                    "INSERT INTO attendance (meeting_id, guest_name, status, movements, updated_at) "
                    "VALUES (:m, :n, 'in_attendance', '[]', :at)"
                ),
                {"m": meeting, "n": name, "at": "2024-01-19 10:00:00"},
            )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()
    with app.sessions() as s:
        people = {p.id: p for p in s.scalars(select(Person).where(Person.guest.is_(True)))}
        assert sorted(p.name for p in people.values()) == ["Aled Price", "Neil Wiley"]
        assert all(p.initials == f"guest-{p.id}" for p in people.values())
        rows = [(a.guest_name, a.person_id) for a in s.scalars(select(Attendance).order_by(Attendance.id))]
    by_name = {p.name: pid for pid, p in people.items()}
    # The same name twice in one meeting: one person, so the second row keeps only the name.
    assert rows == [
        ("Neil Wiley", by_name["Neil Wiley"]),
        ("neil  wiley", None),
        ("Aled Price", by_name["Aled Price"]),
    ]
    # The guests are people the commands know (a new process: the schema changed under this one).
    fresh = make_app(database_url)
    try:
        assert "Neil Wiley" in Chat(fresh).say("RB", "people guests")
    finally:
        fresh.engine.dispose()


def test_overheard_chat_makes_no_guest_unless_it_says_it_is_an_action(chat: Chat) -> None:
    from handlers.context import Request

    open_board(chat)

    def overheard(text_: str) -> str:
        return chat.core.handle(Request("shell", "shell", "MT", text_, chat.now, addressed=False)).plain

    assert "I don't know “Imogen Parry”" in overheard("Imogen Parry to send the figures by Friday")
    assert guests(chat) == [] and count(chat, Action) == 0
    chat.say("MT", "cancel")
    assert "Action 1 — Imogen Parry" in overheard("Action: Imogen Parry to send the figures by Friday")
    assert guests(chat) == [("Imogen Parry", "", None, True)]
