"""The next meeting as a Teams meeting in the organiser's calendar; the Teams app package."""

from __future__ import annotations

import io
import json
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from teams_fakes import BOT_ID, MEETING_CHAT, ORGANISER, Harness

from bot.app import App
from bot.cli import main
from storage.models import AuditEvent, Meeting


def wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def calendar_events(app: App) -> list[AuditEvent]:
    with app.sessions() as s:
        rows = list(
            s.scalars(select(AuditEvent).where(AuditEvent.entity == "teams_event").order_by(AuditEvent.id))
        )
        s.expunge_all()
        return rows


def test_issuing_the_agenda_pack_puts_the_meeting_in_the_organisers_calendar(app: App) -> None:
    h = Harness(app, graph_settings={"create_events": True})
    try:
        h.know("MT", "RB")
        h.say("MT", "bind board")
        h.say("MT", "next meeting Friday 15 March 2024 10:00-12:00 at Westshire House")
        h.graph.fail(r"/events$", 429, {"error": {"code": "TooManyRequests"}}, Retry_After="1")
        h.clock = "2024-03-08T09:30:00+00:00"
        h.say("RB", "agenda next")
        wait_for(lambda: len(h.graph.events) == 1)
        method, event = h.graph.events[0]
        assert method == "POST" and h.graph.calls[-1].path == f"/v1.0/users/{ORGANISER}/events"
        assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
        assert event["start"] == {"dateTime": "2024-03-15T10:00:00", "timeZone": "UTC"}
        assert event["transactionId"].endswith("@partnerbot-0")
        assert "miriam.tolley@westshire.example" in {a["emailAddress"]["address"] for a in event["attendees"]}
        wait_for(lambda: "Teams meeting" in h.connector.texts(MEETING_CHAT)[-1])
        with app.sessions() as s:
            links = [m.online_link for m in s.scalars(select(Meeting))]
        assert any(link and "meetup-join" in link for link in links)
        # Kept by the core, in the audit trail, beside the join link it stored on the meeting.
        [first] = calendar_events(app)
        with app.sessions() as s:
            meeting = s.get(Meeting, first.after["meeting_id"])
            assert meeting is not None
            assert (first.series_id, first.partnership_id) == (meeting.series_id, "westshire-scp")
            assert first.after["join_url"] == meeting.online_link and "meetup-join" in meeting.online_link
        assert (first.actor, first.door, first.verb, first.after["sequence"]) == (
            "teams",
            "teams",
            "calendar",
            0,
        )
        assert first.after["event_id"] and first.after["uid"].endswith("@partnerbot")
        # The agenda pack itself: a short card with a link per file.
        urls = [
            a["url"] for c in h.connector.cards(MEETING_CHAT) for b in c["body"] for a in b.get("actions", [])
        ]
        assert any(".pdf?" in u for u in urls)
        # Issued again, unchanged: no second event. Moved: the same event is updated.
        h.say("RB", "agenda next")
        h.say("MT", "next meeting Friday 15 March 2024 13:00-15:00 at Westshire House")
        h.say("RB", "agenda next")
        wait_for(lambda: len(h.graph.events) == 2)
        method, event = h.graph.events[1]
        assert method == "PATCH" and event["start"]["dateTime"] == "2024-03-15T13:00:00"
        wait_for(lambda: len(calendar_events(app)) == 2)  # none for the unchanged issue
        moved = calendar_events(app)[1]
        assert moved.after["sequence"] == 1 and moved.after["event_id"] == first.after["event_id"]
        assert moved.entity_id == first.entity_id
    finally:
        h.close()


PUBLISHER = {
    "developer_name": "Westshire SCP",
    "website_url": "https://partnerbot.westshire.example",
    "privacy_url": "https://partnerbot.westshire.example/privacy",
    "terms_url": "https://partnerbot.westshire.example/terms",
}


def write_config(path: Path, **package: str) -> None:
    teams = {
        "enabled": True,
        "public_url": "https://partnerbot.westshire.example",
        "package": PUBLISHER | package,
    }
    path.write_text(yaml.safe_dump({"teams": teams}), encoding="utf-8")


def package(tmp_path: Path, config: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    code = main(["--config", str(config), "--database", db, "teams", "package", *args], out, out)
    return code, out.getvalue()


def test_the_package_can_be_written_into_a_folder(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    write_config(config)
    folder = tmp_path / "packages"
    folder.mkdir()
    code, said = package(tmp_path, config, "--out", str(folder), "--app-id", BOT_ID, "--version", "1.2.3")
    assert code == 0, said
    written = folder / "partnerbot-teams-1.2.3.zip"
    assert f"Wrote {written}" in said and sorted(p.name for p in folder.iterdir()) == [written.name]
    with zipfile.ZipFile(written) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert (manifest["id"], manifest["version"]) == (BOT_ID, "1.2.3")
    code, said = package(
        tmp_path, config, "--out", str(tmp_path / "no-such-folder" / "x.zip"), "--app-id", "a"
    )
    assert code == 1 and "--out: there is no folder" in said


def test_the_packages_developer_comes_from_app_yaml_and_fits_the_manifest(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    out = tmp_path / "partnerbot-teams.zip"
    write_config(config, developer_name="Westshire Safeguarding Children Partnership")  # 43 characters
    code, said = package(tmp_path, config, "--out", str(out), "--app-id", BOT_ID)
    assert code == 1 and not out.exists()
    assert (
        f"{config}: teams.package.developer_name: must be at most 32 characters, not 43 "
        "(the Teams manifest's limit)"
    ) in said
    config.write_text("teams:\n  enabled: true\n", encoding="utf-8")
    code, said = package(tmp_path, config, "--out", str(out), "--app-id", BOT_ID)
    assert code == 1 and not out.exists()
    assert "set teams.package.developer_name, teams.package.website_url, teams.package.privacy_url" in said


def test_the_package_has_the_bot_its_commands_rsc_and_icons(tmp_path: Path, monkeypatch: object) -> None:
    out = tmp_path / "partnerbot-teams.zip"
    config = tmp_path / "app.yaml"
    write_config(config)
    err = io.StringIO()
    code = main(
        [
            "--config",
            str(config),
            "--database",
            f"sqlite:///{tmp_path}/db.sqlite3",
            "teams",
            "package",
            "--out",
            str(out),
            "--app-id",
            BOT_ID,
        ],
        io.StringIO(),
        err,
    )
    assert code == 0, err.getvalue()
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
        colour, outline = z.read("color.png"), z.read("outline.png")
    (bot,) = manifest["bots"]
    assert bot["botId"] == BOT_ID and bot["scopes"] == ["personal", "groupChat", "team"]
    rsc = {p["name"] for p in manifest["authorization"]["permissions"]["resourceSpecific"]}
    assert rsc == {
        "ChatMessage.Read.Chat",
        "OnlineMeetingParticipant.Read.Chat",
        "OnlineMeeting.ReadBasic.Chat",
    }
    assert manifest["webApplicationInfo"]["id"] == BOT_ID
    assert manifest["developer"] == {
        "name": "Westshire SCP",
        "websiteUrl": "https://partnerbot.westshire.example",
        "privacyUrl": "https://partnerbot.westshire.example/privacy",
        "termsOfUseUrl": "https://partnerbot.westshire.example/terms",
    }
    assert manifest["validDomains"] == ["partnerbot.westshire.example"]
    for command_list in bot["commandLists"]:
        titles = [c["title"] for c in command_list["commands"]]
        assert 5 <= len(titles) <= 10 and all(len(t) <= 32 for t in titles)
        assert any(t.startswith("help") for t in titles)
    meeting = next(c for c in bot["commandLists"] if c["scopes"] == ["groupChat"])
    assert {"present NAMES", "quorum", "meeting start [SERIES]"} <= {c["title"] for c in meeting["commands"]}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    for png, size in ((colour, 192), (outline, 32)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (size, size)


def test_the_package_needs_the_app_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    out = io.StringIO()
    code = main(
        [
            "--database",
            f"sqlite:///{tmp_path}/db.sqlite3",
            "teams",
            "package",
            "--out",
            str(tmp_path / "x.zip"),
        ],
        out,
        io.StringIO(),
    )
    assert code == 1 and "TEAMS_APP_ID" in out.getvalue()
