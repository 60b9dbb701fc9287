"""The Teams SDK as `serve` imports it (bot/teams/loading.py `door_class`): its pydantic models are
built on first use, and accept and refuse what they did when built at import; what the door
leaves out of its start-up still works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from teams_fakes import Harness

from bot.app import App
from handlers.reply import File

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys
from pydantic import BaseModel, ValidationError
from bot.teams.loading import door_class

door_class()
cli_skipped = "httpx._main" not in sys.modules and "rich" not in sys.modules
import httpx._main  # still there for whoever asks for it
from microsoft_teams.api import ActivityTypeAdapter
from microsoft_teams.api.activities.message import MessageActivityInput

class Ours(BaseModel):  # defined after the import: built at once, as usual
    x: int

seen = {
    "httpx_cli_skipped": cli_skipped,
    "setting_taken_back": "defer_build" not in BaseModel.model_config,
    "ours_built": Ours.__pydantic_complete__,
    "sdk_model_built_before_use": MessageActivityInput.__pydantic_complete__,
}
reply = MessageActivityInput(text="Action 3 is done.")
seen["reply"] = reply.model_dump(by_alias=True, exclude_none=True)
seen["sdk_model_built_after_use"] = MessageActivityInput.__pydantic_complete__
activity = {
    "type": "message", "id": "1", "text": "quorum", "channelId": "msteams",
    "serviceUrl": "https://smba.example/", "from": {"id": "29:mt", "name": "Mina Taylor"},
    "conversation": {"id": "19:meeting"}, "recipient": {"id": "28:bot", "name": "partnerbot"},
}
parsed = ActivityTypeAdapter.validate_python(activity)
seen["parsed"] = [type(parsed).__name__, parsed.text, parsed.from_.name]
try:
    ActivityTypeAdapter.validate_python({**activity, "from": "nobody"})
    seen["refused"] = False
except ValidationError:
    seen["refused"] = True
print(json.dumps(seen))
"""


def test_the_sdk_imported_for_serve_builds_its_models_on_first_use() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    seen = json.loads(run.stdout)
    assert seen["setting_taken_back"] and seen["ours_built"]
    assert not seen["sdk_model_built_before_use"] and seen["sdk_model_built_after_use"]
    assert seen["reply"]["text"] == "Action 3 is done." and seen["reply"]["type"] == "message"
    assert seen["parsed"] == ["MessageActivity", "quorum", "Mina Taylor"]
    assert seen["refused"]
    assert seen["httpx_cli_skipped"]  # httpx's command-line client (rich, pygments): not for a server


def test_a_file_link_serves_its_file_and_nothing_else(app: App) -> None:
    """The door's /files route reads its parameters from the request (FastAPI builds no pydantic
    field for them): a genuine link downloads the file; a wrong signature, expiry or name does not."""
    h = Harness(app, graph=False)
    try:
        link = h.door.files.publish(File("minutes.pdf", "application/pdf", b"%PDF-1.7 minutes", "Minutes"))
        assert link is not None
        path = link.removeprefix(h.door.files.public_url or "")
        got = h.http.get(path)
        assert got.status_code == 200 and got.content == b"%PDF-1.7 minutes"
        assert "minutes.pdf" in got.headers["content-disposition"]
        url = httpx.URL(path)
        query = dict(url.params)
        for wrong in (
            {**query, "sig": "0" * 32},
            {**query, "exp": str(int(query["exp"]) + 1)},
            {**query, "exp": "soon"},
            {**query, "exp": "²"},
            {**query, "exp": "9" * 5000},
            {"exp": query["exp"]},
        ):
            assert h.http.get(url.path, params=wrong).status_code == 404, wrong
        assert h.http.get(url.path.replace("minutes.pdf", "agenda.pdf"), params=query).status_code == 404
    finally:
        h.close()
