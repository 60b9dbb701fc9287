"""Data protection: `partnerbot person export` (a subject access pack) and `person erase`.

Hannah Noor (HN) of examples/westshire.yaml attends a board meeting, owns an action, is named in a
note and gets a reminder; the pack must hold each of those, and erasure must leave none of her
name, initials, e-mail or platform ids while the minutes keep their counts and links.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import JSON, String, Text, func, select

from bot.app import App
from bot.cli import main
from handlers.person_data import KEYS, REFERENCES, TEXT
from storage.models import (
    Action,
    Attendance,
    AuditEvent,
    Base,
    ConversationRef,
    DoorIdentity,
    Note,
    Person,
    Series,
)
from storage.nudge_models import Digest

MEETING = """\
@ 2024-01-19T10:00:00+00:00
MT: meeting start board
MT: present MT LE SMa PMw HN RB
MT: note: Hannah Noor reported that the Year 7 survey closes in March
MT: Action: HN to write to the three schools by Friday 26 January 2024
MT: Action: GP to circulate the attendance figures by Friday 26 January 2024
MT: meeting end
@ 2024-01-25T10:00:00+00:00
! sweep
"""


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--database", database_url, *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def hn(app: App) -> Person:
    with app.sessions() as s:
        row = s.scalars(select(Person).where(Person.initials == "HN")).one()
        s.expunge(row)
        return row


@pytest.fixture
def met(chat: Chat) -> Chat:
    chat.script(MEETING)
    with chat.app.sessions() as s, s.begin():
        person = s.scalars(select(Person).where(Person.initials == "HN")).one()
        at = datetime(2024, 1, 19, tzinfo=UTC)
        s.add(
            DoorIdentity(door="slack", user_key="U0HANNAH1", person_id=person.id, matched_by="email", at=at)
        )
        s.add(ConversationRef(door="teams", person_id=person.id, conversation_id="a:1hannah", updated_at=at))
        # An event the core could not put a person to records their key on the door.
        s.add(
            AuditEvent(
                at=at,
                partnership_id="westshire-scp",
                actor="U0HANNAH1",
                door="slack",
                entity="binding",
                verb="refused",
            )
        )
    return chat


def _stored_text(app: App) -> str:
    """Every text and key column of every table, as one string: what erasure must leave clean."""
    parts: list[str] = []
    with app.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                parts.append(json.dumps({k: str(v) for k, v in row._mapping.items()}))
    return "\n".join(parts)


def _counts(app: App) -> dict[str, int]:
    with app.sessions() as s:
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


# --- the access pack ----------------------------------------------------------------------------------------


def test_export_holds_every_record_that_names_the_person(
    met: Chat, database_url: str, tmp_path: Path
) -> None:
    code, out, err = cli(database_url, "person", "export", "HN", "--out", str(tmp_path))
    assert code == 0, err
    (data,) = tmp_path.glob("subject-access-westshire-scp-hn-*.json")
    (doc,) = tmp_path.glob("subject-access-westshire-scp-hn-*.md")
    pack = json.loads(data.read_text())
    assert pack["person"]["name"] == "Hannah Noor"
    records = pack["records"]
    person_id = pack["person"]["id"]
    assert [r["status"] for r in records["attendance.person_id"]] == ["present"]
    assert [r["person_id"] for r in records["action_owners.person_id"]] == [person_id]
    assert [(a["series"], a["number"], a["status"]) for a in pack["actions_owned"]] == [("board", 1, "open")]
    assert [r["user_key"] for r in records["door_identities.person_id"]] == ["U0HANNAH1"]
    assert [r["conversation_id"] for r in records["conversation_refs.person_id"]] == ["a:1hannah"]
    assert [r["actor"] for r in records["audit_events.actor"]] == ["U0HANNAH1"]
    assert records["digests.recipient_id"] and "three schools" in records["digests.recipient_id"][0]["body"]
    assert records["nudge_claims.recipient_id"]
    # Named in text: the note by name, the action by initials; GP's action does not name her.
    assert next(n["text"] for n in pack["mentions"]["notes.text"]).startswith("Hannah Noor reported")
    assert [m["text"] for m in pack["mentions"]["actions.text"]] == [
        "Action: HN to write to the three schools by Friday 26 January 2024"
    ]
    roles = {r.get("series") or r.get("group"): r["roles"] for r in pack["configuration"]}
    assert roles["education"] == ["member"]
    # The readable document says the same in words.
    text = doc.read_text()
    assert "# Personal data held about Hannah Noor (HN)" in text
    assert "board 1: write to the three schools — open, due 2024-01-26" in text
    assert "## Attendance at meetings (1)" in text and "Year 7 survey" in text
    assert str(data) in out


def test_export_of_someone_unknown_or_ambiguous_says_so_and_writes_nothing(
    met: Chat, database_url: str, tmp_path: Path
) -> None:
    code, _, err = cli(database_url, "person", "export", "Zed Quill", "--out", str(tmp_path / "pack"))
    assert code == 1 and "Nobody called 'Zed Quill'" in err
    with met.app.sessions() as s, s.begin():  # two guests of one name
        s.add_all(
            Person(
                partnership_id="westshire-scp",
                initials=f"guest-9{i}",
                name="Jane Doe",
                agency_key="",
                guest=True,
            )
            for i in (1, 2)
        )
    code, _, err = cli(database_url, "person", "export", "jane doe", "--out", str(tmp_path / "pack"))
    assert code == 1 and "names 2 people" in err and "guest-91" in err
    assert not (tmp_path / "pack").exists()


# --- erasure ---------------------------------------------------------------------------------------------


def test_erasure_is_refused_while_they_own_open_actions_and_changes_nothing(
    met: Chat, database_url: str
) -> None:
    before, stored = _counts(met.app), _stored_text(met.app)
    code, _, err = cli(database_url, "person", "erase", "HN")
    assert code == 1
    assert "owns 1 open action (board 1)" in err and "--reassign" in err and "Nothing was changed" in err
    assert _counts(met.app) == before and _stored_text(met.app) == stored
    code, _, err = cli(database_url, "person", "erase", "HN", "--reassign", "ZZ")
    assert code == 1 and "--reassign ZZ" in err
    assert _stored_text(met.app) == stored


def test_erasure_pseudonymises_and_keeps_the_minutes_whole(met: Chat, database_url: str) -> None:
    app = met.app
    person_id = hn(app).id
    before = _counts(app)
    code, out, err = cli(database_url, "person", "erase", "Hannah Noor", "--reassign", "GP")
    assert code == 0, err
    assert "now Former member 1" in out and "board 1" in out
    assert "westshire.yaml still names HN" in out  # the file is the business unit's to change
    after = _counts(app)
    # Minutes keep their rows: attendance, actions, notes, audit (plus the new events and owner).
    for table in ("attendance", "actions", "notes", "decisions", "action_updates", "digests", "nudge_claims"):
        assert after[table] >= before[table], table
    assert after["door_identities"] == before["door_identities"] - 1
    assert after["conversation_refs"] == before["conversation_refs"] - 1
    assert after["action_owners"] == before["action_owners"] + 1  # GP added; HN's kept as removed
    with app.sessions() as s:
        row = s.get(Person, person_id)
        assert row is not None
        assert (row.name, row.initials, row.email, row.title, row.active) == (
            "Former member 1",
            "former-1",
            None,
            None,
            False,
        )
        assert s.scalars(select(Attendance.person_id)).all().count(person_id) == 1  # still attended
        action = s.scalars(select(Action).where(Action.number == 1)).one()
        owners = {(o.person_id, o.removed_reason) for o in action.owners}
        gp = s.scalars(select(Person.id).where(Person.initials == "GP")).one()
        assert owners == {(person_id, "reassigned"), (gp, None)}
        assert (
            action.text == "Action: Former member 1 to write to the three schools by Friday 26 January 2024"
        )
        assert s.scalars(select(Note.text)).one().startswith("Former member 1 reported")
        digest = s.scalars(select(Digest).where(Digest.recipient_id == person_id)).one()
        assert digest.body is None and digest.subject is None
        board = s.scalars(select(Series).where(Series.key == "board")).one()
        assert "HN" not in board.members
        verbs = [
            (e.entity, e.entity_id, e.verb) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
        assert ("action", "board:1", "reassigned") in verbs and ("person", "former-1", "erased") in verbs
    stored = _stored_text(app)
    assert "Hannah" not in stored and "Noor" not in stored
    assert "U0HANNAH1" not in stored and "a:1hannah" not in stored
    m = re.search(r"(?<![\w-])HN(?![\w-])", stored)
    assert not m, stored[m.start() - 300 : m.end() + 100]
    # The chat still works, and the reassigned action is GP's.
    assert "Gareth Pryce" in met.say("MT", "action 1")


def test_erasing_twice_is_harmless(met: Chat, database_url: str) -> None:
    assert cli(database_url, "person", "erase", "HN", "--reassign", "GP")[0] == 0
    counts, stored = _counts(met.app), _stored_text(met.app)
    code, out, _ = cli(database_url, "person", "erase", "Former member 1")
    assert code == 0 and "erased already; nothing changed" in out
    code, _, err = cli(database_url, "person", "erase", "HN")
    assert code == 1 and "Nobody called 'HN'" in err and "pseudonym" in err
    assert _counts(met.app) == counts and _stored_text(met.app) == stored


def test_a_reload_after_erasure_does_not_break(met: Chat, database_url: str, tmp_path: Path) -> None:
    app = met.app
    assert cli(database_url, "person", "erase", "HN", "--reassign", "GP")[0] == 0
    (same,) = app.load_files()  # the unchanged file: nothing to do
    assert not same.changed
    changed = tmp_path / "westshire.yaml"
    changed.write_text(EXAMPLE.read_text().replace("Head of Service}", "Head of the Service}", 1))
    (result,) = app.load_files([str(changed)])
    assert result.changed and "added person HN" in result.changes  # the file still names her: a new person
    with app.sessions() as s:
        rows = {p.initials: (p.name, p.active) for p in s.scalars(select(Person))}
    assert rows["former-1"] == ("Former member 1", False) and rows["HN"] == ("Hannah Noor", True)
    assert "Gareth Pryce" in met.say("MT", "action 1")  # the chat reads the history as before
    other = make_app(database_url)  # a fresh process reads the same database
    other.engine.dispose()


def test_erasing_a_guest(chat: Chat, database_url: str) -> None:
    chat.script(
        "@ 2024-01-19T10:00:00+00:00\nMT: meeting start board\n"
        "MT: Action: Ruth Okafor to send the audit by Friday 26 January 2024\n"
    )
    code, _, err = cli(database_url, "person", "erase", "Ruth Okafor")
    assert code == 1 and "owns 1 open action" in err
    code, out, err = cli(database_url, "person", "erase", "Ruth Okafor", "--reassign", "MT")
    assert code == 0, err
    assert "no partnership file names them" in out
    assert "Ruth" not in _stored_text(chat.app)


# --- coverage: a new column that names a person must be covered -----------------------------------------

# Columns whose names suggest a person, which name no person: why each is not covered.
NOT_A_PERSON = {
    ("partnerships", "name"): "the partnership's name",
    ("partnerships", "business_unit"): "a group key",
    ("agencies", "name"): "the agency's name",
    ("agencies", "contact"): "the agency's shared mailbox",
    ("groups", "name"): "the group's name",
    ("series", "name"): "the series' name",
    ("series", "members_by_office"): "series keys",
    ("people", "name"): "the person's own row: pseudonymised as a whole",
    ("people", "email"): "the person's own row",
    ("people", "slack_id"): "the person's own row",
    ("people", "teams_id"): "the person's own row",
    ("people", "title"): "the person's own row",
    ("nudge_claims", "claimed_by"): "the process that claimed it",
    ("digests", "holder"): "the process that composed it",
    ("recipient_leases", "holder"): "the process holding the lease",
    ("attendance", "guest_name"): "rows from before guests were people; no longer written",
    ("series", "deputies_on_the_day"): "a yes or no",
    ("door_identities", "matched_by"): "how the id was learnt (file, email, admin)",
}
PERSONISH = re.compile(
    r"person|owner|actor|initials|recipient|asker|user|chair|lead|member|deput|observer|minute_taker|"
    r"business_manager|_by$|presenter|email|slack|teams_id|name$|contact|holder|shared_with"
)


def _people_fk_columns() -> set[tuple[str, str]]:
    return {
        (t.name, fk.parent.name)
        for t in Base.metadata.sorted_tables
        for fk in t.foreign_keys
        if fk.column.table.name == "people"
    }


def test_every_column_that_names_a_person_is_covered() -> None:
    fks = _people_fk_columns() | {("people", "merged_into_id")}
    assert fks - set(REFERENCES) == set(), "add these to handlers/person_data.REFERENCES"
    assert set(REFERENCES) - fks == set(), "REFERENCES lists columns that no longer exist"
    named = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if PERSONISH.search(c.name) and (t.name, c.name) not in fks
    }
    uncovered = named - set(KEYS) - set(NOT_A_PERSON)
    assert uncovered == set(), "add these to handlers/person_data.KEYS (or NOT_A_PERSON here, saying why)"


def test_every_free_text_column_is_searched_for_mentions() -> None:
    texts = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if isinstance(c.type, Text | JSON) or (isinstance(c.type, String) and (c.type.length or 0) >= 200)
    }
    known = set(TEXT) | set(KEYS) | set(NOT_A_PERSON) | NOT_FREE_TEXT
    assert texts - known == set(), (
        "add these to handlers/person_data.TEXT (or NOT_FREE_TEXT here, saying why)"
    )


# Long strings and JSON that hold no words about people: ids, keys, addresses, configuration.
NOT_FREE_TEXT = {
    ("partnerships", "name"),
    ("people", "roles"),
    ("groups", "aliases"),
    ("groups", "agencies"),
    ("series", "quorum"),
    ("series", "decision_quorum"),
    ("series", "standing_items"),
    ("series", "escalates_to"),
    ("series", "place"),
    ("series", "tracker_item"),
    ("series", "minutes_preamble"),
    ("series", "terms_of_reference"),
    ("bindings", "channel"),
    ("agenda_items", "paper_url"),
    ("meetings", "channel"),
    ("meetings", "place"),
    ("meetings", "online_link"),
    ("attendance", "movements"),
    ("actions", "source_channel"),
    ("actions", "source_message"),
    ("audit_events", "entity"),
    ("pending_questions", "channel"),
    ("pending_questions", "batch"),
    ("pending_questions", "message_id"),
    ("processed_events", "event_id"),
    ("conversation_refs", "conversation_id"),
    ("conversation_refs", "service_url"),
    ("conversation_refs", "extra"),
    ("digests", "route"),
    ("digests", "message_id"),
    ("nudge_claims", "message_id"),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jo Kerrigan and Jo Kerr met", "Jo Kerrigan and Former member 1 met"),  # whole names only
        ("JK to send; JKL and jk; jo  kerr", "Former member 1 to send; JKL and jk; Former member 1"),
        ("copy to jo.kerr@westshire.example please", "copy to Former member 1 please"),
        ("guest-JK stays", "guest-JK stays"),  # a key, not the initials
    ],
)
def test_mentions_are_replaced_as_whole_words(text: str, expected: str) -> None:
    from handlers.person_data import Mentions

    mentions = Mentions(["Jo Kerr", "jo.kerr@westshire.example"], "JK", {}, "Former member 1")
    assert mentions.replace(text) == expected
    assert mentions.replace({"owners": ["JK"], "note": text}) == {
        "owners": ["Former member 1"],
        "note": expected,
    }
