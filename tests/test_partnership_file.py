"""Reading and checking partnership files: every problem reported, each with its line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from storage.partnership_file import (
    AgencySpec,
    PartnershipFileError,
    PartnershipSpec,
    Problem,
    QuorumRule,
    parse_partnership,
    read_partnership,
)

WESTSHIRE = Path(__file__).resolve().parent.parent / "examples" / "westshire.yaml"

# A small valid file; tests plant problems by replacing one line, so line numbers stay put.
BASE = """\
id: test-scp
name: Test Partnership
timezone: Europe/London
business_unit: bu
agencies:
  - {id: council, name: Council, statutory: true}
  - {id: police, name: Police, statutory: true}
  - {id: school, name: School}
groups:
  - {id: bu, name: Business Unit, members: [AB]}
people:
  - {name: Ann Bell, initials: AB, agency: council, email: ann@council.example}
  - {name: Carl Dunn, initials: CD, agency: police}
  - {name: Eve Fox, initials: EF, agency: police}
  - {name: Gail Hart, initials: GH, agency: school}
series:
  - id: board
    name: Board
    chair: AB
    members: [AB, CD, GH]
    deputies: {CD: [EF]}
    quorum: all-statutory-agencies
    cadence: monthly
    standing_items: [Welcome, Any other business]
"""


def edit(line: int, new: str, text: str = BASE) -> str:
    """BASE with one line (1-based) replaced; `new` may hold several lines."""
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


def insert(after: int, new: str, text: str = BASE) -> str:
    lines = text.splitlines()
    lines.insert(after, new)
    return "\n".join(lines) + "\n"


def problems(text: str) -> list[Problem]:
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(text, "test.yaml")
    return info.value.problems


def only_problem(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def assert_problem(text: str, line: int, *fragments: str) -> None:
    problem = only_problem(text)
    assert problem.line == line, str(problem)
    for fragment in fragments:
        assert fragment in problem.message, str(problem)


# --- the example file ---------------------------------------------------------------------------


def test_westshire_loads() -> None:
    spec = read_partnership(WESTSHIRE)
    assert isinstance(spec, PartnershipSpec)
    assert (len(spec.agencies), len(spec.groups), len(spec.people), len(spec.series)) == (8, 3, 19, 3)
    assert spec.id == "westshire-scp"
    assert spec.name == "Westshire Safeguarding Children Partnership"
    assert spec.timezone == "Europe/London"
    assert spec.business_unit == "business-unit"
    assert {a.id for a in spec.agencies if a.statutory} == {"council", "icb", "police"}
    assert spec.agencies[0] == AgencySpec(
        "council", "Westshire Council", True, "safeguarding.partnership@westshire.example", line=8
    )


def test_westshire_people_and_groups() -> None:
    spec = read_partnership(WESTSHIRE)
    people = {p.initials: p for p in spec.people}
    assert {"SMa", "SMi", "PMw", "BLl"} <= set(people)
    assert people["SMa"].name == "Samir Malik"
    assert people["SMa"].slack_id == "U07SAMIRM1"
    assert people["LE"].teams_id == "6f1c2a9e-4b7d-4c3e-9a51-0d2f8e7b1c44"
    assert people["HN"].title == "Safeguarding Officer, Education"
    assert people["TR"].email == "tom.rees@marcia-police.example"
    assert people["MT"].line == 21
    groups = {g.id: g for g in spec.groups}
    assert groups["business-unit"].members == ("RB", "OK")
    assert groups["business-unit"].aliases == ("BU", "the Business Unit", "WSCP Business Unit")
    assert groups["health"].agencies == ("icb", "acute", "community")
    assert groups["health"].members == ()


def test_westshire_series() -> None:
    series = {s.id: s for s in read_partnership(WESTSHIRE).series}
    board = series["board"]
    assert (board.chair, board.vice_chair, board.minute_taker, board.business_manager) == (
        "MT",
        "TR",
        "PMw",
        "RB",
    )
    assert len(board.members) == 17
    assert board.deputies == {"TR": ("CG",), "DA": ("BLl",)}
    assert board.quorum == QuorumRule("all-statutory")
    assert board.cadence == "every 2 months on the third Friday"
    assert board.cadence_rule.nth == 3
    assert board.time == "10:00-12:00"
    assert board.place == "Westshire House, Committee Room 2"
    assert board.papers_due == "5 working days before"
    assert board.papers_rule is not None and board.papers_rule.amount == 5
    assert board.escalates_to == ("executive",)
    assert board.standing_items[0] == "Welcome and apologies"
    assert board.standing_items[6] == "What difference did today make for children?"
    assert len(board.standing_items) == 9
    assert board.line == 41

    exploitation = series["exploitation"]
    assert exploitation.quorum == QuorumRule(agencies="all-statutory", min_members=4)
    assert exploitation.vice_chair is None and exploitation.deputies == {}
    assert exploitation.papers_rule is None and exploitation.time is None

    executive = series["executive"]
    assert executive.quorum == QuorumRule(agencies="all-statutory", roles=("chair",))
    assert executive.cadence == "quarterly"


def test_specs_are_frozen() -> None:
    spec = read_partnership(WESTSHIRE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.people[0].initials = "XX"  # type: ignore[misc]  # the point: a frozen field refuses assignment


def test_loading_twice_gives_equal_specs() -> None:
    assert parse_partnership(BASE) == parse_partnership(BASE)


def test_base_file_is_valid() -> None:
    spec = parse_partnership(BASE)
    assert [s.id for s in spec.series] == ["board"]
    assert spec.series[0].quorum == QuorumRule()


# --- required keys ------------------------------------------------------------------------------


def test_missing_partnership_key() -> None:
    assert_problem(edit(3, "# no timezone"), 1, "the partnership has no 'timezone'")


def test_missing_agency_name() -> None:
    assert_problem(edit(8, "  - {id: school}"), 8, "agency school has no 'name'")


def test_empty_required_value() -> None:
    assert_problem(edit(2, "name:"), 2, "partnership name is empty")


def test_group_needs_members_or_agencies() -> None:
    assert_problem(edit(10, "  - {id: bu, name: Business Unit}"), 10, "needs 'members'", "or 'agencies'")


def test_missing_person_agency() -> None:
    assert_problem(edit(13, "  - {name: Carl Dunn, initials: CD}"), 13, "person CD has no 'agency'")


def test_a_series_needs_neither_cadence_nor_standing_items() -> None:
    # An ad hoc group: each date is set with `next meeting`, and its agenda is what is asked for.
    spec = parse_partnership(edit(24, "    # no standing items", edit(23, "    # no cadence")))
    board = spec.series[0]
    assert board.cadence is None and board.cadence_rule is None
    assert board.standing_items == ()


def test_chair_missing() -> None:
    # No chair named: the series has no standing chair, and the business unit runs its meetings.
    board = parse_partnership(edit(19, "    # no chair")).series[0]
    assert (board.chair, board.chair_rotation) == ("", None)
    # Without a business unit either, nobody could run them.
    assert_problem(
        edit(19, "    # no chair", edit(4, "# no business unit")),
        17,
        "series board names no chair and nobody else to run its meetings",
    )
    assert_problem(edit(19, "    chair:"), 19, "chair of series board is empty")


def test_missing_list_of_people() -> None:
    text = BASE.replace("people:", "persons:")
    found = [str(p) for p in problems(text)]
    assert any("unknown key 'persons'" in p for p in found)
    assert any("the partnership has no 'people'" in p for p in found)


# --- unknown keys -------------------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    assert_problem(
        insert(3, "colour: blue"), 4, "unknown key 'colour' in the partnership", "allowed keys: id, name"
    )


def test_unknown_series_key_suggests_the_right_one() -> None:
    assert_problem(
        insert(19, "    vice_char: CD"),
        20,
        "unknown key 'vice_char' in series board",
        "did you mean 'vice_chair'?",
    )


def test_unknown_person_key() -> None:
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: police, emial: carl@police.example}")
    assert_problem(text, 13, "unknown key 'emial' in person CD", "did you mean 'email'?")


def test_duplicate_key_in_a_mapping() -> None:
    assert_problem(
        insert(19, "    chair: CD"), 20, "key 'chair' appears twice in series board (first on line 19)"
    )


# --- values -------------------------------------------------------------------------------------


def test_invalid_timezone() -> None:
    assert_problem(edit(3, "timezone: Europe/Londn"), 3, "unknown timezone 'Europe/Londn'", "Europe/London")
    assert_problem(edit(3, "timezone: Westshire"), 3, "unknown timezone 'Westshire'")


def test_statutory_must_be_a_boolean() -> None:
    assert_problem(
        edit(8, '  - {id: school, name: School, statutory: "true"}'),
        8,
        "statutory of agency school must be true or false",
    )
    assert_problem(edit(8, "  - {id: school, name: School, statutory: maybe}"), 8, "true or false")


def test_strings_are_stripped() -> None:
    spec = parse_partnership(edit(2, 'name: "  Test Partnership  "'))
    assert spec.name == "Test Partnership"
    assert (
        parse_partnership(edit(12, '  - {name: Ann Bell, initials: " AB ", agency: council}'))
        .people[0]
        .initials
        == "AB"
    )


def test_ids_must_be_one_word() -> None:
    assert_problem(edit(17, "  - id: the board"), 17, "id of series the board 'the board' must be one word")


# --- duplicates ---------------------------------------------------------------------------------


def test_duplicate_agency_id() -> None:
    text = insert(8, "  - {id: police, name: Police again}")
    assert_problem(text, 9, "duplicate agency id 'police' (first on line 7)")


def test_duplicate_group_id() -> None:
    assert_problem(
        insert(10, "  - {id: bu, name: Other, members: [CD]}"),
        11,
        "duplicate group id 'bu' (first on line 10)",
    )


def test_duplicate_series_id() -> None:
    second = "\n".join(BASE.splitlines()[16:]).replace("name: Board", "name: Board Two")
    assert_problem(BASE + second + "\n", 25, "duplicate series id 'board' (first on line 17)")


def test_duplicate_initials() -> None:
    text = insert(15, "  - {name: Eve Ford, initials: CD, agency: police}")
    assert_problem(text, 16, "duplicate initials 'CD' (first used on line 13)")


def test_initials_are_case_sensitive() -> None:
    text = edit(
        14,
        "  - {name: Sam Milner, initials: SMi, agency: police}\n"
        "  - {name: Sam Malik, initials: SMa, agency: council}",
    )
    text = text.replace("deputies: {CD: [EF]}", "deputies: {CD: [SMi]}")
    initials = [p.initials for p in parse_partnership(text).people]
    assert initials == ["AB", "CD", "SMi", "SMa", "GH"]


def test_duplicate_email_slack_and_teams_ids() -> None:
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: police, email: Ann@Council.example}")
    assert_problem(text, 13, "email 'Ann@Council.example' of person CD is also used by AB (line 12)")
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: police, slack_id: U1}")
    text = edit(14, "  - {name: Eve Fox, initials: EF, agency: police, slack_id: U1}", text)
    assert_problem(text, 14, "slack_id 'U1' of person EF is also used by CD")
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: police, teams_id: abc-1}")
    text = edit(15, "  - {name: Gail Hart, initials: GH, agency: school, teams_id: abc-1}", text)
    assert_problem(text, 15, "teams_id 'abc-1' of person GH is also used by CD")


# --- initials and YAML 1.1 pitfalls -------------------------------------------------------------


@pytest.mark.parametrize("initials", ["ab", "ABCDEF", "A1", "A-B", "aB"])
def test_initials_shape(initials: str) -> None:
    text = edit(15, f'  - {{name: Gail Hart, initials: "{initials}", agency: school}}').replace(
        "GH]", f"{initials}]"
    )
    found = [p for p in problems(text) if "1 to 5 letters" in p.message]
    assert [p.line for p in found] == [15]


def test_initials_no_read_as_false_get_a_quoting_hint() -> None:
    text = edit(15, "  - {name: Nadia Okafor, initials: NO, agency: school}").replace("GH]", "NO]")
    found = problems(text)
    assert [p.line for p in found] == [15, 20]
    assert "initials of person Nadia Okafor is NO, which YAML reads as false" in found[0].message
    assert 'put it in quotes: "NO"' in found[0].message
    assert 'put it in quotes: "NO"' in found[1].message
    quoted = edit(15, '  - {name: Nadia Okafor, initials: "NO", agency: school}').replace("GH]", '"NO"]')
    assert parse_partnership(quoted).people[3].initials == "NO"


def test_numeric_id_gets_a_quoting_hint() -> None:
    assert_problem(
        edit(17, "  - id: 2024"), 17, "id of series Board is 2024", "the number 2024", 'quotes: "2024"'
    )


def test_unquoted_time_read_as_a_number_is_restored() -> None:
    spec = parse_partnership(insert(23, "    time: 10:00"))
    assert spec.series[0].time == "10:00"
    assert parse_partnership(insert(23, "    time: 9:30")).series[0].time == "09:30"
    assert parse_partnership(insert(23, '    time: "10:00-12:00"')).series[0].time == "10:00-12:00"
    assert parse_partnership(insert(23, "    time: 14:00-15:30")).series[0].time == "14:00-15:30"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("25:00", "not a time of day"),
        ("10am", "must be HH:MM or HH:MM-HH:MM"),
        ('"12:00-10:00"', "ends before it starts"),
        ("1:00:00", 'put it in quotes: "1:00:00"'),
    ],
)
def test_bad_time(value: str, fragment: str) -> None:
    assert_problem(insert(23, f"    time: {value}"), 24, "time of series board", fragment)


def test_email_shape() -> None:
    text = edit(12, "  - {name: Ann Bell, initials: AB, agency: council, email: ann.council.example}")
    assert_problem(text, 12, "email of person AB 'ann.council.example' is not an e-mail address")
    assert_problem(
        edit(8, "  - {id: school, name: School, contact: office@}"),
        8,
        "contact of agency school",
        "not an e-mail address",
    )


# --- references ---------------------------------------------------------------------------------


def test_unknown_agency_for_a_person() -> None:
    problem = only_problem(edit(13, "  - {name: Carl Dunn, initials: CD, agency: polce}"))
    assert str(problem) == "line 13: unknown agency 'polce' for person CD (known: council, police, school)"


def test_unknown_agency_for_a_group() -> None:
    assert_problem(
        insert(10, "  - {id: health, name: Health, agencies: [icb]}"),
        11,
        "unknown agency 'icb' for group health",
    )


def test_unknown_initials_in_group_members() -> None:
    assert_problem(
        edit(10, "  - {id: bu, name: Business Unit, members: [AB, XY]}"),
        10,
        "unknown initials 'XY' in members of group bu",
    )


@pytest.mark.parametrize("role", ["vice_chair", "minute_taker", "business_manager"])
def test_unknown_initials_in_series_roles(role: str) -> None:
    assert_problem(
        insert(19, f"    {role}: Ab"),
        20,
        f"unknown initials 'Ab' for {role} of series board",
        "did you mean 'AB'?",
    )


def test_unknown_chair() -> None:
    assert_problem(edit(19, "    chair: ZZ"), 19, "unknown initials 'ZZ' for chair of series board")


def test_unknown_initials_in_series_members_and_deputies() -> None:
    assert_problem(
        edit(20, "    members: [AB, CD, GH, QQ]"), 20, "unknown initials 'QQ' in members of series board"
    )
    found = problems(edit(21, "    deputies: {CD: [EF, XX], ZZ: [EF]}"))
    # ZZ is reported as unknown, not also as "not a member"
    assert [(p.line, p.message) for p in found] == [
        (21, "unknown initials 'XX' in deputies of series board"),
        (21, "unknown initials 'ZZ' in deputies of series board"),
    ]


def test_deputy_of_someone_not_a_member() -> None:
    assert_problem(
        edit(21, "    deputies: {EF: [CD]}"), 21, "EF has deputies in series board but is not a member of it"
    )


def test_deputies_of_a_role_holder_not_listed_in_members_are_fine() -> None:
    text = insert(19, "    vice_chair: EF").replace("deputies: {CD: [EF]}", "deputies: {EF: [CD]}")
    assert parse_partnership(text).series[0].deputies == {"EF": ("CD",)}


def test_deputy_cannot_stand_in_for_themselves() -> None:
    assert_problem(edit(21, "    deputies: {CD: CD}"), 21, "CD cannot deputise for themselves")


def test_business_unit_names_an_unknown_group() -> None:
    assert_problem(
        edit(4, "business_unit: business-unit"),
        4,
        "unknown group 'business-unit' for business_unit (known: bu)",
    )


def test_escalates_to_an_unknown_series() -> None:
    assert_problem(
        insert(23, "    escalates_to: exec"), 24, "unknown series 'exec' for escalates_to of series board"
    )


def test_escalation_to_itself_and_in_a_circle() -> None:
    assert_problem(insert(23, "    escalates_to: board"), 24, "series board escalates to itself")
    second = "\n".join(BASE.splitlines()[16:]).replace("id: board", "id: exec")
    text = (
        insert(23, "    escalates_to: exec")
        + second.replace("cadence:", "escalates_to: board\n    cadence:")
        + "\n"
    )
    assert_problem(text, 24, "escalation goes round in a circle: board → exec → board")


# --- quorum -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quorum", "expected"),
    [
        ("all-statutory-agencies", QuorumRule("all-statutory")),
        ("{agencies: all-statutory, min_members: 2}", QuorumRule("all-statutory", 2)),
        ("{agencies: [council, police]}", QuorumRule(("council", "police"))),
        ("{min_members: 3}", QuorumRule(None, 3)),
        ("{roles: [chair, vice_chair]}", QuorumRule(None, None, ("chair", "vice_chair"))),
        ("{agencies: all-statutory, roles: [chair]}", QuorumRule("all-statutory", None, ("chair",))),
    ],
)
def test_valid_quorum_rules(quorum: str, expected: QuorumRule) -> None:
    assert parse_partnership(edit(22, f"    quorum: {quorum}")).series[0].quorum == expected


@pytest.mark.parametrize(
    ("quorum", "fragment"),
    [
        ("two thirds", "'two thirds' is not a quorum rule"),
        ("{}", "has no conditions"),
        ("{agencies: all-statutory, members: 3}", "unknown key 'members' in quorum of series board"),
        ("{min_members: 0}", "min_members of quorum of series board must be a whole number of at least 1"),
        ("{min_members: four}", "must be a whole number"),
        ("{min_members: true}", "must be a whole number"),
        ("{roles: [secretary]}", "role 'secretary' in quorum of series board must be chair or vice_chair"),
        ("{agencies: [council, icb]}", "unknown agency 'icb' in quorum of series board"),
        ("{min_members: 4}", "min_members 4 is more than its 3 members"),
        ("{roles: [vice_chair]}", "needs the vice_chair, but the series has none"),
    ],
)
def test_invalid_quorum(quorum: str, fragment: str) -> None:
    assert_problem(edit(22, f"    quorum: {quorum}"), 22, fragment)


def test_all_statutory_quorum_without_statutory_agencies() -> None:
    text = BASE.replace(", statutory: true", "")
    assert_problem(text, 22, "needs every statutory agency, but no agency is marked statutory: true")


def test_quorum_that_no_member_can_meet() -> None:
    text = edit(20, "    members: [AB, GH]").replace("deputies: {CD: [EF]}", "deputies: {}")
    assert_problem(
        text, 22, "quorum of series board can never be met: no member of the series is from agency police"
    )


def test_quorum_describe() -> None:
    assert QuorumRule().describe() == "every statutory agency represented"
    assert (
        QuorumRule("all-statutory", 4).describe()
        == "every statutory agency represented, at least 4 members present"
    )
    assert QuorumRule(("council", "icb", "police")).describe() == "council, icb and police each represented"
    assert QuorumRule(("police",), 1).describe() == "police represented, at least 1 member present"
    assert QuorumRule(None, None, ("chair", "vice_chair")).describe() == "the chair or vice-chair present"
    assert QuorumRule(None).describe() == "no quorum rule"


# --- cadence, papers, standing items ------------------------------------------------------------


def test_invalid_cadence() -> None:
    assert_problem(
        edit(23, "    cadence: every now and then"),
        23,
        "series board: cannot read cadence 'every now and then'",
    )


def test_invalid_papers_due() -> None:
    assert_problem(
        insert(23, "    papers_due: 5 working days after"),
        24,
        "cannot read papers_due '5 working days after'",
    )


def test_standing_items_must_be_text() -> None:
    text = edit(24, "    standing_items:\n      - Welcome\n      - Matters arising: previous minutes")
    assert_problem(text, 26, "an item of standing_items of series board reads as a mapping", "quotes")
    assert_problem(
        edit(24, "    standing_items: {Welcome: 1}"), 24, "standing_items of series board must be a list"
    )


def test_standing_items_keep_yaml_words_as_written() -> None:
    spec = parse_partnership(edit(24, "    standing_items: [Welcome, Yes, 2024]"))
    assert spec.series[0].standing_items == ("Welcome", "Yes", "2024")


# --- several problems, syntax errors, the error itself -----------------------------------------


def test_every_problem_is_reported_with_its_line() -> None:
    text = BASE
    text = edit(3, "timezone: Mars/Olympus", text)
    text = edit(8, "  - {id: school, name: School, statutory: sometimes}", text)
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: polce}", text)
    text = edit(19, "    chair: Zz", text)
    text = edit(23, "    cadence: whenever", text)
    found = problems(text)
    assert [p.line for p in found] == [3, 8, 13, 19, 23]
    assert "unknown timezone 'Mars/Olympus'" in found[0].message
    assert "statutory of agency school must be true or false" in found[1].message
    assert "unknown agency 'polce' for person CD" in found[2].message
    assert "unknown initials 'Zz' for chair of series board" in found[3].message
    assert "cannot read cadence 'whenever'" in found[4].message


def test_problems_are_in_line_order_even_when_found_late() -> None:
    # a reference problem (found after all entities are read) comes before a later structural one
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: polce}")
    text = edit(24, "    standing_items: {Welcome: 1}", text)
    assert [p.line for p in problems(text)] == [13, 24]


def test_yaml_syntax_error_gives_its_line() -> None:
    problem = only_problem(edit(10, "  - {id: bu, name: Business Unit, members: [AB}"))
    assert problem.line == 10
    assert problem.message.startswith("YAML syntax error:")
    problem = only_problem(edit(18, "    name: Board\n   chair: AB"))
    assert problem.line == 19


def test_tab_indentation_is_a_syntax_error() -> None:
    assert only_problem(edit(18, "\tname: Board")).line == 18


def test_empty_file_and_non_mapping() -> None:
    assert "the file is empty" in only_problem("").message
    assert_problem("- just\n- a list\n", 1, "the partnership must be a mapping")


def test_error_message_lists_every_problem_with_the_file_name() -> None:
    text = edit(13, "  - {name: Carl Dunn, initials: CD, agency: polce}", edit(3, "timezone: Nowhere"))
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(text, "westshire.yaml")
    assert info.value.source == "westshire.yaml"
    lines = str(info.value).splitlines()
    assert lines[0] == "westshire.yaml: 2 problems"
    assert lines[1].strip().startswith("line 3: unknown timezone 'Nowhere'")
    assert (
        lines[2].strip() == "line 13: unknown agency 'polce' for person CD (known: council, police, school)"
    )


def test_problem_str() -> None:
    assert str(Problem(12, "unknown agency 'polce'")) == "line 12: unknown agency 'polce'"
    assert str(Problem(None, "cannot read the file")) == "cannot read the file"


def test_read_partnership_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PartnershipFileError) as info:
        read_partnership(tmp_path / "nowhere.yaml")
    assert "cannot read the file" in str(info.value)


def test_read_partnership_reports_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(edit(3, "timezone: Nowhere"), encoding="utf-8")
    with pytest.raises(PartnershipFileError) as info:
        read_partnership(path)
    assert info.value.source == str(path)
    assert [p.line for p in info.value.problems] == [3]


def test_yaml_merge_keys_work() -> None:
    text = BASE + (
        "  - &defaults\n"
        "    id: sub\n"
        "    name: Sub-group\n"
        "    chair: CD\n"
        "    members: [AB, CD]\n"
        "    quorum: {min_members: 2}\n"
        "    cadence: quarterly\n"
        "    standing_items: [Welcome]\n"
        "  - <<: *defaults\n"
        "    id: sub2\n"
        "    name: Second sub-group\n"
    )
    spec = parse_partnership(text)
    assert [(s.id, s.name, s.chair) for s in spec.series] == [
        ("board", "Board", "AB"),
        ("sub", "Sub-group", "CD"),
        ("sub2", "Second sub-group", "CD"),
    ]


def test_observers_of_a_series() -> None:
    spec = parse_partnership(insert(21, "    observers: [EF]"))
    assert spec.series[0].observers == ("EF",)
    assert parse_partnership(BASE).series[0].observers == ()
    assert_problem(insert(21, "    observers: [CD]"), 22, "CD is both a member", "observer of series board")
    assert_problem(insert(21, "    observers: [ZZ]"), 22, "unknown initials 'ZZ' in observers of series")


def test_no_quorum_rule_and_a_partnership_wide_default() -> None:
    assert parse_partnership(edit(22, "    quorum: none")).series[0].quorum == QuorumRule(agencies=None)
    assert QuorumRule(agencies=None).describe() == "no quorum rule"
    # a series without quorum takes the partnership's; one with its own keeps it
    text = insert(4, "quorum: {agencies: [council]}", edit(22, "    quorum: none"))
    assert parse_partnership(text).series[0].quorum == QuorumRule(agencies=None)
    text = insert(4, "quorum: {agencies: [council]}", edit(22, "    # no quorum of its own"))
    assert parse_partnership(text).series[0].quorum == QuorumRule(agencies=("council",))
    assert_problem(insert(4, "quorum: most"), 5, "quorum of the partnership 'most' is not a quorum rule")
    # neither: refused, as before
    assert_problem(
        edit(22, "    # no quorum of its own"), 17, "series board has no 'quorum'", "partnership-wide"
    )


def test_the_default_quorum_is_checked_for_each_series() -> None:
    text = insert(4, "quorum: {min_members: 5}", edit(22, "    # no quorum of its own"))
    assert_problem(text, 18, "quorum of series board can never be met: min_members 5")


def test_cadence_as_the_documents_write_it() -> None:
    assert parse_partnership(edit(23, "    cadence: as required")).series[0].cadence is None
    spec = parse_partnership(edit(23, "    cadence: monthly and when required"))
    assert spec.series[0].cadence == "monthly and when required"
    assert_problem(edit(23, "    cadence: now and then"), 23, "three times a year", "as required")


def test_several_escalation_routes() -> None:
    second = "\n".join(BASE.splitlines()[16:]).replace("id: board", "id: exec")
    third = "\n".join(BASE.splitlines()[16:]).replace("id: board", "id: chiefs")
    spec = parse_partnership(insert(23, "    escalates_to: [exec, chiefs]") + second + "\n" + third + "\n")
    assert spec.series[0].escalates_to == ("exec", "chiefs")
    assert spec.series[1].escalates_to == ()
    # a circle through the second route is still found
    text = (
        insert(23, "    escalates_to: [exec, chiefs]")
        + second
        + "\n"
        + third.replace("cadence:", "escalates_to: board\n    cadence:")
        + "\n"
    )
    assert_problem(text, 24, "escalation goes round in a circle: board → chiefs → board")


# --- who answers for a group or an agency ---------------------------------------------------------------


def test_group_leads_and_agency_lead_are_read() -> None:
    text = edit(10, "  - {id: bu, name: Business Unit, members: [AB, CD], leads: [CD]}")
    text = edit(7, "  - {id: police, name: Police, statutory: true, lead: EF}", text)
    spec = parse_partnership(text, "test.yaml")
    assert spec.groups[0].leads == ("CD",)
    assert next(a for a in spec.agencies if a.id == "police").lead == "EF"
    assert next(a for a in spec.agencies if a.id == "council").lead is None


def test_a_group_lead_must_be_a_member() -> None:
    assert_problem(
        edit(10, "  - {id: bu, name: Business Unit, members: [AB], leads: [GH]}"),
        10,
        "GH is in leads of group bu but is not one of its members",
    )


def test_a_group_lead_by_agency_is_a_member() -> None:
    spec = parse_partnership(
        insert(10, "  - {id: cops, name: Police colleagues, agencies: [police], leads: [EF]}"), "test.yaml"
    )
    assert spec.groups[1].leads == ("EF",)


def test_unknown_initials_in_group_leads() -> None:
    assert_problem(
        edit(10, "  - {id: bu, name: Business Unit, members: [AB], leads: [ZZ]}"),
        10,
        "unknown initials 'ZZ' in leads of group bu",
    )


def test_an_agency_lead_must_be_one_of_its_people() -> None:
    assert_problem(
        edit(7, "  - {id: police, name: Police, statutory: true, lead: AB}"),
        7,
        "lead of agency police is AB, who is of council, not police",
    )
