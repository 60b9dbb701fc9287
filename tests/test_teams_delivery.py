"""Reminder delivery through Teams, and the fall-back to e-mail through Graph, with real failures.

The fake Connector and fake Graph answer 429 (throttled), 403 (a guest from another tenant:
BotNotInConversationRoster; Mail.Send not granted) as the real services do. Throttling is
retried with jitter; people Teams cannot reach get the e-mail, and the digest records why.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from teams_fakes import Harness, aad

from bot.app import App
from bot.teams.courier import GraphMailCourier, TeamsCourier
from bot.teams.retry import RetryLater, with_retries
from scheduler.policy import load_nudge_settings
from scheduler.sweep import Sweeper, SweepReport
from storage.models import Person
from storage.nudge_models import Digest

ROSTER_403 = {"error": {"code": "BotNotInConversationRoster", "message": "The bot is not part of the roster"}}


@pytest.fixture
def teams(app: App) -> Iterator[Harness]:
    h = Harness(app)
    h.know("MT", "PMw", "HN", "TR", "CG")
    h.install("HN")
    h.say("MT", "bind board")
    h.say("MT", "meeting start")
    h.say("PMw", "Action: HN to ring the school by Monday the 29th of January 2024")
    h.say("PMw", "Action: LE to check the health visiting figures by Monday the 29th of January 2024")
    yield h
    h.close()


def sweep(h: Harness, iso: str = "2024-01-22T09:05:00+00:00") -> SweepReport:
    from bot.teams.graph import Graph

    settings = load_nudge_settings({})
    graph = h.door.graph()
    assert isinstance(graph, Graph)
    couriers = {"teams": TeamsCourier(h.door), "email": GraphMailCourier(graph)}
    return Sweeper(h.app.sessions, couriers, settings, shuffle=False).run(datetime.fromisoformat(iso))


def digest_of(app: App, initials: str) -> Digest:
    with app.sessions() as s:
        pid = s.scalars(select(Person.id).where(Person.initials == initials)).one()
        row = s.scalars(select(Digest).where(Digest.recipient_id == pid).order_by(Digest.id.desc())).first()
        assert row is not None
        s.expunge(row)
        return row


def _mail_to(graph_mail: list[dict[str, Any]]) -> list[str]:
    out = []
    for body in graph_mail:
        message = body.get("Message") or body.get("message") or {}
        for r in message.get("toRecipients") or []:
            out.append(r["emailAddress"]["address"])
    return out


def test_a_guest_the_bot_cannot_reach_gets_the_email_and_the_fallback_is_recorded(
    teams: Harness, app: App
) -> None:
    # Lowri Evans (ICB) is a guest from the NHS tenant: Teams refuses a 1:1 chat with her.
    teams.connector.refuse_chat.add(aad("LE"))
    report = sweep(teams)
    assert {(m.initials, m.door) for m in report.sent} == {("HN", "teams"), ("LE", "email")}
    assert _mail_to(teams.graph.mail) == ["lowri.evans@icb.example"]
    mail = teams.graph.mail[0]
    assert set(mail) == {"Message", "SaveToSentItems"}  # Graph's sendMail body, as the SDK writes it
    assert "Board 2" in mail["Message"]["body"]["content"]
    assert any(h["name"] == "X-Partnerbot-Digest" for h in mail["Message"]["internetMessageHeaders"])
    assert teams.graph.calls[-1].path == "/v1.0/users/partnership@westshire.example/sendMail"
    route = digest_of(app, "LE").route
    assert route[0]["door"] == "teams" and "unreachable" in route[0]["result"] and "403" in route[0]["result"]
    assert route[-1] == {"door": "email", "result": "sent"}


def test_someone_known_only_by_email_gets_the_email(teams: Harness, app: App) -> None:
    teams.say("PMw", "Action: TR to check the police protection figures by Monday the 29th of January 2024")
    report = sweep(teams)
    assert ("TR", "email") in {(m.initials, m.door) for m in report.sent}
    assert "tom.rees@marcia-police.example" in _mail_to(teams.graph.mail)


def test_a_403_on_a_stored_chat_also_falls_back(teams: Harness, app: App) -> None:
    teams.install("LE")  # the chat was stored, then the app was removed for her
    teams.connector.fail(rf"/v3/conversations/a:1-{aad('LE')}/activities", 403, ROSTER_403)
    report = sweep(teams)
    assert ("LE", "email") in {(m.initials, m.door) for m in report.sent}
    route = digest_of(app, "LE").route
    assert "BotNotInConversationRoster" in route[0]["result"]


def test_a_refusal_with_no_email_to_fall_back_on_leaves_the_digest_failed(teams: Harness, app: App) -> None:
    # HN has no e-mail address: a refusal leaves the digest failed, with the reason, for the chair to see.
    teams.connector.fail(rf"/v3/conversations/a:1-{aad('HN')}/activities", 403, ROSTER_403)
    report = sweep(teams)
    assert [f.initials for f in report.failed] == ["HN"]
    assert "HN" not in {m.initials for m in report.sent}
    digest = digest_of(app, "HN")
    assert digest.state == "failed"
    assert digest.route == [{"door": "teams", "result": "unreachable: Teams 403 BotNotInConversationRoster"}]


def test_throttling_is_retried_with_backoff(teams: Harness, app: App) -> None:
    teams.connector.fail(rf"/v3/conversations/a:1-{aad('HN')}/activities", 429, times=2, Retry_After="1")
    before = len(teams.connector.calls)
    report = sweep(teams)
    assert ("HN", "teams") in {(m.initials, m.door) for m in report.sent}
    assert teams.sleeps == [1.0, 1.0]  # as long as Retry-After asked (longer than the jitter)
    path = f"/v3/conversations/a:1-{aad('HN')}/activities"
    assert [c.path for c in teams.connector.calls[before:]].count(path) == 3  # two refusals, then sent


def test_throttled_past_the_budget_fails_now_and_is_retried_later(teams: Harness, app: App) -> None:
    teams.connector.fail(rf"/v3/conversations/a:1-{aad('HN')}/activities", 429, times=1, Retry_After="600")
    report = sweep(teams)
    failed = {f.initials: f for f in report.failed}
    assert "HN" in failed and failed["HN"].retry_at is not None
    assert digest_of(app, "HN").state == "failed"


def test_graph_mail_throttled_then_sent_and_refused_reported(teams: Harness, app: App) -> None:
    teams.connector.refuse_chat.add(aad("LE"))
    teams.graph.fail(r"/sendMail$", 429, {"error": {"code": "TooManyRequests"}}, Retry_After="2")
    report = sweep(teams)
    assert ("LE", "email") in {(m.initials, m.door) for m in report.sent}
    assert 2 in teams.sleeps
    # Next time Graph refuses: Mail.Send not granted for the mailbox.
    teams.say("PMw", "Action: LE to brief the designated doctor by Friday the 2nd of February 2024")
    teams.graph.fail(
        r"/sendMail$", 403, {"error": {"code": "ErrorAccessDenied", "message": "Access is denied"}}
    )
    report = sweep(teams, "2024-01-26T09:05:00+00:00")
    failed = {f.initials: f.error for f in report.failed}
    assert "Mail.Send" in failed["LE"]


@pytest.mark.parametrize("status", [412, 502, 504])
def test_retry_covers_412_502_504(status: int) -> None:
    import asyncio

    import httpx

    calls: list[int] = []
    waits: list[float] = []

    async def call() -> str:
        calls.append(1)
        if len(calls) < 3:
            request = httpx.Request("POST", "http://x/")
            raise httpx.HTTPStatusError(
                "x", request=request, response=httpx.Response(status, request=request)
            )
        return "ok"

    async def sleep(s: float) -> None:
        waits.append(s)

    assert asyncio.run(with_retries(call, what="test", sleep=sleep)) == "ok"
    assert len(calls) == 3 and len(waits) == 2

    async def always() -> str:
        request = httpx.Request("POST", "http://x/")
        raise httpx.HTTPStatusError("x", request=request, response=httpx.Response(status, request=request))

    with pytest.raises(RetryLater):
        asyncio.run(with_retries(always, what="test", sleep=sleep, attempts=3))

    async def forbidden() -> str:
        request = httpx.Request("POST", "http://x/")
        raise httpx.HTTPStatusError("x", request=request, response=httpx.Response(403, request=request))

    with pytest.raises(httpx.HTTPStatusError):  # not retried
        asyncio.run(with_retries(forbidden, what="test", sleep=sleep))
