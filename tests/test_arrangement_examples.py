"""The three published arrangements as example partnership files (examples/marchfield.yaml,
ridgebourne.yaml, eastmere.yaml): each loads through `partnerbot load`, and a meeting of each one's
top group is replayed through the chat, asserting what was stored (quorum changes, attendance,
the chair's answers about deputies, decisions).

Marchfield (a county's arrangements) has quorum "at all levels" and a board chair rotating every
18 months; Ridgebourne (a borough's) states no quorum and lets sub-group members send a deputy the
chair authorises on the day; Eastmere (a metropolitan borough's) has an Executive with a rotating
chair and a lead member as participant observer, and states no quorum either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, Chat, make_app
from sqlalchemy import select
from test_deputies_on_the_day import _audit
from test_loading import cli
from test_quorum import _attendance, _changes

from bot.app import App
from storage.models import Action, ActionOwner, Attendance, Decision, Meeting, Partnership, Person, Series
from storage.partnership_file import parse_partnership

EXAMPLES = ROOT / "examples"
ARRANGEMENTS = {
    "marchfield": "marchfield-scp",
    "ridgebourne": "ridgebourne-scp",
    "eastmere": "eastmere-scp",
}
# The keys the issue defines that are not read yet: a line using one stays commented out, marked.
# The keys each arrangement needs beyond the basic shape: every one is read now, none is left
# commented out (none names a time-limited group with its end date, so none has `ends`).
KEYS_BY_FILE = {
    "marchfield": {"roles", "decision_quorum", "chair_of", "chair_rotation"},
    "ridgebourne": {"roles", "decision_quorum", "chair_of", "terms_of_reference", "shared_with"},
    "eastmere": {"roles", "chair_rotation", "observers"},
}
# The published documents' places and bodies: the examples are fictional throughout.
REAL_NAMES = ("shrop", "telford", "wrekin", "trafford", "mercia", "greater manchester", "shrewsbury")


def _example(name: str) -> Path:
    return EXAMPLES / f"{name}.yaml"


def _open(database_url: str, tmp_path: Path, name: str, *before: str) -> Iterator[Chat]:
    """The example loaded after the files it shares groups with; the chat is its partnership's."""
    files = [_example(b) for b in before] + [_example(name)]
    application: App = make_app(database_url, *files, partnership=ARRANGEMENTS[name])
    chat = Chat(application)
    chat.door.files_dir = tmp_path
    yield chat
    application.engine.dispose()


@pytest.fixture
def marchfield(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from _open(database_url, tmp_path, "marchfield")


@pytest.fixture
def ridgebourne(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from _open(database_url, tmp_path, "ridgebourne", "marchfield")


@pytest.fixture
def eastmere(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from _open(database_url, tmp_path, "eastmere")


def _rows(chat: Chat, meeting: int = -1) -> dict[str, Attendance]:
    """One meeting's attendance rows (the last meeting unless told), by initials."""
    with chat.app.sessions() as s:
        ids = list(s.scalars(select(Meeting.id).order_by(Meeting.id)))
        rows = s.execute(
            select(Attendance, Person)
            .join(Person, Person.id == Attendance.person_id)
            .where(Attendance.meeting_id == ids[meeting])
        )
        return {p.initials: a for a, p in rows}


def _hhmm(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%H:%M")


def _decisions(chat: Chat) -> list[tuple[str, bool]]:
    with chat.app.sessions() as s:
        return [(d.text, d.inquorate) for d in s.scalars(select(Decision).order_by(Decision.id))]


def _lacking(chat: Chat) -> list[list[str] | None]:
    """What each decision lacked of the decision quorum (None: nothing, or the meeting was inquorate)."""
    with chat.app.sessions() as s:
        return [d.decision_quorum_missing for d in s.scalars(select(Decision).order_by(Decision.id))]


# --- the files ------------------------------------------------------------------------------------


def test_every_example_loads_through_partnerbot_load(database_url: str) -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert {f.stem for f in files} >= {"westshire", *ARRANGEMENTS}
    code, out, err = cli(database_url, "load", *map(str, files))
    assert code == 0, err
    for name, pid in ARRANGEMENTS.items():
        assert f"{_example(name)}: loaded {pid}" in out
    code, out, _ = cli(database_url, "load", *map(str, files))
    assert code == 0 and out.count("already up to date") == len(files)
    engine_app = make_app(database_url, *files)
    try:
        with engine_app.sessions() as s:
            loaded = set(s.scalars(select(Partnership.id)))
            series = {(sr.partnership_id, sr.key) for sr in s.scalars(select(Series))}
        assert loaded >= set(ARRANGEMENTS.values())
        for name, pid in ARRANGEMENTS.items():
            spec = parse_partnership(_example(name).read_text(encoding="utf-8"))
            assert {key for p, key in series if p == pid} == {sr.id for sr in spec.series}
    finally:
        engine_app.engine.dispose()


@pytest.mark.parametrize("name", sorted(ARRANGEMENTS))
def test_every_rule_is_written_and_nothing_is_real(name: str) -> None:
    text = _example(name).read_text(encoding="utf-8")
    spec = parse_partnership(text)
    assert spec.id == ARRANGEMENTS[name]
    assert "pending" not in text.lower()
    data = yaml.safe_load(text)
    written = {key for person in data["people"] for key in person}
    for series in data["series"]:
        written |= set(series)
        written |= {key for m in series.get("members", []) if isinstance(m, dict) for key in m}
    assert KEYS_BY_FILE[name] <= written
    lowered = text.lower()
    assert not [n for n in REAL_NAMES if n in lowered]
    emails = re.findall(r"[\w.+-]+@[\w.-]+", text)
    assert emails and all(e.endswith(".example") for e in emails)
    assert all(host.endswith(".example") for host in re.findall(r"https?://([\w.-]+)", text))


# --- Marchfield: the board, quorate only with every statutory agency, its chair rotating -----------

ICB = "Marchfield and Ridgebourne Integrated Care Board"


def test_marchfield_board(marchfield: Chat) -> None:
    chat = marchfield
    # December 2024: the first of the rotation, Tamsin Abbot, chairs; Fiona Hurst (the next) does not.
    chat.at("2024-12-06T10:00:00+00:00")
    assert "Only the chair (Tamsin Abbot)" in chat.say("FH", "meeting start board")
    assert "chaired by Tamsin Abbot" in chat.say("TA", "meeting start board")
    chat.say("TA", "present TA FH")
    # A council officer standing in for the police's delegated partner: recorded, never counted.
    out = chat.say("TA", "CM for RD")
    assert "does not count for Harrowvale Police" in out and "The meeting is quorate" not in out
    assert _attendance(chat)["CM"] == ("deputy", "RD") and _attendance(chat)["RD"] == ("apologies", None)
    assert "not represented: Harrowvale Police" in chat.say("TA", "quorum")
    assert _changes(chat) == []
    chat.at("2024-12-06T10:10:00+00:00")
    assert "The meeting is quorate" in chat.say("TA", "present IQ")
    # The ICB's delegated partner leaves; the ICB's Accountable Officer, whom the file does not list
    # as her deputy, takes her place without counting; her own attendance stays as it was.
    chat.at("2024-12-06T10:40:00+00:00")
    assert "no longer quorate" in chat.say("TA", "FH left")
    assert "does not count for " + ICB in chat.say("TA", "GH for FH")
    chat.at("2024-12-06T10:45:00+00:00")
    assert "ratification" in chat.say("TA", "decision: the board adopts the neglect strategy")
    chat.at("2024-12-06T10:50:00+00:00")
    assert "quorate again" in chat.say("TA", "NP joined")
    # Quorate again, but the ICB's and the police's delegated partners are not there: "the three
    # Statutory Safeguarding Partner representatives must be part of any key ... decision-making".
    chat.at("2024-12-06T10:55:00+00:00")
    out = chat.say("TA", "decision: the board receives the case review group's report")
    assert "no delegated safeguarding partner (dsp) present" in out and "ratification" in out
    rows = _rows(chat)
    assert (rows["FH"].status, _hhmm(rows["FH"].left_at)) == ("present", "10:40")
    assert (rows["GH"].status, _hhmm(rows["GH"].arrived_at)) == ("deputy", "10:40")
    assert _changes(chat) == [("10:10", True, []), ("10:40", False, [ICB]), ("10:50", True, [])]
    assert _decisions(chat) == [
        ("the board adopts the neglect strategy", True),
        ("the board receives the case review group's report", True),
    ]
    assert _lacking(chat) == [None, [f"{ICB} (no dsp)", "Harrowvale Police (no dsp)"]]
    chat.say("TA", "meeting end")
    minutes = chat.say("LB", "minutes draft")
    assert "Present: Tamsin Abbot (Chair), Fiona Hurst" in minutes
    assert "Gwen Harker (for Fiona Hurst)" in minutes and "Colin Mercer (for Ross Daventry)" in minutes

    # June 2026: 20 months on, the rotation has passed to the ICB's delegated partner.
    chat.at("2026-06-05T10:00:00+01:00")
    assert "Only the chair (Fiona Hurst)" in chat.say("TA", "meeting start board")
    assert "meeting start" not in chat.say("TA", "help")
    assert "chaired by Fiona Hurst" in chat.say("FH", "meeting start board")
    assert "meeting start" in chat.say("FH", "help")
    assert "The meeting is quorate" in chat.say("FH", "present FH TA RD")
    assert _changes(chat)[-1] == ("09:00", True, [])
    # All three delegated partners present: the decision stands.
    chat.say("FH", "decision: the board approves the annual report")
    assert _decisions(chat)[-1] == ("the board approves the annual report", False)
    assert _lacking(chat)[-1] is None
    chat.say("FH", "meeting end")
    assert "Present: Fiona Hurst (Chair), Tamsin Abbot, Ross Daventry" in chat.say("LB", "minutes draft")
    with chat.app.sessions() as s:
        assert list(s.scalars(select(Meeting.chair).order_by(Meeting.id))) == [None, None]


# --- Ridgebourne: the Executive (no quorum rule), and a sub-group's deputies chosen on the day ------


def test_ridgebourne_executive(ridgebourne: Chat) -> None:
    chat = ridgebourne
    chat.at("2025-02-10T14:00:00+00:00")
    # The arrangements name no chair of the Executive: its business manager opens the meeting and
    # says who chairs it.
    assert "Only the business manager" in chat.say("HP", "meeting start executive")
    assert "with no chair" in chat.say("SMo", "meeting start executive")
    assert "Hannah Pryor chairs this meeting" in chat.say("SMo", "chair today HP")
    with chat.app.sessions() as s:
        assert s.scalars(select(Meeting.chair).order_by(Meeting.id.desc())).first() == "HP"
    assert "https://www.ridgebourne-scp.example/executive-terms-of-reference" in chat.say("HP", "help")
    chat.say("HP", "present HP FH RK")
    # The council's director standing in for the police's delegated partner.
    out = chat.say("HP", "OL for JR")
    assert "Olivia Lang is from Ridgebourne Council" in out and "does not count for Harrowvale Police" in out
    assert "counts only when from the same agency as the member they stand in for" in out
    said = chat.say("HP", "quorum")
    assert "no quorum rule" in said and "never marked for ratification" not in said
    assert "decision quorum is not met" in said
    # Present from 14:00 to 14:40, then Lee Marsh for Fiona Hurst from 14:40: both kept.
    chat.at("2025-02-10T14:40:00+00:00")
    chat.say("HP", "FH left")
    out = chat.say("HP", "LM for FH")
    assert "not listed as a deputy for Fiona Hurst" in out
    rows = _rows(chat)
    assert (rows["FH"].status, _hhmm(rows["FH"].arrived_at), _hhmm(rows["FH"].left_at)) == (
        "present",
        "14:00",
        "14:40",
    )
    assert (rows["LM"].status, _hhmm(rows["LM"].arrived_at)) == ("deputy", "14:40")
    assert _attendance(chat) == {
        "HP": ("present", None),
        "FH": ("present", None),
        "RK": ("present", None),
        "OL": ("deputy", "JR"),
        "JR": ("apologies", None),
        "LM": ("deputy", "FH"),
    }
    # No quorum rule, but decisions need the three delegated partners: the police's is away (the
    # council director standing in for him is from another agency) and the ICB's has left.
    out = chat.say("HP", "decision: the rapid review's recommendation goes to the national panel")
    assert "Harrowvale Police" in out and "the decision quorum is not met" in out
    assert _decisions(chat) == [("the rapid review's recommendation goes to the national panel", True)]
    assert _lacking(chat) == [[ICB, "Harrowvale Police"]]  # neither agency represented at all
    assert _changes(chat) == []  # the arrangements state no quorum: nothing is ever inquorate
    summary = chat.say("HP", "meeting end")
    assert "Left: Fiona Hurst (14:40)" in summary and "Lee Marsh (for Fiona Hurst)" in summary


def _authorised(chat: Chat, initials: str) -> bool | None:
    return _rows(chat)[initials].authorised


def test_ridgebourne_sub_group_deputies_chosen_on_the_day(ridgebourne: Chat) -> None:
    chat = Chat(ridgebourne.app, channel="education")
    chat.door.files_dir = ridgebourne.door.files_dir
    chat.at("2025-03-04T16:00:00+00:00")
    chat.say("SMo", "meeting start education")
    chat.say("SMo", "chair today JE")
    chat.say("JE", "present JE EC GR")
    # A school's deputy safeguarding lead for its head, whom the file does not list: the chair is asked.
    out = chat.say("JE", "VW for LFo")
    assert "Is Vic Wren authorised to act for Lena Ford?" in out
    assert _authorised(chat, "VW") is None and _rows(chat)["VW"].status == "deputy"
    assert "authorised by the chair" in chat.say("JE", "yes")
    assert _authorised(chat, "VW") is True
    # The council's coordinator for a school's representative: another agency, never asked about.
    out = chat.say("JE", "EC for HB")
    assert "does not count for Ridgebourne schools" in out and "authorised to act" not in out
    assert _authorised(chat, "EC") is None
    chat.say("JE", "meeting end")
    minutes = chat.say("SMo", "minutes draft education")
    assert "Vic Wren (for Lena Ford, authorised by the chair on the day)" in minutes

    # The next meeting: the chair says no, then changes their mind.
    chat.at("2025-05-06T16:00:00+01:00")
    chat.say("SMo", "meeting start education")
    chat.say("SMo", "chair today JE")
    chat.say("JE", "present JE")
    assert "Is Vic Wren authorised to act for Lena Ford?" in chat.say("JE", "VW for LFo")
    assert "not authorised" in chat.say("JE", "no")
    assert _authorised(chat, "VW") is False
    assert "Vic Wren (for Lena Ford, not authorised by the chair)" in chat.say("JE", "attendance")
    chat.say("JE", "authorise VW for LFo: yes")
    assert _authorised(chat, "VW") is True
    assert _rows(chat, 0)["VW"].authorised is True  # the first meeting's answer stands
    assert _audit(chat, "authorised") == [
        {"authorised": True, "deputy_for": "LFo"},
        {"authorised": True, "deputy_for": "LFo"},
    ]
    assert _audit(chat, "not authorised") == [{"authorised": False, "deputy_for": "LFo"}]
    assert _changes(chat) == []


# --- Eastmere: the Executive, its chair rotating, the lead member observing --------------------------


def test_eastmere_executive(eastmere: Chat) -> None:
    chat = eastmere
    # March 2025: the council's delegated partner chairs the first 18 months.
    chat.at("2025-03-12T10:00:00+00:00")
    assert "Only the chair (Hugh Paterson)" in chat.say("JRi", "meeting start executive")
    assert "chaired by Hugh Paterson" in chat.say("HPa", "meeting start executive")
    assert "Peter Dale (observer)" in chat.say("HPa", "present HPa JRi EN PD")
    # A council director for the ICB's delegated partner: on her behalf, never counted.
    out = chat.say("HPa", "CL for FHo")
    assert "does not count for Northmere Integrated Care Board" in out
    chat.at("2025-03-12T10:30:00+00:00")
    out = chat.say("HPa", "PD left")
    assert "left at 10:30" in out and "quorate" not in out.lower()
    chat.at("2025-03-12T10:40:00+00:00")
    chat.say("HPa", "JRi left")
    assert "not listed as a deputy for Jo Rix" in chat.say("HPa", "DR for JRi")
    rows = _rows(chat)
    observer = rows["PD"]
    assert (observer.status, observer.role_note, _hhmm(observer.left_at)) == ("present", "observer", "10:30")
    assert (rows["JRi"].status, _hhmm(rows["JRi"].left_at)) == ("present", "10:40")
    assert (rows["DR"].status, _hhmm(rows["DR"].arrived_at)) == ("deputy", "10:40")
    assert _attendance(chat)["CL"] == ("deputy", "FHo") and _attendance(chat)["FHo"] == ("apologies", None)
    assert "no quorum rule" in chat.say("HPa", "quorum")
    assert _changes(chat) == []
    chat.say("HPa", "meeting end")
    minutes = chat.say("HPa", "minutes draft")
    assert "Hugh Paterson (Chair)" in minutes and "Peter Dale (observer)" in minutes

    # September 2026: past July 2026, the police's delegated partner chairs.
    chat.at("2026-09-09T10:00:00+01:00")
    assert "Only the chair (Jo Rix)" in chat.say("HPa", "meeting start executive")
    assert "chaired by Jo Rix" in chat.say("JRi", "meeting start executive")
    assert "meeting start" in chat.say("JRi", "help") and "meeting start" not in chat.say("HPa", "help")
    chat.say("JRi", "present JRi HPa FHo PD")
    chat.say("JRi", "meeting end")
    assert "Present: Jo Rix (Chair), Hugh Paterson, Fay Hollins" in chat.say("JRi", "minutes draft")
    assert _changes(chat) == []


# --- The joint forum of the two partnerships, hosted by Ridgebourne ----------------------------------


def test_the_joint_lsp_forum_is_reached_from_both_partnerships(ridgebourne: Chat) -> None:
    app = ridgebourne.app
    forum = Chat(app, channel="lsp-forum", home="ridgebourne-scp")
    county = Chat(app, channel="marchfield-dm", home="marchfield-scp")
    forum.at("2025-06-10T10:00:00+01:00")
    county.at("2025-06-10T11:00:00+01:00")
    forum.say("SMo", "bind lsp-forum")
    assert "open" in forum.say("SMo", "meeting start lsp-forum").lower()
    forum.say("SMo", "present MG GH AD HP JR FH RK TA RD")
    forum.say("SMo", "Action: TA to share the county's neglect audit with both partnerships by 30/06/25")
    with app.sessions() as s:
        row = s.execute(
            select(Series.partnership_id, Action.number, Person.partnership_id, Person.email)
            .join(Action, Action.series_id == Series.id)
            .join(ActionOwner, ActionOwner.action_id == Action.id)
            .join(Person, Person.id == ActionOwner.person_id)
            .where(Series.key == "lsp-forum")
        ).one()
    # Stored once, in the host's tracker, owned by the county's Tamsin Abbot (brought in by e-mail).
    assert row == ("ridgebourne-scp", 1, "ridgebourne-scp", "tamsin.abbot@marchfield.example")
    # From her own partnership's direct messages, she sees it among her actions and closes it.
    mine = county.dm("TA", "actions mine")
    assert "lsp-forum 1" in mine and "share the county's neglect audit" in mine
    assert "done" in county.dm("TA", "action lsp-forum 1 done").lower()
    with app.sessions() as s:
        status = s.scalars(
            select(Action.status).join(Series, Series.id == Action.series_id).where(Series.key == "lsp-forum")
        ).one()
    assert status == "done"
    # A county officer who is not in the forum sees nothing of it.
    outsider = county.dm("CM", "actions lsp-forum")
    assert "neglect audit" not in outsider
