"""Turn the names people type into people, groups, agencies or everyone.

One name at a time: initials (case-sensitive where that disambiguates), full
names, unique first names or surnames, job titles held by one person,
@-mentions and platform ids, the roles of a series, groups by name or alias,
agencies, and "all". Anything that is not exactly one match comes back as a
question (Ambiguous) or Unknown with suggestions: never a silent guess.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from handlers.roster import Roster

ROLE_WORDS = {
    "chair": "chair",
    "chairperson": "chair",
    "chairman": "chair",
    "the chair": "chair",
    "vice chair": "vice_chair",
    "vice-chair": "vice_chair",
    "deputy chair": "vice_chair",
    "the vice chair": "vice_chair",
    "the vice-chair": "vice_chair",
    "minute taker": "minute_taker",
    "minutes taker": "minute_taker",
    "note taker": "minute_taker",
    "the minute taker": "minute_taker",
    "minute-taker": "minute_taker",
    "business manager": "business_manager",
    "the business manager": "business_manager",
    "partnership business manager": "business_manager",
}

EVERYONE_WORDS = {
    "all", "all partners", "all members", "everyone", "everybody", "partners", "all agencies", "agencies",
    "partner agencies", "all partner agencies", "each agency", "every agency", "each partner",
    "all board members", "board members", "all group members", "group members", "members", "the group",
    "the board", "all colleagues", "all present", "all attendees", "attendees", "all partners present",
    "all members present", "all reps", "all representatives",
}

# Words that follow an agency or group without changing who is meant ("Police colleagues").
_COLLECTIVE_TAIL = re.compile(r"\s+(?:colleagues|partners|team|teams|reps|representatives?|leads?)$")
_HONORIFIC = re.compile(r"^(?:dr|mr|mrs|ms|miss|mx|prof|professor|cllr|councillor)\.?\s+", re.IGNORECASE)
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$|^<at>(.+)</at>$")
_SPLIT = re.compile(r"\s*(?:/|,|&|\band\b|\+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Owner:
    """Who owns an action: kind is person | group | agency | all; id is initials or a group/agency id."""

    kind: str
    id: str | None = None

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind} if self.kind == "all" else {"kind": self.kind, "id": self.id or ""}


@dataclass(frozen=True)
class Resolved:
    owner: Owner
    text: str


@dataclass(frozen=True)
class Ambiguous:
    text: str
    candidates: tuple[str, ...]  # initials


@dataclass(frozen=True)
class Unknown:
    text: str
    suggestions: tuple[str, ...] = ()  # initials


NameResult = Resolved | Ambiguous | Unknown


def split_names(text: str) -> list[str]:
    """'SMa/PMw', 'SMa, BLl and DA' -> the separate names, stripped."""
    return [p.strip() for p in _SPLIT.split(text.strip()) if p and p.strip()]


def _capital_letters(initials: str) -> str:
    return "".join(c for c in initials if c.isupper())


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip(".").strip()).replace("’", "'").lower()


def _role(low: str, roster: Roster, series: str | None, acronym: bool = False) -> str | None:
    """Initials of whoever holds a role: "Chair" in the series, or "Executive chair" in the one named."""
    if low in ROLE_WORDS:
        if series and series in roster.series:
            return roster.series[series].role_holder(ROLE_WORDS[low])
        return None
    head, _, role = low.removeprefix("the ").partition(" ")
    role = role.removeprefix("the ")
    if role in ROLE_WORDS:
        named = next((s for s in roster.series.values() if head in (s.id.lower(), _norm(s.name))), None)
        if named:
            return named.role_holder(ROLE_WORDS[role])
        # "LSCP Business Manager", "Partnership Chair": this series' role under the partnership's name
        if series and series in roster.series and (head in ("partnership", "safeguarding") or acronym):
            return roster.series[series].role_holder(ROLE_WORDS[role])
    return None


def _group_or_agency(low: str, roster: Roster) -> Owner | None:
    bare = low.removeprefix("the ")
    for g in roster.groups.values():
        names = {_norm(g.name), _norm(g.id), *(_norm(a) for a in g.aliases)}
        if low in names or bare in names:
            return Owner("group", g.id)
    for a in roster.agencies.values():
        if bare in (_norm(a.id), _norm(a.name), _norm(a.name).removeprefix("the ")):
            return Owner("agency", a.id)
    # Part of one agency's name, two words or more: "Youth Justice" for "Marcia Youth Justice Service".
    if len(bare.split()) >= 2:
        partial = [a.id for a in roster.agencies.values() if f" {bare} " in f" {_norm(a.name)} "]
        if len(partial) == 1:
            return Owner("agency", partial[0])
    return None


def _group_by_suffix(raw: str, roster: Roster) -> Owner | None:
    """"SSCP Business Unit": a known group name of two or more words after an acronym."""
    words = raw.split()
    if len(words) < 3 or not re.fullmatch(r"[A-Z&]{2,6}", words[0].removeprefix("the")):
        return None
    return _group_or_agency(_norm(" ".join(words[1:])), roster)


def _by_title(low: str, roster: Roster) -> list[str]:
    """People whose job title is this phrase, or starts with it ("the Designated Nurse")."""
    bare = low.removeprefix("the ")
    if len(bare.split()) < 2:
        return []
    found = []
    for p in roster.people.values():
        title = _norm(p.title or "")
        if title and (title == bare or title.startswith(bare + " ")):
            found.append(p.initials)
    return found


def resolve_name(
    text: str,
    roster: Roster,
    series: str | None = None,
    *,
    people_only: bool = False,
) -> NameResult:
    """Resolve one typed name. `series` lets roles ("Chair") resolve to their holder."""
    raw = text.strip().strip(".:;,()")
    if not raw:
        return Unknown(text)
    people = roster.people

    mention = _MENTION.match(raw)
    if mention:
        raw = (mention.group(1) or mention.group(2) or "").strip()
    if raw.startswith("@"):
        raw = raw[1:].strip()
    raw = re.sub(r"['’]s$", "", raw)  # "HN's team" is still HN's

    # Exact initials are the commonest and must win over everything else.
    if raw in people:
        return Resolved(Owner("person", raw), text)
    for p in people.values():
        if raw in (p.slack_id, p.teams_id) or (p.email and raw.lower() == p.email.lower()):
            return Resolved(Owner("person", p.initials), text)

    low = _norm(raw)
    holder = _role(low, roster, series, acronym=bool(re.match(r"(?:the\s+)?[A-Z&]{2,6}\s", raw)))
    if holder:
        return Resolved(Owner("person", holder), text)

    if not people_only:
        if low in EVERYONE_WORDS:
            return Resolved(Owner("all"), text)
        owner = _group_or_agency(low, roster) or _group_by_suffix(raw, roster)
        if owner is None and _COLLECTIVE_TAIL.search(low):
            owner = _group_or_agency(_COLLECTIVE_TAIL.sub("", low), roster)
        if owner:
            return Resolved(owner, text)

    named = _HONORIFIC.sub("", low)
    by_name = [p.initials for p in people.values() if _norm(p.name) == named]
    if len(by_name) == 1:
        return Resolved(Owner("person", by_name[0]), text)

    # Initials typed in another case ("sma"), or without the letters that tell two people apart ("SM").
    if re.fullmatch(r"[A-Za-z]{2,5}", raw):
        same_case_insensitive = [i for i in people if i.lower() == raw.lower()]
        if len(same_case_insensitive) == 1:
            return Resolved(Owner("person", same_case_insensitive[0]), text)
        if raw.isupper():
            by_capitals = [i for i in people if _capital_letters(i) == raw]
            if len(by_capitals) == 1:
                return Resolved(Owner("person", by_capitals[0]), text)
            if len(by_capitals) > 1:
                return Ambiguous(text, tuple(by_capitals))

    first = [p.initials for p in people.values() if p.first_name.lower() == named]
    if len(first) == 1:
        return Resolved(Owner("person", first[0]), text)
    if len(first) > 1:
        return Ambiguous(text, tuple(first))
    if len(by_name) > 1:
        return Ambiguous(text, tuple(by_name))
    if " " not in named and named.isalpha():
        surname = [p.initials for p in people.values() if p.name.split()[-1].lower() == named]
        if len(surname) == 1:
            return Resolved(Owner("person", surname[0]), text)
        if len(surname) > 1:
            return Ambiguous(text, tuple(surname))

    titled = _by_title(low, roster)
    if len(titled) == 1:
        return Resolved(Owner("person", titled[0]), text)
    if len(titled) > 1:
        return Ambiguous(text, tuple(titled))

    return Unknown(text, suggest_people(raw, roster))


def suggest_people(text: str, roster: Roster, limit: int = 3) -> tuple[str, ...]:
    """Nearest people by initials or name, for 'did you mean' answers."""
    keys: dict[str, str] = {}
    for p in roster.people.values():
        keys[p.initials.lower()] = p.initials
        keys[p.name.lower()] = p.initials
        keys[p.first_name.lower()] = p.initials
    found: list[str] = []
    for match in difflib.get_close_matches(text.lower(), list(keys), n=limit * 2, cutoff=0.6):
        if keys[match] not in found:
            found.append(keys[match])
    return tuple(found[:limit])
