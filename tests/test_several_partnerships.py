"""One bot for several partnerships: two partnership files in one database, one router for the doors.

Ada Kerr is in both (AK with a Slack id in the children's partnership, AKe known by e-mail in the
adults' board); Ben Cole is only in the children's, Cara Dunn only in the adults'. Both have a
series called `board`. The tests drive a fake chat door (Slack-shaped requests through
`App.router`) and assert what was stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, make_app
from slack_fake import FakeSlack, Harness, dm_channel, uid
from sqlalchemy import func, select

from bot.app import App
from bot.cli import main
from handlers import identity
from handlers.context import Request
from handlers.reply import Reply, Table, Text
from storage.models import Action, ActionOwner, ActionUpdate, PendingQuestion, Person, Series
from storage.nudge_models import Digest, NudgeClaim

CHILDREN = FIXTURES / "several" / "westmere-children.yaml"
ADULTS = FIXTURES / "several" / "westmere-adults.yaml"
SCP, SAB = "westmere-scp", "westmere-sab"
AT = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def two(database_url: str) -> Iterator[App]:
    application = make_app(database_url, CHILDREN, ADULTS)
    yield application
    application.engine.dispose()


def text_of(reply: Reply) -> str:
    out: list[str] = []
    for m in reply.messages:
        for b in m.blocks:
            if isinstance(b, Text):
                out.append(b.text)
            elif isinstance(b, Table):
                out.append(b.caption or "")
                out.extend(" | ".join(row) for row in b.rows)
    return "\n".join(out)


class FakeChat:
    """A chat door's requests (Slack ids as users), through the router every door uses."""

    def __init__(self, app: App) -> None:
        self.router = app.router()

    def say(self, user: str, channel: str, text: str) -> str:
        return text_of(self.router.handle(Request("slack", channel, user, text, AT)))

    def dm(self, user: str, text: str) -> str:
        return text_of(self.router.handle(Request("slack", f"D{user}", user, text, AT, direct=True)))


def actions(app: App) -> dict[tuple[str, str, int], tuple[str, str, list[tuple[str, str]]]]:
    """(partnership, series, number) → (title, status, [(owner's partnership, initials)])."""
    with app.sessions() as s:
        out = {}
        for a, series in s.execute(select(Action, Series).join(Series, Series.id == Action.series_id)):
            owners = [
                (p.partnership_id, p.initials)
                for p in s.scalars(
                    select(Person)
                    .join(ActionOwner, ActionOwner.person_id == Person.id)
                    .where(ActionOwner.action_id == a.id, ActionOwner.removed_at.is_(None))
                )
            ]
            out[(series.partnership_id, series.key, a.number)] = (a.title, a.status, owners)
        return out


def meetings(chat: FakeChat) -> None:
    """A board meeting in each partnership's channel, each with an action for Ada Kerr."""
    assert "open" in chat.say(uid("HO"), "CKIDS", "meeting start board").lower()
    assert "open" in chat.say(uid("OP"), "CADULTS", "meeting start board").lower()
    chat.say(uid("HO"), "CKIDS", "Action: AK to send the audit summary to the board by Friday")
    chat.say(uid("OP"), "CADULTS", "Action: AKe to review the adults' audit sample by Friday")


def test_each_channel_is_served_by_its_bindings_partnership(two: App) -> None:
    chat = FakeChat(two)
    meetings(chat)
    stored = actions(two)
    assert stored == {
        (SCP, "board", 1): ("send the audit summary to the board", "open", [(SCP, "AK")]),
        (SAB, "board", 1): ("review the adults' audit sample", "open", [(SAB, "AKe")]),
    }
    # Someone only in the adults' board is nobody in the children's channel: nothing is stored.
    said = chat.say(uid("CD"), "CKIDS", "Action: BC to circulate the dashboard by Friday")
    assert "Action 2" not in said
    assert actions(two) == stored
    refused = chat.say(uid("CD"), "CKIDS", "actions")
    assert "not in the Westmere Safeguarding Children Partnership file" in refused


def test_actions_mine_answers_from_both_and_nothing_leaks(two: App) -> None:
    chat = FakeChat(two)
    meetings(chat)
    mine = chat.dm(uid("AK"), "actions mine")
    assert "westmere-scp/board 1" in mine and "send the audit summary to the board" in mine
    assert "westmere-sab/board 1" in mine and "review the adults' audit sample" in mine
    assert "Your open actions in the Westmere Safeguarding Adults Board" in mine
    # The same list for a door's "My actions" page, qualified the same way.
    listed = chat.router.my_actions("slack", uid("AK"), AT)
    assert listed is not None
    assert sorted((a.series, a.number) for a in listed) == [
        ("westmere-sab/board", 1),
        ("westmere-scp/board", 1),
    ]
    assert listed[0].answers.buttons[0].typed.startswith(f"action {listed[0].series} 1")
    # People in one partnership see only theirs.
    only_children = chat.dm(uid("BC"), "actions mine")
    assert "adults" not in only_children.lower() and "westmere-sab" not in only_children
    assert chat.dm(uid("CD"), "actions mine") == "You have no open actions."
    assert "audit summary" not in chat.dm(uid("CD"), "actions board")


def test_an_ambiguous_reference_says_how_to_qualify_and_changes_nothing(two: App) -> None:
    chat = FakeChat(two)
    meetings(chat)
    before = actions(two)
    said = chat.dm(uid("AK"), "board 1 done")
    assert "westmere-sab and westmere-scp both have a series “board”" in said
    assert "`westmere-sab/board 1 done`" in said
    said = chat.dm(uid("AK"), "1 done")
    assert "You have an action 1 in westmere-sab and westmere-scp" in said
    # A command that needs a series says how to name it.
    assert "e.g. `actions westmere-sab/SERIES`" in chat.dm(uid("AK"), "actions")
    assert "works in a conversation bound to a series" in chat.dm(uid("AK"), "quorum")
    assert actions(two) == before
    # Qualified, it lands in that partnership's tracker only, done by her person there.
    assert "is done" in chat.dm(uid("AK"), "westmere-sab/board 1 done")
    after = actions(two)
    assert after[(SAB, "board", 1)][1] == "done" and after[(SCP, "board", 1)][1] == "open"
    with two.sessions() as s:
        done_by = s.scalars(
            select(Person.partnership_id)
            .join(ActionUpdate, ActionUpdate.person_id == Person.id)
            .where(ActionUpdate.kind == "done")
        ).all()
    assert done_by == [SAB]
    # Someone only in the adults' board cannot reach the children's tracker by naming it.
    assert "not in the Westmere Safeguarding Children Partnership file" in chat.dm(
        uid("CD"), "westmere-scp/board 1 done"
    )
    assert actions(two)[(SCP, "board", 1)][1] == "open"


def test_a_question_in_a_direct_message_is_answered_in_the_partnership_that_asked(two: App) -> None:
    chat = FakeChat(two)
    chat.say(uid("HO"), "CKIDS", "meeting start board")
    chat.say(uid("HO"), "CKIDS", "Action: BC to circulate the dashboard by Friday")  # children's board 1
    chat.say(uid("HO"), "CKIDS", "Action: AK to send the audit summary to the board by Friday")  # board 2
    chat.say(uid("OP"), "CADULTS", "meeting start board")
    chat.say(
        uid("OP"), "CADULTS", "Action: AKe to review the adults' audit sample by Friday"
    )  # adults' board 1
    chat.say(uid("CD"), "CQA", "meeting start qa")
    chat.say(uid("CD"), "CQA", "Action: AKe to check the case sample by Friday")  # adults' qa 1
    before = actions(two)
    # Action 1 of hers is only in the adults' board, in two series: the adults' core asks which.
    asked = chat.dm(uid("AK"), "1 done")
    assert "Which action 1" in asked
    with two.sessions() as s:
        assert s.scalars(select(PendingQuestion.partnership_id)).all() == [SAB]
    assert actions(two) == before
    chat.dm(uid("AK"), "qa")
    after = actions(two)
    assert after[(SAB, "qa", 1)][1] == "done"
    assert after[(SAB, "board", 1)][1] == "open" and after[(SCP, "board", 2)][1] == "open"


def test_the_same_person_across_partnerships_by_email_or_platform_id(two: App) -> None:
    with two.sessions() as s:
        ake = identity.person_for(s, SAB, "slack", uid("AK"))  # the children's file gives UAK; same e-mail
        assert ake is not None and (ake.partnership_id, ake.initials) == (SAB, "AKe")
        assert identity.person_for(s, SAB, "slack", uid("BC")) is None  # only in the children's
        assert identity.door_keys(s, "slack", ake) == [uid("AK")]  # so reminders reach her on Slack
        found = identity.people_for(s, [SCP, SAB], "slack", uid("AK"))
        assert {pid: p.initials for pid, p in found.items()} == {SCP: "AK", SAB: "AKe"}
        # On the shell, initials are each file's own: AK is nobody in the adults' board.
        assert identity.person_for(s, SAB, "shell", "AK") is None


def test_nudge_sends_one_digest_to_a_person_in_both_and_nothing_across(
    two: App, database_url: str, tmp_path: Path
) -> None:
    chat = FakeChat(two)
    meetings(chat)  # Ada: the children's board 1 and the adults' board 1, both due Friday 8 March
    chat.say(uid("HO"), "CKIDS", "Action: BC to circulate the dashboard by Friday")
    chat.say(uid("OP"), "CADULTS", "Action: CD to update the risk register by Friday")
    cfg = tmp_path / "app.yaml"
    cfg.write_text(
        yaml.safe_dump({"database": {"url": database_url}, "partnerships": [str(CHILDREN), str(ADULTS)]})
    )
    out, err = io.StringIO(), io.StringIO()
    # With two partnerships loaded and none named, `nudge` sweeps both (it used to stop and ask).
    assert (
        main(["--config", str(cfg), "nudge", "--at", "2024-03-07T09:05:00+00:00"], stdout=out, stderr=err)
        == 0
    )
    said = out.getvalue()
    with two.sessions() as s:
        ada = [
            p.id
            for p in s.scalars(select(Person).where(func.lower(Person.email) == "ada.kerr@police.example"))
        ]
        rows = s.execute(
            select(NudgeClaim.partnership_id, NudgeClaim.digest_id, NudgeClaim.state).where(
                NudgeClaim.recipient_id.in_(ada), NudgeClaim.kind != "chair"
            )
        ).all()
        digests = s.execute(select(Digest.id, Digest.recipient_id, Digest.state)).all()
        ben = s.scalars(select(Person.id).where(Person.initials == "BC")).one()
        cara = s.scalars(select(Person.id).where(Person.initials == "CD")).one()
        ben_body = s.scalars(select(Digest.body).where(Digest.recipient_id == ben)).one()
        cara_body = s.scalars(select(Digest.body).where(Digest.recipient_id == cara)).one()
    # Ada's two reminders, one from each partnership, went in one digest, sent once.
    assert sorted(p for p, _, _ in rows) == [SAB, SCP]
    assert len({d for _, d, _ in rows}) == 1 and {st for _, _, st in rows} == {"sent"}
    ada_digests = [d for d in digests if d.recipient_id in ada]
    assert len(ada_digests) == 1 and ada_digests[0].state == "sent"
    assert said.count("→ AK:") == 1 and "→ AKe:" not in said
    assert "In the Westmere Safeguarding Children Partnership:" in said
    assert "In the Westmere Safeguarding Adults Board:" in said
    assert "`action westmere-sab/board 1 done`" in said and "`action westmere-scp/board 1 done`" in said
    # Each of the others hears only of their own partnership.
    assert "dashboard" in ben_body and "Adults" not in ben_body and "risk register" not in ben_body
    assert "risk register" in cara_body and "Children" not in cara_body and "dashboard" not in cara_body
    # Answering from the digest lands in that partnership's tracker.
    chat.dm(uid("AK"), "action westmere-scp/board 1 done")
    stored = actions(two)
    assert stored[(SCP, "board", 1)][1] == "done" and stored[(SAB, "board", 1)][1] == "open"


def test_one_slack_app_serves_both_partnerships(two: App) -> None:
    fake = FakeSlack()
    h = Harness(two, fake)
    try:
        h.slash("HO", "meeting start board", channel="CKIDS")
        h.slash("OP", "meeting start board", channel="CADULTS")
        h.message("HO", "Action: AK to send the audit summary to the board by Friday", channel="CKIDS")
        h.message("OP", "Action: AKe to review the adults' audit sample by Friday", channel="CADULTS")
        assert {(p, k, n): v[2] for (p, k, n), v in actions(two).items()} == {
            (SCP, "board", 1): [(SCP, "AK")],
            (SAB, "board", 1): [(SAB, "AKe")],
        }
        h.dm("AK", "actions mine")
        said = str(fake.calls("chat.postMessage")[-1])
        assert "westmere-scp/board 1" in said and "westmere-sab/board 1" in said
        h.dm("AK", "westmere-scp/board 1 done")
        assert actions(two)[(SCP, "board", 1)][1] == "done" and actions(two)[(SAB, "board", 1)][1] == "open"
        h.dm("CD", "actions mine")
        to_cara = [str(c) for c in fake.calls("chat.postMessage") if c["channel"] == dm_channel("CD")]
        assert to_cara and not any("audit" in c for c in to_cara)
    finally:
        h.door.close()
        fake.close()


def test_a_mention_reads_as_the_initials_of_the_channels_partnership(two: App) -> None:
    fake = FakeSlack()
    h = Harness(two, fake)
    try:
        h.slash("OP", "meeting start board", channel="CADULTS")
        h.message(
            "OP", f"Action: <@{uid('AK')}> to review the adults' audit sample by Friday", channel="CADULTS"
        )
        assert actions(two)[(SAB, "board", 1)][2] == [(SAB, "AKe")]
        assert h.door.inbound(f"<@{uid('AK')}> thanks", "CADULTS") == "AKe thanks"
        h.slash("HO", "meeting start board", channel="CKIDS")
        assert h.door.inbound(f"<@{uid('AK')}> thanks", "CKIDS") == "AK thanks"
        h.message("HO", f"Action: <@{uid('AK')}> to send the audit summary by Friday", channel="CKIDS")
        assert actions(two)[(SCP, "board", 1)][2] == [(SCP, "AK")]
    finally:
        h.door.close()
        fake.close()


def test_the_shell_needs_its_partnership_when_initials_name_two_people(two: App) -> None:
    from bot.shell import ShellDoor

    out = io.StringIO()
    ShellDoor(two.router(), out, user="HO").line("SH> actions mine")
    assert "SH names different people in westmere-sab and westmere-scp" in out.getvalue()
    assert "--partnership" in out.getvalue()
    out = io.StringIO()
    shell = ShellDoor(two.router(SAB), out, user="OP")  # `partnerbot shell --partnership westmere-sab`
    shell.line("@ 2024-03-04T10:00:00+00:00")
    shell.line("meeting start board")
    shell.line("Action: SH to book the venue by Friday")
    shell.line("SH> actions mine")
    assert "book the venue" in out.getvalue()
    assert actions(two)[(SAB, "board", 1)][2] == [(SAB, "SH")]


class ThursdayMorning(datetime):
    """`serve` sweeps as of now: here, the working day before the actions fall due."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> ThursdayMorning:
        at = cls(2024, 3, 7, 9, 5, tzinfo=UTC)
        return at.astimezone(tz) if tz else at


def test_one_serve_sweeps_both_partnerships(
    two: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import serve

    meetings(FakeChat(two))
    monkeypatch.setattr(serve, "datetime", ThursdayMorning)
    cfg = tmp_path / "app.yaml"
    raw = {
        "database": {"url": database_url},
        "partnerships": [str(CHILDREN), str(ADULTS)],
        "doors": {"shell": {"enabled": True}},
    }
    cfg.write_text(yaml.safe_dump(raw))
    out = io.StringIO()
    assert main(["--config", str(cfg), "serve", "--sweeps", "1", "--interval", "0.05"], stdout=out) == 0
    said = out.getvalue()
    assert said.count("→ AK:") == 1 and "1 message (2 nudges)" in said
    with two.sessions() as s:
        sent = s.execute(select(Digest.partnership_id, Digest.state, Digest.nudges)).all()
    assert [tuple(d) for d in sent] == [(SCP, "sent", 2)]  # to her row with a Slack id, both partnerships'


def test_one_teams_app_serves_both_partnerships(two: App) -> None:
    from teams_fakes import Harness as TeamsHarness
    from teams_fakes import aad

    teams = TeamsHarness(two, graph=False)
    try:
        teams.know("HO", "OP", "AK", "CD")  # Teams ids learnt from profiles; Ada's on her children's row
        adults = "19:meeting_adults@thread.v2"
        teams.say("HO", "bind board")
        teams.say("HO", "meeting start")
        teams.say("HO", "Action: AK to send the audit summary to the board by Friday")
        teams.say("OP", "bind board", conversation=adults)
        teams.say("OP", "meeting start", conversation=adults)
        teams.say("OP", "Action: AKe to review the adults' audit sample by Friday", conversation=adults)
        assert {k: v[2] for k, v in actions(two).items()} == {
            (SCP, "board", 1): [(SCP, "AK")],
            (SAB, "board", 1): [(SAB, "AKe")],
        }
        teams.dm("AK", "actions mine")
        to_ada = "\n".join(teams.connector.texts(f"a:1-{aad('AK')}"))
        assert "westmere-scp/board 1" in to_ada and "westmere-sab/board 1" in to_ada
        teams.dm("CD", "actions mine")
        assert "audit summary" not in "\n".join(teams.connector.texts(f"a:1-{aad('CD')}"))
    finally:
        teams.close()


def test_teams_reaches_someone_by_initials_in_their_own_partnership(two: App) -> None:
    """Sol Hart (SH, children's) has a 1:1 chat with the bot; Sam Hale (SH, adults') has none."""
    from bot.teams import store
    from bot.teams.courier import TeamsCourier

    with two.sessions() as s:
        sol = s.scalars(select(Person.id).where(Person.partnership_id == SCP, Person.initials == "SH")).one()
    store.save_conversation(two.sessions, sol, "a:1-sol-hart", "https://smba.example/", None, AT)

    def no_door() -> Any:
        raise AssertionError("reach needs no Teams door")

    courier = TeamsCourier(no_door, two.sessions)
    sam = two.core(SAB).roster().people["SH"]
    sol_ref = two.core(SCP).roster().people["SH"]
    assert (sam.name, sol_ref.name) == ("Sam Hale", "Sol Hart")
    assert courier.reach(sol_ref)
    assert not courier.reach(sam)  # Sol's chat is not Sam's: the reminder goes to Sam by e-mail
