"""A joint series: `shared_with: [other-id]`, with members from the other partnership as `other-id:XX`.

The adults' board (westmere-joint.yaml) hosts a joint forum shared with the children's partnership
(westmere-children.yaml, loaded first). Hana Orme and Ben Cole come from the children's file;
Ada Kerr is already in the adults' file (the same e-mail), so `westmere-scp:AK` is her AKe; the
children's business unit (Rita Vale) may run the forum as the adults' may.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, make_app
from slack_fake import uid
from sqlalchemy import select
from test_several_partnerships import CHILDREN, SAB, SCP, FakeChat, actions

from bot.app import App
from bot.cli import main
from storage.models import Person, Series
from storage.nudge_models import Digest, NudgeClaim
from storage.partnership_file import PartnershipFileError, read_partnership

JOINT = FIXTURES / "several" / "westmere-joint.yaml"


@pytest.fixture
def joint(database_url: str) -> Iterator[App]:
    application = make_app(database_url, CHILDREN, JOINT)
    yield application
    application.engine.dispose()


def test_members_from_the_other_partnership_are_loaded_into_the_joint_series(joint: App) -> None:
    with joint.sessions() as s:
        series = s.scalars(select(Series).where(Series.partnership_id == SAB, Series.key == "joint")).one()
        assert series.members == ["OP", "AKe", "HO", "BC"]  # westmere-scp:AK is AKe here
        assert series.shared_with == {SCP: ["RV"]}  # the children's business unit
        brought = s.execute(
            select(Person.initials, Person.name, Person.email, Person.slack_id).where(
                Person.partnership_id == SAB, Person.shared_from == SCP
            )
        ).all()
        assert sorted(brought) == [
            ("BC", "Ben Cole", "ben.cole@icb.example", uid("BC")),
            ("HO", "Hana Orme", "hana.orme@westmere.example", uid("HO")),
            ("RV", "Rita Vale", "rita.vale@westmere.example", uid("RV")),
        ]
        # In the host's partnership at large (its agencies, its groups by agency) they are nobody.
        roster = joint.setup.rosters.roster(s, SAB)
        assert roster.agency_people("icb") == ["CD"]
        assert sorted(roster.agency_people("icb", "joint")) == ["BC"]
    # Loading again changes nothing.
    again = joint.load_files()
    assert [r.changed for r in again] == [False, False]


def test_both_business_units_run_it_and_its_tracker_is_reached_from_both(joint: App) -> None:
    chat = FakeChat(joint)
    # Hana Orme is a member, not on the chair team: she may not open it.
    assert "Only" in chat.say(uid("HO"), "CJOINT", "meeting start joint")
    # The children's business unit may, as the adults' may.
    assert "open" in chat.say(uid("RV"), "CJOINT", "meeting start joint").lower()
    chat.say(uid("RV"), "CJOINT", "Action: BC to share the joint protocol by Friday")
    chat.say(uid("RV"), "CJOINT", "Action: AKe to map the referral routes by Friday")
    stored = actions(joint)
    assert stored[(SAB, "joint", 1)] == ("share the joint protocol", "open", [(SAB, "BC")])
    assert stored[(SAB, "joint", 2)] == ("map the referral routes", "open", [(SAB, "AKe")])
    # Ben Cole, of the children's partnership, sees it among his actions and answers it.
    mine = chat.dm(uid("BC"), "actions mine")
    assert "westmere-sab/joint 1" in mine and "share the joint protocol" in mine
    assert "is done" in chat.dm(uid("BC"), "action joint 1 done")
    assert actions(joint)[(SAB, "joint", 1)][1] == "done"
    # Someone of the adults' board who is not a member sees nothing of it.
    refused = chat.dm(uid("CD"), "actions joint")
    assert "Only members of Joint Safeguarding Forum" in refused and "referral" not in refused
    # Someone only in the children's partnership does not reach it at all.
    assert "I don't know a series called “joint”" in chat.dm(uid("RV"), "westmere-scp/joint 2 done")
    assert actions(joint)[(SAB, "joint", 2)][1] == "open"


def test_one_digest_with_the_joint_series_and_the_home_partnership(
    joint: App, database_url: str, tmp_path: Path
) -> None:
    chat = FakeChat(joint)
    # Hana Orme is in both partnerships now, and both have a board: she says which.
    assert "both have a series “board”" in chat.say(uid("HO"), "CKIDS", "meeting start board")
    chat.say(uid("HO"), "CKIDS", "meeting start westmere-scp/board")
    chat.say(uid("HO"), "CKIDS", "Action: BC to circulate the dashboard by Friday")
    chat.say(uid("RV"), "CJOINT", "meeting start joint")
    chat.say(uid("RV"), "CJOINT", "Action: BC to share the joint protocol by Friday")
    cfg = tmp_path / "app.yaml"
    cfg.write_text(
        yaml.safe_dump({"database": {"url": database_url}, "partnerships": [str(CHILDREN), str(JOINT)]})
    )
    out = io.StringIO()
    assert main(["--config", str(cfg), "nudge", "--at", "2024-03-07T09:05:00+00:00"], stdout=out) == 0
    with joint.sessions() as s:
        ben = list(s.scalars(select(Person.id).where(Person.initials == "BC")))
        rows = s.execute(
            select(NudgeClaim.partnership_id, NudgeClaim.digest_id).where(NudgeClaim.recipient_id.in_(ben))
        ).all()
        bodies = s.scalars(select(Digest.body).where(Digest.recipient_id.in_(ben))).all()
    assert sorted(p for p, _ in rows) == [SAB, SCP] and len({d for _, d in rows}) == 1
    assert len(bodies) == 1 and "dashboard" in bodies[0] and "joint protocol" in bodies[0]


def test_a_joint_series_needs_the_other_partnership_loaded_first(database_url: str) -> None:
    with pytest.raises(PartnershipFileError, match="shared_with westmere-scp, which is not loaded"):
        make_app(database_url, JOINT)


def test_members_from_another_partnership_are_checked(tmp_path: Path, database_url: str) -> None:
    text = JOINT.read_text()
    unlisted = tmp_path / "unlisted.yaml"
    unlisted.write_text(text.replace("    shared_with: [westmere-scp]\n", ""))
    with pytest.raises(PartnershipFileError, match="westmere-scp is not in its shared_with"):
        read_partnership(unlisted)
    nobody = tmp_path / "nobody.yaml"
    nobody.write_text(text.replace("westmere-scp:BC", "westmere-scp:ZZ"))
    with pytest.raises(PartnershipFileError, match="westmere-scp has nobody with initials ZZ"):
        make_app(database_url, CHILDREN, nobody)
