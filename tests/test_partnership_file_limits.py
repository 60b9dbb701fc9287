"""A partnership file is bounded: its size, each value's length, the characters it may hold, what its
aliases stand for, and names that only look alike. Each refusal names the line and loads nothing.

The big inputs are made in memory or as sparse files, so these tests stay fast; none asserts a time.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from conftest import EXAMPLE
from sqlalchemy import func, select

from bot.cli import main
from storage.db import make_engine
from storage.models import AuditEvent, Partnership, Person
from storage.partnership_file import PartnershipFileError, parse_partnership, read_partnership
from storage.partnership_limits import (
    MAX_EMAIL,
    MAX_FILE_BYTES,
    MAX_ID,
    MAX_ITEM,
    MAX_NAME,
    MAX_PREAMBLE,
    MAX_URL,
)

WESTSHIRE = EXAMPLE.read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def load(database_url: str, path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--database", database_url, "load", str(path)], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def stored(database_url: str) -> tuple[int, int, int]:
    """Partnerships, people and audit events in the database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(select(func.count()).select_from(Partnership)) or 0,
                conn.scalar(select(func.count()).select_from(Person)) or 0,
                conn.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            )
    finally:
        engine.dispose()


def refused(text: str) -> list[str]:
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership(text, "westshire.yaml")
    return [str(p) for p in caught.value.problems]


# --- size ---------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(database_url: str, tmp_path: Path) -> None:
    """50 MB of NULs, as a sparse file: read at all, it would be refused for its NULs instead."""
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:
        fh.truncate(50_000_000)
    code, _, err = load(database_url, huge)
    assert code == 1
    assert "the file is 50,000,000 bytes: a partnership file may be at most 1,000,000 bytes" in err
    assert "NUL" not in err
    assert "Nothing was loaded" in err
    assert stored(database_url) == (0, 0, 0)


def test_text_over_the_size_limit_is_refused_and_a_file_just_under_loads(tmp_path: Path) -> None:
    # Counted in bytes: a text of fewer characters than the limit, but more bytes, is over it.
    over = WESTSHIRE + "# " + "é" * (MAX_FILE_BYTES // 2) + "\n"
    assert len(over) < MAX_FILE_BYTES < len(over.encode())
    assert "a partnership file may be at most 1,000,000 bytes" in refused(over)[0]
    under = tmp_path / "under.yaml"
    padding = MAX_FILE_BYTES - len(WESTSHIRE.encode()) - 10
    under.write_text(WESTSHIRE + "# " + "x" * padding + "\n", encoding="utf-8")
    assert MAX_FILE_BYTES - 100 < under.stat().st_size <= MAX_FILE_BYTES
    assert read_partnership(under).id == "westshire-scp"


def test_the_examples_and_fixtures_are_well_under_the_size_limit() -> None:
    root = EXAMPLE.parent.parent
    files = [*root.glob("examples/*.yaml"), *root.glob("tests/fixtures/**/*.yaml")]
    assert len(files) >= 7
    assert all(path.stat().st_size < MAX_FILE_BYTES // 20 for path in files)


# --- lengths --------------------------------------------------------------------------------------------

LONG_VALUES = [
    # (what the message names, the text as written, what replaces it, the limit)
    ("name of person TR", "name: Tom Rees", "name: " + "T" * (MAX_NAME + 1), MAX_NAME),
    (
        "title of person TR",
        "title: Detective Superintendent",
        "title: " + "D" * (MAX_NAME + 5),
        MAX_NAME,
    ),
    (
        "email of person TR",
        "email: tom.rees@marcia-police.example",
        "email: " + "t" * MAX_EMAIL + "@marcia-police.example",
        MAX_EMAIL,
    ),
    (
        "an item of standing_items of series board",
        "      - Risk register\n",
        "      - Risk " + "r" * MAX_ITEM + "\n",
        MAX_ITEM,
    ),
    (
        "name of agency council",
        "name: Westshire Council,",
        "name: " + "W" * (MAX_NAME + 1) + ",",
        MAX_NAME,
    ),
    (
        "place of series board",
        "place: Westshire House, Committee Room 2",
        "place: " + "p" * (MAX_ITEM + 1),
        MAX_ITEM,
    ),
    ("id of agency", "{id: yjs,", "{id: " + "y" * (MAX_ID + 1) + ",", MAX_ID),
    (
        "an item of members of series exploitation",
        "members: [TR, CG, KB",
        "members: [" + "T" * (MAX_ID + 1) + ", CG, KB",
        MAX_ID,
    ),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "limit"),
    LONG_VALUES,
    ids=[v[0].split(" of ")[-1] + ":" + v[0].split()[0] for v in LONG_VALUES],
)
def test_a_value_over_its_length_is_refused_with_its_line(what: str, old: str, new: str, limit: int) -> None:
    assert old in WESTSHIRE
    text = WESTSHIRE.replace(old, new, 1)
    line = line_of(text, new)
    long = [p for p in refused(text) if "characters long" in p]
    assert len(long) == 1, long
    assert long[0].startswith(f"line {line}: ")
    assert what in long[0]
    assert f"the most is {limit:,}" in long[0]
    assert "r" * 100 not in long[0] and "T" * 100 not in long[0]  # the value itself is not echoed


def test_long_urls_and_preambles_are_refused_and_the_limits_leave_room() -> None:
    board = "    escalates_to: executive\n"
    ok_url = "https://westshire.example/" + "t" * (MAX_URL - 30)
    ok = WESTSHIRE.replace(
        board, board + f"    terms_of_reference: {ok_url}\n    minutes_preamble: {'m' * MAX_PREAMBLE}\n", 1
    )
    spec = parse_partnership(ok)
    assert spec.series[0].terms_of_reference == ok_url
    too_long_url = ok_url + "x" * 30
    text = WESTSHIRE.replace(
        board,
        board + f"    terms_of_reference: {too_long_url}\n    minutes_preamble: {'m' * (MAX_PREAMBLE + 1)}\n",
        1,
    )
    problems = refused(text)
    url_line = line_of(text, "terms_of_reference:")
    assert f"line {url_line}: terms_of_reference of series board is {len(too_long_url):,} characters" in (
        "\n".join(problems)
    )
    assert f"line {url_line + 1}: minutes_preamble of series board is 4,001 characters" in "\n".join(problems)


def test_a_huge_standing_item_is_refused_and_nothing_is_loaded(database_url: str, tmp_path: Path) -> None:
    """The probe's 50 MB standing item, within the size limit: 900 kB of it."""
    path = tmp_path / "westshire.yaml"
    text = WESTSHIRE.replace("      - Risk register\n", "      - Risk " + "r" * 900_000 + "\n", 1)
    path.write_text(text, encoding="utf-8")
    code, _, err = load(database_url, path)
    assert code == 1
    assert f"line {line_of(text, 'Risk rrr')}: an item of standing_items of series board is 900,005" in err
    assert len(err) < 2000
    assert stored(database_url) == (0, 0, 0)


# --- characters -------------------------------------------------------------------------------------------


def test_a_nul_character_is_reported_by_its_line_and_nothing_is_loaded(
    database_url: str, tmp_path: Path
) -> None:
    text = WESTSHIRE.replace("Tom Rees", "Tom\0Rees", 1).replace("Risk register", "Risk\0register", 1)
    path = tmp_path / "westshire.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = load(database_url, path)
    assert code == 1
    tom, risk = line_of(text, "Tom\0Rees"), line_of(text, "Risk\0")
    assert f"line {tom}: a NUL character (U+0000) cannot be in a partnership file: remove it" in err
    assert f"line {risk}: a NUL character (U+0000)" in err
    assert "\0" not in err
    assert stored(database_url) == (0, 0, 0)
    escape = WESTSHIRE.replace("Tom Rees", "Tom\x1bRees", 1)
    assert refused(escape) == [
        f"line {tom}: the character U+001B control character cannot be in a partnership file: remove it"
    ]


def test_an_invisible_character_in_a_name_loads_with_a_warning_by_line(
    database_url: str, tmp_path: Path
) -> None:
    text = WESTSHIRE.replace("name: Kieran Blake", "name: Kieran\u200b Blake", 1).replace(
        "name: Marcia Youth Justice Service", "name: Marcia Youth\u202e Justice Service", 1
    )
    path = tmp_path / "westshire.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = load(database_url, path)
    assert code == 0
    kieran, yjs = line_of(text, "Kieran\u200b"), line_of(text, "Marcia Youth\u202e")
    assert f"line {kieran}: warning: the name 'Kieran\\u200b Blake' of person KB holds invisible" in err
    assert "U+200B ZERO WIDTH SPACE" in err
    assert f"line {yjs}: warning: the name 'Marcia Youth\\u202e Justice Service' of agency yjs" in err
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in err
    assert stored(database_url)[0] == 1
    # The same file again changes nothing, and warns again.
    code, out, again = load(database_url, path)
    assert code == 0 and "nothing changed" in out and "U+200B" in again


@pytest.mark.parametrize(
    ("kind", "original", "copy"),
    [
        ("person", "  - {name: Nadia Frost, initials: NF,", "  - {name: Tom\u2066 Rees, initials: TRs,"),
        ("person", "  - {name: Nadia Frost, initials: NF,", "  - {name: \ufefftom rees, initials: TRs,"),
        (
            "agency",
            "  - {id: probation, name: Probation Service}",
            "  - {id: probation, name: Marcia\u200d Police}",
        ),
        (
            "series",
            "    name: Tackling Exploitation Group",
            "    name: Children's Safeguarding Partnership\u200b Board",
        ),
    ],
)
def test_two_names_that_differ_only_by_invisible_characters_are_refused(
    kind: str, original: str, copy: str
) -> None:
    assert original in WESTSHIRE
    text = WESTSHIRE.replace(original, copy, 1)
    problems = [p for p in refused(text) if "only by invisible characters" in p]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"line {line_of(text, copy)}: the name ")
    assert f"of {kind} " in problems[0]


def test_initials_and_ids_may_hold_no_invisible_character() -> None:
    text = WESTSHIRE.replace("initials: NF,", "initials: TR\u200b,", 1).replace(
        "members: [TR, CG, KB", "members: [TR\u200c, CG, KB", 1
    )
    problems = refused(text)
    initials_line, member_line = line_of(text, "TR\u200b"), line_of(text, "TR\u200c")
    assert any(
        p.startswith(f"line {initials_line}: initials of person") and "U+200B ZERO WIDTH SPACE" in p
        for p in problems
    ), problems
    assert any(
        p.startswith(f"line {member_line}: an item of members of series exploitation") and "U+200C" in p
        for p in problems
    ), problems


# --- aliases ----------------------------------------------------------------------------------------------


def test_a_billion_laughs_is_refused_without_being_expanded() -> None:
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    text = 'l0: &l0 "lol"\n' + levels + WESTSHIRE.split("\n", 2)[2]
    problems = refused(text)
    assert len(problems) == 1
    assert "aliases (*name) here make the file more than 1,000,000 characters" in problems[0]
    assert problems[0].startswith("line 7: ")  # the first level whose expansion is too large


def test_aliases_that_multiply_a_long_standing_item_are_refused(database_url: str, tmp_path: Path) -> None:
    item = "Risk " + "r" * (MAX_ITEM - 10)
    many = ", ".join(["*item"] * 5000)  # 30 kB written, 1.5 million characters meant
    text = WESTSHIRE.replace(
        "    standing_items: [Welcome and apologies, Action tracker, Any other business]",
        f"    standing_items: [&item {item}, {many}]",
        1,
    )
    path = tmp_path / "westshire.yaml"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size < 50_000
    code, _, err = load(database_url, path)
    assert code == 1
    assert f"line {line_of(text, '&item')}: aliases (*name) here make the file more than" in err
    assert stored(database_url) == (0, 0, 0)


def test_an_alias_inside_its_own_anchor_and_deep_nesting_are_refused() -> None:
    recursive = WESTSHIRE.replace("    place: Westshire House", "    place: &p [*p]\n    x: Westshire", 1)
    (problem,) = refused(recursive)
    assert problem == (
        f"line {line_of(recursive, '&p')}: an alias (*name) refers to the anchor (&name) it is inside of: "
        "a value cannot contain itself"
    )
    (deep,) = refused("[" * 100_000)  # libyaml has a depth limit; PyYAML's own reader recurses
    assert "nests lists or mappings too deeply" in deep or "exceeded maximum nesting depth" in deep


def test_aliases_for_sharing_a_value_still_load() -> None:
    text = WESTSHIRE.replace(
        "    standing_items: [Welcome and apologies, Action tracker, Any other business]",
        "    standing_items: [&welcome Welcome and apologies, Action tracker, Any other business]",
        1,
    ).replace(
        "    standing_items: [Welcome and apologies, Matters escalated",
        "    standing_items: [*welcome, Matters escalated",
        1,
    )
    spec = parse_partnership(text)
    assert spec.series[2].standing_items[0] == "Welcome and apologies"


def test_a_file_of_nothing_but_mistakes_is_not_printed_whole() -> None:
    text = WESTSHIRE.replace(
        "members: [TR, CG, KB", "members: [" + ", ".join(f"X{i}" for i in range(3000)), 1
    )
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership(text)
    assert len(caught.value.problems) >= 3000
    message = str(caught.value)
    assert message.count("\n") == 101
    assert message.endswith("more")


def test_serve_logs_the_warnings_of_the_files_it_loads(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "westshire.yaml"
    path.write_text(WESTSHIRE.replace("name: Kieran Blake", "name: Kieran\u200b Blake", 1), encoding="utf-8")
    config = tmp_path / "app.yaml"
    config.write_text(f"partnerships: [{path}]\n", encoding="utf-8")
    out = io.StringIO()
    with caplog.at_level(logging.WARNING, logger="partnerbot.serve"):
        code = main(
            ["--config", str(config), "--database", database_url, "serve", "--sweeps", "1"], stdout=out
        )
    assert code == 0, out.getvalue()
    (line,) = [r.getMessage() for r in caplog.records if "invisible" in r.getMessage()]
    assert line.startswith(f"partnership westshire-scp: line {line_of(path.read_text(), 'Kieran')}: warning:")
    assert stored(database_url)[0] == 1
