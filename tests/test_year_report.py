"""The year in figures: a year of meetings typed through the shell on a frozen clock, then every
figure of the report checked against counts the test makes itself from its own plan.

The plan (below) says who was present, sent apologies or deputised at each meeting, which actions
were raised and when they were closed, and when reminders were swept and answered. The expected
figures are derived from the plan and the partnership file alone, never from the database; the
report is then read from the records (handlers/year_report.py) and its files are opened with
python-docx and pypdf.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, Chat
from sqlalchemy import select

from bot.cli import main as cli_main
from handlers.context import Request
from handlers.reply import File
from handlers.year_figures import NOT_IN_FILE, YearReport
from handlers.year_report import last_financial_year, year_report
from handlers.year_report_render import csv_text, year_files
from storage.models import ActionUpdate, Person

FILE = yaml.safe_load(EXAMPLE.read_text())
AGENCY = {p["initials"]: p["agency"] for p in FILE["people"]}
AGENCY_NAME = {a["id"]: a["name"] for a in FILE["agencies"]}
STATUTORY = {a["id"] for a in FILE["agencies"] if a.get("statutory")}
SERIES = {s["id"]: s for s in FILE["series"]}
START, END = date(2024, 4, 1), date(2025, 3, 31)
AS_OF = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)
RANK = {"member": 0, "deputy": 1, "apologies": 2, "absent": 3}


@dataclass
class Held:
    series: str
    at: str  # ISO start
    present: list[str]
    apologies: list[str] = field(default_factory=list)
    deputies: list[tuple[str, str]] = field(default_factory=list)  # (deputy, member)
    extra: list[str] = field(default_factory=list)  # more lines, typed by the chair during the meeting
    quorum: str = "throughout"  # what the test expects: throughout | lost | never
    missing: list[str] = field(default_factory=list)
    decisions: int = 0  # decisions taken
    inquorate: int = 0  # of them, taken while not quorate
    left_file: list[str] = field(default_factory=list)  # people no longer in the file by then


# The year: board meetings every two months, two of the executive, none of the exploitation group.
# Nadia Frost (probation) leaves the file after September: her history stays under probation.
PLAN = [
    Held("board", "2024-03-15T10:00:00+00:00", ["MT", "LE", "TR"]),  # before the period
    Held(
        "board",
        "2024-05-17T10:00:00+01:00",
        ["MT", "LE", "SMa", "HN", "RB"],
        apologies=["TR", "DA"],
        deputies=[("CG", "TR")],
        extra=['in attendance "Jane Doe" (presenter)'],
    ),
    Held(
        "board",
        "2024-07-19T10:00:00+01:00",
        ["MT", "LE", "TR", "SMi", "KB", "RB"],
        apologies=["SC"],
        extra=[
            "@ 2024-07-19T10:40:00+01:00",
            "LE left",
            "decision: the neglect strategy is approved",
            "@ 2024-07-19T10:50:00+01:00",
            "LE joined",
        ],
        quorum="lost",
        missing=["Westshire and Eastbury Integrated Care Board"],
        decisions=1,
        inquorate=1,
    ),
    Held(
        "board",
        "2024-09-20T10:00:00+01:00",
        ["MT", "TR", "SMa", "TT"],
        apologies=["LE"],
        extra=["decision: the audit plan is agreed"],
        quorum="never",
        decisions=1,
        inquorate=1,
    ),
    Held(
        "board",
        "2024-11-15T10:00:00+00:00",
        ["MT", "LE", "TR", "RB", "OK"],
        extra=["decisions ratified", "decision: the annual report is agreed"],
        decisions=1,
        left_file=["NF"],
    ),
    Held("board", "2025-01-17T10:00:00+00:00", ["MT", "LE"], deputies=[("CG", "TR")], left_file=["NF"]),
    Held("board", "2025-03-21T10:00:00+00:00", ["MT", "LE", "TR", "SMa"], left_file=["NF"]),
    Held("executive", "2024-06-14T10:00:00+01:00", ["DA", "LE", "TR", "RB"]),
    Held(
        "executive",
        "2024-12-13T10:00:00+00:00",
        ["DA", "LE", "RB"],
        apologies=["TR"],
        deputies=[("CG", "TR")],
        left_file=["NF"],
    ),
]


@dataclass
class Act:
    series: str
    number: int
    raised: str  # the meeting's ISO start
    owners: str  # as typed
    agencies: list[str]  # the test's own reading: agency ids, "group:business-unit", "all", "guest"
    due: date
    closed: date | None = None


ACTIONS = [
    Act("board", 1, "2024-03-15T10:00:00+00:00", "MT", ["council"], date(2024, 3, 22), date(2024, 4, 10)),
    Act("board", 2, "2024-05-17T10:00:00+01:00", "HN", ["council"], date(2024, 5, 24), date(2024, 5, 24)),
    Act(
        "board",
        3,
        "2024-05-17T10:00:00+01:00",
        "TR/LE",
        ["police", "icb"],
        date(2024, 6, 30),
        date(2024, 7, 5),
    ),
    Act(
        "board",
        4,
        "2024-05-17T10:00:00+01:00",
        "Business Unit",
        ["group:business-unit"],
        date(2024, 5, 31),
        date(2024, 5, 28),
    ),
    Act("board", 5, "2024-05-17T10:00:00+01:00", "all partners", ["all"], date(2024, 5, 31)),
    Act("board", 6, "2024-07-19T10:00:00+01:00", "SMi", ["acute"], date(2024, 12, 31)),
    Act("board", 7, "2024-07-19T10:00:00+01:00", "KB", ["yjs"], date(2024, 9, 30), date(2024, 9, 20)),
    Act("board", 8, "2024-09-20T10:00:00+01:00", "Jane Doe", [NOT_IN_FILE], date(2024, 10, 31)),
    Act("board", 9, "2024-09-20T10:00:00+01:00", "NF", ["probation"], date(2024, 10, 31)),
    Act("board", 10, "2025-03-21T10:00:00+00:00", "TT", ["acute"], date(2025, 4, 30)),
    Act("executive", 1, "2024-06-14T10:00:00+01:00", "LE", ["icb"], date(2024, 7, 31), date(2024, 7, 29)),
]
TITLES = {
    ("board", 1): "check the venue",
    ("board", 2): "write to the schools",
    ("board", 3): "review the police protection figures",
    ("board", 4): "resend the survey",
    ("board", 5): "return the audit",
    ("board", 6): "report on the named nurse review",
    ("board", 7): "share the youth justice plan",
    ("board", 8): "share the report",
    ("board", 9): "write the probation update",
    ("board", 10): "present the hospital audit",
    ("executive", 1): "draft the yearly report",
}
# When actions are closed, and how: "chat" a direct message after the reminder, "email" the e-mailed
# link's answer page, "channel" the chair in the meeting channel.
CLOSINGS = {
    ("board", 1): ("2024-04-10T11:00:00+01:00", "MT", "channel"),
    ("board", 2): ("2024-05-24T09:30:00+01:00", "HN", "chat"),
    ("board", 3): ("2024-07-05T11:00:00+01:00", "MT", "channel"),
    ("board", 4): ("2024-05-28T09:30:00+01:00", "RB", "email"),
    ("board", 7): ("2024-09-20T11:00:00+01:00", "MT", "channel"),
    ("executive", 1): ("2024-07-29T09:30:00+01:00", "LE", "chat"),
}
# Board 6 gets a real update at the January meeting: carried no more than one meeting after it.
UPDATES = {("board", 6): ("2025-01-17T10:30:00+00:00", "MT", "the review has started")}
SWEEPS = ["2024-05-24T09:05:00+01:00", "2024-07-24T09:05:00+01:00", "2025-02-03T09:05:00+00:00"]


def _without_nf(text: str) -> str:
    data = yaml.safe_load(text)
    data["people"] = [p for p in data["people"] if p["initials"] != "NF"]
    for s in data["series"]:
        s["members"] = [m for m in s.get("members", []) if m != "NF"]
    return yaml.safe_dump(data, sort_keys=False)


def _channel(series: str) -> str:
    return f"chan-{series}"


def build_year(chat: Chat, tmp_path: Path) -> dict[str, str]:
    """Type the plan into the shell in time order; returns the output of each reminder sweep."""
    events: list[tuple[str, int, object]] = []
    for h in PLAN:
        events.append((datetime.fromisoformat(h.at).astimezone(UTC).isoformat(), 0, h))
    for key, (at, who, how) in CLOSINGS.items():
        events.append((datetime.fromisoformat(at).astimezone(UTC).isoformat(), 2, (key, who, how, None)))
    for key, (at, who, text) in UPDATES.items():
        events.append((datetime.fromisoformat(at).astimezone(UTC).isoformat(), 1, (key, who, "update", text)))
    for at in SWEEPS:
        events.append((datetime.fromisoformat(at).astimezone(UTC).isoformat(), 1, "sweep"))
    events.sort(key=lambda e: (e[0], e[1]))
    sweeps: dict[str, str] = {}
    removed = False
    for at, _, event in events:
        if isinstance(event, Held):
            if event.left_file and not removed:
                path = tmp_path / "westshire-later.yaml"
                path.write_text(_without_nf(EXAMPLE.read_text()))
                chat.app.load_files([str(path)])
                removed = True
            _hold(chat, event)
        elif event == "sweep":
            chat.at(at)
            sweeps[at] = chat.script("! sweep")
        elif isinstance(event, tuple) and event[2] == "update":
            (series, number), who, _, text = event  # type: ignore[misc]
            chat.door.channel = _channel(series)
            chat.at(at)
            assert "Update recorded" in chat.say(who, f"action {number} update: {text}")
        else:
            (series, number), who, how, _ = event  # type: ignore[misc]
            chat.at(at)
            if how == "channel":
                chat.door.channel = _channel(series)
                said = chat.say(who, f"done {number}")
            elif how == "chat":
                said = chat.dm(who, f"action {series} {number} done")
            else:  # the e-mailed link's answer page runs the reminder's command as door "web"
                req = Request(
                    "web",
                    f"answer:{who}",
                    who,
                    f"action {series} {number} done",
                    datetime.fromisoformat(at),
                    direct=True,
                    series_hint=series,
                )
                said = chat.core.handle(req).plain
            assert "done" in said, said
    return sweeps


def _hold(chat: Chat, h: Held) -> None:
    chat.door.channel = _channel(h.series)
    chat.at(h.at)
    chair = SERIES[h.series]["chair"]
    assert "is open" in chat.say(chair, f"meeting start {h.series}")
    lines = [f"present {' '.join(h.present)}"]
    if h.apologies:
        lines.append(f"apologies {', '.join(h.apologies)}")
    lines += [f"{d} for {m}" for d, m in h.deputies]
    lines += h.extra
    for act in ACTIONS:
        if act.series == h.series and act.raised == h.at:
            due = f"{act.due.day} {act.due:%B %Y}"
            lines.append(f"Action: {act.owners} to {TITLES[(act.series, act.number)]} by {due}")
    lines.append("meeting end")
    for line in lines:
        if line.startswith("@ "):
            chat.at(line[2:])
            continue
        said = chat.say(chair, line)
        assert "I didn't understand" not in said and "?" not in said.split("\n")[0][-2:], (line, said)


# --- the expected figures, from the plan alone ---------------------------------------------------------


def in_period(iso: str) -> bool:
    return START <= datetime.fromisoformat(iso).date() <= END


def expected_states(h: Held) -> dict[str, str]:
    s = SERIES[h.series]
    members = (
        {m for m in s["members"] if m not in h.left_file}
        | {s["chair"]}
        | ({s["vice_chair"]} if s.get("vice_chair") else set())
    )
    deputies = {d for ds in s.get("deputies", {}).values() for d in ds}
    states: dict[str, str] = {}

    def put(agency: str, state: str) -> None:
        if agency not in states or RANK[state] < RANK[states[agency]]:
            states[agency] = state

    for p in h.present:
        put(AGENCY[p], "member")
    for _, m in h.deputies:
        put(AGENCY[m], "deputy")
    for a in h.apologies:
        put(AGENCY[a], "apologies")
    recorded = set(h.present) | set(h.apologies) | {d for d, _ in h.deputies}
    for m in members - deputies - {s.get("minute_taker")} - recorded:
        put(AGENCY[m], "absent")
    return states


def expected_engagement(series: str | None) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for h in PLAN:
        if (series is None or h.series == series) and in_period(h.at):
            for agency, state in expected_states(h).items():
                row = out.setdefault(AGENCY_NAME[agency], dict.fromkeys(RANK, 0))
                row[state] += 1
    return out


def _owner_name(key: str) -> str:
    if key == "all":
        return "All partners"
    if key.startswith("group:"):
        return "Business Unit"
    return AGENCY_NAME.get(key, key)


def expected_actions(series: str | None) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    meetings = {s: sorted(datetime.fromisoformat(h.at) for h in PLAN if h.series == s) for s in SERIES}
    for act in ACTIONS:
        if series is not None and act.series != series:
            continue
        raised_at = datetime.fromisoformat(act.raised)
        raised = in_period(act.raised)
        closed_in = act.closed is not None and START <= act.closed <= END
        open_at_end = act.closed is None or act.closed > END
        since = raised_at
        if (act.series, act.number) in UPDATES:
            since = datetime.fromisoformat(UPDATES[(act.series, act.number)][0])
        carried = open_at_end and sum(1 for m in meetings[act.series] if m > since) > 3
        for key in ["total", *act.agencies]:
            row = out.setdefault(
                "All actions" if key == "total" else _owner_name(key),
                {"raised": 0, "closed": 0, "by_due": 0, "overdue": 0, "carried": 0, "days": []},
            )
            row["raised"] += raised  # type: ignore[operator]
            if closed_in:
                assert act.closed is not None
                row["closed"] += 1  # type: ignore[operator]
                row["by_due"] += act.closed <= act.due  # type: ignore[operator]
                row["days"].append((act.closed - raised_at.date()).days)  # type: ignore[attr-defined]
            row["overdue"] += open_at_end and act.due < END  # type: ignore[operator]
            row["carried"] += carried  # type: ignore[operator]
    return out


def reminders_in(out: str) -> int:
    """Reminders about one action each, as the shell printed the direct messages."""
    return len(re.findall(r"Reminder: .*? is (?:due|overdue)", out)) + len(
        re.findall(r"^\s+(?:Also|And): ", out, re.M)
    )


# --- the tests --------------------------------------------------------------------------------------------


@pytest.fixture
def year(chat: Chat, tmp_path: Path) -> tuple[Chat, YearReport, dict[str, str]]:
    sweeps = build_year(chat, tmp_path)
    with chat.app.sessions() as session:
        report = year_report(session, chat.core.partnership_id, START, END, AS_OF)
    return chat, report, sweeps


def test_every_figure_matches_the_plan(year: tuple[Chat, YearReport, dict[str, str]]) -> None:
    chat, report, sweeps = year
    assert report.start == START and report.end == END and report.as_of == AS_OF
    scopes = {s.key: s for s in report.scopes}

    # Meetings held: the March 2024 board falls before the period.
    assert scopes["board"].held == sum(1 for h in PLAN if h.series == "board" and in_period(h.at)) == 6
    assert scopes["executive"].held == 2 and scopes["exploitation"].held == 0
    assert scopes["partnership"].held == 8

    # Engagement per agency, for each series and the whole partnership.
    for key in ("board", "executive", None):
        scope = scopes[key or "partnership"]
        got = {a.name: {s: a.count(s) for s in RANK} for a in scope.agencies if a.expected}
        assert got == expected_engagement(key), key
        for a in scope.agencies:
            if a.expected:
                want = expected_engagement(key)[a.name]
                assert a.rate == pytest.approx((want["member"] + want["deputy"]) / sum(want.values()))
        # Statutory agencies first.
        flags = [a.statutory for a in scope.agencies]
        assert flags == sorted(flags, reverse=True)
    # Nadia Frost left the file after September: probation had a seat at the three board meetings
    # before, and none after; her history stays under probation.
    probation = next(a for a in scopes["board"].agencies if a.key == "probation")
    assert probation.expected == 3 and probation.absent == 3
    # The guest presenter counts as "not in the partnership file", attending without a seat.
    guests = next(a for a in scopes["board"].agencies if a.key == NOT_IN_FILE)
    assert guests.in_attendance == 1 and guests.expected == 0 and guests.rate is None
    # The heat map's cells are the same states, meeting by meeting.
    board_plan = [h for h in PLAN if h.series == "board" and in_period(h.at)]
    assert [m.day for m in scopes["board"].meetings] == [
        datetime.fromisoformat(h.at).date() for h in board_plan
    ]
    for m, h in zip(scopes["board"].meetings, board_plan, strict=True):
        assert m.states == expected_states(h)

    # Quorum.
    for key in ("board", "executive"):
        plan = [h for h in PLAN if h.series == key and in_period(h.at)]
        q = scopes[key].quorum
        assert q.held == len(plan)
        assert q.throughout == sum(h.quorum == "throughout" for h in plan)
        assert q.lost == sum(h.quorum == "lost" for h in plan)
        assert q.never == sum(h.quorum == "never" for h in plan)
        assert [m.missing for m in scopes[key].meetings if m.quorum == "lost"] == [
            h.missing for h in plan if h.quorum == "lost"
        ]
        assert q.decisions == sum(h.decisions for h in plan)
        assert q.for_ratification == sum(h.inquorate for h in plan)
    # Both inquorate board decisions were ratified in November.
    assert scopes["board"].quorum.ratified == 2 and scopes["board"].quorum.awaiting == 0
    whole = scopes["partnership"].quorum
    assert (whole.held, whole.throughout, whole.lost, whole.never) == (8, 6, 1, 1)
    assert whole.lost_at == [(date(2024, 7, 19), ["Westshire and Eastbury Integrated Care Board"])]
    assert (whole.decisions, whole.for_ratification, whole.ratified) == (3, 2, 2)

    # Actions per owning agency; groups and all partners apart.
    for key in ("board", "executive", None):
        scope = scopes[key or "partnership"]
        got = {
            a.name: {
                "raised": a.raised,
                "closed": a.closed,
                "by_due": a.closed_by_due,
                "overdue": a.overdue,
                "carried": a.carried,
                "days": sorted(a.days_to_close),
            }
            for a in [scope.total, *scope.actions]
        }
        want = expected_actions(key)
        for row in want.values():
            row["days"] = sorted(row["days"])  # type: ignore[type-var]
        assert got == want, key
        for a in [scope.total, *scope.actions]:
            days = want[a.name]["days"]
            assert a.median_days == (statistics.median(days) if days else None)  # type: ignore[arg-type]
    kinds = {a.name: a.kind for a in scopes["board"].actions}
    assert kinds["Business Unit"] == "group" and kinds["All partners"] == "all"
    assert kinds[NOT_IN_FILE] == "agency" and kinds["Probation Service"] == "agency"

    # Per month: raised and closed in the month, open at its end.
    months = {f"{m.month:%Y-%m}": m for m in scopes["partnership"].months}
    assert len(months) == 12
    for label, m in months.items():
        assert m.raised == sum(
            1
            for a in ACTIONS
            if in_period(a.raised) and datetime.fromisoformat(a.raised).strftime("%Y-%m") == label
        )
        assert m.closed == sum(
            1
            for a in ACTIONS
            if a.closed and START <= a.closed <= END and a.closed.strftime("%Y-%m") == label
        )
    month_ends = {"2024-05": date(2024, 6, 1), "2025-03": date(2025, 4, 1)}
    for label, first_after in month_ends.items():
        assert months[label].open_at_end == sum(
            1
            for a in ACTIONS
            if datetime.fromisoformat(a.raised).date() < first_after
            and (a.closed is None or a.closed >= first_after)
        )

    # Reminders: as many as the sweeps printed; answered from the reminder by chat (HN, LE) and by
    # the e-mailed link (RB).
    r = scopes["partnership"].reminders
    assert r.sent == sum(reminders_in(out) for out in sweeps.values()) > 0
    assert (r.answered, r.by_chat, r.by_email) == (3, 2, 1)
    assert scopes["executive"].reminders.by_chat == 1 and scopes["board"].reminders.by_email == 1
    # The route is stored with each answer (migration 0019).
    with chat.app.sessions() as s:
        routes = {
            (ini, route)
            for ini, route in s.execute(
                select(Person.initials, ActionUpdate.route)
                .join(Person, Person.id == ActionUpdate.person_id)
                .where(ActionUpdate.kind == "done")
            )
        }
    assert routes == {("MT", "channel"), ("HN", "chat"), ("LE", "chat"), ("RB", "email")}


def test_files_hold_the_charts_with_their_text_alternatives(
    year: tuple[Chat, YearReport, dict[str, str]],
) -> None:
    import docx
    from pypdf import PdfReader

    chat, report, _ = year
    files = {f.filename.rsplit(".", 1)[-1]: f for f in year_files(chat.core.setup.templates, report)}
    pngs = [
        f for f in year_files(chat.core.setup.templates, report, pdf=False) if f.filename.endswith(".png")
    ]
    names = sorted(f.filename.split("-to-2025-03-31-")[1] for f in pngs)
    # A bar chart and a heat map per series that met, and actions per month for every scope.
    assert names == sorted(
        [
            "board-engagement.png",
            "board-meetings.png",
            "board-actions.png",
            "executive-engagement.png",
            "executive-meetings.png",
            "executive-actions.png",
            "exploitation-actions.png",
            "partnership-engagement.png",
            "partnership-actions.png",
        ]
    )
    assert all(f.data.startswith(b"\x89PNG") for f in pngs)
    # Each drawn at the size Word prints it (16 cm) at 150 dpi, so its 9 pt labels print at 9 pt.
    assert {int.from_bytes(f.data[16:20], "big") for f in pngs} == {int(16 / 2.54 * 150)}

    document = docx.Document(io.BytesIO(files["docx"].data))
    assert {round(shape.width.cm, 1) for shape in document.inline_shapes} == {16.0}
    alts = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert len(alts) == len(pngs)
    assert all(alt and len(alt) > 40 for alt in alts)
    board_bar = next(a for a in alts if a.startswith("Bar chart of attendance per agency at Children's"))
    assert "Marcia Police: 4 by a member, 2 by a deputy, 0 apologies, 0 absent" in board_bar
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Text alternative: " + board_bar in text
    assert document.core_properties.language == "en-GB"

    pdf = PdfReader(io.BytesIO(files["pdf"].data))
    root = pdf.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    # Every chart is drawn in the PDF (pages may share one resource dictionary: count each image once).
    drawn = {hash(image.data): image for page in pdf.pages for image in page.images}
    assert len(drawn) == len(pngs)
    # …pixel for pixel as charted (the PDF takes each PNG's data as it is: handlers/pdf_png.py).
    from PIL import Image

    charted = sorted(Image.open(io.BytesIO(f.data)).convert("RGB").tobytes() for f in pngs)
    assert sorted(image.image.convert("RGB").tobytes() for image in drawn.values()) == charted
    # …each a tagged figure whose /Alt is its text alternative.
    figures = _structure(root["/StructTreeRoot"], "/Figure")
    assert len(figures) == len(pngs)
    assert all(str(f.get("/Alt", "")).startswith(("Bar chart", "Grid of", "Chart of")) for f in figures)
    assert board_bar in {str(f["/Alt"]) for f in figures}
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Children's Safeguarding Partnership Board: attendance per agency" in pdf_text

    # The CSV holds the numbers behind every chart and table.
    rows = list(csv.DictReader(io.StringIO(files["csv"].data.decode())))

    def value(scope: str, section: str, subject: str, measure: str) -> str:
        return next(
            r["value"]
            for r in rows
            if (r["scope"], r["section"], r["subject"], r["measure"]) == (scope, section, subject, measure)
        )

    assert value("board", "engagement", "Marcia Police", "represented by a deputy") == "2"
    assert (
        value("board", "meeting", "Westshire and Eastbury Integrated Care Board", "2024-09-20") == "apologies"
    )
    assert value("partnership", "actions per month", "2024-05", "raised") == "4"
    assert value("partnership", "reminders", report.partnership, "answered by e-mail link") == "1"
    assert value("partnership", "report", report.partnership, "as of") == AS_OF.isoformat()
    assert csv_text(report) == files["csv"].data.decode()


def _structure(node: object, kind: str) -> list[dict[str, object]]:
    """The structure elements of a kind in a tagged PDF's tree."""
    found: list[dict[str, object]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("/S") == kind:
                found.append(item)
            if "/K" in item:
                stack.append(item["/K"])
    return found


def test_a_period_with_no_meetings_says_so(chat: Chat, tmp_path: Path) -> None:
    import docx

    with chat.app.sessions() as session:
        report = year_report(session, chat.core.partnership_id, date(2023, 4, 1), date(2024, 3, 31), AS_OF)
    assert report.whole.held == 0 and all(s.held == 0 for s in report.series)
    assert all(a.rate is None for s in report.scopes for a in s.agencies)
    files = year_files(chat.core.setup.templates, report, pdf=False)
    document = docx.Document(io.BytesIO(files[0].data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "No meetings were held in this period, so there are no attendance or quorum figures." in text
    assert "0%" not in text
    # In chat, from the business unit: the same words, with the files attached.
    chat.at("2025-04-10T12:00:00+01:00")
    said = chat.dm("RB", "report year 2023-04-01 to 2024-03-31")
    assert "No meetings were held in this period" in said
    assert ".docx" in said and ".pdf" in said and ".csv" in said


def test_report_year_in_chat_and_from_the_command_line(
    year: tuple[Chat, YearReport, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chat, report, _ = year
    chat.at("2025-04-10T13:00:00+01:00")
    # The chair of the board: the last financial year by default, files attached.
    said = chat.dm("MT", "report year")
    assert "1 April 2024 to 31 March 2025" in said and "Meetings held: 8 across 2 series." in said
    sent = sorted(p.name for p in chat.door.files_dir.iterdir())
    assert any(n.endswith(".docx") for n in sent) and any(n.endswith(".pdf") for n in sent)
    # The partnership's charts as images; each series' are inside the documents.
    assert any(n.endswith("partnership-engagement.png") for n in sent)
    assert not any(n.endswith("board-meetings.png") for n in sent)
    # Not the business unit nor a chair: refused, saying who can, and nothing sent.
    before = set(chat.door.files_dir.iterdir())
    refused = chat.dm("HN", "report year")
    assert "Only the business unit and the chairs" in refused and set(chat.door.files_dir.iterdir()) == before
    # Bad dates: how to write them.
    assert "YYYY-MM-DD" in chat.dm("RB", "report year 2024-13-01 to 2025-03-31")
    assert "swap the dates" in chat.dm("RB", "report year 2025-03-31 to 2024-04-01")
    assert "at most five years" in chat.dm("RB", "report year 0001-01-01 to 9999-12-31")

    out = io.StringIO()
    code = cli_main(
        [
            "--database",
            chat.app.settings.database_url,
            "report",
            "year",
            "--partnership",
            "westshire-scp",
            "--from",
            "2024-04-01",
            "--to",
            "2025-03-31",
            "--at",
            AS_OF.isoformat(),
            "--out",
            str(tmp_path / "r"),
            "--no-pdf",
        ],
        stdout=out,
    )
    assert code == 0
    half = [
        "--database",
        chat.app.settings.database_url,
        "report",
        "year",
        "--from",
        "2024-04-01",
        "--out",
        str(tmp_path / "x"),
    ]
    capsys.readouterr()
    assert cli_main(half, stdout=io.StringIO()) == 1
    assert "Give both dates of the period: `--from 2024-04-01 --to 2025-03-31`" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    written = sorted(Path(p).name for p in out.getvalue().split())
    assert "westshire-scp-year-2024-04-01-to-2025-03-31.csv" in written
    assert (tmp_path / "r" / "westshire-scp-year-2024-04-01-to-2025-03-31.csv").read_text() == csv_text(
        report
    )


def test_last_financial_year() -> None:
    assert last_financial_year(date(2025, 4, 10)) == (date(2024, 4, 1), date(2025, 3, 31))
    assert last_financial_year(date(2025, 3, 31)) == (date(2023, 4, 1), date(2024, 3, 31))


def test_decisions_are_ratified_only_by_a_quorate_meeting(chat: Chat) -> None:
    from storage.models import AuditEvent, Decision, Meeting

    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT")
    assert "marked for ratification" in chat.say("MT", "decision: the neglect strategy is approved")
    chat.say("MT", "meeting end")
    chat.at("2024-07-19T10:00:00+01:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT")
    refused = chat.say("MT", "decisions ratified")
    assert "not quorate" in refused and "Nothing changed" in refused
    with chat.app.sessions() as s:
        assert s.scalars(select(Decision.ratified_meeting_id)).all() == [None]
    assert "Only the chair (Miriam Tolley)" in chat.say("HN", "decisions ratified")
    chat.say("MT", "present LE TR")
    assert "1 decision ratified by this meeting" in chat.say("MT", "decisions ratified")
    assert "No decisions are awaiting ratification" in chat.say("MT", "decisions ratified")
    with chat.app.sessions() as s:
        second = s.scalars(select(Meeting.id).order_by(Meeting.id.desc())).first()
        assert s.scalars(select(Decision.ratified_meeting_id)).all() == [second]
        assert s.scalars(select(AuditEvent.verb).where(AuditEvent.entity == "decision")).all() == [
            "recorded",
            "ratified",
        ]


def test_chart_labels_are_stamped_at_their_type_size() -> None:
    """The direct labels are drawn as markers: each must print at the labels' size, centred."""
    from handlers.year_report_charts import LABEL_PT, _stamp

    marker, markersize, half_width, half_height = _stamp("M")
    # DejaVu Sans' capital M is 0.73 em tall: at 9 pt about 6.6 pt, centred on its point.
    assert 2 * half_height == pytest.approx(0.729 * LABEL_PT, rel=0.02)
    vertices = marker.get_path().vertices
    assert abs(vertices.min(axis=0) + vertices.max(axis=0)).max() < 1e-6
    # The marker's own scaling (to half its size) undone by the size: the letter keeps its points.
    assert markersize / 2 == pytest.approx(max(half_width, half_height))
    assert _stamp("M 12")[3] == pytest.approx(half_height, rel=0.03)


def test_a_chart_on_a_used_figure_is_the_chart_on_a_new_one(
    year: tuple[Chat, YearReport, dict[str, str]],
) -> None:
    """Charts reuse one figure per kind: nothing of one scope's chart may show in the next one's.
    The scopes differ in agencies, meetings and months, drawn in both orders on shared figures."""
    from handlers.year_report_charts import Canvases, actions_chart, charts, engagement_chart, heat_map

    _, report, _ = year
    scopes = report.scopes
    assert len({len(s.agencies) for s in scopes}) > 1 and len({len(s.meetings) for s in scopes}) > 1
    kinds = (engagement_chart, heat_map, actions_chart)
    afresh = [c for s in scopes for make in kinds if (c := make(s, Canvases())) is not None]
    assert len(afresh) >= 2 * len(scopes)
    assert [(c.name, c.png) for c in charts(scopes)] == [(c.name, c.png) for c in afresh]
    shared = Canvases()
    backwards = [c for s in reversed(scopes) for make in kinds if (c := make(s, shared)) is not None]
    assert {c.name: c.png for c in backwards} == {c.name: c.png for c in afresh}


def test_texts_kept_from_chart_to_chart_draw_what_agg_draws(
    year: tuple[Chat, YearReport, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The charts' renderer rasterises each text once and stamps it again: every chart must come
    out as matplotlib's own Agg canvas draws it, text by text, pixel for pixel."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import handlers.year_report_charts as drawing

    _, report, _ = year
    kept = drawing.charts(report.scopes)
    monkeypatch.setattr(drawing, "_canvas_class", lambda: FigureCanvasAgg)
    assert [(c.name, c.png) for c in drawing.charts(report.scopes)] == [(c.name, c.png) for c in kept]


def test_a_png_the_pdf_cannot_take_as_it_is_goes_the_long_way() -> None:
    """Only 8-bit RGB or grey PNGs that are not interlaced are handed to the PDF as they are."""
    from PIL import Image

    from handlers.pdf_png import idat

    def png(mode: str, **options: object) -> bytes:
        buf = io.BytesIO()
        Image.new(mode, (3, 2), "white" if mode != "I;16" else 4000).save(buf, format="PNG", **options)
        return buf.getvalue()

    assert idat(png("RGB"), "RGB") and idat(png("L"), "L")
    assert idat(png("RGB"), "L") is None  # the mode WeasyPrint chose must be the PNG's own
    assert idat(png("RGBA"), "RGBA") is None and idat(png("P"), "RGB") is None
    interlaced = bytearray(png("RGB"))
    interlaced[28] = 1  # IHDR's interlace method (Pillow writes none)
    assert idat(png("I;16"), "L") is None and idat(bytes(interlaced), "RGB") is None
    assert idat(b"GIF89a", "RGB") is None


def test_a_chart_png_holds_its_pixels_and_its_resolution() -> None:
    """The charts' own PNG writer: any pixels back as they went in, and 150 dpi for Word and print."""
    from PIL import Image

    from handlers.year_report_charts import png_rgb

    width, height = 7, 5
    pixels = bytes(
        (x * 37 + y * 11 + c * 91) % 256 for y in range(height) for x in range(width) for c in range(3)
    )
    image = Image.open(io.BytesIO(png_rgb(width, height, pixels, 150)))
    assert image.mode == "RGB" and image.size == (width, height)
    assert image.tobytes() == pixels
    assert [round(d) for d in image.info["dpi"]] == [150, 150]


# --- in two processes --------------------------------------------------------------------------------


def _contents(files: list[File]) -> dict[str, object]:
    """Each file's contents; a Word file's parts one by one (its zip dates the parts when written)."""
    import zipfile

    out: dict[str, object] = {}
    for f in files:
        if f.filename.endswith(".docx"):
            with zipfile.ZipFile(io.BytesIO(f.data)) as z:
                out[f.filename] = {name: z.read(name) for name in z.namelist()}
        else:
            out[f.filename] = (f.media_type, f.title, f.data)
    return out


def test_the_report_in_two_processes_is_the_report_in_one(
    year: tuple[Chat, YearReport, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker draws every chart and writes the Word file while this process makes the PDF from
    the charts' plans: the same PNGs, Word parts, PDF and CSV as made in one process."""
    import handlers.year_report_render as render
    from handlers import year_report_worker

    chat, report, _ = year
    templates = chat.core.setup.templates
    alone = year_files(templates, report, worker=False)
    # Drawing a chart or writing Word here would now fail: both must come from the other process.
    monkeypatch.setattr(year_report_worker, "cpus", lambda: 2)

    def not_here(*args: object) -> None:
        raise AssertionError("made in this process")

    monkeypatch.setattr(render, "charts", not_here)
    monkeypatch.setattr(render, "render_docx", not_here)
    split = year_files(templates, report)
    assert [f.filename for f in split] == [f.filename for f in alone]
    assert _contents(split) == _contents(alone)
    assert year_files(templates, report) != []  # the worker is kept for the next report


def test_the_second_process_imports_no_database_library(
    year: tuple[Chat, YearReport, dict[str, str]],
) -> None:
    """The worker starts while the figures are read and must be ready by then: it draws the charts
    and writes the Word file from the pickled figures alone, without SQLAlchemy or the core."""
    import json
    import os
    import pickle
    import subprocess
    import sys

    from handlers.year_report_charts import chart_plans

    _, report, _ = year
    code = (
        "import json, pickle, sys\n"
        "from handlers import year_report_worker as w\n"
        "w._warm()\n"
        "report = pickle.loads(sys.stdin.buffer.read())\n"
        "drawn = w._draw(1, report)\n"
        "word = w._word(1)\n"
        "loaded = sorted(m for m in ('sqlalchemy', 'handlers.context', 'handlers.core', 'storage.models')"
        " if m in sys.modules)\n"
        "print(json.dumps([[c.name for c in drawn], word[:2].decode(), loaded]))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(report),
        capture_output=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
        timeout=120,
    )
    names, word_start, loaded = json.loads(done.stdout)
    assert names == [p.name for p in chart_plans(report.scopes)]
    assert word_start == "PK"  # a Word file is a zip
    assert loaded == []


def test_the_pdf_laid_out_before_its_pictures_arrive_is_the_same() -> None:
    """A PDF laid out from its pictures' PNG heads, the pixels handed over when it is written, is the
    PDF made from the PNGs; a picture that arrives with another size is laid out again."""
    from handlers.documents_render import BUILT_IN, render_pdf
    from handlers.year_report_charts import DPI, png_head, png_rgb

    width, height = 30, 20
    png = png_rgb(width, height, bytes(i * 7 % 256 for i in range(width * height * 3)), DPI)
    html = (
        '<html lang="en"><head><title>t</title></head>'
        '<body><p>A picture:</p><img src="chart:x" alt="x"></body></html>'
    )
    given = render_pdf(BUILT_IN, html, {"chart:x": png})
    asked: list[str] = []

    def fetch() -> bytes:
        asked.append("x")
        return png

    assert render_pdf(BUILT_IN, html, None, {"chart:x": (png_head(width, height, DPI), fetch)}) == given
    assert asked == ["x"]
    assert render_pdf(BUILT_IN, html, None, {"chart:x": (png_head(width, 10, DPI), fetch)}) == given


def test_a_report_never_fails_because_its_second_process_did(
    year: tuple[Chat, YearReport, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No worker to be had, or one that dies: the report is made here, the same, and it is logged;
    the next report starts a new worker."""
    import concurrent.futures
    import os
    import signal

    from handlers import year_report_worker

    chat, report, _ = year
    templates = chat.core.setup.templates
    expected = _contents(year_files(templates, report, worker=False))
    monkeypatch.setattr(year_report_worker, "cpus", lambda: 2)
    year_report_worker.stop()

    # One CPU: no worker is started at all.
    with monkeypatch.context() as m:
        m.setattr(year_report_worker, "cpus", lambda: 1)
        assert year_report_worker.start() is None

    # A worker that cannot be started.
    class Refusing(concurrent.futures.ProcessPoolExecutor):
        def submit(self, *args: object, **kwargs: object) -> concurrent.futures.Future[object]:
            raise OSError("no more processes")

    with monkeypatch.context() as m, caplog.at_level("WARNING", logger="partnerbot.year_report"):
        m.setattr(year_report_worker, "ProcessPoolExecutor", Refusing)
        assert _contents(year_files(templates, report)) == expected
    assert "no second process (OSError: no more processes)" in caplog.text
    caplog.clear()

    # A worker that dies before the report reaches it.
    pool = year_report_worker.start()
    assert pool is not None
    first = pool.submit(os.getpid).result()
    os.kill(first, signal.SIGKILL)
    with caplog.at_level("WARNING", logger="partnerbot.year_report"):
        assert _contents(year_files(templates, report)) == expected
    assert "year report: the second process" in caplog.text
    again = year_report_worker.start()
    assert again is not None and again is not pool
    assert again.submit(os.getpid).result() not in (first, os.getpid())
