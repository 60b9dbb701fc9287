"""Local fakes for the Teams door's tests: the Bot Connector, Microsoft Graph and a JWT key set.

Each is a small HTTP server on 127.0.0.1 in a thread of its own (the Teams SDK fetches the key
set synchronously, so it must not share the bot's event loop). They record what they were sent
and can be told to answer the next matching requests with an error (429, 403, …).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Route = Callable[["Call"], tuple[int, Any] | tuple[int, Any, dict[str, str]]]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int


class FakeServer:
    """A threaded loopback HTTP server with regex routes and injectable failures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                parts = urlsplit(self.path)
                call = Call(
                    self.command, unquote(parts.path), parse_qs(parts.query), dict(self.headers), body
                )
                status, payload, headers = fake.dispatch(call)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, method: str, pattern: str, handler: Route) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def fail(self, pattern: str, status: int, body: Any = None, *, times: int = 1, **headers: str) -> None:
        """Answer the next `times` requests whose path matches with this status."""
        with self.lock:
            self.failures.append(
                Failure(
                    re.compile(pattern),
                    status,
                    body,
                    {k.replace("_", "-"): v for k, v in headers.items()},
                    times,
                )
            )

    def dispatch(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.calls.append(call)
            for f in self.failures:
                if f.times > 0 and f.pattern.search(call.path):
                    f.times -= 1
                    return f.status, f.body, f.headers
        for method, pattern, handler in self.routes:
            if method == call.method and pattern.fullmatch(call.path):
                result = handler(call)
                return (result[0], result[1], result[2] if len(result) > 2 else {})
        return 404, {"error": {"code": "NotFound", "message": call.path}}, {}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the Bot Connector (Teams) ---------------------------------------------------------------------------


class Connector(FakeServer):
    """The Bot Connector service a Teams bot replies to: activities, 1:1 chats, members, meetings."""

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, dict[str, Any]] = {}  # "29:…" id → profile
        self.roles: dict[str, str] = {}  # aad id → meeting role
        self.meetings: dict[str, dict[str, Any]] = {}  # Teams meeting id → details
        self.refuse_chat: set[str] = set()  # aad ids that cannot get a 1:1 chat (guests)
        ids = itertools.count(1)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.updated: list[tuple[str, str, dict[str, Any]]] = []

        def post_activity(call: Call) -> tuple[int, Any]:
            conv = call.path.split("/v3/conversations/", 1)[1].rsplit("/activities", 1)[0]
            with self.lock:
                self.sent.append((conv, call.body))
            return 201, {"id": f"sent-{next(ids)}"}

        def put_activity(call: Call) -> tuple[int, Any]:
            conv, _, aid = call.path.split("/v3/conversations/", 1)[1].partition("/activities/")
            self.updated.append((conv, aid, call.body))
            return 200, {"id": aid}

        def create(call: Call) -> tuple[int, Any]:
            member = (call.body.get("members") or [{}])[0].get("id", "")
            if member in self.refuse_chat:
                return 403, {"error": {"code": "BotNotInConversationRoster", "message": "not in roster"}}
            return 201, {"id": f"a:1-{member}"}

        def member(call: Call) -> tuple[int, Any]:
            mid = call.path.rsplit("/", 1)[1]
            found = self.members.get(mid)
            return (200, found) if found else (404, {"error": {"code": "MemberNotFoundInConversation"}})

        def meeting(call: Call) -> tuple[int, Any]:
            mid = call.path.split("/v1/meetings/", 1)[1]
            found = self.meetings.get(mid)
            return (200, found) if found else (404, {"error": {"code": "NotFound"}})

        def participant(call: Call) -> tuple[int, Any]:
            _mid, _, aad = call.path.split("/v1/meetings/", 1)[1].partition("/participants/")
            role = self.roles.get(aad, "Attendee")
            return 200, {
                "user": {"id": f"29:{aad}", "aadObjectId": aad},
                "meeting": {"role": role, "inMeeting": True},
            }

        self.route("POST", r"/v3/conversations/.+/activities", post_activity)
        self.route("PUT", r"/v3/conversations/.+/activities/.+", put_activity)
        self.route("POST", r"/v3/conversations", create)
        self.route("GET", r"/v3/conversations/.+/members/.+", member)
        self.route("GET", r"/v1/meetings/[^/]+/participants/.+", participant)
        self.route("GET", r"/v1/meetings/[^/]+", meeting)

    def texts(self, conversation: str | None = None) -> list[str]:
        """Every text sent (plain messages, and the text blocks of cards), in order."""
        out = []
        for conv, body in self.sent:
            if conversation is not None and conv != conversation:
                continue
            out.append(activity_text(body))
        return out

    def cards(self, conversation: str | None = None) -> list[dict[str, Any]]:
        return [
            a["content"]
            for conv, body in self.sent
            if conversation is None or conv == conversation
            for a in body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


def card_texts(card: dict[str, Any]) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and node.get("text"):
                out.append(node["text"])
            for key in ("body", "items", "rows", "cells", "columns"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return out


def activity_text(body: dict[str, Any]) -> str:
    parts = [body.get("text") or ""]
    for a in body.get("attachments") or []:
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive":
            parts.extend(card_texts(a["content"]))
    return "\n".join(p for p in parts if p)


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute of a card (forms included), in order."""
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                out.append(node)
            for key in ("body", "items", "actions", "card"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return out


# --- Microsoft Graph ------------------------------------------------------------------------------------


class FakeGraph(FakeServer):
    """Graph v1.0: attendance reports and records, sendMail, events."""

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[str, list[dict[str, Any]]] = {}  # online meeting id → reports
        self.records: dict[str, list[dict[str, Any]]] = {}  # report id → records
        self.mail: list[dict[str, Any]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        ids = itertools.count(1)

        def reports(call: Call) -> tuple[int, Any]:
            meeting = call.path.split("/onlineMeetings/", 1)[1].split("/", 1)[0]
            return 200, {"value": self.reports.get(meeting, [])}

        def records(call: Call) -> tuple[int, Any]:
            report = call.path.split("/attendanceReports/", 1)[1].split("/", 1)[0]
            rows = self.records.get(report, [])
            if call.query.get("page") == ["2"]:
                return 200, {"value": rows[1:]}
            if len(rows) > 1:  # page like Graph does: the first record, then a next link
                return 200, {"value": rows[:1], "@odata.nextLink": f"{self.url}{call.path}?page=2"}
            return 200, {"value": rows}

        def send_mail(call: Call) -> tuple[int, Any]:
            self.mail.append(call.body)
            return 202, None

        def event(call: Call) -> tuple[int, Any]:
            self.events.append((call.method, call.body))
            eid = call.path.rsplit("/", 1)[1] if call.method == "PATCH" else f"ev-{next(ids)}"
            return (200 if call.method == "PATCH" else 201), {
                "id": eid,
                "subject": call.body.get("subject"),
                "onlineMeeting": {"joinUrl": f"https://teams.example/l/meetup-join/{eid}"},
            }

        self.route("GET", r"/v1\.0/users/[^/]+/onlineMeetings/[^/]+/attendanceReports", reports)
        self.route(
            "GET",
            r"/v1\.0/users/[^/]+/onlineMeetings/[^/]+/attendanceReports/[^/]+/attendanceRecords",
            records,
        )
        self.route("POST", r"/v1\.0/users/[^/]+/sendMail", send_mail)
        self.route("POST", r"/v1\.0/users/[^/]+/events", event)
        self.route("PATCH", r"/v1\.0/users/[^/]+/events/[^/]+", event)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1.0"


class FakeCredential:
    """An azure-identity async credential that hands out a fixed token (no Entra ID call)."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        import time

        from azure.core.credentials import AccessToken

        return AccessToken("fake-graph-token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> FakeCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass


# --- a key set, and tokens signed with it ----------------------------------------------------------------


class Keys(FakeServer):
    """An RSA key served as a JWKS on loopback, and tokens signed with it."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        super().__init__()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()

        def b64(n: int) -> str:
            raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "test-key",
                    "use": "sig",
                    "alg": "RS256",
                    "n": b64(numbers.n),
                    "e": b64(numbers.e),
                }
            ]
        }
        self.route("GET", r"/v1/\.well-known/keys", lambda call: (200, jwks))
        self.route(
            "GET",
            r"/v1/\.well-known/openidconfiguration",
            lambda call: (200, {"jwks_uri": f"{self.url}/v1/.well-known/keys"}),
        )

    @property
    def openid_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    def token(self, **claims: Any) -> str:
        import jwt

        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})


# --- the door under test, on loopback ---------------------------------------------------------------------

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "teams"
BOT_ID = "00000000-0000-4000-8000-0000000b0701"
TENANT = "7d1c6e0a-5b1f-4d0e-9c55-0e5f3c2a1b00"
MEETING_CHAT = "19:meeting_Y2hhaXJz-board@thread.v2"
TEAMS_MEETING = "MCMxOTptZWV0aW5nX1kyaGhhWEp6LWJvYXJkQHRocmVhZC52MiMw"
GRAPH_MEETING = "MSo3ZDFjNmUwYS1ib2FyZC1tZWV0aW5n"
ORGANISER = "rhian.bowen@westshire.example"


def aad(initials: str) -> str:
    """A stable Teams (AAD object) id for someone in the example file."""
    import uuid

    if initials == "LE":
        return "6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44"  # the file's own teams_id
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{initials}.westshire.example"))


def fill(template: Any, values: dict[str, Any]) -> Any:
    """Replace {{name}} placeholders in a fixture (a whole-string placeholder keeps the value's type)."""
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if isinstance(template, str):
        whole = re.fullmatch(r"\{\{(\w+)\}\}", template)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values.get(m.group(1), m.group(0))), template)
    return template


def load(name: str, **values: Any) -> dict[str, Any]:
    return fill(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")), values)


def bot_token() -> str:
    """What Entra ID would hand the bot for the Connector: any JWT will do for the fake."""
    import time

    import jwt

    return jwt.encode({"aud": "https://api.botframework.com", "exp": int(time.time()) + 3600}, "x" * 32)


class Harness:
    """A Teams door over the real core, on the one web server on loopback, with fake Connector and Graph."""

    def __init__(
        self,
        app: Any,
        *,
        graph: bool = True,
        auth: dict[str, Any] | None = None,
        teams: dict[str, Any] | None = None,
        graph_settings: dict[str, Any] | None = None,
        web: Any = None,
    ) -> None:
        """`web`: a web server (not yet started) to put the door on; by default it gets its own."""
        from bot import runtime
        from bot.settings import settings_from
        from bot.teams.app import TeamsDoor
        from bot.teams.graph import Graph

        self.app = app
        self.connector = Connector()
        self.graph = FakeGraph()
        teams_section = {
            "enabled": True,
            "allow_unauthenticated": auth is None,
            "app_id": BOT_ID,
            "tenant_id": TENANT,
            "service_url": self.connector.url,
            "retry_seconds": 5,
            "public_url": "https://bot.westshire.example",
            "files_dir": __import__("tempfile").mkdtemp(prefix="teams-files-"),
            **(auth or {}),
            **(teams or {}),
        }
        graph_section = {
            "enabled": graph,
            "tenant_id": TENANT,
            "client_id": BOT_ID,
            "mailbox": "partnership@westshire.example",
            "organiser": ORGANISER,
            "base_url": self.graph.base_url,
            "retry_seconds": 5,
            **(graph_settings or {}),
        }
        # Through the whole of app.yaml, as `serve` reads it (so the checks and overrides apply).
        loaded = settings_from(
            {"teams": teams_section, "graph": graph_section},
            app.settings.root,
            database_url=app.settings.database_url,
        )
        self.settings = loaded.teams.resolve()
        self.graph_settings = loaded.graph.resolve()
        self.sleeps: list[float] = []

        async def no_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        client = Graph(self.graph_settings, credential=FakeCredential(), sleep=no_sleep) if graph else None
        self.door = TeamsDoor(
            app, self.settings, self.graph_settings, token=lambda *a, **k: bot_token(), graph=client
        )
        self.door.sleep = no_sleep
        self.clock = "2024-01-19T10:00:00+00:00"
        self.ids = itertools.count(1)
        runtime.run(self.door.initialize())
        self.server: Any = None
        if web is None:
            from web_helpers import Running, web_server

            web = web_server()
            self._mount(web)
            self.server = Running(web, web.ready)
        else:
            self._mount(web)
        self.web = web
        self._http: Any = None

    def _mount(self, web: Any) -> None:
        from bot.teams.plug import mount

        mount(self.door, web.part("teams"))  # as `serve` does: the door's routes on the one server

    @property
    def http(self) -> Any:
        """A client of the web server (once it serves)."""
        import httpx

        if self._http is None:
            assert self.web.ready.is_set(), "start the web server first"
            self._http = httpx.Client(base_url=self.web.url, timeout=30)
        return self._http

    @property
    def base(self) -> str:
        return str(self.web.url)

    def close(self) -> None:
        try:
            if self.server is not None:
                self.server.close()
        finally:
            if self._http is not None:
                self._http.close()
            self.connector.close()
            self.graph.close()

    # --- people ---------------------------------------------------------------------------------------

    def know(self, *initials: str) -> None:
        """Give people Teams ids the way the door learns them (the file has only LE's)."""
        from datetime import UTC, datetime

        from sqlalchemy import select

        from storage.doors import remember_identity
        from storage.models import Person

        with self.app.sessions() as s, s.begin():
            for i in initials:
                if i == "LE":
                    continue
                pid = s.scalars(select(Person.id).where(Person.initials == i)).one()
                remember_identity(s, "teams", aad(i), pid, "admin", datetime.now(UTC))

    def profile(self, initials: str, email: str, upn: str | None = None) -> None:
        """What the Connector says about someone's Teams profile (e-mail and UPN)."""
        self.connector.members[f"29:{initials}"] = {
            "id": f"29:{initials}",
            "name": initials,
            "aadObjectId": aad(initials),
            "email": email,
            "userPrincipalName": upn or email,
        }

    # --- activities -----------------------------------------------------------------------------------

    def values(self, initials: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"1705658400{next(self.ids):04d}",
            "timestamp": self.clock,
            "serviceUrl": self.connector.url,
            "botId": BOT_ID,
            "tenantId": TENANT,
            "aad": aad(initials),
            "userId": initials,
            "userName": initials,
            "conversation": MEETING_CHAT,
            "meetingId": TEAMS_MEETING,
            **extra,
        }

    def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.http.post(self.settings.endpoint, json=body, headers=headers or {})

    def say(self, initials: str, text: str, **extra: Any) -> Any:
        """A message in the meeting chat, @mentioning the bot."""
        return self.post(load("meeting-message", **self.values(initials, text=text, **extra)))

    def dm(self, initials: str, text: str, **extra: Any) -> Any:
        return self.post(
            load(
                "personal-message",
                **self.values(initials, text=text, conversation=f"a:1-{aad(initials)}", **extra),
            )
        )

    def install(self, initials: str) -> Any:
        return self.post(
            load("conversation-update-personal", **self.values(initials, conversation=f"a:1-{aad(initials)}"))
        )

    def press(self, initials: str, action: dict[str, Any], text: str | None = None, **extra: Any) -> Any:
        data = dict(action["data"])
        if text is not None and data.get("field"):
            data[data["field"]] = text
        body = load(
            "card-action",
            **self.values(
                initials,
                conversation=f"a:1-{aad(initials)}",
                replyToId="sent-1",
                title=action.get("title", ""),
                verb=action.get("verb", ""),
                data=data,
                **extra,
            ),
        )
        return self.post(body)
