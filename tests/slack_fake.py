"""A local fake of Slack for tests: the Web API, response URLs, file uploads and a Socket Mode server.

`FakeSlack` is a stdlib ThreadingHTTPServer on port 0. It records every call (method,
parameters, token), keeps the messages the bot posts so `conversations.*` and button
presses can read them back, and can be told to fail: 429 with Retry-After, or an error
such as `not_in_channel`. `FakeSocket` is a minimal WebSocket server speaking Socket Mode.
Plus helpers that build signed requests the way Slack sends them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "slack"
SECRET = "test-signing-secret"
BOT_USER = "UBOTPB0001"
JSON_FIELDS = ("blocks", "view", "files", "metadata", "attachments", "file_uploads")


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200


@dataclass
class Failure:
    method: str
    error: str | None  # None with retry_after: a 429
    times: int
    retry_after: int | None = None
    channel: str | None = None


@dataclass
class FakeState:
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    ws_url: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no delayed-ACK stalls between the headers and the body
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _params(self) -> dict[str, Any]:
        parsed = urlparse(self.path)
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type") or ""
        if raw and "json" in ctype:
            params.update(json.loads(raw))
        elif raw and "form" in ctype:
            params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
        elif raw:
            params["_raw"] = raw
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        path = urlparse(self.path).path
        if path.startswith("/upload/"):  # raw bytes, whatever content type urllib claims
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.server.fake.state.uploads[path.rsplit("/", 1)[1]] = data
            self._reply(200, b"OK", "text/plain")
            return
        params = self._params()
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") or params.get("token")
        fake = self.server.fake
        if path.startswith("/response/"):
            with fake.lock:
                fake.state.responses.append({"url": path, **params})
            self._reply(200, b"ok", "text/plain")
            return
        method = path.removeprefix("/api/")
        status, body, headers = fake.answer(method, params)
        fake.record(Call(method, params, token, status))
        self._reply(status, json.dumps(body).encode(), "application/json", headers)

    def _reply(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    fake: FakeSlack


class FakeSlack:
    def __init__(self) -> None:
        self.state = FakeState()
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- test controls -------------------------------------------------------------------------------
    def add_user(self, user_id: str, email: str | None, name: str = "Someone") -> None:
        self.state.users[user_id] = {"email": email, "real_name": name}

    def add_message(
        self, channel: str, ts: str, text: str, user: str, thread_ts: str | None = None
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self.lock:
            self.state.messages[(channel, ts)] = msg
        return msg

    def fail(self, method: str, error: str, times: int = 1, channel: str | None = None) -> None:
        self.state.failures.append(Failure(method, error, times, channel=channel))

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        self.state.failures.append(Failure(method, None, times, retry_after))

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [c.params for c in self.state.calls if method is None or c.method == method]

    def statuses(self, method: str) -> list[int]:
        with self.lock:
            return [c.status for c in self.state.calls if c.method == method]

    def methods(self) -> list[str]:
        with self.lock:
            return [c.method for c in self.state.calls if c.method != "auth.test"]

    def responses(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.state.responses)

    def clear(self) -> None:
        with self.lock:
            self.state.calls.clear()
            self.state.responses.clear()

    def record(self, call: Call) -> None:
        with self.lock:
            self.state.calls.append(call)

    def last_message_to(self, channel: str, block_id: str | None = None) -> tuple[str, dict[str, Any]]:
        """The newest message the bot posted in a conversation (holding that block): (ts, message)."""
        with self.lock:
            found = [
                (ts, m)
                for (ch, ts), m in self.state.messages.items()
                if ch == channel
                and (block_id is None or any(b.get("block_id") == block_id for b in m.get("blocks") or []))
            ]
        assert found, f"nothing was posted to {channel}"
        return max(found, key=lambda t: float(t[0]))

    # --- the Web API -----------------------------------------------------------------------------------
    def _failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self.lock:
            for f in self.state.failures:
                wanted = f.channel is None or params.get("channel") == f.channel
                if f.method == method and f.times > 0 and wanted:
                    f.times -= 1
                    return f
        return None

    def _next_ts(self) -> str:
        return f"{1705658400 + next(self._ts)}.{next(self._ids):06d}"

    def answer(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        failure = self._failure(method, p)
        if failure is not None:
            if failure.retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(failure.retry_after)}
            return 200, {"ok": False, "error": failure.error}, {}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": True}, {}
        return 200, handler(p), {}

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": BOT_USER,
            "bot_id": "BPB0001",
            "team_id": "T0WEST",
            "user": "partnerbot",
        }

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.state.users.get(str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        profile = {"real_name": user["real_name"], "display_name": user["real_name"]}
        if user.get("email"):
            profile["email"] = user["email"]
        body = {
            "id": p["user"],
            "name": user["real_name"].lower(),
            "real_name": user["real_name"],
            "tz": "Europe/London",
            "is_bot": False,
            "deleted": False,
            "profile": profile,
        }
        return {"ok": True, "user": body}

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p["channel"])
        if channel.startswith(("U", "W")):
            channel = "D" + channel[1:]  # a user id posts into the app's direct messages
        ts = self._next_ts()
        msg = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": "BPB0001",
            "text": p.get("text"),
            "ts": ts,
            "blocks": p.get("blocks") or [],
            "metadata": p.get("metadata"),
        }
        if p.get("thread_ts"):
            msg["thread_ts"] = p["thread_ts"]
        with self.lock:
            self.state.messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (str(p["channel"]), str(p["ts"]))
        with self.lock:
            if key not in self.state.messages:
                return {"ok": False, "error": "message_not_found"}
            self.state.messages[key].update({"text": p.get("text"), "blocks": p.get("blocks") or []})
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _view(self, p: dict[str, Any]) -> dict[str, Any]:
        view = dict(p.get("view") or {})
        view["id"] = f"V{next(self._ids):08d}"
        return {"ok": True, "view": view}

    _views_open = _views_publish = _views_update = _view

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel")), str(p.get("latest") or p.get("ts"))
        with self.lock:
            msg = self.state.messages.get((channel, ts))
        return {"ok": True, "messages": [msg] if msg else [], "has_more": False}

    _conversations_history = _conversations_replies

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("users")).split(",")[0]
        return {"ok": True, "channel": {"id": "D" + user[1:]}}

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files") or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.state.ws_url}


# --- signed requests, as Slack sends them ---------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


def signature_headers(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-signature": sig, "x-slack-request-timestamp": ts}


def bolt_request(body: str, content_type: str, **extra: str) -> Any:
    from slack_bolt.request import BoltRequest

    headers = {"content-type": content_type, **signature_headers(body), **extra}
    return BoltRequest(body=body, headers={k: [v] for k, v in headers.items()})


def slash_body(user: str, channel: str, text: str, response_url: str, command: str = "/pb") -> str:
    fields = fixture("slash_command.json")
    fields.update(
        {
            "user_id": user,
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "board-meeting",
            "text": text,
            "command": command,
            "response_url": response_url,
            "trigger_id": f"{time.time_ns()}.trigger",
        }
    )
    return urlencode(fields)


def interactive_body(payload: dict[str, Any]) -> str:
    return "payload=" + quote(json.dumps(payload))


def event_body(event: dict[str, Any], event_id: str) -> str:
    envelope = fixture("event_callback.json")
    envelope["event"] = event
    envelope["event_id"] = event_id
    envelope["event_time"] = int(float(event.get("event_ts") or event.get("ts") or time.time()))
    return json.dumps(envelope)


# --- Socket Mode: a minimal WebSocket server -----------------------------------------------------------

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocket:
    """Accepts the bot's Socket Mode connection, sends envelopes and collects their acks."""

    def __init__(self, fake: FakeSlack) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        fake.state.ws_url = f"ws://127.0.0.1:{self.port}/link?ticket=test"
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._acked = threading.Condition()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        for s in (self._conn, self.sock):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()

    def drop(self) -> None:
        """Cut the current connection, as a network blip would."""
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.shutdown(socket.SHUT_RDWR)
            self._conn.close()
            self._conn = None

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = next(
            line.split(":", 1)[1].strip()
            for line in request.decode().split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self._conn = conn
        self.connections += 1
        self.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0PB"}})
        try:
            for opcode, payload in self._frames(conn):
                if opcode == 0x9:  # ping: answer with the same payload
                    self._send(conn, 0xA, payload)
                elif opcode == 0x1:
                    data = json.loads(payload)
                    if "envelope_id" in data:
                        with self._acked:
                            self.acks[data["envelope_id"]] = data
                            self._acked.notify_all()
                elif opcode == 0x8:
                    return
        except OSError:
            return

    @staticmethod
    def _frames(conn: socket.socket) -> Iterator[tuple[int, bytes]]:
        buf = b""

        def need(n: int) -> bytes:
            nonlocal buf
            while len(buf) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    raise OSError("closed")
                buf += chunk
            out, buf = buf[:n], buf[n:]
            return out

        while True:
            b0, b1 = need(2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack(">H", need(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", need(8))[0]
            mask = need(4) if b1 & 0x80 else b""
            data = need(length)
            if mask:
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
            yield b0 & 0x0F, data

    def _send(self, conn: socket.socket, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        with self._send_lock:
            conn.sendall(head + payload)

    def send_json(self, data: dict[str, Any]) -> None:
        assert self._conn is not None, "the bot is not connected"
        self._send(self._conn, 0x1, json.dumps(data).encode())

    def wait_connected(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self._conn is None:
            assert time.monotonic() < deadline, "the bot never connected"
            time.sleep(0.02)

    def wait_ack(self, envelope_id: str, timeout: float = 60.0) -> dict[str, Any]:
        with self._acked:
            ok = self._acked.wait_for(lambda: envelope_id in self.acks, timeout)
        assert ok, f"no ack for {envelope_id}"
        return self.acks[envelope_id]


# --- a Slack door over the real core, for tests ------------------------------------------------------------

BOARD = "C0BOARD01"


def uid(initials: str) -> str:
    """A Slack user id for a person of the example file (Samir Malik's is in the file itself)."""
    return "U07SAMIRM1" if initials == "SMa" else "U0" + initials.upper().ljust(7, "0") + "1"


def dm_channel(initials: str) -> str:
    return "D" + uid(initials)[1:]


class Harness:
    """Signed requests through `App.dispatch`, as Slack would send them, with a settable clock."""

    def __init__(self, app: Any, fake: FakeSlack, *, via_http: bool = False, **config: Any) -> None:
        """`via_http`: through HTTP mode's route (bot/slack/http_mode.py), else straight to Bolt."""
        from datetime import UTC, datetime

        from bot.slack.app import SlackDoor, make_client
        from bot.slack.config import SlackConfig

        self.app, self.fake, self.via_http = app, fake, via_http
        self.now = datetime(2024, 1, 19, 10, 0, tzinfo=UTC)
        settings = {
            "enabled": True,
            "mode": "http",
            "bot_token": "xoxb-test",
            "signing_secret": SECRET,
            "api_base_url": fake.api_url,
            **config,
        }
        self.config = SlackConfig(**settings)
        self.door = SlackDoor(app, self.config, client=make_client(self.config), clock=lambda: self.now)
        # The answer is awaited inside the ack however loaded the machine is; a test of a late core
        # sets a short budget itself.
        self.door.ack_budget = 60.0
        self._ts = itertools.count(1)

    def at(self, iso: str) -> Harness:
        from datetime import datetime

        self.now = datetime.fromisoformat(iso)
        return self

    def know(self, *initials: str) -> None:
        """Identities learnt earlier (as if matched by e-mail): the file has no Slack ids for them."""
        from sqlalchemy import select

        from storage.doors import remember_identity
        from storage.models import Person

        with self.app.sessions() as session, session.begin():
            for i in initials:
                person = session.scalars(select(Person).where(Person.initials == i)).one()
                if not person.slack_id:
                    remember_identity(session, "slack", uid(i), person.id, "admin", self.now)

    def next_ts(self) -> str:
        return f"{self.now.timestamp():.0f}.{next(self._ts):06d}"

    def dispatch(self, body: str, content_type: str, **headers: str) -> Any:
        if self.via_http:
            resp = self._post(body, {"content-type": content_type, **signature_headers(body), **headers})
        else:
            resp = self.door.bolt.dispatch(bolt_request(body, content_type, **headers))
        self.door.wait_idle()
        return resp

    def _post(self, body: str, headers: dict[str, str]) -> Any:
        """The request through HTTP mode's ASGI route, as the web server hands it over."""
        from slack_bolt.response import BoltResponse

        from bot import runtime
        from bot.slack.http_mode import SlackEvents
        from storage.doors import delivered

        def handled(event_id: str) -> bool:
            with self.app.sessions() as session:
                return delivered(session, "slack", event_id)

        events = SlackEvents(self.door, SECRET, handled)
        data = body.encode()
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/slack/events",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            + [(b"content-length", str(len(data)).encode())],
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if any(m.get("type") == "received" for m in sent):
                return {"type": "http.disconnect"}
            sent.append({"type": "received"})
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        runtime.run(events(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        head = {k.decode(): [v.decode()] for k, v in start["headers"]}
        return BoltResponse(status=start["status"], body=answer.decode(), headers=head)

    # --- what people do ----------------------------------------------------------------------------------
    def slash(self, who: str, text: str, channel: str = BOARD, response: str = "r1") -> Any:
        body = slash_body(uid(who), channel, text, self.fake.response_url(response), self.config.command)
        return self.dispatch(body, FORM)

    def event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> Any:
        eid = event_id or f"Ev{time.time_ns()}"
        return self.dispatch(event_body(event, eid), "application/json", **headers)

    def message(
        self, who: str, text: str, channel: str = BOARD, thread_ts: str | None = "root", ts: str | None = None
    ) -> tuple[str, Any]:
        """A message in a channel (in the meeting thread unless thread_ts is None)."""
        event = fixture("message_thread.json")
        ts = ts or self.next_ts()
        event.update({"user": uid(who), "text": text, "ts": ts, "event_ts": ts, "channel": channel})
        event.pop("blocks", None)
        if thread_ts is None:
            event.pop("thread_ts", None)
            event.pop("parent_user_id", None)
        else:
            event["thread_ts"] = self.thread_root if thread_ts == "root" else thread_ts
        self.fake.add_message(channel, ts, text, uid(who), event.get("thread_ts"))
        return ts, self.event(event)

    thread_root = "1705658400.000100"

    def dm(self, who: str, text: str) -> Any:
        event = fixture("message_im.json")
        ts = self.next_ts()
        event.update({"user": uid(who), "text": text, "ts": ts, "event_ts": ts, "channel": dm_channel(who)})
        return self.event(event)

    def interact(self, payload: dict[str, Any]) -> Any:
        if str(payload.get("response_url", "")).startswith("https://"):  # never the real Slack
            payload = {**payload, "response_url": self.fake.response_url("interaction")}
        return self.dispatch(interactive_body(payload), FORM)

    def press(
        self,
        who: str,
        label: str,
        channel: str | None = None,
        ts: str | None = None,
        block_id: str | None = None,
    ) -> Any:
        """Press a button on the newest message the bot sent (in `who`'s direct messages by default)."""
        channel = channel or dm_channel(who)
        if ts is None:
            ts, message = self.fake.last_message_to(channel, block_id)
        else:
            message = self.fake.state.messages[(channel, ts)]
        block, button = find_button(message["blocks"], label, block_id)
        payload = fixture("block_actions.json")
        payload["user"]["id"] = uid(who)
        payload["container"].update({"message_ts": ts, "channel_id": channel})
        payload["channel"]["id"] = channel
        payload["message"] = {**message, "ts": ts}
        payload["response_url"] = self.fake.response_url("press")
        payload["trigger_id"] = f"{time.time_ns()}.trigger"
        payload["actions"] = [
            {
                **payload["actions"][0],
                "action_id": button["action_id"],
                "block_id": block["block_id"],
                "value": button["value"],
                "text": button["text"],
                "action_ts": f"{time.time():.6f}",
            }
        ]
        return self.interact(payload)

    def submit(
        self, who: str, view: dict[str, Any], values: dict[str, dict[str, Any]], view_id: str | None = None
    ) -> Any:
        """Submit a modal the bot opened (`views.open` params), with the given block values."""
        payload = fixture("view_submission.json")
        payload["user"]["id"] = uid(who)
        payload["view"].update(
            {
                "id": view_id or f"V{time.time_ns()}",
                "callback_id": view["callback_id"],
                "private_metadata": view.get("private_metadata", ""),
                "blocks": view.get("blocks", []),
                "state": {"values": values},
            }
        )
        return self.interact(payload)


def find_button(
    blocks: list[dict[str, Any]], label: str, block_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return block, element
    raise AssertionError(f"no {label!r} button in {blocks}")


def text_value(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in some blocks (sections, contexts), for assertions."""
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"].get("text", ""))
        for e in b.get("elements") or []:
            if isinstance(e, dict) and e.get("type") in ("mrkdwn", "plain_text"):
                out.append(e.get("text", ""))
    return "\n".join(out)
