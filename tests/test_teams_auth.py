"""Every request to the Teams endpoint carries a valid Bot Framework token, except in tests.

A locally signed JWT against a key set served on loopback: the right token is accepted. One
case per rule of bot/teams/guard.py — no `exp`, expired, `nbf` in the future beyond the skew,
wrong issuer, wrong audience, a service URL other than the activity's, a bad signature, no
token — gets 401, sends no reply and stores nothing. The setting that turns authentication off
is refused by `serve` outside a test run.
"""

from __future__ import annotations

import argparse
import io
import logging
import time
from collections.abc import Iterator

import pytest
from conftest import ROOT, reconfigure
from sqlalchemy import func, select
from teams_fakes import BOT_ID, Harness, Keys, load
from web_helpers import Running, web_server

from bot.app import App
from bot.settings import SettingsError, settings_from
from bot.teams.config import TeamsSettings
from bot.teams.guard import SKEW_SECONDS
from scheduler.sections import TEST_HARNESS
from storage.models import AuditEvent, ConversationRef, DoorIdentity, ProcessedEvent

ISSUER = "https://api.botframework.test"


@pytest.fixture
def keys() -> Iterator[Keys]:
    k = Keys()
    yield k
    k.close()


@pytest.fixture
def signed(app: App, keys: Keys) -> Iterator[Harness]:
    h = Harness(
        app,
        graph=False,
        auth={"allow_unauthenticated": False, "openid_metadata_url": keys.openid_url, "token_issuer": ISSUER},
    )
    yield h
    h.close()


def _claims(h: Harness, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": BOT_ID,
        "serviceurl": h.connector.url,
        "nbf": now - 10,
        "iat": now - 10,
        "exp": now + 3600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _post(h: Harness, token: str | None, **extra: object) -> int:
    body = load("personal-message", **h.values("LE", text="actions mine", conversation="a:1-le")) | extra
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return int(h.post(body, headers).status_code)


def _stored(app: App) -> dict[str, int]:
    """What an activity that got through would leave: its delivery, the 1:1 chat, an audit line."""
    with app.sessions() as s:
        return {
            m.__name__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (ProcessedEvent, ConversationRef, AuditEvent, DoorIdentity)
        }


def _refused(h: Harness, app: App, token: str | None, **extra: object) -> None:
    before, sent = _stored(app), list(h.connector.sent)
    assert _post(h, token, **extra) == 401
    assert h.connector.sent == sent  # no reply
    assert _stored(app) == before


def test_a_valid_token_is_accepted(signed: Harness, keys: Keys, app: App) -> None:
    before = _stored(app)
    assert _post(signed, keys.token(**_claims(signed))) == 200
    assert "no open actions" in signed.connector.texts("a:1-le")[-1]
    assert _stored(app)["ProcessedEvent"] == before["ProcessedEvent"] + 1  # so _refused can see a change


def test_clocks_may_differ_by_the_skew(signed: Harness, keys: Keys) -> None:
    now = int(time.time())
    within = SKEW_SECONDS - 60
    assert _post(signed, keys.token(**_claims(signed, nbf=now + within, iat=now))) == 200
    assert _post(signed, keys.token(**_claims(signed, exp=now - within))) == 200


def test_a_token_without_exp_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    _refused(signed, app, keys.token(**_claims(signed, exp=None)))


def test_an_expired_token_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    now = int(time.time())
    _refused(
        signed,
        app,
        keys.token(**_claims(signed, exp=now - SKEW_SECONDS - 60, iat=now - 7200, nbf=now - 7200)),
    )


def test_a_token_not_yet_valid_beyond_the_skew_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    now = int(time.time())
    _refused(signed, app, keys.token(**_claims(signed, nbf=now + SKEW_SECONDS + 60, iat=now)))
    _refused(signed, app, keys.token(**_claims(signed, nbf=None)))  # and one with no nbf at all


def test_a_token_of_another_issuer_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    _refused(signed, app, keys.token(**_claims(signed, iss="https://evil.example")))
    _refused(signed, app, keys.token(**_claims(signed, iss=None)))


def test_a_token_for_another_audience_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    _refused(signed, app, keys.token(**_claims(signed, aud="someone-else")))
    _refused(signed, app, keys.token(**_claims(signed, aud=None)))


def test_a_token_for_another_service_url_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    _refused(signed, app, keys.token(**_claims(signed, serviceurl="https://smba.elsewhere.example/")))
    _refused(signed, app, keys.token(**_claims(signed, serviceurl=None)))
    # The token's own service URL, but an activity that names another, or none.
    token = keys.token(**_claims(signed))
    _refused(signed, app, token, serviceUrl="https://smba.elsewhere.example/")
    _refused(signed, app, token, serviceUrl=None)


def test_a_bad_signature_gets_401(signed: Harness, keys: Keys, app: App) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = Keys.__new__(Keys)
    other.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _refused(signed, app, Keys.token(other, **_claims(signed)))  # the kid is ours, the key is not
    good = keys.token(**_claims(signed))
    head, payload, signature = good.split(".")
    _refused(signed, app, f"{head}.{payload}.{signature[:-4]}AAAA")  # one byte of the signature off
    unsigned = jwt.encode(_claims(signed), key=None, algorithm="none", headers={"kid": "test-key"})
    _refused(signed, app, unsigned)
    _refused(signed, app, "not.a.token")


def test_made_up_key_ids_do_not_flood_the_key_set(signed: Harness, keys: Keys, app: App) -> None:
    import jwt

    def fetched() -> int:
        return len([c for c in keys.calls if c.path.endswith("/keys")])

    assert _post(signed, keys.token(**_claims(signed))) == 200  # the key set is fetched and kept
    before = fetched()
    for n in range(5):
        token = jwt.encode(_claims(signed), keys.key, algorithm="RS256", headers={"kid": f"made-up-{n}"})
        _refused(signed, app, token)
    assert fetched() == before + 1  # one refetch (keys roll over), not one per request


def test_a_key_set_that_is_away_refuses_tokens_without_holding_a_thread_each(
    app: App, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        away = f"http://127.0.0.1:{s.getsockname()[1]}/v1/.well-known/openidconfiguration"
    h = Harness(
        app,
        graph=False,
        auth={"allow_unauthenticated": False, "openid_metadata_url": away, "token_issuer": ISSUER},
    )
    try:
        with caplog.at_level(logging.WARNING, logger="partnerbot.teams"):
            for _ in range(3):
                _refused(h, app, keys.token(**_claims(h)))
    finally:
        h.close()
    refusals = [r.getMessage() for r in caplog.records if "refused (401)" in r.getMessage()]
    assert len(refusals) == 3
    assert "could not be fetched:" in refusals[0]  # tried once …
    assert all("could not be fetched a moment ago" in m for m in refusals[1:])  # … then not again at once


def test_no_token_gets_401(signed: Harness, app: App) -> None:
    _refused(signed, app, None)


def test_authentication_off_is_refused_outside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_HARNESS)
    for key, value in (("allow_unauthenticated", True), ("token_issuer", "x"), ("openid_metadata_url", "x")):
        with pytest.raises(SettingsError, match=rf"teams\.{key}: is for tests only \(.+\): remove it"):
            settings_from({"teams": {"enabled": True, key: value}}, ROOT)
    with pytest.raises(SettingsError, match="TEAMS_APP_PASSWORD"):
        TeamsSettings(enabled=True, app_id="a").check_for_serve()
    TeamsSettings(enabled=True, app_id="a", password="p").check_for_serve()  # credentials: fine


def test_the_serve_service_checks_credentials(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.teams.plug import teams_service

    monkeypatch.delenv("TEAMS_APP_PASSWORD", raising=False)
    reconfigure(app, teams={"enabled": True, "app_id": "a"})
    with pytest.raises(SettingsError, match="TEAMS_APP_PASSWORD"):
        teams_service(app, argparse.Namespace(partnership=None), io.StringIO(), web_server())
    reconfigure(app, teams={"enabled": False})
    assert teams_service(app, argparse.Namespace(partnership=None), io.StringIO(), web_server()) is None


def test_secrets_never_come_from_app_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match=r"teams\.password: no secrets in app\.yaml"):
        settings_from({"teams": {"enabled": True, "password": "hunter2"}}, ROOT)
    monkeypatch.setenv("TEAMS_APP_ID", "env-app")
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "env-secret")
    monkeypatch.setenv("TEAMS_TENANT_ID", "env-tenant")
    s = settings_from({"teams": {"enabled": True, "app_id": "yaml-app"}}, ROOT).teams.resolve()
    assert (s.app_id, s.password, s.tenant_id) == ("env-app", "env-secret", "env-tenant")
    assert "env-secret" not in repr(s)


def test_serve_runs_the_endpoint_on_the_web_server_s_address(app: App) -> None:
    import socket

    import httpx

    from bot.teams.plug import teams_service
    from bot.web import WebServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    teams = {"enabled": True, "allow_unauthenticated": True, "app_id": BOT_ID}
    reconfigure(app, teams=teams, web={"host": "127.0.0.1", "port": port})
    out = io.StringIO()
    web = WebServer(app.settings.web, out)
    service = teams_service(app, argparse.Namespace(partnership=None), out, web)
    teams, server = Running(service, service.part.opened), Running(web, web.ready)
    try:
        assert service.loaded.wait(60)  # the door is built once the server listens
        assert f"http://127.0.0.1:{port}/api/messages (teams)" in out.getvalue()
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"ok": True}
        assert httpx.get(f"http://127.0.0.1:{port}/health").json()["teams"] == {"ok": True}
    finally:
        server.close()
        teams.close()
    assert not teams.error and not server.error
