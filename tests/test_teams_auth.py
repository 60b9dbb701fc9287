"""Every request to the Teams endpoint carries a valid Bot Framework token, except in tests.

A locally signed JWT against a key set served on loopback: the right token is accepted; a
wrong audience, a wrong issuer, an expired token and no token at all get 401. The setting
that turns authentication off is refused by `serve` outside a test run.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Iterator

import pytest
from conftest import ROOT, reconfigure
from teams_fakes import BOT_ID, Harness, Keys, load
from web_helpers import Running, web_server

from bot.app import App
from bot.settings import SettingsError, settings_from
from bot.teams.config import TeamsSettings
from scheduler.sections import TEST_HARNESS

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


def _post(h: Harness, token: str | None) -> int:
    body = load("personal-message", **h.values("LE", text="actions mine", conversation="a:1-le"))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return int(h.post(body, headers).status_code)


def test_a_valid_token_is_accepted(signed: Harness, keys: Keys) -> None:
    assert _post(signed, keys.token(**_claims(signed))) == 200
    assert "no open actions" in signed.connector.texts("a:1-le")[-1]


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200},
        {"serviceurl": "https://smba.elsewhere.example/"},
    ],
    ids=["wrong audience", "wrong issuer", "expired", "another service URL"],
)
def test_a_bad_token_gets_401(signed: Harness, keys: Keys, change: dict[str, object]) -> None:
    assert _post(signed, keys.token(**_claims(signed, **change))) == 401
    assert signed.connector.sent == []


def test_no_token_or_a_forged_one_gets_401(signed: Harness, keys: Keys) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    assert _post(signed, None) == 401
    other = Keys.__new__(Keys)
    other.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _post(signed, Keys.token(other, **_claims(signed))) == 401


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
        assert f"http://127.0.0.1:{port}/api/messages (teams)" in out.getvalue()
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"ok": True}
        assert httpx.get(f"http://127.0.0.1:{port}/health").json()["teams"] == {"ok": True}
    finally:
        server.close()
        teams.close()
    assert not teams.error and not server.error
