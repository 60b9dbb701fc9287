"""Who is this user? One rule, in the core, for every door.

The partnership file's platform id (slack_id, teams_id, e-mail) wins; then an identity a door
learnt earlier, unless its person has left or the file gives that id to someone. A file change
moving an id to another person counts at once, the same way in the core, the Slack door
(slash command, App Home, buttons) and the Teams door (messages, cards, the 1:1 chat kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE
from sqlalchemy import select

from bot.app import App
from handlers import router as router_module
from handlers.context import Request
from storage.doors import conversation, remember_identity
from storage.models import Action, ActionUpdate, AuditEvent, DoorIdentity, Person

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)
SAMIR = "U07SAMIRM1"  # Samir Malik's slack_id in the example file


def reload_file(
    app: App, tmp_path: Path, *, give: dict[str, dict[str, str]] | None = None, drop: tuple[str, ...] = ()
) -> None:
    """Load the example file again, edited: `give={"slack_id": {"HN": "U…"}}` moves an id to HN
    (whoever had it loses it); `drop` removes people (they are marked as having left)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for field, given in (give or {}).items():
        for person in data["people"]:
            if person.get(field) in given.values():
                del person[field]
            if person["initials"] in given:
                person[field] = given[person["initials"]]
    data["people"] = [p for p in data["people"] if p["initials"] not in drop]
    for entry in (*data["groups"], *data["series"]):
        if "members" in entry:
            entry["members"] = [i for i in entry["members"] if i not in drop]
    path = tmp_path / f"westshire-{len(list(tmp_path.glob('westshire-*')))}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (result,) = app.load_files([str(path)])
    assert result.changed


def learn(app: App, door: str, key: str, initials: str) -> None:
    with app.sessions() as s, s.begin():
        pid = s.scalars(select(Person.id).where(Person.initials == initials)).one()
        remember_identity(s, door, key, pid, "email", AT)


def person_id(app: App, initials: str) -> int:
    with app.sessions() as s:
        return int(s.scalars(select(Person.id).where(Person.initials == initials)).one())


def action(app: App, number: int) -> Action:
    with app.sessions() as s:
        row = s.scalars(select(Action).where(Action.number == number)).one()
        s.expunge(row)
        return row


def done_by(app: App, number: int) -> list[int | None]:
    with app.sessions() as s:
        return list(
            s.scalars(
                select(ActionUpdate.person_id)
                .join(Action, Action.id == ActionUpdate.action_id)
                .where(Action.number == number, ActionUpdate.kind == "done")
            )
        )


# --- the core --------------------------------------------------------------------------------------------


def test_the_file_wins_over_an_identity_learnt_earlier(app: App, tmp_path: Path) -> None:
    core = app.core()
    learn(app, "slack", "U0LEARNT01", "MT")
    core.handle(Request("slack", "C-BOARD", "U0LEARNT01", "bind board", AT))
    who = core.who("slack", "U0LEARNT01")
    assert who is not None and who.initials == "MT"
    # The file now gives that Slack id to Paul Mawer: he is the one typing, not Miriam Tolley.
    reload_file(app, tmp_path, give={"slack_id": {"PMw": "U0LEARNT01"}})
    who = core.who("slack", "U0LEARNT01")
    assert who is not None and (who.initials, who.person_id) == ("PMw", person_id(app, "PMw"))
    reply = core.handle(
        Request("slack", "C-BOARD", "U0LEARNT01", "Action: HN to ring the school by Friday", AT)
    )
    assert "Action 1" in reply.plain
    assert action(app, 1).created_by == person_id(app, "PMw")
    with app.sessions() as s:
        created = s.scalars(select(AuditEvent).where(AuditEvent.entity == "action")).one()
        assert (created.actor, created.door) == ("PMw", "slack")
    # Miriam Tolley cannot be reached at that id any more; Paul Mawer can.
    assert core.door_key("slack", "MT") is None
    assert core.door_key("slack", "PMw") == "U0LEARNT01"


def test_a_slack_id_moved_in_the_file_moves_the_person(app: App, tmp_path: Path) -> None:
    core = app.core()
    learn(app, "slack", "U0MIRIAM01", "MT")
    core.handle(Request("slack", "C-BOARD", "U0MIRIAM01", "bind board", AT))
    for text in ("Action: SMa to send the dashboard by Friday", "Action: HN to ring the school by Friday"):
        core.handle(Request("slack", "C-BOARD", "U0MIRIAM01", text, AT))
    reload_file(app, tmp_path, give={"slack_id": {"HN": SAMIR}})
    # Samir Malik's old Slack id is now Hannah Noor's: she may close her action, not his.
    refused = core.handle(Request("slack", "D-SAMIR", SAMIR, "action board 1 done", AT)).plain
    assert "is not yours" in refused and action(app, 1).status == "open"
    core.handle(Request("slack", "D-SAMIR", SAMIR, "action board 2 done", AT))
    assert action(app, 2).status == "done" and done_by(app, 2) == [person_id(app, "HN")]
    assert core.door_key("slack", "HN") == SAMIR and core.door_key("slack", "SMa") is None


def test_a_learnt_identity_of_someone_who_left_is_not_used(app: App, tmp_path: Path) -> None:
    core = app.core()
    learn(app, "slack", "U0WYNBAX01", "WB")
    assert (
        "You have no open actions."
        in core.handle(Request("slack", "D1", "U0WYNBAX01", "actions mine", AT)).plain
    )
    reload_file(app, tmp_path, drop=("WB",))
    assert core.who("slack", "U0WYNBAX01") is None
    assert "I don't know you" in core.handle(Request("slack", "D1", "U0WYNBAX01", "actions mine", AT)).plain


def test_an_id_the_file_gives_to_someone_who_left_is_not_read_from_what_was_learnt(
    app: App, tmp_path: Path
) -> None:
    core = app.core()
    learn(app, "teams", "aad-shared", "JK")
    reload_file(app, tmp_path, give={"teams_id": {"WB": "aad-shared"}})
    who = core.who("teams", "aad-shared")
    assert who is not None and who.initials == "WB"
    reload_file(app, tmp_path, give={"teams_id": {"WB": "aad-shared"}}, drop=("WB",))
    assert core.who("teams", "aad-shared") is None  # the file's id, of someone who has left
    assert core.door_keys("teams", person_id(app, "JK")) == []


def test_each_door_reads_its_own_id_from_the_file(app: App) -> None:
    core = app.core()
    cases = [
        ("shell", "hn", "HN"),  # initials, in any case
        ("slack", SAMIR, "SMa"),
        ("teams", "6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44", "LE"),
        ("email", "Tom.Rees@Marcia-Police.example", "TR"),  # addresses in any case
    ]
    for door, key, initials in cases:
        who = core.who(door, key)
        assert who is not None and who.initials == initials, (door, key)
    assert core.who("slack", "hn") is None and core.who("teams", SAMIR) is None


def test_learning_by_email_is_stored_once_and_never_takes_an_id_the_file_gives(app: App) -> None:
    core = app.core()
    who = core.learn_identity("slack", "U0RHIAN001", ["Rhian.Bowen@Westshire.example"], AT)
    assert who is not None and who.initials == "RB"
    assert core.learn_identity("slack", "U0RHIAN001", ["someone@elsewhere.example"], AT) == who
    # Samir Malik's id is the file's: a profile e-mail cannot make it someone else's.
    found = core.learn_identity("slack", SAMIR, ["miriam.tolley@westshire.example"], AT)
    assert found is not None and found.initials == "SMa"
    assert core.learn_identity("slack", "U0NOBODY01", ["nobody@elsewhere.example"], AT) is None
    with app.sessions() as s:
        rows = s.execute(select(DoorIdentity.user_key, DoorIdentity.person_id, DoorIdentity.matched_by)).all()
    assert rows == [("U0RHIAN001", person_id(app, "RB"), "email")]


def test_a_person_is_reached_at_the_files_id_first(app: App) -> None:
    core = app.core()
    learn(app, "teams", "aad-old", "LE")
    learn(app, "teams", "aad-newer", "LE")
    keys = core.door_keys("teams", person_id(app, "LE"))
    assert keys[0] == "6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44" and set(keys[1:]) == {"aad-old", "aad-newer"}


# --- the Slack door --------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[Any]:
    from slack_fake import FakeSlack

    f = FakeSlack()
    yield f
    f.close()


def test_a_slack_id_moved_in_the_file_counts_everywhere_in_slack(app: App, fake: Any, tmp_path: Path) -> None:
    from slack_fake import Harness, all_text, fixture

    slack = Harness(app, fake)
    slack.know("MT", "PMw", "HN")
    learn(app, "slack", SAMIR, "SMa")  # matched by his profile e-mail too, as well as by the file
    try:
        for line in (
            "meeting start board",
            "Action: SMa to send the dashboard to the board by Friday",
            "Action: HN to write to the three schools by Friday",
        ):
            slack.slash("MT", line)
        slack.event(fixture("app_home_opened.json"))  # Samir Malik's Home tab, as it was
        before = all_text(fake.calls("views.publish")[-1]["view"]["blocks"])
        assert "send the dashboard" in before and "three schools" not in before

        reload_file(app, tmp_path, give={"slack_id": {"HN": SAMIR}})

        # The slash command.
        said = all_text(json.loads(slack.slash("SMa", "actions mine").body)["blocks"])
        assert "write to the three schools" in said and "send the dashboard" not in said
        # The App Home tab.
        slack.event(fixture("app_home_opened.json"))
        view = fake.calls("views.publish")[-1]["view"]
        home = all_text(view["blocks"])
        assert "write to the three schools" in home and "send the dashboard" not in home
        # An answer button on it: Hannah Noor's action is closed, by her.
        press = fixture("block_actions_home.json")
        block = next(b for b in view["blocks"] if b.get("block_id") == "ans:board:2")
        press["actions"][0].update(block_id="ans:board:2", value=block["elements"][0]["value"])
        slack.interact(press)
        assert action(app, 2).status == "done" and done_by(app, 2) == [person_id(app, "HN")]
        assert action(app, 1).status == "open"
        # A mention of that id names her, and direct messages for her go there.
        assert slack.door.inbound(f"<@{SAMIR}> to send it") == "HN to send it"
        assert slack.door.identities.user_id("HN") == SAMIR
        assert slack.door.identities.user_id("SMa") is None
    finally:
        slack.door.close()


# --- the Teams door --------------------------------------------------------------------------------------


def test_a_teams_id_moved_in_the_file_counts_everywhere_in_teams(app: App, tmp_path: Path) -> None:
    from teams_fakes import Harness, aad

    from bot.teams.render import ACTION_TAG

    teams = Harness(app, graph=False)
    teams.know("MT", "PMw", "HN")
    learn(app, "teams", aad("LE"), "LE")  # matched by her profile e-mail too, as well as by the file
    try:
        teams.say("MT", "bind board")
        teams.say("MT", "meeting start")
        teams.say("PMw", "Action: LE to share the health audit by Friday")
        teams.say("PMw", "Action: HN to write to the three schools by Friday")
        teams.dm("LE", "actions mine")  # Lowri Evans, by the file's teams_id
        assert "share the health audit" in teams.connector.texts(f"a:1-{aad('LE')}")[-1]

        reload_file(app, tmp_path, give={"teams_id": {"HN": aad("LE")}})

        # A message: it is Hannah Noor writing, and her 1:1 chat is the one remembered.
        teams.dm("LE", "actions mine")
        said = teams.connector.texts(f"a:1-{aad('LE')}")[-1]
        assert "write to the three schools" in said and "share the health audit" not in said
        with app.sessions() as s:
            ref = conversation(s, "teams", person_id(app, "HN"))
            assert ref is not None and ref.conversation_id == f"a:1-{aad('LE')}"
        # A card button: her action is closed, by her; his is not hers to close.
        answers = []
        for n in (1, 2):
            # The data a card's Done button carries (bot/teams/render.py), pressed in the 1:1 chat.
            data = {
                "action": ACTION_TAG,
                "verb": "done",
                "typed": f"action board {n} done",
                "payload": {"series": "board", "number": n},
                "card": f"card-{n}",
                "refs": [],
            }
            answers.append(teams.press("LE", {"title": "Done", "data": data}).json()["value"])
        assert "is not yours" in answers[0] and "Board 2 is done" in answers[1]
        assert action(app, 1).status == "open"
        assert action(app, 2).status == "done" and done_by(app, 2) == [person_id(app, "HN")]
        # Reaching her opens a chat with the file's id first.
        assert app.core().door_keys("teams", person_id(app, "HN"))[0] == aad("LE")
    finally:
        teams.close()


def test_the_quick_answer_to_who_is_writing_never_knows_someone_the_rule_does_not(
    app: App, tmp_path: Path
) -> None:
    # Router.known is asked before every Teams message: True must mean `who` finds them too.
    router = app.router()
    learn(app, "teams", "aad-learnt", "JK")
    learn(app, "teams", "aad-left", "WB")
    learn(app, "teams", "aad-shared", "TT")
    lowri = "6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44"  # the file's teams_id
    assert router.known("teams", lowri) and router.known("teams", "aad-learnt")
    reload_file(app, tmp_path, give={"teams_id": {"SC": "aad-shared"}}, drop=("WB",))
    reload_file(app, tmp_path, give={"teams_id": {"SC": "aad-shared"}}, drop=("WB", "SC"))
    # Someone who left; an id the file gives to someone who left; nobody: no quick answer.
    for key in ("aad-left", "aad-shared", "aad-nobody"):
        assert router.who("teams", key) is None and not router.known("teams", key)
    for key in (lowri, "aad-learnt"):
        assert router.known("teams", key) and router.who("teams", key) is not None
    assert not router.known("shell", "MT") and router.who("shell", "MT") is not None  # the full rule


def test_someone_found_known_is_not_looked_up_again_for_a_minute_but_the_core_still_decides(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = app.router()
    learn(app, "teams", "aad-learnt", "JK")
    clock = [1000.0]
    monkeypatch.setattr(router_module.time, "monotonic", lambda: clock[0])
    assert router.known("teams", "aad-learnt")
    reload_file(app, tmp_path, drop=("JK",))
    # Within the minute the door is told "known" without a read, so it learns nobody first…
    clock[0] += router_module.KNOWN_SECONDS - 1
    assert router.known("teams", "aad-learnt")
    # … and the core, which identifies the writer in the command's own read, does not take them.
    assert router.who("teams", "aad-learnt") is None
    reply = router.handle(Request("teams", "19:chat", "aad-learnt", "actions mine", datetime.now(UTC)))
    assert reply.plain.startswith("I don't know you: you are not in the")
    # After the minute it is asked again, and the answer follows the file.
    clock[0] += 2
    assert not router.known("teams", "aad-learnt")
