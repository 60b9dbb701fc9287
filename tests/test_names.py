"""Owner names resolved against the partnership file: initials, names, mentions, roles, groups, everyone."""

from __future__ import annotations

import gc
import weakref

import pytest
from capture_fixtures import westshire, westshire_plus

from handlers.names import Ambiguous, Owner, Resolved, Unknown, resolve_name, split_names
from storage.roster import PersonRef, Roster

ROSTER = westshire()
PLUS = westshire_plus()


def owner(text: str, series: str | None = "board", **kw: bool) -> Owner | None:
    found = resolve_name(text, ROSTER, series, **kw)
    return found.owner if isinstance(found, Resolved) else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # initials, exact and case-sensitive
        ("SMa", "SMa"),
        ("SMi", "SMi"),
        ("BLl", "BLl"),
        ("PMw", "PMw"),
        ("MT", "MT"),
        ("OK", "OK"),
        # another case, or only the capitals, when that is still one person
        ("sma", "SMa"),
        ("SMA", "SMa"),
        ("hn", "HN"),
        ("PM", "PMw"),
        ("BL", "BLl"),
        # names
        ("Rhian Bowen", "RB"),
        ("rhian bowen", "RB"),
        ("Rhian", "RB"),
        ("Samir", "SMa"),
        ("Dr Lowri Evans", "LE"),
        ("Ms Bowen", "RB"),
        ("Bowen", "RB"),
        # mentions and platform ids
        ("@Lowri Evans", "LE"),
        ("@LE", "LE"),
        ("<@U07SAMIRM1>", "SMa"),
        ("<@U07SAMIRM1|samir>", "SMa"),
        ("U07SAMIRM1", "SMa"),
        ("<at>Lowri Evans</at>", "LE"),
        ("6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44", "LE"),
        ("tom.rees@marcia-police.example", "TR"),
        # a job title held by one person
        ("the Designated Nurse", "LE"),
        ("Virtual School Head Teacher", "JK"),
        # possessives and punctuation
        ("HN's", "HN"),
        ("(RB)", "RB"),
    ],
)
def test_people(text: str, expected: str) -> None:
    assert owner(text) == Owner("person", expected)


@pytest.mark.parametrize(
    ("text", "series", "expected"),
    [
        ("Chair", "board", "MT"),
        ("the Chair", "board", "MT"),
        ("Vice Chair", "board", "TR"),
        ("vice-chair", "board", "TR"),
        ("Minute taker", "board", "PMw"),
        ("Minute Taker", "board", "PMw"),
        ("Business Manager", "board", "RB"),
        ("the Business Manager", "board", "RB"),
        ("Chair", "exploitation", "TR"),
        ("Chair", "executive", "DA"),
        # a role of another series, named
        ("Executive chair", "board", "DA"),
        ("Board chair", "exploitation", "MT"),
    ],
)
def test_roles_are_their_holders(text: str, series: str, expected: str) -> None:
    assert owner(text, series) == Owner("person", expected)


def test_roles_need_a_series_that_has_them() -> None:
    assert isinstance(resolve_name("Chair", ROSTER, None), Unknown)
    assert isinstance(resolve_name("Minute taker", ROSTER, "exploitation"), Unknown)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Business Unit", Owner("group", "business-unit")),
        ("the Business Unit", Owner("group", "business-unit")),
        ("The Business Unit", Owner("group", "business-unit")),
        ("BU", Owner("group", "business-unit")),
        ("WSCP Business Unit", Owner("group", "business-unit")),
        ("SSCP Business Unit", Owner("group", "business-unit")),
        ("Health colleagues", Owner("group", "health")),
        ("health partners", Owner("group", "health")),
        ("Education colleagues", Owner("group", "education")),
        ("education", Owner("group", "education")),
        ("Police", Owner("agency", "police")),
        ("the police", Owner("agency", "police")),
        ("Police colleagues", Owner("agency", "police")),
        ("the ICB", Owner("agency", "icb")),
        ("Westshire Council", Owner("agency", "council")),
        ("Probation", Owner("agency", "probation")),
        ("All", Owner("all")),
        ("all", Owner("all")),
        ("All partners", Owner("all")),
        ("All Partners", Owner("all")),
        ("all members", Owner("all")),
        ("Partners", Owner("all")),
        ("Agencies", Owner("all")),
        ("everyone", Owner("all")),
    ],
)
def test_groups_agencies_and_everyone(text: str, expected: Owner) -> None:
    assert owner(text) == expected


def test_groups_are_not_people() -> None:
    assert isinstance(resolve_name("Business Unit", ROSTER, "board", people_only=True), Unknown)


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("SM", ("SMa", "SMi")),  # Samir Malik and Sarah Milner
        ("Head of Service", ("KB", "NF")),
    ],
)
def test_ambiguous_names_ask(text: str, candidates: tuple[str, ...]) -> None:
    assert resolve_name(text, ROSTER, "board") == Ambiguous(text, candidates)


def test_ambiguous_initials_and_first_names_with_more_people() -> None:
    assert resolve_name("TW", PLUS, "board") == Ambiguous("TW", ("TWa", "TWi"))
    assert resolve_name("TWa", PLUS, "board") == Resolved(Owner("person", "TWa"), "TWa")
    assert isinstance(resolve_name("Tom", PLUS, "board"), Ambiguous)  # Tom Rees and Tom Wilde
    assert resolve_name("Tom Rees", PLUS, "board") == Resolved(Owner("person", "TR"), "Tom Rees")
    assert resolve_name("June", PLUS, "board") == Resolved(Owner("person", "JH"), "June")


def test_unknown_names_come_with_suggestions() -> None:
    found = resolve_name("Rhian Bowne", ROSTER, "board")
    assert isinstance(found, Unknown) and "RB" in found.suggestions
    assert isinstance(resolve_name("Tom Carver", ROSTER, "board"), Unknown)
    assert isinstance(resolve_name("PMcL", ROSTER, "board"), Unknown)
    assert isinstance(resolve_name("", ROSTER, "board"), Unknown)


def test_attendance_commands_keep_resolving() -> None:
    # the core resolves "present MT LE SMa PMw" and "apologies Tom Rees, Dev Anand" one name at a time
    assert [owner(n, None, people_only=True) for n in ["MT", "LE", "SMa", "PMw"]] == [
        Owner("person", i) for i in ("MT", "LE", "SMa", "PMw")
    ]
    assert [owner(n, None, people_only=True) for n in split_names("Tom Rees, Dev Anand")] == [
        Owner("person", "TR"),
        Owner("person", "DA"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SMa/PMw", ["SMa", "PMw"]),
        ("SMa, BLl and DA", ["SMa", "BLl", "DA"]),
        ("KB & CG", ["KB", "CG"]),
        ("LE/TT/SC", ["LE", "TT", "SC"]),
        ("Tom Rees, Dev Anand", ["Tom Rees", "Dev Anand"]),
        ("  HN  ", ["HN"]),
        # A separator in a bracketed note or a quoted name does not split a person in two.
        ('"Dana Whyte" (Marcia Police, PPU), HN', ['"Dana Whyte" (Marcia Police, PPU)', "HN"]),
        ('"Smith & Jones" (auditors) and KB', ['"Smith & Jones" (auditors)', "KB"]),
    ],
)
def test_split_names(text: str, expected: list[str]) -> None:
    assert split_names(text) == expected


def _resolves(text: str, roster: Roster) -> str | None:
    found = resolve_name(text, roster, "board")
    return found.owner.id if isinstance(found, Resolved) else None


def test_a_roster_keeps_its_own_name_index_and_lets_it_go_with_it() -> None:
    roster = westshire()
    assert _resolves("Imogen Parry", roster) is None
    newcomer = roster.with_person(PersonRef("IP", "Imogen Parry", "council", "Designated Nurse"))
    assert _resolves("Imogen Parry", newcomer) == "IP"  # the copy builds its own index
    assert _resolves("Imogen Parry", roster) is None  # and the original keeps its own
    index = weakref.ref(roster.derived["names"])
    del roster
    gc.collect()
    assert index() is None  # nothing outside the roster held on to it
