"""What the request checks cost per request: the Teams token and activity, the Slack signature and body.

Run: python tests/bench/bench_request_checks.py   (prints median and p99 beside the budgets; always exits 0)

- Teams: `TokenCheck.check` on a valid RS256 token (the key set served on loopback, fetched
  once and kept, as in production), then the activity read as the SDK reads it.
- Slack: `SlackEvents.check` on a signed slash command (signature, UTF-8, form parsing).

Budget: each under 1 ms at the median and 5 ms at p99, so the checks stay a small part of the
load budget (p99 under 250 ms for a whole command).
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BUDGET_MEDIAN_MS = 1.0
BUDGET_P99_MS = 5.0
REPEATS = 2000
APP_ID = "00000000-0000-4000-8000-0000000b0701"
ISSUER = "https://api.botframework.test"
SERVICE = "https://smba.trafficmanager.net/teams"
SECRET = "bench-signing-secret"


def key_set() -> tuple[Any, str, ThreadingHTTPServer]:
    """An RSA key, and a loopback server whose OpenID keys document holds its public half."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    jwks = json.dumps(
        {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "k1",
                    "use": "sig",
                    "alg": "RS256",
                    "n": b64(numbers.n),
                    "e": b64(numbers.e),
                }
            ]
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(jwks)))
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return key, f"http://127.0.0.1:{server.server_address[1]}/v1/.well-known/openidconfiguration", server


def timed(fn: Any) -> list[float]:
    for _ in range(50):  # warm up: the key set fetched, caches filled
        fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    times.sort()
    median, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    print(
        f"{name:<40} median {median:6.3f} ms (budget {BUDGET_MEDIAN_MS} ms)   "
        f"p99 {p99:6.3f} ms (budget {BUDGET_P99_MS} ms)"
        + ("" if median <= BUDGET_MEDIAN_MS and p99 <= BUDGET_P99_MS else "   OVER BUDGET")
    )


def main() -> int:
    import hashlib
    import hmac

    import jwt
    from starlette.requests import Request

    from bot.slack.http_mode import SlackEvents
    from bot.teams.guard import TokenCheck

    key, openid, server = key_set()
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE, "nbf": now, "iat": now, "exp": now + 3600}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    check = TokenCheck(APP_ID, ISSUER, openid)
    report("Teams token (signature and claims)", timed(lambda: check.check(token, SERVICE)))

    from microsoft_teams.api.activities import ActivityTypeAdapter
    from microsoft_teams.apps.events import CoreActivity

    fixture = (ROOT / "tests" / "fixtures" / "teams" / "meeting-message.json").read_text()
    fixture = fixture.replace("{{timestamp}}", "2024-01-19T10:00:00.000Z")
    activity = json.loads(re.sub(r"\{\{(\w+)\}\}", r"\1", fixture))  # other placeholders: their names

    def read_activity() -> None:
        core = CoreActivity.model_validate(activity)
        ActivityTypeAdapter.validate_python(core.model_dump(by_alias=True, exclude_none=True))

    report("Teams activity (read as the SDK reads it)", timed(read_activity))

    body = (
        b"token=x&team_id=T0001&channel_id=C0BOARD01&user_id=U0RB000001&command=%2Fpb"
        b"&text=Action%3A+SMa+to+ring+the+schools+by+Friday&trigger_id=1.2.trigger"
    )
    stamp = str(int(time.time()))
    signature = (
        "v0=" + hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    )
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"x-slack-request-timestamp", stamp.encode()),
        (b"x-slack-signature", signature.encode()),
    ]
    request = Request({"type": "http", "method": "POST", "path": "/slack/events", "headers": headers})
    events = SlackEvents(None, SECRET)  # type: ignore[arg-type]  # check() alone: no door is reached

    def slack() -> None:
        assert isinstance(events.check(request, body), dict)

    report("Slack signature and body", timed(slack))
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
