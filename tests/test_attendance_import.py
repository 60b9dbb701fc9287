"""`attendance import` is a core command fed by the door through the Request; the core loads no door.

A door with a source of attendance reports (Teams) attaches the report to the Request; the
core proposes from it, and `attendance confirm` records it without touching what the chair
recorded. A door without one (the shell) gets a clear answer and nothing changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest
from conftest import ROOT, Chat
from sqlalchemy import func, select

from handlers.attendance_report import AttendanceReport, Attendee, Interval, NoReport
from handlers.context import Request
from handlers.reply import Buttons, Reply
from storage.doors import remember_identity
from storage.models import Attendance, AuditEvent, PendingQuestion, Person

# Door SDKs and web frameworks the core must never load (nor anything of bot/).
DOOR_MODULES = (
    "bot",
    "microsoft_teams",
    "msgraph",
    "msgraph_core",
    "azure",
    "kiota_abstractions",
    "kiota_authentication_azure",
    "kiota_http",
    "httpx",
    "slack_bolt",
    "slack_sdk",
    "fastapi",
    "starlette",
    "uvicorn",
)
LE_TEAMS_ID = "6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44"  # Lowri Evans's teams_id in the example file


def test_loading_the_registry_loads_no_door() -> None:
    code = (
        "import json, sys, handlers.registry, handlers.commands;"
        "specs = handlers.registry.all_commands();"
        "print(json.dumps({'modules': sorted(sys.modules),"
        " 'report': [s.name for s in specs if s.needs_attendance_report]}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    loaded = [m for m in found["modules"] if m.split(".")[0] in DOOR_MODULES]
    assert loaded == []
    assert found["report"] == ["attendance import"]  # the registry, not the door, says who needs a report


@pytest.fixture
def held(chat: Chat) -> Chat:
    """A board meeting the chair recorded and closed: MT present, TR's apologies with CG deputising."""
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT")
    chat.say("MT", "apologies TR")
    chat.say("MT", "CG for TR")
    chat.at("2024-01-19T12:00:00+00:00")
    chat.say("MT", "meeting end")
    return chat


def _sheet(chat: Chat) -> dict[str, tuple[str, str | None, str | None, str | None]]:
    with chat.app.sessions() as s:
        rows = s.execute(
            select(Person.initials, Attendance).join(Person, Person.id == Attendance.person_id)
        ).all()
        return {
            i: (
                a.status,
                a.arrived_at.strftime("%H:%M") if a.arrived_at else None,
                a.left_at.strftime("%H:%M") if a.left_at else None,
                a.role_note,
            )
            for i, a in rows
        }


def _count(chat: Chat, model: Any) -> int:
    with chat.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _imports(chat: Chat) -> list[tuple[str | None, str | None, Any]]:
    with chat.app.sessions() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.entity == "attendance", AuditEvent.verb == "imported")
        ).all()
        return [(e.entity_id, e.door, e.after) for e in events]


def test_in_the_shell_there_is_no_report_and_nothing_changes(held: Chat) -> None:
    sheet, audit = _sheet(held), _count(held, AuditEvent)
    out = held.say("MT", "attendance import")
    assert "There is no attendance report to import here" in out and "Nothing changed" in out
    assert "attendance confirm" not in out  # nothing proposed
    assert _sheet(held) == sheet
    assert _count(held, AuditEvent) == audit and _count(held, PendingQuestion) == 0


def _span(a: str, b: str) -> tuple[Interval, ...]:
    return (
        Interval(
            datetime.fromisoformat(f"2024-01-19T{a}:00+00:00"),
            datetime.fromisoformat(f"2024-01-19T{b}:00+00:00"),
        ),
    )


def _import(chat: Chat, report: AttendanceReport | NoReport) -> Reply:
    req = Request("shell", "shell", "MT", "attendance import", chat.now, attendance_report=report)
    return chat.core.handle(req)


def test_a_report_on_the_request_is_proposed_then_confirmed_keeping_what_the_chair_recorded(
    held: Chat,
) -> None:
    before = _sheet(held)
    with held.app.sessions() as s, s.begin():  # Paul Mawer's Teams id, learnt the way the door learns it
        pmw = s.scalars(select(Person.id).where(Person.initials == "PMw")).one()
        remember_identity(s, "teams", "aad-paul-mawer", pmw, "email", held.now)
    # Lowri Evans by the file's teams_id, Paul Mawer by his learnt one, the others by e-mail.
    report = AttendanceReport(
        door="teams",
        source="the Teams attendance report",
        attendees=[
            Attendee("Lowri Evans", None, LE_TEAMS_ID, None, _span("10:12", "12:00")),
            Attendee("Paul Mawer", None, "aad-paul-mawer", None, _span("10:02", "12:00")),
            Attendee("Rhian Bowen", "rhian.bowen@westshire.example", None, None, _span("10:00", "11:20")),
            Attendee("Miriam Tolley", "miriam.tolley@westshire.example", None, None, _span("10:00", "12:00")),
            Attendee("Tom Rees", "Tom.Rees@marcia-police.example", None, None, _span("10:30", "11:00")),
            Attendee("Dr Priya Shah", "priya.shah@nhs-trust.example", None, None, _span("10:05", "11:00")),
        ],
    )
    proposal = _import(held, report)
    text = proposal.plain
    assert "from the Teams attendance report" in text
    assert "Miriam Tolley: present (kept as recorded)" in text
    assert "Tom Rees: apologies (kept as recorded)" in text
    assert "Dr Priya Shah <priya.shah@nhs-trust.example>" in text
    assert _sheet(held) == before and _imports(held) == []  # nothing recorded until confirmed
    (line,) = [
        b.typed for m in proposal.messages for x in m.blocks if isinstance(x, Buttons) for b in x.buttons
    ]
    assert line.startswith("attendance confirm board #")
    assert line.endswith(": RB 10:00-11:20; PMw 10:02-12:00; LE 10:12-12:00")  # in order of joining

    done = held.core.handle(Request("shell", "shell", "MT", line, held.now))
    recorded = "Attendance recorded: Rhian Bowen (left early), Paul Mawer, Lowri Evans (joined late)."
    assert recorded in done.plain
    got = _sheet(held)
    assert got["LE"] == ("present", "10:12", None, None)
    assert got["RB"] == ("present", "10:00", "11:20", None)
    assert got["PMw"] == ("in_attendance", "10:02", None, "minute taker")  # not a member of the board
    assert {k: got[k] for k in ("MT", "TR", "CG")} == {k: before[k] for k in ("MT", "TR", "CG")}
    assert got["TR"][0] == "apologies" and got["CG"][0] == "deputy"
    imported = {entity: (door, after["status"], after["source"]) for entity, door, after in _imports(held)}
    assert {k.split(":")[1]: v for k, v in imported.items()} == {
        "LE": ("shell", "present", "teams"),
        "RB": ("shell", "present", "teams"),
        "PMw": ("shell", "in_attendance", "teams"),
    }
    # Tom Rees's apologies stand even when the chair types him in.
    held.core.handle(Request("shell", "shell", "MT", line.split(":")[0] + ": TR 10:30-11:00", held.now))
    assert _sheet(held)["TR"] == before["TR"]


def test_a_door_that_found_no_report_says_why_and_nothing_changes(held: Chat) -> None:
    sheet = _sheet(held)
    assert "Graph refused: 403" in _import(held, NoReport("Graph refused: 403")).plain
    empty = AttendanceReport("teams", "the Teams attendance report", note="Teams has no report yet.")
    assert "Teams has no report yet." in _import(held, empty).plain
    assert _sheet(held) == sheet and _imports(held) == []
