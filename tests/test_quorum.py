"""Quorum rules: a table of cases on the rule itself, then the live rule through the shell."""

from __future__ import annotations

from datetime import UTC

import pytest
from conftest import Chat
from sqlalchemy import select

from handlers.quorum import Presence, evaluate, normalise_rule, required_agencies
from storage.models import Attendance, Person, QuorumChange
from storage.roster import AgencyRef

AGENCIES = {
    "council": AgencyRef("council", "Council", statutory=True),
    "icb": AgencyRef("icb", "ICB", statutory=True),
    "police": AgencyRef("police", "Police", statutory=True),
    "acute": AgencyRef("acute", "Hospital"),
    "yjs": AgencyRef("yjs", "Youth Justice"),
}
ALL_STATUTORY = "all-statutory-agencies"


def P(initials: str, agency: str, *, for_member: str | None = None, roles: tuple[str, ...] = ()) -> Presence:
    return Presence(initials, agency, for_member=for_member, roles=frozenset(roles))


CASES = [
    # (id, rule, present, quorate, missing)
    (
        "all three statutory present",
        ALL_STATUTORY,
        [P("MT", "council"), P("LE", "icb"), P("TR", "police")],
        True,
        (),
    ),
    ("police missing", ALL_STATUTORY, [P("MT", "council"), P("LE", "icb")], False, ("police",)),
    ("nobody present", ALL_STATUTORY, [], False, ("council", "icb", "police")),
    (
        "deputy counts for the member's agency",
        ALL_STATUTORY,
        [P("MT", "council"), P("LE", "icb"), P("CG", "police", for_member="TR")],
        True,
        (),
    ),
    (
        "only non-statutory agencies",
        ALL_STATUTORY,
        [P("TT", "acute"), P("KB", "yjs"), P("SMi", "acute")],
        False,
        ("council", "icb", "police"),
    ),
    (
        "many council, no health",
        ALL_STATUTORY,
        [P("MT", "council"), P("SMa", "council"), P("HN", "council"), P("TR", "police")],
        False,
        ("icb",),
    ),
    (
        "same person twice counts once",
        {"agencies": None, "min_members": 2, "roles": []},
        [P("MT", "council"), P("MT", "council")],
        False,
        (),
    ),
    (
        "minimum count met",
        {"agencies": None, "min_members": 3, "roles": []},
        [P("MT", "council"), P("TT", "acute"), P("KB", "yjs")],
        True,
        (),
    ),
    (
        "minimum count short by one",
        {"agencies": None, "min_members": 4, "roles": []},
        [P("MT", "council"), P("TT", "acute"), P("KB", "yjs")],
        False,
        (),
    ),
    (
        "deputies count towards the minimum",
        {"agencies": None, "min_members": 2, "roles": []},
        [P("MT", "council"), P("CG", "police", for_member="TR")],
        True,
        (),
    ),
    (
        "statutory and count both needed: count short",
        {"agencies": "all-statutory", "min_members": 4, "roles": []},
        [P("MT", "council"), P("LE", "icb"), P("TR", "police")],
        False,
        (),
    ),
    (
        "statutory and count both met",
        {"agencies": "all-statutory", "min_members": 4, "roles": []},
        [P("MT", "council"), P("LE", "icb"), P("TR", "police"), P("KB", "yjs")],
        True,
        (),
    ),
    (
        "chair required and present",
        {"agencies": "all-statutory", "min_members": None, "roles": ["chair"]},
        [P("DA", "council", roles=("chair",)), P("LE", "icb"), P("TR", "police")],
        True,
        (),
    ),
    (
        "chair required, absent",
        {"agencies": "all-statutory", "min_members": None, "roles": ["chair"]},
        [P("SMa", "council"), P("LE", "icb"), P("TR", "police")],
        False,
        (),
    ),
    (
        "chair or vice-chair: vice-chair present",
        {"agencies": None, "min_members": None, "roles": ["chair", "vice_chair"]},
        [P("TR", "police", roles=("vice_chair",))],
        True,
        (),
    ),
    (
        "a deputy for the chair is not the chair",
        {"agencies": None, "min_members": None, "roles": ["chair"]},
        [P("BLl", "council", for_member="DA")],
        False,
        (),
    ),
    (
        "named agencies only",
        {"agencies": ["council", "yjs"], "min_members": None, "roles": []},
        [P("MT", "council"), P("KB", "yjs")],
        True,
        (),
    ),
    (
        "named agencies, one missing",
        {"agencies": ["council", "yjs"], "min_members": None, "roles": []},
        [P("MT", "council"), P("LE", "icb")],
        False,
        ("yjs",),
    ),
]


@pytest.mark.parametrize(
    ("rule", "present", "quorate", "missing"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_table(rule: object, present: list[Presence], quorate: bool, missing: tuple[str, ...]) -> None:
    result = evaluate(rule, present, AGENCIES)
    assert result.quorate is quorate
    assert result.missing == missing


def test_rule_shapes() -> None:
    assert normalise_rule("all-statutory-agencies")["agencies"] == "all-statutory"
    assert required_agencies({"agencies": "all-statutory"}, AGENCIES) == ("council", "icb", "police")
    with pytest.raises(ValueError):
        normalise_rule(42)


def _open_board(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")


def _changes(chat: Chat) -> list[tuple[str, bool, list[str]]]:
    """The stored quorum changes: (time, quorate, agencies missing)."""
    with chat.app.sessions() as s:
        return [
            (c.at.astimezone(UTC).strftime("%H:%M"), c.quorate, list(c.missing))
            for c in s.scalars(select(QuorumChange).order_by(QuorumChange.id))
        ]


def _attendance(chat: Chat) -> dict[str, tuple[str, str | None]]:
    """The stored attendance of every meeting: initials (a guest's name) -> (status, deputising for)."""
    with chat.app.sessions() as s:
        initials = {p.id: p.name if p.guest else p.initials for p in s.scalars(select(Person))}
        return {
            initials[a.person_id] if a.person_id is not None else str(a.guest_name): (
                a.status,
                initials.get(a.deputy_for_id) if a.deputy_for_id is not None else None,
            )
            for a in s.scalars(select(Attendance).order_by(Attendance.id))
        }


def test_deputy_makes_it_quorate_and_leaving_breaks_it(chat: Chat) -> None:
    _open_board(chat)
    out = chat.say("MT", "present MT LE")
    assert "Present: Miriam Tolley, Lowri Evans." in out
    assert "quorate" not in out.lower()  # still not quorate: nothing changed, nothing announced
    assert _changes(chat) == []
    assert _attendance(chat) == {"MT": ("present", None), "LE": ("present", None)}
    assert chat.say("MT", "quorum").count("Marcia Police") == 1
    out = chat.say("MT", "CG attending for TR")
    assert "The meeting is quorate" in out and "Chloe Grant for Tom Rees" in out
    assert _changes(chat) == [("10:00", True, [])]
    assert _attendance(chat)["CG"] == ("deputy", "TR")
    assert _attendance(chat)["TR"] == ("apologies", None)
    chat.at("2024-01-19T10:30:00+00:00")
    out = chat.say("MT", "CG left")
    assert "no longer quorate" in out and "Marcia Police" in out
    assert _changes(chat) == [("10:00", True, []), ("10:30", False, ["Marcia Police"])]
    with chat.app.sessions() as s:
        cg = s.scalars(
            select(Attendance).join(Person, Person.id == Attendance.person_id).where(Person.initials == "CG")
        ).one()
        assert cg.left_at is not None and cg.left_at.astimezone(UTC).strftime("%H:%M") == "10:30"
        assert [m["event"] for m in cg.movements] == ["left"]


def test_a_deputy_from_another_agency_attends_but_never_counts(chat: Chat) -> None:
    _open_board(chat)
    chat.say("MT", "present MT LE")
    # A council director standing in for the police's member: recorded on TR's behalf, and the
    # police still unrepresented.
    out = chat.say("MT", "SMa for TR")
    assert "does not count for Marcia Police" in out and "The meeting is quorate" not in out
    assert _attendance(chat)["SMa"] == ("deputy", "TR") and _attendance(chat)["TR"] == ("apologies", None)
    assert "Not quorate" in chat.say("MT", "quorum")
    assert _changes(chat) == []
    # The police's own officer makes it quorate.
    assert "The meeting is quorate" in chat.say("MT", "CG for TR")
    assert _changes(chat) == [("10:00", True, [])]


def test_a_deputy_after_the_member_left_never_rewrites_their_attendance(chat: Chat) -> None:
    _open_board(chat)
    chat.say("MT", "present MT LE TR")
    chat.at("2024-01-19T10:40:00+00:00")
    assert "no longer quorate" in chat.say("MT", "TR left")
    assert "The meeting is quorate" in chat.say("MT", "CG for TR")
    # Tom Rees was here until 10:40, then Chloe Grant for him: both stand in the record.
    assert _attendance(chat)["TR"] == ("present", None) and _attendance(chat)["CG"] == ("deputy", "TR")
    assert _changes(chat) == [("10:00", True, []), ("10:40", False, ["Marcia Police"]), ("10:40", True, [])]
    with chat.app.sessions() as s:
        rows = {
            p.initials: a
            for a, p in s.execute(select(Attendance, Person).join(Person, Person.id == Attendance.person_id))
        }
        assert rows["TR"].left_at is not None and rows["TR"].left_at.strftime("%H:%M") == "10:40"
        assert rows["CG"].arrived_at is not None and rows["CG"].arrived_at.strftime("%H:%M") == "10:40"


def test_guests_and_non_members_never_count(chat: Chat) -> None:
    _open_board(chat)
    chat.say("MT", "present MT LE")
    out = chat.say("MT", 'in attendance "Neil Wiley" (police analyst, PPU), PMw')
    assert "Neil Wiley (police analyst, PPU)" in out
    out = chat.say("MT", "quorum")
    assert "Not quorate" in out and "Marcia Police" in out
    # A police officer who is not a board member, recorded as present, is in attendance only.
    out = chat.say("MT", "present CG")
    assert "not a member" in out and "CG for TR" in out
    assert "Not quorate" in chat.say("MT", "quorum")
    assert _changes(chat) == []
    assert _attendance(chat) == {
        "MT": ("present", None),
        "LE": ("present", None),
        "Neil Wiley": ("in_attendance", None),
        "PMw": ("in_attendance", None),
        "CG": ("in_attendance", None),
    }


def test_apologies_then_arrival_counts(chat: Chat) -> None:
    _open_board(chat)
    chat.say("MT", "present MT LE")
    chat.say("MT", "apologies Tom Rees")
    assert _attendance(chat)["TR"] == ("apologies", None)
    chat.at("2024-01-19T10:20:00+00:00")
    out = chat.say("MT", "TR joined")
    assert "joined at 10:20" in out and "The meeting is quorate" in out
    assert _attendance(chat)["TR"] == ("present", None)
    assert _changes(chat) == [("10:20", True, [])]


def test_attendance_typed_as_minutes_list_it(chat: Chat) -> None:
    _open_board(chat)
    chat.say("MT", "present MT LE")
    out = chat.say("MT", "apologies from Tom Rees and Stella Conway")  # "from" is nobody's name
    assert "Apologies: Tom Rees, Stella Conway." in out and "?" not in out
    assert _attendance(chat)["TR"] == ("apologies", None)
    assert "from" not in " ".join(_attendance(chat))
    out = chat.say("MT", "Chloe Grant (for Tom Rees)")
    assert "Chloe Grant is attending for Tom Rees" in out
    assert _attendance(chat)["CG"] == ("deputy", "TR")
    for asked in ("are we quorate?", "do we have a quorum?"):
        assert "Quorate" in chat.say("MT", asked)
    assert _changes(chat) == [("10:00", True, [])]
    chat.at("2024-01-19T10:40:00+00:00")
    assert "Chloe Grant left at 10:30" in chat.say("MT", "CG left the meeting at 10:30")
    assert "Lowri Evans left at 10:40" in chat.say("MT", "LE had to leave")
    assert "Lowri Evans rejoined at 10:40" in chat.say("MT", "LE joined the meeting late")
    with chat.app.sessions() as s:
        moved = {
            p.initials: [m["event"] for m in a.movements]
            for a, p in s.execute(select(Attendance, Person).join(Person, Person.id == Attendance.person_id))
        }
    assert moved["CG"] == ["left"] and moved["LE"] == ["left", "rejoined"]
    said = chat.say("MT", "who is missing?")
    missing = said.split("Not here, no apologies (")[1]
    assert "Samir Malik" in missing  # a member nobody recorded
    assert not any(n in missing for n in ("Miriam Tolley", "Lowri Evans", "Tom Rees", "Stella Conway"))


def test_minimum_count_rule_of_a_series(chat: Chat) -> None:
    chat.at("2024-01-22T14:00:00+00:00")
    chat.say("TR", "meeting start exploitation")
    chat.say("TR", "present TR SMa LE")
    out = chat.say("TR", "quorum")
    assert "3 of the 4 members needed" in out
    assert _changes(chat) == []
    out = chat.say("TR", "present KB")
    assert "The meeting is quorate" in out
    assert _changes(chat) == [("14:00", True, [])]
    assert set(_attendance(chat)) == {"TR", "SMa", "LE", "KB"}


def test_required_role_rule_of_a_series(chat: Chat) -> None:
    chat.at("2024-02-01T09:00:00+00:00")
    chat.say("RB", "meeting start executive")
    chat.say("RB", "present LE TR RB")
    # BLl is not DA's deputy in the executive's list, so does not count for the council; and a
    # deputy for the chair is not the chair.
    out = chat.say("RB", "BLl for DA")
    assert "does not count for Westshire Council" in out and "deputies_on_the_day: true" in out
    out = chat.say("RB", "quorum")
    assert "Not quorate" in out and "Westshire Council" in out and "chair not present" in out
    assert _attendance(chat)["BLl"] == ("deputy", "DA")
    assert _changes(chat) == []


def test_the_hint_after_meeting_start_names_the_series_own_people(chat: Chat) -> None:
    board = chat.say("MT", "meeting start board")
    assert "`present MT LE …`, `apologies SMa` and `CG for TR`" in board
    chat.say("MT", "meeting end")
    # The Tackling Exploitation Group has other people and no deputies: its own initials, typed as shown.
    other = Chat(chat.app, channel="exploitation")
    hint = next(
        line for line in other.say("TR", "meeting start exploitation").splitlines() if "present" in line
    )
    assert "`present TR CG …`, `apologies KB` and `DEPUTY for TR`" in hint
    other.say("TR", "present TR CG")
    with chat.app.sessions() as s:
        present = s.scalars(
            select(Person.initials)
            .join(Attendance, Attendance.person_id == Person.id)
            .where(Attendance.status == "present")
        ).all()
    assert sorted(present) == ["CG", "TR"]
