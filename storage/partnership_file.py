"""Read a partnership file (YAML) into frozen dataclasses, reporting every problem with its line.

The file is walked as a composed YAML node tree rather than loaded Python
values, so each problem carries the line it comes from, duplicate keys are
seen, and YAML 1.1 surprises (initials `NO` read as false, `10:00` read as the
number 600) are caught from the text as written. Every problem is collected
before PartnershipFileError is raised, so one edit-and-reload fixes them all.

Adding an optional field: add its key to the *_KEYS table below (False = not
required), a field with a default to the dataclass, and read it in _Parser.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage.cadence import (
    Cadence,
    CadenceError,
    PapersDue,
    as_required,
    parse_cadence,
    parse_papers_due,
)
from storage.partnership_limits import (
    MAX_EMAIL,
    MAX_FILE_BYTES,
    MAX_ID,
    MAX_ITEM,
    MAX_NAME,
    MAX_PLATFORM_ID,
    MAX_PREAMBLE,
    MAX_PROBLEMS_SHOWN,
    MAX_URL,
    character_name,
    expansion_problem,
    invisible,
    too_large,
    too_long,
    unreadable_characters,
    visible_key,
)
from storage.roster import ChairRotation

# key -> required?
PARTNERSHIP_KEYS: dict[str, bool] = {
    "id": True,
    "name": True,
    "timezone": True,
    "business_unit": False,
    "quorum": False,  # the default of every series that gives none
    "decision_quorum": False,  # the default decision quorum of every series that gives none
    "agencies": True,
    "groups": False,
    "people": True,
    "series": True,
}
AGENCY_KEYS: dict[str, bool] = {
    "id": True,
    "name": True,
    "statutory": False,
    "contact": False,
    "lead": False,  # initials of the person who answers for the agency
}
GROUP_KEYS: dict[str, bool] = {
    "id": True,
    "name": True,
    "aliases": False,
    "members": False,
    "agencies": False,
    "leads": False,  # initials of the members a group action reminds
}
PERSON_KEYS: dict[str, bool] = {
    "name": True,
    "initials": True,
    "agency": True,
    "title": False,
    "email": False,
    "slack_id": False,
    "teams_id": False,
    "roles": False,
}
SERIES_KEYS: dict[str, bool] = {
    "id": True,
    "name": True,
    "chair": False,  # none, and no chair_rotation: the series has no standing chair
    "vice_chair": False,
    "minute_taker": False,
    "business_manager": False,
    "members": True,
    "deputies": False,
    "quorum": False,  # required unless the partnership gives a default
    "decision_quorum": False,
    "cadence": False,
    "time": False,
    "place": False,
    "papers_due": False,
    "escalates_to": False,
    "standing_items": False,
    "tracker_item": False,
    "minutes_preamble": False,
    "observers": False,
    "deputies_on_the_day": False,
    "chair_rotation": False,
    "terms_of_reference": False,
    "ends": False,  # a time-limited group: its last day
    "shared_with": False,
}
OFFICE_KEYS: dict[str, bool] = {"chair_of": True}  # a member by office: {chair_of: SERIES}
ROTATION_KEYS: dict[str, bool] = {"chairs": True, "months": True, "from": True}
QUORUM_KEYS: dict[str, bool] = {"agencies": False, "min_members": False, "roles": False}

ALL_STATUTORY = "all-statutory"
QUORUM_ROLES = ("chair", "vice_chair")
SERIES_ROLES = ("chair", "vice_chair", "minute_taker", "business_manager")
# A person's role label (`roles: [dsp, lsp]`): one lower-case word.
_LABEL = re.compile(r"^[a-z][a-z0-9_-]*$")

# libyaml's composer when PyYAML has it: a megabyte in a fraction of a second rather than seconds.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_INITIALS = re.compile(r"^[A-Z][A-Za-z]{0,4}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?:\s*[-–]\s*(\d{1,2}):(\d{2}))?$")


@dataclass(frozen=True)
class AgencySpec:
    id: str
    name: str
    statutory: bool = False
    contact: str | None = None
    line: int = 0
    lead: str | None = None  # initials of the person who answers for it
    lead_line: int = 0


@dataclass(frozen=True)
class GroupSpec:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # initials
    agencies: tuple[str, ...] = ()  # agency ids: everyone of these agencies belongs
    line: int = 0
    leads: tuple[str, ...] = ()  # initials: who a group action reminds (none: every member)


@dataclass(frozen=True)
class PersonSpec:
    name: str
    initials: str
    agency: str
    title: str | None = None
    email: str | None = None
    slack_id: str | None = None
    teams_id: str | None = None
    roles: tuple[str, ...] = ()  # free labels: dsp, lsp, scrutineer
    line: int = 0


@dataclass(frozen=True)
class QuorumRule:
    """Conditions that must all hold for a meeting to be quorate."""

    agencies: str | tuple[str, ...] | None = ALL_STATUTORY  # "all-statutory", agency ids, or no condition
    min_members: int | None = None  # members and deputies present; guests never count
    roles: tuple[str, ...] = ()  # any one of these roles present counts
    # People's role labels (`dsp`): every required agency represented by someone carrying one of them
    # (or by that person's deputy, where the deputy counts).
    labels: tuple[str, ...] = ()

    def describe(self) -> str:
        parts: list[str] = []
        if self.agencies == ALL_STATUTORY:
            parts.append("every statutory agency represented")
        elif self.agencies:
            ids = list(self.agencies)
            names = ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"
            parts.append(f"{names} represented" if len(ids) == 1 else f"{names} each represented")
        if self.min_members is not None:
            parts.append(f"at least {self.min_members} member{'' if self.min_members == 1 else 's'} present")
        if self.roles:
            words = [r.replace("_", "-") for r in self.roles]
            parts.append(f"the {' or '.join(words)} present")
        if self.labels:
            parts.append(f"each of them by someone with role {' or '.join(self.labels)}")
        return ", ".join(parts) if parts else "no quorum rule"


@dataclass(frozen=True)
class SeriesSpec:
    id: str
    name: str
    chair: str  # "" when the file names none (a rotation alone, or no standing chair)
    vice_chair: str | None
    minute_taker: str | None
    business_manager: str | None
    members: tuple[str, ...]  # as written; role holders may or may not be listed
    deputies: dict[str, tuple[str, ...]]  # member initials -> allowed deputies
    quorum: QuorumRule
    cadence: str | None  # as written, already validated; None: each date set by `next meeting`
    time: str | None  # "HH:MM" or "HH:MM-HH:MM", normalised
    place: str | None
    papers_due: str | None  # as written, already validated: see papers_rule
    escalates_to: tuple[str, ...]  # series ids, in the order written: one or several routes
    standing_items: tuple[str, ...]
    tracker_item: str | None = None  # the standing item that reviews the action tracker: its title
    minutes_preamble: str | None = None  # standing text placed at the top of every minutes draft
    observers: tuple[str, ...] = ()  # present and minuted, never counted for quorum nor for their agency
    deputies_on_the_day: bool = False  # an unlisted same-agency deputy counts if the chair authorises them
    chair_rotation: ChairRotation | None = None  # then `chair` ("" if left out) holds before it starts
    # What a decision needs besides the quorum (None: the quorum alone); not met, it is for ratification.
    decision_quorum: QuorumRule | None = None
    terms_of_reference: str | None = None  # an https address
    ends: date | None = None  # a time-limited group's last day: after it the series is closed
    members_by_office: tuple[str, ...] = ()  # series ids whose chair (on the day) is a member
    # A joint series: the other partnerships it belongs to, and its members from them as written
    # (`other-id:XX` → ("other-id", "XX")), resolved against their files when loaded.
    shared_with: tuple[str, ...] = ()
    shared_members: tuple[tuple[str, str], ...] = ()
    line: int = 0

    @property
    def cadence_rule(self) -> Cadence | None:
        return parse_cadence(self.cadence) if self.cadence is not None else None

    @property
    def papers_rule(self) -> PapersDue | None:
        return parse_papers_due(self.papers_due) if self.papers_due else None


@dataclass(frozen=True)
class PartnershipSpec:
    id: str
    name: str
    timezone: str
    business_unit: str | None  # group id
    agencies: tuple[AgencySpec, ...]
    groups: tuple[GroupSpec, ...]
    people: tuple[PersonSpec, ...]
    series: tuple[SeriesSpec, ...]
    # What loads but may not be meant (an invisible character in a name): said, never refused.
    warnings: tuple[Problem, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class PartnershipFileError(Exception):
    """Every problem found in one partnership file."""

    def __init__(self, problems: list[Problem], source: str = "<partnership>") -> None:
        self.problems = problems
        self.source = source
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        shown = [f"  {p}" for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"  … and {len(problems) - MAX_PROBLEMS_SHOWN:,} more")
        super().__init__("\n".join([f"{source}: {count}", *shown]))


def parse_partnership(text: str, source: str = "<partnership>") -> PartnershipSpec:
    """Parse and check a partnership file's text; raise PartnershipFileError listing every problem.

    The limits of storage/partnership_limits.py come first: size, characters YAML refuses,
    then (once composed) aliases that would make the file too large written out."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise PartnershipFileError([Problem(None, too_large(len(text.encode("utf-8"))))], source)
    if unreadable := unreadable_characters(text):
        raise PartnershipFileError([Problem(line, message) for line, message in unreadable], source)
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise PartnershipFileError([_syntax_problem(exc)], source) from None
    except yaml.YAMLError as exc:
        raise PartnershipFileError([Problem(None, f"YAML syntax error: {exc}")], source) from None
    except RecursionError:  # thousands of brackets inside each other
        problem = Problem(
            None, "the file nests lists or mappings too deeply to read: is this the right file?"
        )
        raise PartnershipFileError([problem], source) from None
    if root is not None and (expanded := expansion_problem(root)):
        raise PartnershipFileError([Problem(*expanded)], source)
    parser = _Parser()
    spec = parser.parse(root)
    if parser.problems or spec is None:
        problems = sorted(parser.problems, key=lambda p: p.line or 0)
        raise PartnershipFileError(problems or [Problem(None, "no partnership found")], source)
    if parser.warnings:
        spec = replace(spec, warnings=tuple(sorted(parser.warnings, key=lambda p: p.line or 0)))
    return spec


def read_partnership(path: str | Path) -> PartnershipSpec:
    """Read and check a partnership file; an unreadable file is a PartnershipFileError too."""
    try:
        # The size first: a huge file is refused before a byte of it is read.
        if (size := Path(path).stat().st_size) > MAX_FILE_BYTES:
            raise PartnershipFileError([Problem(None, too_large(size))], str(path))
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # a file still growing is not read on and on
        if len(data) > MAX_FILE_BYTES:
            raise PartnershipFileError([Problem(None, too_large(len(data)))], str(path))
        # As read_text would: any line ending is a newline, so lines count as an editor counts them.
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PartnershipFileError([Problem(None, f"cannot read the file: {reason}")], str(path)) from None
    return parse_partnership(text, str(path))


def _syntax_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = f"YAML syntax error: {exc.problem or exc.context}"
    if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
        message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return Problem(mark.line + 1 if mark else None, message)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"{node.value!r}"


def _suggest(word: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a close match, exact case-insensitive matches first."""
    options = list(options)
    folded = [o for o in options if o.lower() == word.lower()]
    close = folded or difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass
class _Ref:
    kind: str  # "agency" | "initials" | "group" | "series"
    value: str
    line: int
    context: str  # "for person TR", "in members of series board"


@dataclass
class _SeriesInfo:
    spec: SeriesSpec
    lines: dict[str, int] = field(default_factory=dict)


class _Parser:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        # names as written, to find those differing only by invisible characters: kind -> (label, name, line)
        self._names: dict[str, list[tuple[str, str, int]]] = {}
        self._constructor = SafeConstructor()
        self._refs: list[_Ref] = []
        # ids seen, even of entities with other problems, so one mistake is not reported twice
        self._known: dict[str, list[str]] = {"agency": [], "group": [], "series": [], "initials": []}
        self._default_quorum: QuorumRule | None = None  # the partnership's `quorum:`, if it gives one
        self._default_decision_quorum: QuorumRule | None = None  # and its `decision_quorum:`
        self._labels: dict[str, list[str]] = {}  # role label -> initials of the people carrying it
        self._top_keys: set[str] = set()
        self._pid: str | None = None  # this file's partnership id

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(line, message))

    # --- node readers -------------------------------------------------------------------------

    def mapping(self, node: Node, what: str, keys: dict[str, bool]) -> dict[str, Node] | None:
        """The keys of a mapping node; reports non-mappings, duplicate, unknown and missing keys."""
        if not isinstance(node, MappingNode):
            self.add(_line(node), f"{what} must be a mapping of keys to values, not {_kind(node)}")
            return None
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                key = key_node.value.strip()
                if key in seen:
                    self.add(
                        _line(key_node), f"key '{key}' appears twice in {what} (first on line {seen[key]})"
                    )
                seen.setdefault(key, _line(key_node))
        try:  # `<<: *defaults` merges; the mapping's own keys then override the merged ones
            self._constructor.flatten_mapping(node)
        except ConstructorError as exc:
            mark = exc.problem_mark
            self.add(mark.line + 1 if mark else _line(node), f"cannot merge into {what}: {exc.problem}")
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.add(_line(key_node), f"{what} has a key that is not a plain word")
                continue
            key = key_node.value.strip()
            if key in keys:
                out[key] = value_node
            elif key != "<<":
                allowed = ", ".join(keys)
                self.add(
                    _line(key_node),
                    f"unknown key '{key}' in {what}{_suggest(key, keys)}; allowed keys: {allowed}",
                )
        for key, required in keys.items():
            if required and key not in out:
                self.add(_line(node), f"{what} has no '{key}' (required)")
        return out

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return []
        if not isinstance(node, SequenceNode):
            self.add(_line(node), f"{what} must be a list, not {_kind(node)}")
            return []
        return list(node.value)

    def text(self, node: Node | None, what: str, required: bool = False, limit: int = MAX_NAME) -> str | None:
        """Free text, exactly as written (a title of `Yes` stays 'Yes', not true), at most `limit` long."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.add(_line(node), f"{what} must be text, not {_kind(node)}")
            return None
        if len(node.value) > limit and len(value := node.value.strip()) > limit:
            self.add(_line(node), too_long(what, len(value), limit))
            return None
        value = "" if node.tag == _NULL else node.value.strip()
        if not value and required:
            self.add(_line(node), f"{what} is empty")
        return value or None

    def ident(self, node: Node | None, what: str, required: bool = False) -> str | None:
        """An id or initials: must be a YAML string, so `NO` (false) or `1.10` (a number) are reported."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.add(_line(node), f"{what} must be a single value, not {_kind(node)}")
            return None
        if node.tag == _NULL or not node.value.strip():
            if required:
                self.add(_line(node), f"{what} is empty")
            return None
        if len(node.value) > MAX_ID and len(value := node.value.strip()) > MAX_ID:
            self.add(_line(node), too_long(what, len(value), MAX_ID))
            return None
        if hidden := invisible(node.value):
            chars = ", ".join(character_name(c) for c in hidden)
            self.add(
                _line(node),
                f"{what} {node.value.strip()!r} holds invisible characters ({chars}): remove them, "
                "so it is the one people type",
            )
            return None
        if node.tag != _STR:
            self.add(
                _line(node),
                f"{what} is {node.value}, which YAML reads as {self.reading(node)}; "
                f'put it in quotes: "{node.value}"',
            )
            return None
        return node.value.strip()

    def reading(self, node: ScalarNode) -> str:
        """What YAML made of a plain scalar that is not a string, in words."""
        try:
            loaded = self._constructor.construct_object(node)
        except yaml.YAMLError:
            return f"something other than text ({node.tag})"
        if isinstance(loaded, bool):
            return "true" if loaded else "false"
        if isinstance(loaded, int | float):
            return f"the number {loaded}"
        return f"a {type(loaded).__name__} ({loaded})"

    def idents(self, node: Node | None, what: str) -> list[tuple[str, int]]:
        """A list of ids or initials with their lines; a single value is taken as a list of one."""
        items = [node] if isinstance(node, ScalarNode) and node.tag != _NULL else self.sequence(node, what)
        out: list[tuple[str, int]] = []
        for item in items:
            value = self.ident(item, f"an item of {what}")
            if value is not None:
                out.append((value, _line(item)))
        return out

    def texts(self, node: Node | None, what: str, limit: int = MAX_NAME) -> tuple[str, ...]:
        items = [node] if isinstance(node, ScalarNode) and node.tag != _NULL else self.sequence(node, what)
        out: list[str] = []
        for item in items:
            if isinstance(item, MappingNode):
                self.add(
                    _line(item), f"an item of {what} reads as a mapping: put text containing ': ' in quotes"
                )
                continue
            value = self.text(item, f"an item of {what}", required=True, limit=limit)
            if value is not None:
                out.append(value)
        return tuple(out)

    def boolean(self, node: Node | None, what: str) -> bool | None:
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return None
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            return bool(self._constructor.construct_object(node))
        self.add(_line(node), f"{what} must be true or false, not {_kind(node)}")
        return None

    def email(self, node: Node | None, what: str) -> str | None:
        value = self.text(node, what, limit=MAX_EMAIL)
        if value is not None and node is not None and not _EMAIL.match(value):
            self.add(_line(node), f"{what} {value!r} is not an e-mail address")
        return value

    def checked_id(self, node: Node | None, what: str) -> str | None:
        value = self.ident(node, what, required=True)
        if value is not None and node is not None and not _ID.match(value):
            self.add(
                _line(node),
                f"{what} {value!r} must be one word of letters, digits, '-', '_' or '.', as people type it",
            )
        return value

    def name(self, node: Node | None, kind: str, label: str) -> str | None:
        """A name people read (of a person, agency, group, series): required, and kept for check_names."""
        value = self.text(node, f"name of {label}" if kind != "partnership" else "partnership name", True)
        if value is not None and node is not None:
            self.name_seen(kind, label, value, _line(node))
        return value

    def name_seen(self, kind: str, label: str, value: str, line: int) -> None:
        """Warn of invisible characters in a name; keep it to compare with the others of its kind."""
        if hidden := invisible(value):
            chars = ", ".join(character_name(c) for c in hidden)
            self.warnings.append(
                Problem(
                    line,
                    f"warning: the name {value!r} of {label} holds invisible characters ({chars}): it "
                    "looks like a name it does not match; remove them unless they are meant",
                )
            )
        self._names.setdefault(kind, []).append((label, value, line))

    def check_names(self) -> None:
        """Two names that differ only by invisible characters (and case, as names are compared) look
        the same to people but not to the bot: refused, whichever of them is meant."""
        for names in self._names.values():
            first: dict[str, tuple[str, str, int]] = {}
            for label, value, line in names:
                key = visible_key(value)
                if key not in first:
                    first[key] = (label, value, line)
                    continue
                other_label, other, other_line = first[key]
                if (invisible(value) or invisible(other)) and value != other:
                    self.add(
                        line,
                        f"the name {value!r} of {label} differs from {other!r} of {other_label} "
                        f"(line {other_line}) only by invisible characters: they would look the same; "
                        "remove the invisible characters, and give each a name of its own",
                    )

    def ref(self, kind: str, value: str | None, line: int, context: str) -> None:
        if value is not None:
            self._refs.append(_Ref(kind, value, line, context))

    @staticmethod
    def label(kind: str, node: Node, *keys: str) -> str:
        """'person TR' from the first of `keys` that holds a plain string, else 'person on line 30'."""
        if isinstance(node, MappingNode):
            found = {
                k.value: v.value.strip()
                for k, v in node.value
                if isinstance(k, ScalarNode)
                and isinstance(v, ScalarNode)
                and v.tag == _STR
                and v.value.strip()
            }
            for key in keys:
                if key in found:
                    return f"{kind} {found[key]}"
        return f"{kind} on line {_line(node)}"

    # --- entities -----------------------------------------------------------------------------

    def parse(self, root: Node | None) -> PartnershipSpec | None:
        if root is None:
            self.add(1, "the file is empty: it needs id, name, timezone, agencies, people and series")
            return None
        top = self.mapping(root, "the partnership", PARTNERSHIP_KEYS)
        if top is None:
            return None
        self._top_keys = set(top)
        pid = self.checked_id(top.get("id"), "partnership id")
        self._pid = pid
        name = self.name(top.get("name"), "partnership", "the partnership")
        timezone = self.timezone(top.get("timezone"))
        business_unit = self.ident(top.get("business_unit"), "business_unit")
        if business_unit is not None:
            self.ref("group", business_unit, _line(top["business_unit"]), "for business_unit")

        agencies = self.agencies(top.get("agencies"))
        people = self.people(top.get("people"))
        groups = self.groups(top.get("groups"), people)
        self.check_agency_leads(agencies, people)
        self._default_quorum = self.quorum(top.get("quorum"), "the partnership")
        self._default_decision_quorum = _ruled(
            self.quorum(top.get("decision_quorum"), "the partnership", key="decision_quorum")
        )
        series = self.series(top.get("series"))
        self.check_refs()
        self.check_names()
        self.check_series(agencies, people, series)
        if pid is None or name is None or timezone is None:
            return None
        return PartnershipSpec(
            id=pid,
            name=name,
            timezone=timezone,
            business_unit=business_unit,
            agencies=tuple(agencies),
            groups=tuple(groups),
            people=tuple(people),
            series=tuple(s.spec for s in series),
        )

    def timezone(self, node: Node | None) -> str | None:
        value = self.text(node, "timezone", required=True)
        if value is None or node is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            hint = _suggest(value, available_timezones()) or " (use a name such as Europe/London)"
            self.add(_line(node), f"unknown timezone {value!r}{hint}")
            return None
        return value

    def agencies(self, node: Node | None) -> list[AgencySpec]:
        out: list[AgencySpec] = []
        first_line: dict[str, int] = {}
        for item in self.sequence(node, "agencies"):
            label = self.label("agency", item, "id", "name")
            f = self.mapping(item, label, AGENCY_KEYS)
            if f is None:
                continue
            aid = self.checked_id(f.get("id"), f"id of {label}")
            name = self.name(f.get("name"), "agency", label)
            statutory = self.boolean(f.get("statutory"), f"statutory of {label}")
            contact = self.email(f.get("contact"), f"contact of {label}")
            lead = self.ident(f.get("lead"), f"lead of {label}")
            lead_line = _line(f["lead"]) if "lead" in f else 0
            if lead is not None:
                self.ref("initials", lead, lead_line, f"as lead of {label}")
            if aid is None:
                continue
            if aid in first_line:
                self.add(_line(item), f"duplicate agency id '{aid}' (first on line {first_line[aid]})")
                continue
            first_line[aid] = _line(item)
            self._known["agency"].append(aid)
            out.append(AgencySpec(aid, name or "", bool(statutory), contact, _line(item), lead, lead_line))
        return out

    def check_agency_leads(self, agencies: list[AgencySpec], people: list[PersonSpec]) -> None:
        """An agency's lead answers for it: one of its own people."""
        agency_of = {p.initials: p.agency for p in people}
        for a in agencies:
            if a.lead is not None and a.lead in agency_of and agency_of[a.lead] != a.id:
                self.add(
                    a.lead_line,
                    f"lead of agency {a.id} is {a.lead}, who is of {agency_of[a.lead]}, not {a.id}: "
                    f"name one of {a.id}'s people",
                )

    def groups(self, node: Node | None, people: list[PersonSpec] | None = None) -> list[GroupSpec]:
        agency_of = {p.initials: p.agency for p in people or []}
        out: list[GroupSpec] = []
        first_line: dict[str, int] = {}
        for item in self.sequence(node, "groups"):
            label = self.label("group", item, "id", "name")
            f = self.mapping(item, label, GROUP_KEYS)
            if f is None:
                continue
            gid = self.checked_id(f.get("id"), f"id of {label}")
            name = self.name(f.get("name"), "group", label)
            aliases = self.texts(f.get("aliases"), f"aliases of {label}")
            alias_lines = {n.value.strip(): _line(n) for n in _scalars(f.get("aliases"))}
            for alias in aliases:
                self.name_seen("group", f"an alias of {label}", alias, alias_lines.get(alias, _line(item)))
            members = self.idents(f.get("members"), f"members of {label}")
            agencies = self.idents(f.get("agencies"), f"agencies of {label}")
            if "members" not in f and "agencies" not in f:
                self.add(_line(item), f"{label} needs 'members' (initials) or 'agencies' (agency ids)")
            elif not members and not agencies:
                self.add(_line(item), f"{label} has no members and no agencies")
            for initials, line in members:
                self.ref("initials", initials, line, f"in members of {label}")
            for agency, line in agencies:
                self.ref("agency", agency, line, f"for {label}")
            leads = self.idents(f.get("leads"), f"leads of {label}")
            in_group = {m for m, _ in members}
            in_agencies = {a for a, _ in agencies}
            for initials, line in leads:
                self.ref("initials", initials, line, f"in leads of {label}")
                if (
                    initials in agency_of
                    and initials not in in_group
                    and agency_of[initials] not in in_agencies
                ):
                    self.add(
                        line,
                        f"{initials} is in leads of {label} but is not one of its members: "
                        "add them to its members, or lead with a member",
                    )
            if gid is None:
                continue
            if gid in first_line:
                self.add(_line(item), f"duplicate group id '{gid}' (first on line {first_line[gid]})")
                continue
            first_line[gid] = _line(item)
            self._known["group"].append(gid)
            out.append(
                GroupSpec(
                    gid,
                    name or "",
                    aliases,
                    tuple(_unique(m for m, _ in members)),
                    tuple(_unique(a for a, _ in agencies)),
                    _line(item),
                    tuple(_unique(m for m, _ in leads)),
                )
            )
        return out

    def people(self, node: Node | None) -> list[PersonSpec]:
        out: list[PersonSpec] = []
        first_line: dict[str, int] = {}
        used: dict[str, dict[str, tuple[str, int]]] = {"email": {}, "slack_id": {}, "teams_id": {}}
        for item in self.sequence(node, "people"):
            label = self.label("person", item, "initials", "name")
            f = self.mapping(item, label, PERSON_KEYS)
            if f is None:
                continue
            name = self.name(f.get("name"), "person", label)
            initials = self.ident(f.get("initials"), f"initials of {label}", required=True)
            if initials is not None and not _INITIALS.match(initials):
                self.add(
                    _line(f["initials"]),
                    f"initials {initials!r} of {label} must be 1 to 5 letters, the first a capital, e.g. SMa",
                )
            agency = self.ident(f.get("agency"), f"agency of {label}", required=True)
            if agency is not None:
                self.ref("agency", agency, _line(f["agency"]), f"for {label}")
            title = self.text(f.get("title"), f"title of {label}")
            email = self.email(f.get("email"), f"email of {label}")
            slack_id = self.text(f.get("slack_id"), f"slack_id of {label}", limit=MAX_PLATFORM_ID)
            teams_id = self.text(f.get("teams_id"), f"teams_id of {label}", limit=MAX_PLATFORM_ID)
            roles = self.person_roles(f.get("roles"), label)
            for key, value in (("email", email), ("slack_id", slack_id), ("teams_id", teams_id)):
                if value is None:
                    continue
                norm = value.lower() if key == "email" else value
                if norm in used[key]:
                    other, other_line = used[key][norm]
                    message = f"{key} {value!r} of {label} is also used by {other} (line {other_line})"
                    self.add(_line(f[key]), message)
                else:
                    used[key][norm] = (label.removeprefix("person "), _line(f[key]))
            if initials is None:
                continue
            if initials in first_line:
                self.add(
                    _line(f["initials"]),
                    f"duplicate initials '{initials}' (first used on line {first_line[initials]}): "
                    "initials must be unique; add a letter, e.g. SMa and SMi",
                )
                continue
            first_line[initials] = _line(item)
            self._known["initials"].append(initials)
            for role in roles:
                self._labels.setdefault(role, []).append(initials)
            out.append(
                PersonSpec(
                    name or "",
                    initials,
                    agency or "",
                    title,
                    email,
                    slack_id,
                    teams_id,
                    roles,
                    _line(item),
                )
            )
        return out

    def person_roles(self, node: Node | None, label: str) -> tuple[str, ...]:
        """`roles: [dsp, lsp]`: free labels, one lower-case word each; a series' roles are given there."""
        out: list[str] = []
        for role, line in self.idents(node, f"roles of {label}"):
            if role.replace("-", "_") in SERIES_ROLES:
                self.add(
                    line,
                    f"role {role!r} of {label} is a role in a series: give it there "
                    f"({role.replace('-', '_')}: initials); a person's roles are labels such as dsp or lsp",
                )
            elif not _LABEL.match(role):
                self.add(
                    line,
                    f"role {role!r} of {label} must be one lower-case word (letters, digits, - or _), "
                    "such as dsp, lsp or scrutineer",
                )
            elif role not in out:
                out.append(role)
        return tuple(out)

    def series(self, node: Node | None) -> list[_SeriesInfo]:
        out: list[_SeriesInfo] = []
        first_line: dict[str, int] = {}
        for item in self.sequence(node, "series"):
            info = self.one_series(item, first_line)
            if info is not None:
                out.append(info)
        return out

    def one_series(self, item: Node, first_line: dict[str, int]) -> _SeriesInfo | None:
        label = self.label("series", item, "id", "name")
        f = self.mapping(item, label, SERIES_KEYS)
        if f is None:
            return None
        lines = {key: _line(value) for key, value in f.items()}
        sid = self.checked_id(f.get("id"), f"id of {label}")
        duplicate = sid in first_line
        if sid is not None and duplicate:
            self.add(_line(item), f"duplicate series id '{sid}' (first on line {first_line[sid]})")
        elif sid is not None:
            first_line[sid] = _line(item)
            self._known["series"].append(sid)
        name = self.name(f.get("name"), "series", label)

        roles: dict[str, str | None] = {}
        for role in SERIES_ROLES:
            what = f"{role} of {label}"
            # an empty `chair:` is reported: a series with no standing chair leaves the key out
            roles[role] = self.ident(f.get(role), what, required=role == "chair")
            self.ref("initials", roles[role], lines.get(role, 0), f"for {what}")
        if roles["chair"] is not None and roles["chair"] == roles["vice_chair"]:
            self.add(lines["vice_chair"], f"{roles['chair']} is both chair and vice_chair of {label}")

        shared_with: list[str] = []
        for other, line in self.idents(f.get("shared_with"), f"shared_with of {label}"):
            if other == self._pid:
                self.add(
                    line, f"{label} is shared_with its own partnership {other}: name the other partnership"
                )
            elif other in shared_with:
                self.add(line, f"{other} is listed twice in shared_with of {label}")
            else:
                shared_with.append(other)
        members: list[str] = []
        offices: list[str] = []
        shared_members: list[tuple[str, str]] = []
        member_nodes, office_nodes = self.member_entries(f.get("members"), label)
        for initials, line in self.idents(member_nodes, f"members of {label}"):
            other, colon, theirs = initials.partition(":")
            if colon:
                if other not in shared_with:
                    self.add(
                        line,
                        f"{initials} in members of {label}: {other} is not in its shared_with; "
                        f"add `shared_with: [{other}]` to the series, or write initials of this file",
                    )
                elif not theirs.strip():
                    self.add(
                        line, f"{initials} in members of {label}: write {other}:XX, XX their initials there"
                    )
                elif (other, theirs.strip()) in shared_members:
                    self.add(line, f"{initials} is listed twice in members of {label}")
                else:
                    shared_members.append((other, theirs.strip()))
                continue
            if initials in members:
                self.add(line, f"{initials} is listed twice in members of {label}")
                continue
            members.append(initials)
            self.ref("initials", initials, line, f"in members of {label}")
        for office, line in self.offices(office_nodes, label):
            if office == sid:
                self.add(
                    line,
                    f"{{chair_of: {office}}} in members of {label} names the series' own chair, "
                    "who is a member already: name another series",
                )
            elif office in offices:
                self.add(line, f"{{chair_of: {office}}} is listed twice in members of {label}")
            else:
                offices.append(office)
                self.ref("series", office, line, f"for chair_of in members of {label}")
        everyone = set(members) | {v for v in roles.values() if v}
        observers = self.observers(f.get("observers"), label, everyone)

        deputies = self.deputies(f.get("deputies"), label, everyone)
        quorum = self.quorum(f.get("quorum"), label) if "quorum" in f else self._default_quorum
        decision_quorum = (
            _ruled(self.quorum(f.get("decision_quorum"), label, key="decision_quorum"))
            if "decision_quorum" in f
            else self._default_decision_quorum
        )
        if "quorum" not in f and quorum is None and "quorum" not in self._top_keys:
            self.add(
                _line(item),
                f"{label} has no 'quorum': give it one, or a partnership-wide quorum at the top of the file",
            )
        cadence = self.text(f.get("cadence"), f"cadence of {label}", limit=MAX_ITEM)
        if cadence is not None and as_required(cadence):
            cadence = None  # meets when needed: an ad hoc group, each date set with `next meeting`
        if cadence is not None:
            try:
                parse_cadence(cadence)
            except CadenceError as exc:
                self.add(lines["cadence"], f"{label}: {exc}")
        papers_due = self.text(f.get("papers_due"), f"papers_due of {label}", limit=MAX_ITEM)
        if papers_due is not None:
            try:
                parse_papers_due(papers_due)
            except CadenceError as exc:
                self.add(lines["papers_due"], f"{label}: {exc}")
        time = self.meeting_time(f.get("time"), f"time of {label}")
        place = self.text(f.get("place"), f"place of {label}", limit=MAX_ITEM)
        escalates_to = tuple(
            _unique(e for e, _ in self.idents(f.get("escalates_to"), f"escalates_to of {label}"))
        )
        for route in escalates_to:
            self.ref("series", route, lines.get("escalates_to", 0), f"for escalates_to of {label}")
        standing_items = self.texts(f.get("standing_items"), f"standing_items of {label}", limit=MAX_ITEM)
        tracker_item = self.tracker_item(f.get("tracker_item"), label, standing_items)
        minutes_preamble = self.text(
            f.get("minutes_preamble"), f"minutes_preamble of {label}", limit=MAX_PREAMBLE
        )
        on_the_day = self.boolean(f.get("deputies_on_the_day"), f"deputies_on_the_day of {label}")
        rotation = self.chair_rotation(f.get("chair_rotation"), label)
        runners = ("chair", "chair_rotation", "vice_chair", "minute_taker", "business_manager")
        if not any(key in f for key in runners) and "business_unit" not in self._top_keys:
            self.add(
                _line(item),
                f"{label} names no chair and nobody else to run its meetings: give it a chair, a "
                "vice_chair, a business_manager or a minute_taker, or give the partnership a business_unit",
            )
        if rotation is not None and roles["vice_chair"] in rotation.chairs:
            self.add(
                lines["vice_chair"],
                f"{roles['vice_chair']} is both vice_chair and a rotating chair of {label}",
            )

        terms = self.https_url(f.get("terms_of_reference"), f"terms_of_reference of {label}")
        ends = self.day(f.get("ends"), f"ends of {label}")
        if ends is not None and not escalates_to:
            self.add(
                lines["ends"],
                f"{label} ends on {ends.isoformat()} but has no escalates_to: name the series its open "
                "actions go to when it ends (escalates_to: board)",
            )

        # Neither `chair` nor `chair_rotation`: no standing chair ("" here; SeriesRef.chair_on says None).
        if sid is None or duplicate or quorum is None:
            return None
        if "chair" in f and roles["chair"] is None:
            return None  # a `chair:` written but not read is reported above
        if "chair_rotation" in f and rotation is None:
            return None
        spec = SeriesSpec(
            id=sid,
            name=name or "",
            chair=roles["chair"] or "",
            vice_chair=roles["vice_chair"],
            minute_taker=roles["minute_taker"],
            business_manager=roles["business_manager"],
            members=tuple(members),
            deputies=deputies,
            quorum=quorum,
            cadence=cadence,
            time=time,
            place=place,
            papers_due=papers_due,
            escalates_to=escalates_to,
            standing_items=standing_items,
            tracker_item=tracker_item,
            minutes_preamble=minutes_preamble,
            observers=observers,
            deputies_on_the_day=bool(on_the_day),
            chair_rotation=rotation,
            decision_quorum=decision_quorum,
            terms_of_reference=terms,
            ends=ends,
            members_by_office=tuple(offices),
            shared_with=tuple(shared_with),
            shared_members=tuple(shared_members),
            line=_line(item),
        )
        return _SeriesInfo(spec, lines)

    def member_entries(self, node: Node | None, label: str) -> tuple[Node | None, list[Node]]:
        """Members as written: initials, and entries by office (`{chair_of: cspr-panel}`) apart."""
        if not isinstance(node, SequenceNode):
            return node, []
        plain: list[Node] = [item for item in node.value if not isinstance(item, MappingNode)]
        offices: list[Node] = [item for item in node.value if isinstance(item, MappingNode)]
        return SequenceNode(node.tag, plain, node.start_mark, node.end_mark), offices

    def offices(self, nodes: list[Node], label: str) -> list[tuple[str, int]]:
        """`{chair_of: SERIES}` entries of a members list: the series' ids with their lines."""
        out: list[tuple[str, int]] = []
        for item in nodes:
            what = f"a member by office in {label}"
            f = self.mapping(item, f"{what} (write {{chair_of: SERIES}})", OFFICE_KEYS)
            if f is None or "chair_of" not in f:
                continue
            office = self.ident(f["chair_of"], f"chair_of in members of {label}", required=True)
            if office is not None:
                out.append((office, _line(f["chair_of"])))
        return out

    def https_url(self, node: Node | None, what: str) -> str | None:
        """An https address, as a browser would open it."""
        value = self.text(node, what, limit=MAX_URL)
        if value is None or node is None:
            return None
        parts = urlsplit(value)
        host = parts.hostname or ""
        if parts.scheme.lower() != "https" or "." not in host or any(c.isspace() for c in value):
            self.add(
                _line(node),
                f"{what} {value!r} must be an https:// address, "
                "e.g. https://westshire.example/board/terms-of-reference.pdf",
            )
            return None
        return value

    def day(self, node: Node | None, what: str) -> date | None:
        """A date written 2025-06-30 (quoted or not)."""
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return None
        value: object = None
        if isinstance(node, ScalarNode):
            value = self._constructor.construct_object(node)
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value.strip())
                except ValueError:
                    value = None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        shown = f" {node.value!r}" if isinstance(node, ScalarNode) else ""
        self.add(_line(node), f"{what}{shown} must be a date written 2025-06-30")
        return None

    def observers(self, node: Node | None, label: str, everyone: set[str]) -> tuple[str, ...]:
        """Observers attend without a seat: one who is also a member or role holder would count twice over."""
        out: list[str] = []
        for initials, line in self.idents(node, f"observers of {label}"):
            self.ref("initials", initials, line, f"in observers of {label}")
            if initials in everyone:
                self.add(
                    line,
                    f"{initials} is both a member (or role holder) and an observer of {label}: "
                    "an observer never counts for quorum, so list them in one or the other",
                )
            elif initials in out:
                self.add(line, f"{initials} is listed twice in observers of {label}")
            else:
                out.append(initials)
        return tuple(out)

    def chair_rotation(self, node: Node | None, label: str) -> ChairRotation | None:
        """`{chairs: [HP, JR, FH], months: 18, from: 2024-04-01}`: the chair passes along the list."""
        if node is None:
            return None
        what = f"chair_rotation of {label}"
        usage = "e.g. {chairs: [HP, JR, FH], months: 18, from: 2024-04-01}"
        if not isinstance(node, MappingNode):
            self.add(_line(node), f"{what} must be a mapping, {usage}")
            return None
        f = self.mapping(node, what, ROTATION_KEYS)
        if f is None:
            return None
        ok = True
        chairs: list[str] = []
        for initials, line in self.idents(f.get("chairs"), f"chairs of {what}"):
            self.ref("initials", initials, line, f"in chairs of {what}")
            if initials in chairs:
                self.add(line, f"{initials} is listed twice in chairs of {what}")
                ok = False
            chairs.append(initials)
        if len(chairs) < 2 and "chairs" in f:
            self.add(_line(f["chairs"]), f"chairs of {what} must name at least two people: {usage}")
            ok = False
        months = f.get("months")
        count = 0
        if months is not None:
            if isinstance(months, ScalarNode) and months.tag == _INT:
                count = int(self._constructor.construct_object(months))
            if count < 1:
                self.add(_line(months), f"months of {what} must be a whole number of at least 1")
                ok = False
        start_node = f.get("from")
        start = None
        if start_node is not None:
            value = (
                self._constructor.construct_object(start_node) if isinstance(start_node, ScalarNode) else None
            )
            if isinstance(value, date) and not isinstance(value, datetime):
                start = value
            else:
                self.add(_line(start_node), f"from of {what} must be a date written 2024-04-01")
                ok = False
        if not ok or start is None or not chairs or not count:
            return None
        return ChairRotation(chairs=tuple(chairs), months=count, start=start)

    def tracker_item(self, node: Node | None, label: str, standing: tuple[str, ...]) -> str | None:
        """A standing item named by its title (any case) or its position (1 is the first): its title."""
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return None
        what = f"tracker_item of {label}"
        if not isinstance(node, ScalarNode):
            self.add(_line(node), f"{what} must be a standing item's title or position, not {_kind(node)}")
            return None
        value = node.value.strip()
        if not standing:
            self.add(_line(node), f"{what} names a standing item, but the series has no standing_items")
            return None
        by_title = {s.lower(): s for s in standing}
        if node.tag == _STR and value.lower() in by_title:
            return by_title[value.lower()]
        if value.isdigit():
            position = int(value)
            if 1 <= position <= len(standing):
                return standing[position - 1]
            count = f"{len(standing)} standing item{'' if len(standing) == 1 else 's'}"
            self.add(
                _line(node), f"{what} is {position}, but the series has {count}: give 1 to {len(standing)}"
            )
            return None
        self.add(
            _line(node),
            f"{what} {value!r} is not one of its standing_items{_suggest(value, standing)}: "
            "give the item's title as written there, or its position (1 is the first)",
        )
        return None

    def deputies(self, node: Node | None, label: str, everyone: set[str]) -> dict[str, tuple[str, ...]]:
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return {}
        what = f"deputies of {label}"
        if not isinstance(node, MappingNode):
            self.add(_line(node), f"{what} must map a member to their deputies, e.g. {{TR: [CG]}}")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for key_node, value_node in node.value:
            member = self.ident(key_node, f"member in {what}")
            if member is None:
                continue
            line = _line(key_node)
            if member in out:
                self.add(line, f"{member} appears twice in {what}")
                continue
            self.ref("initials", member, line, f"in {what}")
            # people are read before series, so an unknown member is reported once, as unknown
            if member not in everyone and member in self._known["initials"]:
                self.add(line, f"{member} has deputies in {label} but is not a member of it")
            names: list[str] = []
            for deputy, deputy_line in self.idents(value_node, f"deputies of {member} in {label}"):
                self.ref("initials", deputy, deputy_line, f"in {what}")
                if deputy == member:
                    self.add(deputy_line, f"{member} cannot deputise for themselves in {label}")
                elif deputy not in names:
                    names.append(deputy)
            out[member] = tuple(names)
        return out

    def quorum(self, node: Node | None, label: str, key: str = "quorum") -> QuorumRule | None:
        if node is None:
            return None
        what = f"{key} of {label}"
        usage = "use all-statutory-agencies, none, or a mapping of agencies, min_members and roles"
        if isinstance(node, ScalarNode):
            value = node.value.strip()
            if node.tag == _NULL or not value:
                self.add(_line(node), f"{what} is empty: {usage}")
                return None
            if node.tag == _STR and value in ("all-statutory-agencies", ALL_STATUTORY):
                return QuorumRule()
            if node.tag == _STR and value.lower() == "none":  # no quorum rule: never inquorate
                return QuorumRule(agencies=None)
            self.add(_line(node), f"{what} {value!r} is not a quorum rule: {usage}")
            return None
        f = self.mapping(node, what, QUORUM_KEYS)
        if f is None:
            return None
        ok = True
        if not f:
            self.add(_line(node), f"{what} has no conditions: {usage}")
            ok = False
        agencies: str | tuple[str, ...] | None = None
        agencies_node = f.get("agencies")
        if isinstance(agencies_node, ScalarNode) and agencies_node.tag == _STR:
            if agencies_node.value.strip() in (ALL_STATUTORY, "all-statutory-agencies"):
                agencies = ALL_STATUTORY
            else:  # a single agency id written without brackets
                agencies = (agencies_node.value.strip(),)
                self.ref("agency", agencies[0], _line(agencies_node), f"in {what}")
        elif agencies_node is not None:
            ids = self.idents(agencies_node, f"agencies of {what}")
            for agency, line in ids:
                self.ref("agency", agency, line, f"in {what}")
            if not ids:
                self.add(
                    _line(agencies_node), f"agencies of {what} must be all-statutory or a list of agency ids"
                )
                ok = False
            agencies = tuple(_unique(a for a, _ in ids))
        min_members = None
        if (count := f.get("min_members")) is not None:
            if isinstance(count, ScalarNode) and count.tag == _INT:
                min_members = int(self._constructor.construct_object(count))
            if min_members is None or min_members < 1:
                self.add(_line(count), f"min_members of {what} must be a whole number of at least 1")
                ok, min_members = False, None
        roles: list[str] = []
        labels: list[str] = []
        for role, line in self.idents(f.get("roles"), f"roles of {what}"):
            seat = role.replace("-", "_").replace(" ", "_")
            if seat in QUORUM_ROLES:
                if seat not in roles:
                    roles.append(seat)
            elif seat in SERIES_ROLES:
                self.add(line, f"role {role!r} in {what} must be chair or vice_chair, or a role people have")
                ok = False
            elif role not in self._labels:
                known = ", ".join(sorted(self._labels)) or "none yet: give people roles, e.g. roles: [dsp]"
                self.add(
                    line,
                    f"role {role!r} in {what} must be chair or vice_chair, or a role people in the file "
                    f"have (people's roles: {known})",
                )
                ok = False
            elif role not in labels:
                labels.append(role)
        if labels and "agencies" not in f:
            agencies = ALL_STATUTORY  # "each statutory agency represented by someone with that role"
        rule = QuorumRule(
            agencies=agencies, min_members=min_members, roles=tuple(roles), labels=tuple(labels)
        )
        return rule if ok else None

    def meeting_time(self, node: Node | None, what: str) -> str | None:
        """HH:MM or HH:MM-HH:MM; an unquoted 10:00 (a YAML 1.1 number) is read from its text."""
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return None
        if not isinstance(node, ScalarNode):
            self.add(_line(node), f"{what} must be HH:MM or HH:MM-HH:MM, not {_kind(node)}")
            return None
        match = _TIME.match(node.value.strip())
        hint = "" if node.tag == _STR else f'; put it in quotes: "{node.value}"'
        if not match:
            self.add(
                _line(node), f'{what} {node.value!r} must be HH:MM or HH:MM-HH:MM, e.g. "10:00-12:00"{hint}'
            )
            return None
        hours = [int(h) for h in match.group(1, 3) if h is not None]
        minutes = [int(m) for m in match.group(2, 4) if m is not None]
        if any(h > 23 for h in hours) or any(m > 59 for m in minutes):
            self.add(_line(node), f"{what} {node.value!r} is not a time of day")
            return None
        times = [f"{h:02d}:{m:02d}" for h, m in zip(hours, minutes, strict=True)]
        if len(times) == 2 and times[1] <= times[0]:
            self.add(_line(node), f"{what} {node.value!r} ends before it starts")
            return None
        return "-".join(times)

    # --- cross-references ---------------------------------------------------------------------

    def check_refs(self) -> None:
        for ref in self._refs:
            options = self._known[ref.kind]
            if ref.value in options:
                continue
            if ref.kind == "initials":
                hint = _suggest(ref.value, options)
            else:
                hint = f" (known: {', '.join(options) or 'none'})"
            self.add(ref.line, f"unknown {ref.kind} '{ref.value}' {ref.context}{hint}")

    def check_series(
        self, agencies: list[AgencySpec], people: list[PersonSpec], series: list[_SeriesInfo]
    ) -> None:
        by_id = {s.spec.id: s for s in series}
        for info in series:
            spec = info.spec
            # a series under the partnership's default quorum is reported at the series
            self.check_rule(
                spec, spec.quorum, "quorum", info.lines.get("quorum", spec.line), agencies, people, by_id
            )
            if spec.decision_quorum is not None:
                line = info.lines.get("decision_quorum", spec.line)
                self.check_rule(spec, spec.decision_quorum, "decision_quorum", line, agencies, people, by_id)
            if spec.id in spec.escalates_to:
                self.add(info.lines.get("escalates_to"), f"series {spec.id} escalates to itself")
            for office in spec.members_by_office:
                other = by_id[office].spec if office in by_id else None
                if other is not None and not other.chair and other.chair_rotation is None:
                    self.add(
                        info.lines.get("members", spec.line),
                        f"{{chair_of: {office}}} in members of series {spec.id}: series {office} names "
                        "no chair, so nobody would hold this seat; name its chair, or list the member",
                    )
        self.check_escalation_cycles(by_id)

    def check_rule(
        self,
        spec: SeriesSpec,
        rule: QuorumRule,
        key: str,
        line: int,
        agencies: list[AgencySpec],
        people: list[PersonSpec],
        by_id: dict[str, _SeriesInfo],
    ) -> None:
        """Can the rule be met at all by the series' members?"""
        agency_ids = {a.id for a in agencies}
        statutory = [a.id for a in agencies if a.statutory]
        agency_of = {p.initials: p.agency for p in people}
        labels_of = {p.initials: set(p.roles) for p in people}
        what = f"{key} of series {spec.id}"
        roles = (spec.chair, spec.vice_chair, spec.minute_taker, spec.business_manager)
        rotating = spec.chair_rotation.chairs if spec.chair_rotation else ()
        seats = set(spec.members) | {r for r in roles if r} | set(rotating)
        # A member by office is one seat, held by whichever of that series' chairs chairs on the day.
        office_chairs: set[str] = set()
        for office in spec.members_by_office:
            if office in by_id:
                other = by_id[office].spec
                office_chairs |= {c for c in (other.chair, *_rotating(other)) if c}
        seat_agencies = {agency_of.get(i) for i in seats | office_chairs}
        seat_count = len(seats) + len(spec.members_by_office)
        needed: list[str] = []
        if rule.agencies == ALL_STATUTORY:
            if not statutory:
                self.add(
                    line, f"{what} needs every statutory agency, but no agency is marked statutory: true"
                )
            needed = statutory
        elif isinstance(rule.agencies, tuple):
            needed = [a for a in rule.agencies if a in agency_ids]
        # an unknown person or agency among the seats is already reported: do not pile on
        if seat_agencies <= agency_ids:
            for agency in needed:
                if agency not in seat_agencies:
                    self.add(
                        line, f"{what} can never be met: no member of the series is from agency {agency}"
                    )
                elif rule.labels and not any(
                    agency_of.get(i) == agency and labels_of.get(i, set()) & set(rule.labels)
                    for i in seats | office_chairs
                ):
                    self.add(
                        line,
                        f"{what} can never be met: no member of the series from agency {agency} "
                        f"has role {' or '.join(rule.labels)}",
                    )
        if rule.min_members is not None and rule.min_members > seat_count:
            self.add(
                line,
                f"{what} can never be met: min_members {rule.min_members} "
                f"is more than its {seat_count} members",
            )
        if rule.roles == ("vice_chair",) and spec.vice_chair is None:
            self.add(line, f"{what} needs the vice_chair, but the series has none")
        elif (
            "chair" in rule.roles
            and not spec.chair
            and spec.chair_rotation is None
            and (spec.vice_chair is None or "vice_chair" not in rule.roles)
        ):
            self.add(
                line,
                f"{what} needs the chair, but the series names no chair (neither chair nor "
                f"chair_rotation): name one, or leave chair out of the {key}'s roles",
            )

    def check_escalation_cycles(self, by_id: dict[str, _SeriesInfo]) -> None:
        reported: set[frozenset[str]] = set()
        for start in sorted(by_id):
            # every route out of `start`, depth first, looking for one that comes back to it
            stack: list[list[str]] = [[start]]
            while stack:
                chain = stack.pop()
                for nxt in reversed(by_id[chain[-1]].spec.escalates_to):
                    if nxt == start and len(chain) > 1:
                        loop = frozenset(chain)
                        # report a loop once, from its alphabetically first series; self-loops are above
                        if loop not in reported and start == min(chain):
                            reported.add(loop)
                            self.add(
                                by_id[start].lines.get("escalates_to"),
                                f"escalation goes round in a circle: {' → '.join([*chain, start])}",
                            )
                    elif nxt in by_id and nxt not in chain:
                        stack.append([*chain, nxt])


def _scalars(node: Node | None) -> list[ScalarNode]:
    """The scalar items of a single value or a list, as written."""
    if isinstance(node, ScalarNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [item for item in node.value if isinstance(item, ScalarNode)]
    return []


def _rotating(spec: SeriesSpec) -> tuple[str, ...]:
    return spec.chair_rotation.chairs if spec.chair_rotation else ()


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _ruled(rule: QuorumRule | None) -> QuorumRule | None:
    """A decision quorum of `none` (no conditions) is no decision quorum: decisions need the quorum alone."""
    if rule is None or (
        rule.agencies is None and rule.min_members is None and not rule.roles and not rule.labels
    ):
        return None
    return rule
