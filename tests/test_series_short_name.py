"""How a sentence names a series beside an action's number: an acronym key in capitals, a word capitalised."""

from __future__ import annotations

import pytest

from storage.roster import short_name


@pytest.mark.parametrize(
    ("key", "name", "shown"),
    [
        ("cpog", "Children's Safeguarding and Protection Practice Oversight Group", "CPOG"),
        ("cdop", "Ridgebourne and Marchfield Child Death Overview Panel", "CDOP"),
        ("qa", "Quality Assurance Subgroup", "QA"),
        ("board", "Westshire Safeguarding Children Partnership Board", "Board"),
        ("exec", "Executive Group", "Exec"),
        ("group01", "Sub-group 1", "Group01"),
        ("b", "Board", "B"),  # one letter is no acronym
        ("pog", "Practice Oversight", "Pog"),  # "g" is no word's initial: a word
    ],
)
def test_a_key_of_its_names_initials_is_an_acronym(key: str, name: str, shown: str) -> None:
    assert short_name(key, name) == shown
