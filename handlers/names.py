"""Turn the names people type into people, groups, agencies or everyone.

One name at a time: initials (case-sensitive where that disambiguates), full
names, unique first names or surnames, job titles held by one person,
@-mentions and platform ids, the roles of a series, groups by name or alias,
agencies, and "all". Anything that is not exactly one match comes back as a
question (Ambiguous) or Unknown with suggestions: never a silent guess.

Guests (people a meeting named who are not in the file) are found by their full name
only, never by initials, first name or surname, and never before someone in the file.
`full_name_like` and `close_people` tell the core whether an unknown name may become a
guest, or is close enough to someone to ask first.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from storage.roster import Roster

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
    "all",
    "all partners",
    "all members",
    "everyone",
    "everybody",
    "partners",
    "all agencies",
    "agencies",
    "partner agencies",
    "all partner agencies",
    "each agency",
    "every agency",
    "each partner",
    "all board members",
    "board members",
    "all group members",
    "group members",
    "members",
    "the group",
    "the board",
    "all colleagues",
    "all present",
    "all attendees",
    "attendees",
    "all partners present",
    "all members present",
    "all reps",
    "all representatives",
}

# Words that follow an agency or group without changing who is meant ("Police colleagues").
_COLLECTIVE_TAIL = re.compile(r"\s+(?:colleagues|partners|team|teams|reps|representatives?|leads?)$")
_HONORIFIC = re.compile(r"^(?:dr|mr|mrs|ms|miss|mx|prof|professor|cllr|councillor)\.?\s+", re.IGNORECASE)
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$|^<at>(.+)</at>$")
_SPLIT = re.compile(r"\s*(?:/|,|&|\band\b|\+)\s*", re.IGNORECASE)
_KEPT_WHOLE = re.compile(r"\([^()]*\)|\"[^\"]*\"|“[^”]*”")


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
    """'SMa/PMw', 'SMa, BLl and DA' -> the separate names, stripped. A separator inside brackets or
    quotes belongs to a note or a name: '"Dana Whyte" (Marches Police, PPU)' is one person."""
    text = text.strip()
    kept = [(m.start(), m.end()) for m in _KEPT_WHOLE.finditer(text)]
    parts, start = [], 0
    for sep in _SPLIT.finditer(text):
        if any(a < sep.end() and sep.start() < b for a, b in kept):
            continue
        parts.append(text[start : sep.start()])
        start = sep.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p and p.strip()]


def _capital_letters(initials: str) -> str:
    return "".join(c for c in initials if c.isupper())


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip(".").strip()).replace("’", "'").lower()


@dataclass(frozen=True)
class _Index:
    """Normalised lookups for one roster, built once rather than on every name typed."""

    ids: dict[str, str]  # platform ids and lower-case e-mails -> initials
    groups: dict[str, str]  # names, ids and aliases -> group id
    agencies: dict[str, str]  # ids and names -> agency id
    agency_names: tuple[tuple[str, str], ...]  # (" name ", id) for partial matches
    full_names: dict[str, list[str]]
    first_names: dict[str, list[str]]
    surnames: dict[str, list[str]]
    lower_initials: dict[str, list[str]]
    capitals: dict[str, list[str]]
    titles: tuple[tuple[str, str], ...]  # (title, initials)
    series_names: dict[str, str]  # series ids and names -> series id
    guests: dict[str, str]  # full names of guests -> their key (a merged guest: the person they became)


@dataclass(frozen=True)
class _Memo:
    """A roster's name index and the roster's contents it was built from."""

    fingerprint: tuple[int, ...]
    index: _Index


def _fingerprint(roster: Roster) -> tuple[int, ...]:
    # Rosters are plain mutable dataclasses: rebuild when any person, group, agency or series object changes.
    return (
        *map(id, roster.people.values()),
        -1,
        *map(id, roster.groups.values()),
        -1,
        *map(id, roster.agencies.values()),
        -1,
        *map(id, roster.series.values()),
    )


def _index(roster: Roster) -> _Index:
    """The roster's name index, kept on the roster itself (so on the app's roster cache, per
    partnership version); nothing here is shared between rosters or apps."""
    key = _fingerprint(roster)
    cached = roster.derived.get("names")
    if isinstance(cached, _Memo) and cached.fingerprint == key:
        return cached.index
    ids: dict[str, str] = {}
    full: dict[str, list[str]] = {}
    first: dict[str, list[str]] = {}
    last: dict[str, list[str]] = {}
    lower: dict[str, list[str]] = {}
    caps: dict[str, list[str]] = {}
    guests: dict[str, str] = {}
    for p in roster.people.values():
        if p.guest:
            guests.setdefault(name_key(p.name), p.merged_into or p.initials)
            continue
        for ident in (p.slack_id, p.teams_id):
            if ident:
                ids[ident] = p.initials
        if p.email:
            ids[p.email.lower()] = p.initials
        full.setdefault(_norm(p.name), []).append(p.initials)
        first.setdefault(p.first_name.lower(), []).append(p.initials)
        last.setdefault(p.name.split()[-1].lower(), []).append(p.initials)
        lower.setdefault(p.initials.lower(), []).append(p.initials)
        caps.setdefault(_capital_letters(p.initials), []).append(p.initials)
    groups: dict[str, str] = {}
    for g in reversed(list(roster.groups.values())):  # the first group listed wins a shared name
        for name in (g.name, g.id, *g.aliases):
            groups[_norm(name)] = g.id
    agencies: dict[str, str] = {}
    for a in reversed(list(roster.agencies.values())):
        for name in (a.id, a.name, _norm(a.name).removeprefix("the ")):
            agencies[_norm(name)] = a.id
    index = _Index(
        ids=ids,
        groups=groups,
        agencies=agencies,
        agency_names=tuple((f" {_norm(a.name)} ", a.id) for a in roster.agencies.values()),
        full_names=full,
        first_names=first,
        surnames=last,
        lower_initials=lower,
        capitals=caps,
        titles=tuple((_norm(p.title), p.initials) for p in roster.people.values() if p.title and not p.guest),
        series_names={k: s.id for s in roster.series.values() for k in (s.id.lower(), _norm(s.name))},
        guests=guests,
    )
    # Two threads may build it at once: both get an equal index, and the last one is kept.
    roster.derived["names"] = _Memo(key, index)
    return index


def _role(
    low: str,
    roster: Roster,
    index: _Index,
    series: str | None,
    acronym: bool = False,
    day: date | None = None,
) -> str | None:
    """Initials of whoever holds a role: "Chair" in the series, or "Executive chair" in the one named;
    the chair is the chair on `day` (the meeting's date)."""
    if low in ROLE_WORDS:
        if series and series in roster.series:
            return roster.series[series].role_holder(ROLE_WORDS[low], day)
        return None
    head, _, role = low.removeprefix("the ").partition(" ")
    role = role.removeprefix("the ")
    if role in ROLE_WORDS:
        named = index.series_names.get(head)
        if named:
            return roster.series[named].role_holder(ROLE_WORDS[role], day)
        # "LSCP Business Manager", "Partnership Chair": this series' role under the partnership's name
        if series and series in roster.series and (head in ("partnership", "safeguarding") or acronym):
            return roster.series[series].role_holder(ROLE_WORDS[role], day)
    return None


def role_named(text: str) -> str | None:
    """The series role a phrase names on its own ("the Chair" → "chair"), else None."""
    low = _norm(text.strip(".:;,()@"))
    return ROLE_WORDS.get(low) or ROLE_WORDS.get(low.removeprefix("the "))


def _group_or_agency(low: str, index: _Index) -> Owner | None:
    bare = low.removeprefix("the ")
    group = index.groups.get(low) or index.groups.get(bare)
    if group:
        return Owner("group", group)
    agency = index.agencies.get(bare)
    if agency:
        return Owner("agency", agency)
    # Part of one agency's name, two words or more: "Youth Justice" for "Marcia Youth Justice Service".
    if " " in bare:
        partial = [ident for name, ident in index.agency_names if f" {bare} " in name]
        if len(partial) == 1:
            return Owner("agency", partial[0])
    return None


def _group_by_suffix(raw: str, index: _Index) -> Owner | None:
    """ "SSCP Business Unit": a known group name of two or more words after an acronym."""
    words = raw.split()
    if len(words) < 3 or not re.fullmatch(r"[A-Z&]{2,6}", words[0]):
        return None
    return _group_or_agency(_norm(" ".join(words[1:])), index)


def _by_title(low: str, index: _Index) -> list[str]:
    """People whose job title is this phrase, or starts with it ("the Designated Nurse")."""
    bare = low.removeprefix("the ")
    if " " not in bare:
        return []
    return [initials for title, initials in index.titles if title == bare or title.startswith(bare + " ")]


def resolve_name(
    text: str,
    roster: Roster,
    series: str | None = None,
    *,
    people_only: bool = False,
    suggest: bool = True,
    day: date | None = None,
) -> NameResult:
    """Resolve one typed name. `series` lets roles ("Chair") resolve to their holder, the chair
    being the chair on `day`: the meeting's date (`Ctx.day`), or the date a message was sent.

    `suggest=False` skips the "did you mean" search for an Unknown (callers probing many phrases).
    """
    raw = text.strip().strip(".:;,()")
    if not raw:
        return Unknown(text)
    people = roster.people
    index = _index(roster)

    mention = _MENTION.match(raw)
    if mention:
        raw = (mention.group(1) or mention.group(2) or "").strip()
    if raw.startswith("@"):
        raw = raw[1:].strip()
    raw = re.sub(r"['’]s$", "", raw)  # "HN's team" is still HN's

    # Exact initials are the commonest and must win over everything else.
    if raw in people and not people[raw].guest:
        return Resolved(Owner("person", raw), text)
    by_id = index.ids.get(raw) or index.ids.get(raw.lower())
    if by_id:
        return Resolved(Owner("person", by_id), text)

    low = _norm(raw)
    holder = _role(
        low, roster, index, series, acronym=bool(re.match(r"(?:the\s+)?[A-Z&]{2,6}\s", raw)), day=day
    )
    if holder:
        return Resolved(Owner("person", holder), text)

    if not people_only:
        if low in EVERYONE_WORDS:
            return Resolved(Owner("all"), text)
        owner = _group_or_agency(low, index)
        suffix = _group_by_suffix(raw, index)
        # "SSCP Business Unit" is the business unit group, even when an agency carries that name.
        if suffix and (owner is None or (owner.kind == "agency" and suffix.kind == "group")):
            owner = suffix
        if owner is None and _COLLECTIVE_TAIL.search(low):
            owner = _group_or_agency(_COLLECTIVE_TAIL.sub("", low), index)
        if owner:
            return Resolved(owner, text)

    named = _HONORIFIC.sub("", low)
    by_name = index.full_names.get(named, [])
    if len(by_name) == 1:
        return Resolved(Owner("person", by_name[0]), text)
    guest = None if by_name else index.guests.get(name_key(raw))
    if guest:
        return Resolved(Owner("person", guest), text)

    # Initials typed in another case ("sma"), or without the letters that tell two people apart ("SM").
    if re.fullmatch(r"[A-Za-z]{2,5}", raw):
        same_case_insensitive = index.lower_initials.get(raw.lower(), [])
        if len(same_case_insensitive) == 1:
            return Resolved(Owner("person", same_case_insensitive[0]), text)
        if raw.isupper():
            by_capitals = index.capitals.get(raw, [])
            if len(by_capitals) == 1:
                return Resolved(Owner("person", by_capitals[0]), text)
            if len(by_capitals) > 1:
                return Ambiguous(text, tuple(by_capitals))

    first = index.first_names.get(named, [])
    if len(first) == 1:
        return Resolved(Owner("person", first[0]), text)
    if len(first) > 1:
        return Ambiguous(text, tuple(first))
    if len(by_name) > 1:
        return Ambiguous(text, tuple(by_name))
    if " " not in named and named.isalpha():
        surname = index.surnames.get(named, [])
        if len(surname) == 1:
            return Resolved(Owner("person", surname[0]), text)
        if len(surname) > 1:
            return Ambiguous(text, tuple(surname))

    titled = _by_title(low, index)
    if len(titled) == 1:
        return Resolved(Owner("person", titled[0]), text)
    if len(titled) > 1:
        return Ambiguous(text, tuple(titled))

    return Unknown(text, suggest_people(raw, roster) if suggest else ())


def suggest_people(text: str, roster: Roster, limit: int = 3) -> tuple[str, ...]:
    """Nearest people in the file by initials or name, for 'did you mean' answers."""
    keys: dict[str, str] = {}
    for p in roster.people.values():
        if p.guest:
            continue
        keys[p.initials.lower()] = p.initials
        keys[p.name.lower()] = p.initials
        keys[p.first_name.lower()] = p.initials
    found: list[str] = []
    for match in difflib.get_close_matches(text.lower(), list(keys), n=limit * 2, cutoff=0.6):
        if keys[match] not in found:
            found.append(keys[match])
    return tuple(found[:limit])


# --- names that may become guests ----------------------------------------------------------------------

# Words that make a phrase a team, a post or a thing rather than a person ("Early Help", "Named GP").
_NOT_A_PERSON = frozenset(
    {
        "team",
        "teams",
        "unit",
        "units",
        "group",
        "groups",
        "board",
        "boards",
        "colleagues",
        "partners",
        "partner",
        "partnership",
        "service",
        "services",
        "lead",
        "leads",
        "manager",
        "managers",
        "officer",
        "officers",
        "nurse",
        "nurses",
        "director",
        "directors",
        "head",
        "heads",
        "chair",
        "chairs",
        "committee",
        "panel",
        "forum",
        "network",
        "hub",
        "mash",
        "authority",
        "authorities",
        "agency",
        "agencies",
        "council",
        "police",
        "health",
        "care",
        "help",
        "education",
        "justice",
        "housing",
        "probation",
        "school",
        "schools",
        "trust",
        "trusts",
        "provider",
        "providers",
        "commissioner",
        "commissioners",
        "commissioning",
        "department",
        "practice",
        "practitioners",
        "safeguarding",
        "children",
        "children's",
        "childrens",
        "adults",
        "families",
        "family",
        "youth",
        "representative",
        "representatives",
        "reps",
        "plan",
        "review",
        "update",
        "report",
        "reports",
        "meeting",
        "meetings",
        "agenda",
        "minutes",
        "item",
        "items",
        "tracker",
        "strategy",
        "policy",
        "protocol",
        "procedure",
        "procedures",
        "audit",
        "training",
        "conference",
        "summit",
        "event",
        "project",
        "programme",
        "data",
        "all",
        "the",
        "everyone",
        "members",
        "executive",
        "secretariat",
        "business",
        "designated",
        "named",
        "deputy",
        "vice",
        "gp",
        "gps",
    }
)
_CONNECTOR_WORDS = frozenset(
    {"de", "van", "von", "der", "den", "le", "la", "da", "di", "du", "del", "bin", "al"}
)
_NAME_WORD = re.compile(r"[A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*\.?")


def name_key(text: str) -> str:
    """How guest names compare: case, spacing, quotes and honorifics aside ("Dr Imogen  parry")."""
    return _HONORIFIC.sub("", _norm(text.strip("\"“”'‘’ ")))


def full_name_like(text: str) -> bool:
    """Two to five words capitalised like a person's name ("Imogen Parry", "Rhys ap Gwyn", "Ann O'Neil").

    Initials ("SM PMcL"), groups and posts ("Early Help", "Designated Nurse") are not.
    """
    words = text.strip().strip('"“”').split()
    if not 2 <= len(words) <= 5:
        return False
    for i, word in enumerate(words):
        if word.lower().strip(".") in _NOT_A_PERSON:
            return False
        if 0 < i < len(words) - 1 and (word in _CONNECTOR_WORDS or word == "ap"):
            continue
        if not _NAME_WORD.fullmatch(word):
            return False
        edge = i in (0, len(words) - 1)
        if edge and not any(c.islower() for c in word):
            return False  # "SM", "PMcL"'s capitals alone, "J." at either end: not a full name
    return True


def close_people(text: str, roster: Roster, limit: int = 3) -> tuple[str, ...]:
    """People whose full name is close to a full name typed: a misspelling ("Bethan Loyd"), or the same
    surname with a close first name ("Beth Lloyd"). People in the file by initials; guests by their name.
    """
    typed = name_key(text)
    words = typed.split()
    if len(words) < 2:
        return ()
    first, last = words[0], words[-1]
    scored: list[tuple[float, str]] = []
    for p in roster.people.values():
        if p.merged_into or (not p.active and not p.guest):
            continue
        name = name_key(p.name)
        if name == typed:
            continue
        theirs = name.split()
        ratio = difflib.SequenceMatcher(None, typed, name).ratio()
        same_surname = len(theirs) > 1 and theirs[-1] == last
        their_first = theirs[0]
        close_first = difflib.SequenceMatcher(None, first, their_first).ratio() >= 0.6 or (
            min(len(first), len(their_first)) >= 2
            and (their_first.startswith(first) or first.startswith(their_first))
        )
        if ratio >= 0.85 or (same_surname and close_first):
            scored.append((ratio, p.name if p.guest else p.initials))
    scored.sort(key=lambda t: -t[0])
    return tuple(key for _, key in scored[:limit])
