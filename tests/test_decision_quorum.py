"""Delegated partners: people's `roles`, a quorum that requires a role of each agency, and a series'
`decision_quorum`. A table of cases on the rule, the file's checks, then meetings through the chat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import select
from test_partnership_file import BASE, assert_problem, edit, insert
from test_quorum import _attendance, _changes

import handlers.documents  # noqa: F401 - registers the document commands
from bot.app import App
from handlers.quorum import Presence, evaluate
from storage.models import AuditEvent, Decision, Person, Series
from storage.partnership_file import QuorumRule, parse_partnership
from storage.roster import AgencyRef

AGENCIES = {
    "council": AgencyRef("council", "Council", statutory=True),
    "icb": AgencyRef("icb", "ICB", statutory=True),
    "police": AgencyRef("police", "Police", statutory=True),
    "acute": AgencyRef("acute", "Hospital"),
}
DSP = {"agencies": "all-statutory", "min_members": None, "roles": [], "labels": ["dsp"]}


def P(initials: str, agency: str, *labels: str, for_member: str | None = None) -> Presence:
    return Presence(initials, agency, for_member=for_member, labels=frozenset(labels))


CASES = [
    # (id, rule, present, quorate, missing, lacking)
    (
        "every statutory agency by its dsp",
        DSP,
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp"), P("TR", "police", "dsp")],
        True,
        (),
        (),
    ),
    (
        "police there, but not its dsp",
        DSP,
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp"), P("LM", "police")],
        False,
        (),
        ("police",),
    ),
    (
        "police not there at all: missing, not lacking",
        DSP,
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp")],
        False,
        ("police",),
        (),
    ),
    (
        "the dsp's deputy carries the dsp's role",
        DSP,
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp"), P("CG", "police", "dsp", for_member="TR")],
        True,
        (),
        (),
    ),
    (
        "a non-dsp beside the dsp: the agency has its dsp",
        DSP,
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp"), P("LM", "police"), P("TR", "police", "dsp")],
        True,
        (),
        (),
    ),
    (
        "another label does not do",
        DSP,
        [P("MT", "council", "lsp"), P("LE", "icb", "dsp"), P("TR", "police", "dsp")],
        False,
        (),
        ("council",),
    ),
    (
        "either label does: dsp or lsp",
        {**DSP, "labels": ["dsp", "lsp"]},
        [P("MT", "council", "lsp"), P("LE", "icb", "dsp"), P("TR", "police", "dsp")],
        True,
        (),
        (),
    ),
    (
        "named agencies only need their role holders",
        {**DSP, "agencies": ["council", "police"]},
        [P("MT", "council", "dsp"), P("TR", "police", "dsp")],
        True,
        (),
        (),
    ),
    (
        "non-statutory agencies never need the role",
        DSP,
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp"), P("TR", "police", "dsp"), P("TT", "acute")],
        True,
        (),
        (),
    ),
    (
        "the role and a minimum count both hold",
        {**DSP, "min_members": 4},
        [P("MT", "council", "dsp"), P("LE", "icb", "dsp"), P("TR", "police", "dsp")],
        False,
        (),
        (),
    ),
    (
        "a stored rule from before labels still reads",
        {"agencies": "all-statutory", "min_members": None, "roles": []},
        [P("MT", "council"), P("LE", "icb"), P("LM", "police")],
        True,
        (),
        (),
    ),
]


@pytest.mark.parametrize(
    ("rule", "present", "quorate", "missing", "lacking"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rule_table(
    rule: object,
    present: list[Presence],
    quorate: bool,
    missing: tuple[str, ...],
    lacking: tuple[str, ...],
) -> None:
    result = evaluate(rule, present, AGENCIES)
    assert (result.quorate, result.missing, result.lacking) == (quorate, missing, lacking)
    assert result.ruled


# --- the partnership file --------------------------------------------------------------------------

# BASE line 12 is Ann Bell (council), 13 Carl Dunn (police), 14 Eve Fox (police, his deputy),
# 22 the board's quorum.
CARL_DSP = "  - {name: Carl Dunn, initials: CD, agency: police, roles: [dsp]}"
ANN_DSP = "  - {name: Ann Bell, initials: AB, agency: council, email: ann@council.example, roles: [dsp, lsp]}"


def with_dsps(text: str = BASE) -> str:
    return edit(12, ANN_DSP, edit(13, CARL_DSP, text))


def test_people_roles_and_a_decision_quorum_are_read() -> None:
    text = insert(22, "    decision_quorum: {roles: [dsp]}", with_dsps())
    spec = parse_partnership(text, "test.yaml")
    roles = {p.initials: p.roles for p in spec.people}
    assert roles == {"AB": ("dsp", "lsp"), "CD": ("dsp",), "EF": (), "GH": ()}
    board = spec.series[0]
    assert board.quorum == QuorumRule()  # the quorum is untouched
    # `roles: [dsp]` alone means every statutory agency, each by someone with that role.
    assert board.decision_quorum == QuorumRule(agencies="all-statutory", labels=("dsp",))


def test_a_quorum_may_require_a_role_beside_the_chair() -> None:
    text = edit(22, "    quorum: {agencies: [police], roles: [chair, dsp]}", with_dsps())
    rule = parse_partnership(text, "test.yaml").series[0].quorum
    assert rule == QuorumRule(agencies=("police",), roles=("chair",), labels=("dsp",))


def test_the_partnership_default_decision_quorum_and_a_series_saying_none() -> None:
    text = insert(4, "decision_quorum: {roles: [dsp]}", with_dsps())
    assert parse_partnership(text, "test.yaml").series[0].decision_quorum == QuorumRule(labels=("dsp",))
    overridden = insert(23, "    decision_quorum: none", text)
    assert parse_partnership(overridden, "test.yaml").series[0].decision_quorum is None
    # Without a decision quorum anywhere, decisions need the quorum alone.
    assert parse_partnership(with_dsps(), "test.yaml").series[0].decision_quorum is None


@pytest.mark.parametrize(
    ("roles", "fragment"),
    [
        ("[DSP]", "role 'DSP' of person CD must be one lower-case word"),
        ('["dsp lead"]', "role 'dsp lead' of person CD must be one lower-case word"),
        ("[chair]", "role 'chair' of person CD is a role in a series: give it there (chair: initials)"),
        ("[vice-chair]", "is a role in a series"),
        ("[1]", "which YAML reads as the number 1"),
    ],
)
def test_malformed_person_roles_are_refused_with_the_line(roles: str, fragment: str) -> None:
    text = edit(13, f"  - {{name: Carl Dunn, initials: CD, agency: police, roles: {roles}}}")
    assert_problem(text, 13, fragment)


def test_a_role_nobody_has_is_refused() -> None:
    text = edit(22, "    quorum: {agencies: all-statutory, roles: [dps]}", with_dsps())
    assert_problem(text, 22, "role 'dps' in quorum of series board", "people's roles: dsp, lsp")
    text = insert(22, "    decision_quorum: {roles: [dsp]}")  # nobody in BASE has a role
    assert_problem(text, 23, "decision_quorum of series board", "none yet: give people roles")


def test_a_decision_quorum_that_can_never_be_met_is_refused() -> None:
    # Only the council has a dsp among the board's members: the police never could be represented by one.
    text = insert(22, "    decision_quorum: {roles: [dsp]}", edit(12, ANN_DSP))
    text = edit(14, "  - {name: Eve Fox, initials: EF, agency: police, roles: [dsp]}", text)  # a deputy only
    assert_problem(
        text,
        23,
        "decision_quorum of series board can never be met: no member of the series from agency police "
        "has role dsp",
    )
    assert_problem(
        insert(22, "    decision_quorum: {min_members: 9}", with_dsps()),
        23,
        "decision_quorum of series board can never be met: min_members 9",
    )


# --- meetings --------------------------------------------------------------------------------------

# The delegated safeguarding partners of the three statutory agencies; Lee Marsh, a police officer on
# the board who is not the police's DSP. Chloe Grant is Tom Rees's listed deputy.
PEOPLE = (
    ("  - {name: Miriam Tolley, initials: MT, agency: council,", "roles: [dsp, lsp], "),
    ("  - {name: Lowri Evans, initials: LE, agency: icb,", "roles: [dsp], "),
    ("  - {name: Tom Rees, initials: TR, agency: police,", "roles: [dsp], "),
)
LEE = "  - {name: Lee Marsh, initials: LMa, agency: police, title: Detective Inspector}\n"


def delegated(tmp_path: Path, *, rule: str = "decision_quorum: {roles: [dsp]}") -> Path:
    text = EXAMPLE.read_text()
    for start, roles in PEOPLE:
        assert start in text
        text = text.replace(start, start.replace("{name:", "{" + roles + "name:"), 1)
    text = text.replace("series:\n", LEE + "series:\n", 1)
    board_members = "    members: [MT, LE, SMa, SMi, HN, GP, BLl, DA, TR, KB, TT, SC, JK, WB, RB, OK, NF]\n"
    assert board_members in text
    text = text.replace(board_members, board_members.replace("NF]", "NF, LMa]") + f"    {rule}\n", 1)
    path = tmp_path / "westshire.yaml"
    path.write_text(text)
    return path


def _chat(database_url: str, path: Path) -> Iterator[Chat]:
    application: App = make_app(database_url, path)
    chat = Chat(application)
    chat.door.files_dir = path.parent
    yield chat
    application.engine.dispose()


@pytest.fixture
def board(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from _chat(database_url, delegated(tmp_path))


def _decisions(chat: Chat) -> list[tuple[str, bool]]:
    with chat.app.sessions() as s:
        return [(d.text, d.inquorate) for d in s.scalars(select(Decision).order_by(Decision.id))]


def _lacking(chat: Chat) -> list[list[object] | None]:
    """What each stored decision lacked of the decision quorum (None: not marked for that)."""
    with chat.app.sessions() as s:
        return list(s.scalars(select(Decision.decision_quorum_missing).order_by(Decision.id)))


def _audited(chat: Chat, verb: str) -> list[dict[str, object] | None]:
    with chat.app.sessions() as s:
        return [e.after for e in s.scalars(select(AuditEvent).where(AuditEvent.verb == verb))]


def _start(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    out = chat.say("MT", "present MT LE LMa")
    # Quorate by agencies: the police are represented, though not by their DSP.
    assert "The meeting is quorate" in out
    assert (
        "The decision quorum is not met: Marcia Police: no delegated safeguarding partner (dsp) present."
        in out
    )
    assert _changes(chat) == [("10:00", True, [])]


def test_the_file_is_stored_for_the_core(board: Chat) -> None:
    with board.app.sessions() as s:
        roles = {
            p.initials: p.roles
            for p in s.scalars(select(Person).where(Person.initials.in_(["MT", "TR", "LMa"])))
        }
        rule = s.scalars(select(Series.decision_quorum).where(Series.key == "board")).one()
        executive = s.scalars(select(Series.decision_quorum).where(Series.key == "executive")).one()
    assert roles == {"MT": ["dsp", "lsp"], "TR": ["dsp"], "LMa": []}
    assert rule == {"agencies": "all-statutory", "min_members": None, "roles": [], "labels": ["dsp"]}
    assert executive is None


def test_a_decision_without_the_police_dsp_is_marked_and_the_dsps_deputy_makes_the_next_count(
    board: Chat,
) -> None:
    chat = board
    _start(chat)
    out = chat.say("MT", "quorum")
    assert "Quorate: Westshire Council" in out
    assert (
        "The decision quorum is not met: Marcia Police: no delegated safeguarding partner (dsp) present."
        in out
    )
    out = chat.say("MT", "decision: the neglect strategy is approved")
    assert "Marcia Police: no delegated safeguarding partner (dsp) present — marked for ratification" in out
    assert _decisions(chat) == [("the neglect strategy is approved", True)]
    assert _audited(chat, "recorded")[-1] == {
        "text": "the neglect strategy is approved",
        "inquorate": True,
        "item": None,
        "decision_quorum_missing": ["Marcia Police (no dsp)"],
    }
    # Tom Rees's listed deputy, of his agency, carries his role: the decision quorum is met.
    chat.at("2024-01-19T10:20:00+00:00")
    out = chat.say("MT", "CG for TR")
    assert "The decision quorum is met" in out and "Chloe Grant for Tom Rees (dsp)" in out
    assert _attendance(chat)["CG"] == ("deputy", "TR")
    out = chat.say("MT", "decision: the annual report is agreed")
    assert "ratification" not in out
    assert _decisions(chat) == [
        ("the neglect strategy is approved", True),
        ("the annual report is agreed", False),
    ]
    assert [a["quorate"] for a in _audited(chat, "decision quorum met") if a] == [True]
    # The meeting's quorum never changed: only the decision quorum did.
    assert _changes(chat) == [("10:00", True, [])]
    # The deputy leaves: decisions are for ratification again.
    chat.at("2024-01-19T10:50:00+00:00")
    assert "The decision quorum is not met" in chat.say("MT", "CG left")
    chat.say("MT", "decision: the thresholds document is adopted")
    assert _decisions(chat)[-1] == ("the thresholds document is adopted", True)
    assert _lacking(chat) == [["Marcia Police (no dsp)"], None, ["Marcia Police (no dsp)"]]
    # The close, the minutes and the next agenda pack list them for ratification, as any decision
    # taken while inquorate, saying what was lacking.
    assert "3 decisions (2 taken without the decision quorum, for ratification)" in chat.say(
        "MT", "meeting end"
    )
    minutes = chat.say("RB", "minutes draft")
    assert (
        "Decision: the neglect strategy is approved (taken without the decision quorum, "
        "Marcia Police (no dsp): for ratification)" in minutes
    )
    assert (
        "Decision: the annual report is agreed" in minutes and "the annual report is agreed (" not in minutes
    )
    assert "2 decisions were taken without the decision quorum and must be ratified" in minutes
    with chat.app.sessions() as s:
        pending = s.scalars(
            select(Decision.text).where(Decision.inquorate.is_(True), Decision.ratified_meeting_id.is_(None))
        ).all()
    assert sorted(pending) == ["the neglect strategy is approved", "the thresholds document is adopted"]
    pack = chat.say("RB", "agenda next board")
    assert (
        "the neglect strategy is approved (taken without the decision quorum: Marcia Police (no dsp))" in pack
    )


def test_a_deputy_from_another_agency_does_not_stand_for_the_dsp(board: Chat) -> None:
    chat = board
    _start(chat)
    # A council director standing in for the police's DSP: on his behalf, never counted, no role carried.
    out = chat.say("MT", "SMa for TR")
    assert "does not count for Marcia Police" in out and "decision quorum is met" not in out
    assert _attendance(chat)["SMa"] == ("deputy", "TR")
    chat.say("MT", "decision: the escalation protocol is approved")
    assert _decisions(chat) == [("the escalation protocol is approved", True)]
    # The DSP himself arrives.
    assert "The decision quorum is met" in chat.say("MT", "TR joined")
    chat.say("MT", "decision: the budget is agreed")
    assert _decisions(chat)[-1] == ("the budget is agreed", False)


def test_a_deputy_chosen_on_the_day_carries_the_role_once_the_chair_says_yes(
    database_url: str, tmp_path: Path
) -> None:
    path = delegated(tmp_path, rule="decision_quorum: {roles: [dsp]}\n    deputies_on_the_day: true")
    text = path.read_text().replace(
        "series:\n", "  - {name: Ian Doyle, initials: ID, agency: police}\n" + "series:\n", 1
    )
    path.write_text(text)
    for chat in _chat(database_url, path):
        _start(chat)
        assert "Is Ian Doyle authorised to act for Tom Rees?" in chat.say("MT", "ID for TR")
        chat.say("MT", "decision: the first thing")
        assert "The decision quorum is met" in chat.say("MT", "yes")
        chat.say("MT", "decision: the second thing")
        assert _decisions(chat) == [("the first thing", True), ("the second thing", False)]


def test_a_quorum_that_requires_the_dsps(database_url: str, tmp_path: Path) -> None:
    path = delegated(tmp_path, rule="decision_quorum: none")
    path.write_text(
        path.read_text().replace(
            "    quorum: all-statutory-agencies\n    cadence: every 2 months",
            "    quorum: {agencies: all-statutory, roles: [dsp]}\n    cadence: every 2 months",
            1,
        )
    )
    for chat in _chat(database_url, path):
        chat.at("2024-01-19T10:00:00+00:00")
        chat.say("MT", "meeting start board")
        out = chat.say("MT", "present MT LE LMa")
        assert "quorate" not in out.lower()
        out = chat.say("MT", "quorum")
        assert "Not quorate: Marcia Police: no delegated safeguarding partner (dsp) present." in out
        assert "decision quorum" not in out  # `none`: the quorum alone
        out = chat.say("MT", "decision: the plan is approved")
        assert "not quorate (Marcia Police: no delegated safeguarding partner (dsp) present)" in out
        assert "The meeting is quorate" in chat.say("MT", "TR joined")
        chat.at("2024-01-19T10:30:00+00:00")
        out = chat.say("MT", "TR left")
        assert "no longer quorate" in out and "Marcia Police: no delegated safeguarding partner (dsp)" in out
        assert _changes(chat) == [("10:00", True, []), ("10:30", False, ["Marcia Police (no dsp)"])]
        assert _decisions(chat) == [("the plan is approved", True)]
