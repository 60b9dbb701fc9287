"""Attendance from the Teams attendance report (Graph), proposed to the chair and confirmed.

Graph answers from a local fake through the request adapter's base URL: the report, its
records (paged), and 429 / 403 answers. The chair's apologies and deputies are never changed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import reconfigure
from sqlalchemy import select
from teams_fakes import (
    GRAPH_MEETING,
    MEETING_CHAT,
    TEAMS_MEETING,
    Harness,
    aad,
    card_actions,
    card_texts,
    load,
)

from bot.app import App
from storage.models import Attendance, Person


def record(who: str, email: str | None, *spans: tuple[str, str], name: str | None = None) -> dict[str, Any]:
    return {
        "id": f"rec-{who}",
        "emailAddress": email,
        "role": "Attendee",
        "totalAttendanceInSeconds": 0,
        "identity": {
            "id": aad(who) if who.isalpha() and who[0].isupper() else who,
            "displayName": name or who,
        },
        "attendanceIntervals": [
            {
                "joinDateTime": f"2024-01-19T{a}:00Z",
                "leaveDateTime": f"2024-01-19T{b}:00Z",
                "durationInSeconds": 60,
            }
            for a, b in spans
        ],
    }


@pytest.fixture
def teams(app: App) -> Iterator[Harness]:
    h = Harness(app)
    h.know("MT", "SMa", "PMw", "HN", "RB", "TR", "CG")
    h.connector.meetings[TEAMS_MEETING] = {
        "id": TEAMS_MEETING,
        "details": {
            "id": TEAMS_MEETING,
            "type": "Scheduled",
            "title": "Children's Safeguarding Partnership Board",
            "joinUrl": "https://teams.microsoft.com/l/meetup-join/board",
            "msGraphResourceId": GRAPH_MEETING,
            "scheduledStartTime": "2024-01-19T10:00:00Z",
            "scheduledEndTime": "2024-01-19T12:00:00Z",
        },
        "conversation": {"id": MEETING_CHAT, "isGroup": True, "conversationType": "groupChat"},
        "organizer": {"id": "29:RB", "aadObjectId": aad("RB"), "name": "Rhian Bowen"},
    }
    h.graph.reports[GRAPH_MEETING] = [
        {
            "id": "rep-old",
            "meetingStartDateTime": "2023-11-17T10:00:00Z",
            "meetingEndDateTime": "2023-11-17T12:00:00Z",
        },
        {
            "id": "rep-1",
            "meetingStartDateTime": "2024-01-19T10:00:00Z",
            "meetingEndDateTime": "2024-01-19T12:00:00Z",
            "totalParticipantCount": 6,
        },
    ]
    h.graph.records["rep-1"] = [
        record("MT", "miriam.tolley@westshire.example", ("10:00", "12:00")),
        record("LE", "lowri.evans@icb.example", ("10:12", "12:00")),  # joined late
        record("SMa", None, ("10:00", "11:20")),  # left early; matched by Teams id
        record("HN", None, ("10:01", "10:30"), ("10:35", "11:59")),  # dropped out and came back
        record("CG", None, ("10:00", "12:00")),  # deputising for TR, as the chair recorded
        record("ext-1", "priya.shah@nhs-trust.example", ("10:05", "11:00"), name="Dr Priya Shah"),
    ]
    h.say("MT", "bind board")
    h.say("MT", "meeting start")
    h.say("MT", "present MT")
    h.say("MT", "apologies TR")
    h.say("MT", "CG for TR")
    h.clock = "2024-01-19T12:00:00+00:00"
    h.say("MT", "meeting end")
    yield h
    h.close()


def attendance(app: App) -> dict[str, tuple[str, str | None, str | None, int]]:
    with app.sessions() as s:
        rows = s.execute(
            select(Person.initials, Attendance).join(Person, Person.id == Attendance.person_id)
        ).all()
        return {
            i: (
                a.status,
                a.arrived_at.strftime("%H:%M") if a.arrived_at else None,
                a.left_at.strftime("%H:%M") if a.left_at else None,
                len(a.movements),
            )
            for i, a in rows
        }


def _proposal(h: Harness) -> dict[str, Any]:
    cards = h.connector.cards(MEETING_CHAT)
    assert cards, h.connector.texts(MEETING_CHAT)[-3:]
    return cards[-1]


def press_in_chat(h: Harness, who: str, action: dict[str, Any]) -> Any:
    body = load(
        "card-action",
        **h.values(who, replyToId="sent-9", title=action["title"], verb=action["verb"], data=action["data"]),
    )
    body["conversation"] = {
        "isGroup": True,
        "conversationType": "groupChat",
        "id": MEETING_CHAT,
        "tenantId": "t",
    }
    return h.post(body)


def test_the_chair_confirms_attendance_proposed_from_the_report(teams: Harness, app: App) -> None:
    before = attendance(app)
    teams.say("MT", "attendance import")
    card = _proposal(teams)
    text = "\n".join(card_texts(card))
    assert "Lowri Evans" in text and "joined late" in text
    assert "Samir Malik" in text and "left early" in text
    assert "Chloe Grant: deputising (kept as recorded)" in text
    assert "Miriam Tolley: present (kept as recorded)" in text
    assert "Dr Priya Shah <priya.shah@nhs-trust.example>" in text
    assert attendance(app) == before  # nothing recorded until the chair confirms
    # Graph was asked for the organiser's meeting, through the base URL of the fake.
    paths = [c.path for c in teams.graph.calls]
    assert f"/v1.0/users/{aad('RB')}/onlineMeetings/{GRAPH_MEETING}/attendanceReports" in paths
    auth = [v for c in teams.graph.calls for k, v in c.headers.items() if k.lower() == "authorization"]
    assert auth and set(auth) == {"Bearer fake-graph-token"}

    (confirm,) = card_actions(card)
    assert confirm["data"]["typed"].startswith("attendance confirm board #")
    assert press_in_chat(teams, "MT", confirm).status_code == 200
    got = attendance(app)
    assert got["LE"] == ("present", "10:12", None, 1)
    assert got["SMa"] == ("present", "10:00", "11:20", 1)
    assert got["HN"] == ("present", "10:01", None, 0)
    assert got["TR"] == before["TR"] and got["TR"][0] == "apologies"
    assert got["CG"] == before["CG"] and got["CG"][0] == "deputy"
    assert got["MT"] == before["MT"]
    press_in_chat(teams, "MT", confirm)  # twice: nothing changes
    assert attendance(app) == got


def test_only_the_chair_team_imports(teams: Harness, app: App) -> None:
    teams.say("HN", "attendance import")
    assert "Only the chair" in teams.connector.texts(MEETING_CHAT)[-1]


def test_throttled_report_is_retried(teams: Harness) -> None:
    teams.graph.fail(r"/attendanceReports$", 429, {"error": {"code": "TooManyRequests"}}, Retry_After="3")
    teams.say("MT", "attendance import")
    assert 3 in teams.sleeps
    assert "joined late" in "\n".join(card_texts(_proposal(teams)))


def test_a_refusal_says_what_to_grant(teams: Harness) -> None:
    teams.graph.fail(
        r"/attendanceReports$", 403, {"error": {"code": "Forbidden", "message": "No access policy"}}
    )
    teams.say("MT", "attendance import")
    said = teams.connector.texts(MEETING_CHAT)[-1]
    assert "403" in said and "access policy" in said


def test_without_graph_the_join_and_leave_events_are_the_source(app: App) -> None:
    h = Harness(app, graph=False)
    try:
        h.know("MT", "SMa")
        h.say("MT", "bind board")
        h.post(load("meeting-start", **h.values("MT")))
        h.say("MT", "meeting start")
        h.say("MT", "present MT")
        for who, minute in (("LE", "10:15"), ("SMa", "10:00")):
            h.clock = f"2024-01-19T{minute}:00+00:00"
            h.post(load("participant-join", **h.values(who, role="Attendee")))
        h.clock = "2024-01-19T11:00:00+00:00"
        h.post(load("participant-leave", **h.values("SMa", role="Attendee")))
        h.clock = "2024-01-19T12:00:00+00:00"
        h.post(load("meeting-end", **h.values("MT")))
        h.say("MT", "attendance import")
        text = "\n".join(card_texts(h.connector.cards(MEETING_CHAT)[-1]))
        assert "the join and leave events I saw" in text
        assert "Lowri Evans" in text and "joined late" in text and "Samir Malik" in text
    finally:
        h.close()


def test_the_cli_imports_and_confirms(teams: Harness, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from bot.teams import plug
    from bot.teams.cli import run_attendance

    monkeypatch.setitem(plug._graphs, id(app), teams.door.graph())
    monkeypatch.setitem(plug._graph_apps, id(app), app)
    reconfigure(app, graph={"enabled": True, "tenant_id": "t", "organiser": "rhian.bowen@westshire.example"})
    out = io.StringIO()
    args = argparse.Namespace(
        attendance_command="import",
        series="board",
        meeting=GRAPH_MEETING,
        organiser=None,
        user=None,
        confirm=True,
        partnership=None,
    )
    assert run_attendance(app, args, out) == 0
    printed = out.getvalue()
    assert "Proposed attendance" in printed and "Attendance recorded" in printed
    assert f"/v1.0/users/rhian.bowen@westshire.example/onlineMeetings/{GRAPH_MEETING}/attendanceReports" in [
        c.path for c in teams.graph.calls
    ]
    assert attendance(app)["LE"][0] == "present"
