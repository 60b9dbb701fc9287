"""What every activity posted to the Teams endpoint must pass before the Teams SDK sees it.

The SDK checks a Bot Framework token, but not all of it: PyJWT verifies `exp` only when the
claim is there (a token without one was accepted), and the service URL only when the activity
names one. So the door checks the whole token itself, and the SDK checks it again:

- a `Bearer` token signed (RS256) by a key of the cloud's Bot Framework key set;
- `exp` and `nbf` both present, and now within them, give or take SKEW_SECONDS for clocks
  that disagree (Microsoft's advice is five minutes; the SDK allows the same);
- the issuer the cloud's Bot Framework tokens carry (`https://api.botframework.com` in the
  public cloud): tokens of other issuers, such as Entra ID tokens for Agent 365, are refused;
- the audience our app id, exactly;
- the `serviceurl` claim the same as the activity's `serviceUrl` (a trailing slash aside), so
  a token issued for one service cannot make the bot answer to another.

Any failure: 401, one warning line naming the rule, and the activity reaches nothing. A body
that is not UTF-8 JSON, or not an object shaped like an activity, gets 400. With
`allow_unauthenticated` (tests only) the token is not asked for; the body checks still hold.

An activity that passes and that the door says it would ignore (`quiet`: chat in a group chat
nobody addressed to the bot and the core would not read) is answered here with the 200 and
empty body the SDK gives a message nobody answers, without the SDK reading it again: in a busy
meeting chat that is most activities.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("partnerbot.teams")

SKEW_SECONDS = 300
REFETCH_SECONDS = 60  # a key id not in the key set refetches it at most this often
FETCH_TIMEOUT = 10  # seconds for one fetch of the key set
UNREACHABLE_SECONDS = 10  # after a failed fetch, tokens are refused without trying again for this long


class Refused(Exception):
    """A token the door does not accept; the message says which rule it broke."""


class TokenCheck:
    """The Bot Framework token rules above, for one app id, issuer and key set."""

    def __init__(self, app_id: str, issuer: str, openid_metadata_url: str) -> None:
        self.app_id, self.issuer = app_id, issuer
        # The key set sits beside the OpenID document, as the SDK finds it; kept for 5 minutes.
        self.keys = jwt.PyJWKClient(
            re.sub(r"/openidconfiguration$", "/keys", openid_metadata_url), timeout=FETCH_TIMEOUT
        )
        self.refetched = -float(REFETCH_SECONDS)
        self.unreachable_until = 0.0  # so a key set that is away does not hold a thread per request
        self.lock = threading.Lock()

    def key(self, token: str) -> Any:
        """The key of the set that the token names. An unknown key id refetches the set (Microsoft
        rolls its keys), but at most every REFETCH_SECONDS, so made-up ids cannot flood it."""
        if time.monotonic() < self.unreachable_until:
            raise Refused("the key set could not be fetched a moment ago")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            found = next((k for k in self.keys.get_signing_keys() if k.key_id == kid), None)
            with self.lock:
                refetch = found is None and time.monotonic() - self.refetched > REFETCH_SECONDS
                if refetch:
                    self.refetched = time.monotonic()
            if refetch:
                found = next((k for k in self.keys.get_signing_keys(refresh=True) if k.key_id == kid), None)
        except jwt.PyJWKClientConnectionError as e:
            self.unreachable_until = time.monotonic() + UNREACHABLE_SECONDS
            raise Refused(f"the key set could not be fetched: {e}") from e
        except (jwt.PyJWTError, ValueError) as e:
            raise Refused(f"it could not be read: {e}") from e
        if found is None:
            raise Refused("no key of the key set has its key id")
        return found.key

    def check(self, token: str, service_url: str | None) -> dict[str, Any]:
        """The token's claims, or Refused. Blocking: the key set may be fetched."""
        key = self.key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=self.issuer,
                leeway=SKEW_SECONDS,
                options={"require": ["exp", "nbf", "iss", "aud"]},
            )
        except jwt.PyJWTError as e:
            raise Refused(str(e)) from e
        claimed = claims.get("serviceurl")
        if not isinstance(claimed, str) or not service_url or claimed.rstrip("/") != service_url.rstrip("/"):
            raise Refused("its serviceurl claim is not the activity's serviceUrl")
        return claims


def _answer(status: int, error: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": error}).encode()


class ActivityGuard:
    """ASGI: the door's FastAPI app behind the checks above, for POSTs to the bot endpoint."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: str,
        tokens: TokenCheck | None,
        quiet: Callable[[Any], Awaitable[bool]] | None = None,
    ) -> None:
        """`tokens` None: authentication is off (tests only). `quiet(activity)`: True for an
        activity (as the SDK types it) that the door would read and ignore."""
        self.app, self.endpoint, self.tokens, self.quiet = app, endpoint, tokens, quiet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.endpoint:
            await self.app(scope, receive, send)
            return
        body = b""
        while True:  # the web server has read the body already, within its limits
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"authorization"), ""
        )
        refusal, activity = await self.refusal(authorization, body)
        if refusal is not None:
            status, data = refusal
            headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": data})
            return
        if self.quiet is not None and await self.quiet(activity):
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def refusal(self, authorization: str, body: bytes) -> tuple[tuple[int, bytes] | None, Any]:
        """((status, body) of the answer that refuses this request, or None to let it through;
        the activity as the SDK types it, when it passed)."""
        if self.tokens is not None and not authorization.startswith("Bearer "):
            log.warning("Teams activity refused (401): no Bearer token")
            return _answer(401, "Unauthorized"), None
        try:
            activity = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("Teams activity refused (400): the body is not UTF-8 JSON")
            return _answer(400, "the body must be an activity in UTF-8 JSON"), None
        if not isinstance(activity, dict):
            log.warning("Teams activity refused (400): the body is not a JSON object")
            return _answer(400, "the body must be an activity: a JSON object"), None
        if self.tokens is not None:
            service_url = activity.get("serviceUrl")
            try:
                await asyncio.to_thread(
                    self.tokens.check,
                    authorization.removeprefix("Bearer ").strip(),
                    service_url if isinstance(service_url, str) else None,
                )
            except Refused as e:
                log.warning("Teams activity refused (401): token %s", e)
                return _answer(401, "Unauthorized"), None
        from microsoft_teams.api.activities import ActivityTypeAdapter
        from microsoft_teams.apps.events import CoreActivity

        try:  # as the SDK reads it: the envelope, then the activity of its type
            core = CoreActivity.model_validate(activity)
            typed = ActivityTypeAdapter.validate_python(core.model_dump(by_alias=True, exclude_none=True))
        except ValidationError as e:
            log.warning("Teams activity refused (400): not an activity (%d errors)", e.error_count())
            return _answer(400, "the body is not an activity"), None
        return None, typed
