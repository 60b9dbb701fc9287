"""The answer page in a real browser: headless Chromium opens the links of an e-mailed reminder.

The reminder goes through a local SMTP server; the browser follows its links to the page on
the one web server, types and clicks like a person, and the test reads the tracker from the
database. axe-core (tests/fixtures/axe) checks each kind of page against WCAG 2.2 A and AA.
Outside CI a machine without Chromium skips this test, saying so; on CI it must run.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from browser import Browser, Tab
from sqlalchemy import select
from test_answer_page import SECRET, SWEEP_AT, Desk

from handlers.answer_links import SECRET_VARIABLE
from storage.models import ActionOwner


@pytest.fixture
def browser() -> Iterator[Browser]:
    b = Browser.start()
    yield b
    b.close()


@pytest.fixture
def desk(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """SQLite only: the page and the core are the same on PostgreSQL (test_answer_page.py runs both)."""
    import shutil

    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    path = tmp_path / "partnerbot.sqlite3"
    shutil.copy(sqlite_template, path)
    d = Desk(f"sqlite:///{path}", tmp_path)
    yield d
    d.close()


async def no_violations(tab: Tab, what: str) -> None:
    violations = await tab.axe()
    assert violations == [], f"axe-core on the {what}: {violations}"


async def scenario(browser: Browser, desk: Desk) -> None:
    mails = desk.sweep()
    hn = {k: desk.local(v) for k, v in mails["hannah.noor"].links.items()}
    gp = {k: desk.local(v) for k, v in mails["gareth.pryce"].links.items()}
    tab = await browser.tab()
    # The check can fail: a page with an unlabelled field and no language is caught.
    await tab.open("data:text/html,<title>x</title><main><input id=x></main>")
    assert {"label", "html-has-lang"} <= {v["id"] for v in await tab.axe()}

    # Add update: the page shows the action and asks one question.
    page = await tab.open(hn["Add update"])
    assert "What is your update?" in page and "strategy meetings" in page and "Mon 29 Jan 2024" in page
    await no_violations(tab, "update form")
    # Sent empty: the error summary, and nothing stored.
    before = desk.state()
    page = await tab.click("button[type=submit]")
    assert "There is a problem" in page and "Enter your update" in page
    assert await tab.evaluate("document.title") == "Error: What is your update? – Answer a reminder"
    assert desk.state() == before
    await no_violations(tab, "update form with an error")
    await tab.type_into("#text", "Written to the three schools; replies due Friday")
    page = await tab.click("button[type=submit]")
    assert "Update recorded" in page
    await no_violations(tab, "confirmation page")
    assert desk.log(1)[-1] == ("update", "web", "Written to the three schools; replies due Friday")

    # New date, then Snooze: day, month and year boxes.
    page = await tab.open(hn["New date"])
    assert "What is the new due date?" in page
    await no_violations(tab, "date form")
    for field, value in (("#day", "16"), ("#month", "2"), ("#year", "2024")):
        await tab.type_into(field, value)
    assert "New due date saved" in await tab.click("button[type=submit]")
    assert desk.action(1).due_date == date(2024, 2, 16)
    await tab.open(hn["Snooze"])
    for field, value in (("#day", "5"), ("#month", "2"), ("#year", "2024")):
        await tab.type_into(field, value)
    assert "Reminders paused" in await tab.click("button[type=submit]")
    assert desk.action(1).snoozed_until == date(2024, 2, 5)

    # Done, from two tabs opened on the same link: the first answers, the second changes nothing.
    other = await browser.tab()
    assert "Is this action done?" in await tab.open(hn["Done"])
    assert "Is this action done?" in await other.open(hn["Done"])
    assert "Action marked done" in await tab.click("button[type=submit]")
    assert desk.action(1).status == "done"
    done = desk.state()
    page = await other.click("button[type=submit]")
    assert "You have already answered with this link" in page and "strategy meetings" not in page
    assert desk.state() == done
    await no_violations(other, "already answered page")

    # Not mine, by the other owner.
    assert "Is this action not yours?" in await tab.open(gp["Not mine"])
    assert "Action returned to the chair" in await tab.click("button[type=submit]")
    with desk.app.sessions() as s:
        owner = s.scalars(select(ActionOwner).where(ActionOwner.action_id == desk.action(2).id)).one()
    assert owner.removed_reason == "not_mine"

    # A changed link and an expired one: a page saying so, nothing of the action, nothing stored.
    stored = desk.state()
    changed = re.sub(r"\?t=\d+\.", f"?t={desk.action(1).id}.", gp["Add update"])
    page = await tab.open(changed)
    assert "This link does not work" in page and "schools audit" not in page
    await no_violations(tab, "changed link page")
    desk.clock.now = SWEEP_AT + timedelta(days=31)
    page = await tab.open(gp["Snooze"])
    assert "This link has expired" in page and "schools audit" not in page
    assert desk.state() == stored
    await browser.close_tabs()


def test_answering_in_a_browser(browser: Browser, desk: Desk) -> None:
    asyncio.run(scenario(browser, desk))
