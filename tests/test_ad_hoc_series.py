"""A group that meets when needed: no cadence and no standing items, each date set with `next meeting`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import select

import handlers.documents  # noqa: F401 - registers the document commands
from bot.app import App
from storage.models import Action, AgendaItem, Meeting, Series
from storage.nudge_models import NudgeClaim

REVIEW = """\
  - id: review
    name: Rapid Review Panel
    chair: SMa
    business_manager: RB
    members: [SMa, LE, TR]
    quorum: {min_members: 2}
    papers_due: 2 working days before
"""


@pytest.fixture
def review_app(database_url: str, tmp_path: Path) -> Iterator[App]:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "\nseries:\n" in text
    path = tmp_path / "westshire-with-review.yaml"
    path.write_text(text.replace("\nseries:\n", "\nseries:\n" + REVIEW, 1), encoding="utf-8")
    application = make_app(database_url, path)
    yield application
    application.engine.dispose()


def test_a_series_without_cadence_or_standing_items_loads(review_app: App) -> None:
    with review_app.sessions() as s:
        review = s.scalars(select(Series).where(Series.key == "review")).one()
        board = s.scalars(select(Series).where(Series.key == "board")).one()
    assert review.name == "Rapid Review Panel"
    assert review.cadence is None and review.standing_items == []
    assert board.cadence == "every 2 months on the third Friday" and len(board.standing_items) == 9


def test_an_ad_hoc_group_sets_each_date_and_its_papers_and_minutes_work(
    review_app: App, tmp_path: Path
) -> None:
    chat = Chat(review_app, channel="review")
    chat.door.files_dir = tmp_path
    chat.at("2024-01-10T09:00:00+00:00")
    chat.say("SMa", "bind review")
    out = chat.say("SMa", "next meeting")
    assert "No next meeting of Rapid Review Panel is set. Set it with `next meeting DATE TIME`." in out
    out = chat.say("RB", "agenda next")
    assert "No next meeting of Rapid Review Panel is set and it has no cadence" in out
    assert "`next meeting DATE TIME at PLACE`" in out
    assert list(tmp_path.glob("review-agenda-*")) == []

    chat.say("SMa", "meeting start")
    chat.say("SMa", "present SMa LE TR")
    chat.say("SMa", "Action: LE to share the chronology with the panel by 19/01/24")
    out = chat.say("SMa", "meeting end")
    assert "No next meeting is set: set it with `next meeting DATE TIME`." in out
    minutes = chat.say("RB", "minutes draft")
    assert "Date of the next meeting: to be confirmed." in minutes and "proposed" not in minutes
    assert "share the chronology with the panel" in minutes

    out = chat.say("SMa", "next meeting 24/01/24 14:00-15:00 at Westshire House, Room 4")
    assert "Wednesday 24 January 2024 14:00–15:00" in out
    chat.say("SMa", 'agenda add "Child R\'s chronology" presenter LE')
    pack = chat.say("RB", "agenda next")
    assert "Agenda pack: Rapid Review Panel" in pack and "Child R's chronology" in pack
    assert "date proposed by the cadence" not in pack
    assert [p.name for p in sorted(tmp_path.glob("review-agenda-*.docx"))] == [
        "review-agenda-2024-01-24.docx"
    ]
    with review_app.sessions() as s:
        meetings = s.execute(select(Meeting.status, Meeting.starts_at).order_by(Meeting.id)).all()
        assert [m.status for m in meetings] == ["closed", "planned"]
        assert meetings[1].starts_at.date() == date(2024, 1, 24)
        assert s.scalars(select(AgendaItem.title)).one() == "Child R's chronology"
        assert s.scalars(select(Action.due_date)).one() == date(2024, 1, 19)

    # Papers are due 2 working days before, Monday 22 January: the sweep reminds the presenter.
    chat.at("2024-01-22T09:05:00+00:00")
    out = chat.script("! sweep")
    assert "Papers for the Rapid Review Panel meeting on Wed 24 Jan 2024 are due Mon 22 Jan 2024" in out
    with review_app.sessions() as s:
        kinds = s.execute(select(NudgeClaim.kind, NudgeClaim.due_on)).all()
    assert ("papers", date(2024, 1, 22)) in [(k, d) for k, d in kinds]
