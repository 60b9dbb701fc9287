"""Which messages are actions, who owns them, when they are due, and their titles.

Actions are written the way minutes are written:

- a prefix: "Action:", "ACTION -", "Action 14.", "Action for HN:", "Action (RB):";
- an agreement: "Agreed: HN to ...", "It was agreed for SMa and DA to ...",
  "Agreed: the revised protocol to be shared by the Business Manager by 3 May";
- minutes style at the start of a message: "<owner(s)> to <verb> ...".

Owners are only the subject of the sentence (or the agent of a passive, "to be
shared by RB"), never the people named after the verb: in "HN to check with RB"
RB is not an owner. Reports of what was said ("TM advised that ..."), tracker
statuses ("No further update. Action ongoing."), resolutions ("RESOLVED: that
...") and "The minutes were agreed ..." are not actions.

An "Action:" may start mid-line ("FD suggested we look at it. Action: LE to ..."): the action is
what follows it, and what came before is kept apart as its context. An owner may also be marked
after the task ("(owner: SM)", "— for SH", "SH to lead"), which names the owner without touching
the task's words. A line in the tracker's own form ("Action 28. EH to inform TM ... — No further
update. Action ongoing.") gives its number, its action, its update and its status word apart;
whether it updates an existing action is for the tracker review to decide, not this reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.dates import Due, find_due
from handlers.names import Ambiguous, Owner, Resolved, Unknown, resolve_name, suggest_people
from storage.roster import Roster

_I = re.IGNORECASE

_PREFIX = re.compile(
    r"^\s*(?:(?:[-*•·>]+|\d+(?:\.\d+)*[.)]?(?=\s))\s*)*(?:\*\*|__)?\s*(?:new\s+|agreed\s+|chair(?:'s|’s)?\s+)?"
    r"action(?:s|\s+point)?(?:\s*(?:no\.?|number|#)?\s*(?P<num>\d{1,4})\b)?"
    r"(?:\s+(?:for|on|by)\s+(?P<for>[^:–—\n]{1,60}?)\s*(?=[:–—])|\s*\((?P<paren>[^)\n]{1,60})\))?"
    r"\s*(?:\*\*|__)?\s*(?:[:.)–—]+|-+)(?:\s*(?:\*\*|__))?\s*",
    _I,
)
_AGREED = re.compile(
    r"^\s*(?:it\s+was\s+(?:also\s+)?agreed(?:\s+that|\s+for)?|agreed(?:\s+that|\s+for)?"
    r"|(?:the\s+)?(?:board|group|partnership|meeting|members|partners|executive)\s+(?:also\s+)?agreed"
    r"\s+(?:that|for))\s*[:–—-]?\s*",
    _I,
)
_NOT_ACTION_START = re.compile(r"^\s*(?:resolved|decision|decided|noted|minutes?)\b", _I)
_STATUS = re.compile(
    r"^\s*(?:no\s+(?:further\s+)?updates?|action\s+(?:ongoing|closed|complete[d]?|open|carried)"
    r"|ongoing|closed|complete[d]?|done|open|carried\s+forward|c/f|n/a|none|noted|not\s+discussed|deferred"
    r"|superseded)\b",
    _I,
)

# Where an "Action:" starts mid-line: after a sentence ends ("... cases. Action: LE to ...").
_SENTENCE_GAP = re.compile(r"[.!?;][\"'”’)]*\s+|\s*\n\s*")
# A status word closing a tracker line: "... No further update. Action ongoing.", "— Closed".
_END_STATUS = re.compile(
    r"(?:^|(?<=[.;,!?])\s*|\s*[-–—]+\s*|\s*\n\s*)"
    r"(?:(?:action|status)\s*[:–—-]?\s*)?"
    r"(?P<word>ongoing|closed|complete[d]?|open|done|carried\s+forward|deferred|superseded|on\s+hold)"
    r"\s*[.!]?\s*$",
    _I,
)
# Where an update starts after the action: "... SCR. No further update.", "... possible It was noted ...".
_UPDATE_OPENER = re.compile(
    r"(?:no\s+(?:further\s+)?updates?|nothing\s+further|not\s+discussed|it\s+was\s+noted)\b|updates?\s*[:–—]",
    _I,
)
_UPDATE_BREAK = re.compile(r"(?:[.;,!?]\s*|\s+[-–—]+\s+|\s*\n\s*)(?=" + _UPDATE_OPENER.pattern + r")", _I)
# Minute takers drop the full stop: "... as soon as possible It was noted that ...".
_UPDATE_BREAK_CASED = re.compile(
    r"(?<=[a-z])\s+(?=(?:No\s+(?:further\s+)?updates?|Not\s+discussed|It\s+was\s+noted)\b)"
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(])")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_DASH_BREAK = re.compile(r"\s+[–—]+\s+")
# A subject that narrates rather than owns: "Siobhan is arranging for this to be added ...".
_NARRATIVE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|been|being|will|would|can|could|updated|advised|confirmed|noted"
    r"|reported|said|suggested|explained)\b",
    _I,
)

# The subject of "<owners> to <verb>": lazily the shortest run before the first "to"/"will".
_SUBJECT = re.compile(
    r"^(?P<subj>[^.;:!?\n]{1,120}?)\s+(?P<aux>(?i:to|will|would|should|shall|must|are\s+to|is\s+to"
    r"|(?:has\s+|have\s+|kindly\s+)?(?:agreed|offered|volunteered|undertook|undertaken)\s+to))\s+"
    r"(?P<be>(?i:be)\s+)?(?P<verb>[A-Za-z][\w'’-]*)"
)
_PASSIVE = re.compile(
    r"\b(?:(?:to|will|would|should|shall|must|is\s+to|are\s+to)\s+be\s+(?P<verb>[a-z]+(?:-[a-z]+)*)"
    r"(?:\s+(?:forward|up|on|out|back))?"  # "to be taken forward by SH", "to be re-issued by BL"
    r"|(?P<led>led|chaired|owned|coordinated|co-ordinated|overseen))\s+by\s+",
    _I,
)
# "Action: RB - update the tracker": owners, a dash or colon, then the task.
_OWNER_COLON = re.compile(r"^(?P<owners>[^:–—\n]{1,50}?)\s*(?::|\s[-–—])\s*(?=[a-z])")
_NUMBERING = re.compile(r"^\s*(?:(?:[-*•·>]+|\d+(?:\.\d+)*[.)]|\d+\.\d+(?=\s))\s*)+")
_FIELD_OWNER = re.compile(
    r"\b(?:lead|owner|action\s+owner|responsible|responsibility|who|by\s+whom)\s*[:–—-]\s*"
    r"(?P<owners>[^.;\n()]{1,60})",
    _I,
)
_TRAILING_OWNER = re.compile(
    r"(?:\(|\[)\s*(?P<owners>[^()\[\]\n]{1,60})\s*[)\]]\s*\.?\s*$|\s[-–—]\s*"
    r"(?P<dash>[A-Z@][^-–—\n]{0,50})\s*\.?\s*$"
)
# "(owner: SM)", "Owner – SM", "; action owner: SM": an explicit owner, which wins over the subject.
_OWNER_MARK = re.compile(
    r"(?:\s*[(\[]\s*|\s*[-–—;,.]\s*|^)(?:action\s+)?owners?\s*(?::|[-–—]\s)\s*"
    r"(?P<owners>[^.;\n()\[\]]{1,60}?)\s*(?:[)\]]|(?=[.;\n]|$))",
    _I,
)
# "... the report — for SH": who the action is for, marked at the end.
_FOR_MARK = re.compile(r"(?:\s+[-–—]+\s*|\s*;\s*)for\s+(?P<owners>[^()\[\]\n.;,]{1,60}?)\s*[.!]?\s*$", _I)
# "... (for SH)": the same in brackets, read only when the sentence names no owner
# ("CG to send it (for TR)" is a deputy acting).
_FOR_PAREN = re.compile(r"\s*\(\s*for\s+(?P<owners>[^()\n]{1,60}?)\s*\)\s*[.!]?\s*$", _I)
# "..., SH to lead", "(SH leading)": the lead named at the end.
_LEAD_MARK = re.compile(
    r"(?:\s*[,;]\s*|\s*\(\s*|\s+[-–—]+\s*)(?P<owners>[^,;()\n]{1,60}?)\s+"
    r"(?:to\s+lead(?:\s+on\s+(?:this|it))?|leading|to\s+take\s+(?:this\s+|it\s+)?forward)\s*\)?\s*[.!]?\s*$",
    _I,
)
_PAREN = re.compile(r"\s*\([^)]*\)")
# "CG for TR", "BLl on behalf of DA": the deputy acting is the owner.
_ON_BEHALF = re.compile(r"\s+(?:for|on\s+behalf\s+of|deputising\s+for|covering\s+for)\s+[^,/&]+$", _I)
# "HN with support from GP", "HN, supported by GP": supporters are not owners.
_SUPPORT = re.compile(
    r"\s*,?\s*(?:with\s+(?:support\s+from|the\s+support\s+of)|supported\s+by|with|jointly)\b.*$", _I
)
_SPLIT = re.compile(r"\s*(?:/|,|&|\+|\band\b)\s*", _I)
# Where the agent of a passive ends: "by the Business Manager | by 3 May".
_AGENT_END = re.compile(
    r"[.;:!?()\n]|,\s*(?!and\b|&)(?=[a-z])"
    r"|\s(?:by|before|at|on|within|in|for|to|no|with|from|when|where|if|as|so|because|ahead|prior"
    r"|until|following|after|once|via|through|during)\b",
    _I,
)

# Passive verbs whose agent is not the owner: "to be attended by EH, DL and SC".
_NOT_AGENT_VERBS = {
    "attended",
    "joined",
    "supported",
    "observed",
    "received",
    "noted",
    "seen",
    "read",
    "copied",
    "informed",
    "consulted",
    "updated",
    "told",
    "advised",
}
_NON_VERBS = {
    "the",
    "a",
    "an",
    "all",
    "any",
    "each",
    "every",
    "this",
    "that",
    "these",
    "those",
    "their",
    "his",
    "her",
    "its",
    "our",
    "my",
    "your",
    "them",
    "him",
    "us",
    "me",
    "it",
    "some",
    "no",
    "and",
    "or",
    "of",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "members",
    "partners",
    "agencies",
    "everyone",
    "staff",
    "children",
    "families",
    "date",
    "day",
    "week",
    "month",
    "year",
    "which",
    "whom",
    "what",
    "whether",
}
_SUBJECT_STOP = {
    "nothing",
    "no",
    "none",
    "anything",
    "something",
    "everything",
    "there",
    "it",
    "this",
    "that",
    "these",
    "those",
    "what",
    "who",
    "how",
    "why",
    "when",
    "where",
    "need",
    "needs",
    "plan",
    "plans",
    "work",
    "time",
    "thanks",
    "thank",
    "welcome",
    "agreed",
    "decision",
    "resolved",
    "noted",
    "update",
    "updates",
    "item",
    "items",
    "action",
    "actions",
    "reference",
    "response",
    "due",
    "next",
    "date",
    "dates",
    "papers",
    "paper",
    "minutes",
    "agenda",
    "report",
    "reports",
    "request",
    "requests",
    "proposal",
    "note",
    "notes",
    "please",
    "unable",
    "failure",
    "ability",
    "nobody",
    "we",
    "i",
    "you",
    "they",
    "he",
    "she",
    "our",
    "their",
    "his",
    "her",
    "its",
    "my",
    "your",
    "happy",
    "pleased",
    "keen",
    "good",
    "important",
    "difficult",
    "hard",
    "continue",
    "link",
    "access",
    "changes",
    "change",
    "referrals",
    "reminder",
    "remember",
    "steps",
    "aim",
    "goal",
    "purpose",
    "feedback",
    "question",
    "questions",
    "issue",
    "issues",
    "concerns",
    "concern",
    "training",
    "data",
    "survey",
    "funding",
    "discussion",
    "following",
    "further",
    "comments",
    "recommendation",
    "recommendations",
    "points",
    "things",
    "decisions",
    "if",
    "as",
    "so",
    "also",
    "then",
    "once",
    "after",
    "before",
    "in",
    "on",
    "at",
    "for",
    "with",
    "from",
    "a",
    "an",
    "each",
    "every",
    "any",
    "some",
    "one",
    "more",
    "less",
    "most",
    "many",
    "much",
    "able",
    "unlikely",
    "likely",
    "going",
    "agreement",
    "consideration",
    "intention",
}
# Nouns that end a lowercase owner phrase: "the performance lead", "schools", "named nurses".
_ROLE_NOUNS = {
    "lead",
    "leads",
    "manager",
    "managers",
    "officer",
    "officers",
    "nurse",
    "nurses",
    "doctor",
    "doctors",
    "team",
    "teams",
    "colleagues",
    "partners",
    "members",
    "representative",
    "representatives",
    "rep",
    "reps",
    "group",
    "unit",
    "service",
    "services",
    "agency",
    "agencies",
    "schools",
    "school",
    "practitioners",
    "staff",
    "chair",
    "chairs",
    "coordinator",
    "co-ordinator",
    "administrator",
    "admin",
    "director",
    "head",
    "heads",
    "analyst",
    "police",
    "council",
    "icb",
    "health",
    "education",
    "gps",
    "commissioners",
    "providers",
    "secretariat",
    "scrutineer",
    "panel",
    "board",
    "subgroup",
    "sub-group",
    "executive",
    "lsps",
    "dsps",
    "partnership",
}
_CONNECTORS = {"of", "and", "for", "the", "&", "de", "van", "von", "le", "la", "da", "di", "in"}
_DATEISH = re.compile(
    r"\b(?:tomorrow|today|next|end|within|week|month|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec)|\d",
    _I,
)


@dataclass(frozen=True)
class Capture:
    is_action: bool
    owners: tuple[Owner, ...]  # resolved, in order, no duplicates
    questions: tuple[Ambiguous | Unknown, ...]  # names that looked like owners but are not exactly one
    due: date | None
    due_kind: str | None  # "date" | "next_meeting" | None
    due_text: str | None
    title: str
    number: int | None  # the number of an "Action 23." prefix
    # The parts of a line that holds more than the action. `action_text` is the action as written
    # (no prefix, context, update or status); `context` what came before an "Action:" starting
    # mid-line; `update` and `status` ("ongoing", "closed", ... lower case) what a tracker line
    # adds after it. `offset` is where the action's message starts in the text (after the context).
    action_text: str | None = None
    context: str | None = None
    update: str | None = None
    status: str | None = None
    offset: int = 0
    due_refused: Due | None = None  # a deadline read but not taken (`why` says why): the reply says so


Name = Resolved | Ambiguous | Unknown


def _name_like(piece: str, *, lenient: bool) -> bool:
    """Could this unresolved piece be an owner the roster does not know ("Tom Carver", "TM", "the lead")?"""
    words = piece.split()
    if not words or len(words) > 5 or any(ch.isdigit() for ch in piece):
        return False
    if re.fullmatch(r"@?[A-Z][A-Za-z]{0,4}", piece) and sum(c.isupper() for c in piece) >= 2:
        return True  # initials: "TM", "PMcL", "SHB", "AS"
    if re.fullmatch(r"(?i:the)\s+[A-Z]{2,6}", piece):
        return True  # a post known by its acronym: "the LADO", "the DCS"
    first = words[0].lower().strip("@")
    if first in _SUBJECT_STOP and first not in ("the", "all", "each", "every"):
        return False
    if words[0][0].isupper() and all(w[0].isupper() or w.lower() in _CONNECTORS for w in words):
        if len(words) > 1 or lenient:
            return True
        # One capitalised word at the start of a sentence is usually not a name: "Dates to note".
        plural_of_people = re.search(r"(?:ers|ists|ians|ors|ives|ees|ants|ls)$", piece)  # "Providers", "GPs"
        return bool(plural_of_people) or piece.lower() in _ROLE_NOUNS
    low = [w.lower() for w in words]
    if low[0] in ("the", "all", "each", "every", "our", "relevant", "named", "designated"):
        low = low[1:]
    return 0 < len(low) <= 3 and (low[-1] in _ROLE_NOUNS or (lenient and len(low) <= 2))


def _read_owners(
    phrase: str,
    roster: Roster,
    series: str | None,
    day: date | None,
    *,
    lenient: bool,
    strict: bool = False,
) -> list[Name] | None:
    """The owners named in a subject phrase, or None if the phrase does not look like owners at all."""
    phrase = _SUPPORT.sub("", _PAREN.sub("", phrase)).strip(" ,*_")
    phrase = re.sub(r"^(?:both|jointly)\s+", "", phrase, flags=_I)
    if not phrase or len(phrase.split()) > 14:
        return None
    whole = resolve_name(phrase, roster, series, suggest=False, day=day)
    if isinstance(whole, Resolved):
        return [whole]
    pieces = [p for p in _SPLIT.split(phrase) if p.strip()]
    out: list[Name] = []
    for piece in pieces:
        piece = _ON_BEHALF.sub("", piece.strip())
        found = resolve_name(piece, roster, series, suggest=False, day=day)
        if isinstance(found, Unknown):
            if strict or not _name_like(piece, lenient=lenient):
                return None
            found = Unknown(piece, suggest_people(piece, roster))
        out.append(found)
    return out or None


def _verb_ok(verb: str, text: str) -> bool:
    if verb.lower() in _NON_VERBS:
        return False
    return verb[0].islower() or text.isupper()


def _agent(
    body: str, roster: Roster, series: str | None, day: date | None
) -> tuple[list[Name], int, int] | None:
    """The agent of "... to be shared by the Business Manager ...", with its span (from " by")."""
    for m in _PASSIVE.finditer(body):
        if (m.group("verb") or "").lower() in _NOT_AGENT_VERBS:
            continue
        rest = body[m.end() :]
        stop = _AGENT_END.search(rest)
        phrase = rest[: stop.start()] if stop else rest
        # A list may carry on past a comma: "by EH, DL and SC".
        names = _read_owners(phrase, roster, series, day, lenient=False)
        if not names:
            continue
        if not any(isinstance(n, Resolved) for n in names) and _DATEISH.search(phrase):
            continue  # "to be reviewed by the end of June"
        by_start = m.start("led") if m.group("led") else m.end() - len("by ") - 1
        return names, by_start, m.end() + len(phrase.rstrip())
    return None


def _dedupe(names: list[Name]) -> tuple[tuple[Owner, ...], tuple[Ambiguous | Unknown, ...]]:
    owners: list[Owner] = []
    questions: list[Ambiguous | Unknown] = []
    for n in names:
        if isinstance(n, Resolved):
            if n.owner not in owners:
                owners.append(n.owner)
        elif n not in questions:
            questions.append(n)
    return tuple(owners), tuple(questions)


_KEEP_CUES = ("at ", "to ", "for ")
_DEADLINE_CUES = ("by ", "before ", "ahead ", "prior ", "until ", "in time ", "no later ")
_DANGLING = re.compile(r"\b(?:to|at|for|with|and|or|on|of|the|a|an|by|from|in|that)\s*$", _I)


def _title(body: str, cut: list[tuple[int, int]], due: Due, start: int) -> str:
    """The body from `start`, without the cut spans, and without the due phrase when that reads well."""
    spans = sorted(s for s in cut if s[0] >= start)
    if due.kind and due.start >= start:
        lead = (due.text or "").lower()
        # "present at the next meeting" reads badly without its meeting; "by the next meeting" does not
        keep = due.kind == "next_meeting" and not lead.startswith(_DEADLINE_CUES)
        if not keep and not lead.startswith(_KEEP_CUES):
            before = _strip_spans(body, spans, start, due.start)
            if before.strip() and not _DANGLING.search(before):
                spans = sorted([*spans, (due.start, due.end)])
    text = _strip_spans(body, spans, start, len(body))
    text = re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s+", " ", text))
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)
    return text.strip(" .;,:-–—*_")


def _strip_spans(body: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out, pos = [], start
    for s, e in spans:
        if s >= end:
            break
        if s >= pos:
            out.append(body[pos:s])
            pos = e
    out.append(body[pos:end] if pos < end else "")
    return "".join(out)


def _not_action(
    text: str,
    *,
    number: int | None = None,
    context: str | None = None,
    update: str | None = None,
    status: str | None = None,
    offset: int = 0,
) -> Capture:
    return Capture(
        False, (), (), None, None, None, text.strip(), number, None, context, update, status, offset
    )


def opens_with_verb(task: str) -> bool:
    """Does this task read after "<owners> to" ("invite the lead"), unlike "FD suggested ..."?"""
    word = re.match(r"\s*(?:to\s+)?([A-Za-z][\w'’-]*)", task, _I)
    return word is not None and _verb_ok(word.group(1), task) and word.group(1).lower() not in _PRONOUNS


_PRONOUNS = {"i", "we", "you", "he", "she", "they"}


def action_start(text: str) -> int:
    """Where an "Action:" starting mid-line begins, after the sentence before it; 0 if none does."""
    if _PREFIX.match(text):
        return 0
    for gap in _SENTENCE_GAP.finditer(text):
        rest = text[gap.end() :]
        if _MID_PREFIX.match(rest) and _PREFIX.match(rest):
            return gap.end()
    return 0


# A message opening with "Action" ("Action 28 EH to …", "2. Action for SMa:", "- **Actions**"): the
# capture's and the tracker review's lines, before their separators are checked.
_ACTION_WORD = re.compile(
    r"^\s*(?:(?:[-*•·>]+|\d+(?:\.\d+)*[.)]?(?=\s))\s*)*(?:\*\*|__)?\s*(?:new\s+|agreed\s+)?actions?\b", _I
)


def may_capture(text: str) -> bool:
    """Could this message be an action the way minutes mark one, read from its words alone?

    True for a message opening with "Action" (a prefix or a tracker line), an "Action:" after a
    sentence ("FD suggested a review. Action: LE to …") and an agreement ("Agreed:", "It was agreed
    that …", "The board agreed that …"): the openings `capture_action` reads without the roster.
    A door gives the core a message nobody addressed to it only when this holds, so other chat is
    never read; unmarked minutes style ("HN to …") is read when the bot is addressed.
    """
    return bool(_ACTION_WORD.match(text) or action_start(text) > 0 or _AGREED.match(text))


def agreement_body(text: str) -> str | None:
    """What follows an agreement's opening ("It was agreed that …", "Agreed: …"); None if none."""
    agreed = _AGREED.match(text)
    return text[agreed.end() :].strip() or None if agreed else None


def as_typed(text: str) -> str:
    """A captured message as the minutes print the action: from where the action starts (not the
    sentence before a mid-line "Action:"), without its "Action 3:" label or an "Agreed:" opening
    (the minutes say "Action 3: The protocol to be shared …", not "Action 3: Agreed: the …")."""
    message = text[action_start(text) :]
    prefix = _PREFIX.match(message)
    body = message[prefix.end() :].strip() if prefix else message.strip()
    agreed = _AGREED.match(body)
    if agreed is None or agreed.end() == len(body):
        return body
    rest = body[agreed.end() :]
    return rest[:1].upper() + rest[1:]


def has_action_label(text: str) -> bool:
    """Does the message say it is an action ("Action 3:", "ACTION –", or mid-line after a sentence)?"""
    return _PREFIX.match(text[action_start(text) :]) is not None


_MID_PREFIX = re.compile(
    r"(?:[-*•·>]\s*)*(?:\*\*|__)?\s*(?:new\s+|agreed\s+|chair(?:'s|’s)?\s+)?actions?\b", _I
)
_STATUS_WORDS = re.compile(
    r"(?:action\s+)?(?P<word>ongoing|closed|complete[d]?|open|done|carried\s+forward|c/f|deferred|superseded)$",
    _I,
)


def _status_word(text: str) -> str | None:
    """The status a leading status phrase gives ("Ongoing", "Action closed"); None for "No further update"."""
    m = _STATUS_WORDS.match(text.strip())
    return re.sub(r"\s+", " ", m.group("word").lower()) if m else None


def _cut_status(body: str) -> tuple[str, str | None]:
    """A tracker line's closing status word ("... Action ongoing."), and the body without it."""
    m = _END_STATUS.search(body)
    if m is None:
        return body, None
    return body[: m.start()].rstrip(), re.sub(r"\s+", " ", m.group("word").lower())


def _cut_update(body: str, has_status: bool) -> tuple[str, str | None]:
    """The action and the update written after it.

    An update opens with its own words ("No further update", "It was noted"); on a line closed by a
    status, the first sentence, line or spaced dash ends the action too.
    """
    if _UPDATE_OPENER.match(body):
        return "", body
    breaks = [m for rx in (_UPDATE_BREAK, _UPDATE_BREAK_CASED) if (m := rx.search(body))]
    if has_status:
        # after the action's first words: not "Dr. Evans to …" nor the dash of "RB – update the tracker"
        for rx in (_SENTENCE_BREAK, _LINE_BREAK, _DASH_BREAK):
            breaks += [m for m in rx.finditer(body) if len(body[: m.start()].split()) >= 3][:1]
    breaks = [m for m in breaks if m.start() > 0]
    if not breaks:
        return body, None
    first = min(breaks, key=lambda m: m.start())
    end = first.start() + (1 if body[first.start()] in ".!?" else 0)  # the action keeps its full stop
    return body[:end].rstrip(), body[first.end() :].strip() or None


def _reads_as_task(part: str, roster: Roster, series: str | None, day: date | None) -> bool:
    """Does this part of a tracker line state a task ("EH to inform TM ..."), not news about one?"""
    if re.match(r"\s*to\s+[a-z]", part, _I):
        return True
    subject = _SUBJECT.match(part)
    if subject and _verb_ok(subject.group("verb"), part) and not _NARRATIVE.search(subject.group("subj")):
        return True
    return bool(_OWNER_MARK.search(part) or _agent(part, roster, series, day))


Span = tuple[int, int]


def _marked_owners(
    body: str, roster: Roster, series: str | None, day: date | None, *, with_for: bool
) -> tuple[list[Name], Span] | None:
    """Owners marked beside the task, which win over its subject: "(owner: SM)", and in an action,
    "— for SH" (in chat, "Thanks — for RB" marks nothing)."""
    m = _OWNER_MARK.search(body)
    if m:
        found = _read_owners(m.group("owners"), roster, series, day, lenient=True)
        if found:
            return found, (m.start(), m.end())
    m = _FOR_MARK.search(body) if with_for else None
    if m:
        found = _read_owners(m.group("owners"), roster, series, day, lenient=False)
        # "— for all partners" says who it is for, not who does it
        if found and not any(isinstance(n, Resolved) and n.owner.kind == "all" for n in found):
            return found, (m.start(), m.end())
    return None


def _side_owners(
    body: str, roster: Roster, series: str | None, day: date | None
) -> tuple[list[Name], Span] | None:
    """Owners named after the task when its sentence names none: "..., SH to lead", "... (for SH)"."""
    for rx in (_LEAD_MARK, _FOR_PAREN):
        m = rx.search(body)
        if m:
            found = _read_owners(m.group("owners"), roster, series, day, lenient=False)
            if found:
                return found, (m.start(), m.end())
    return None


# "Action on RB to update the register": the owner between "Action on/for" and "to", as "Action: RB to …".
_ACTION_ON_TO = re.compile(
    r"^(?P<lead>\s*action)\s+(?:on|for)\s+(?P<who>[^:–—\n]{1,60}?)\s+to\s+(?=[a-z])", _I
)


def capture_action(
    text: str,
    roster: Roster,
    *,
    series: str | None,
    sent_at: datetime,
    next_meeting: date | None,
    day: date | None = None,
) -> Capture:
    """Read one message: is it an action, whose, due when, and its title. A role named as an owner
    ("chair to write …") is whoever holds it on `day`, the meeting's date (the message's, if not given)."""
    if day is None:
        day = sent_at.astimezone(ZoneInfo(roster.timezone)).date()
    text = _ACTION_ON_TO.sub(r"\g<lead>: \g<who> to ", text, count=1)
    offset = action_start(text)
    context = text[:offset].strip() or None
    message = text[offset:]
    prefix = _PREFIX.match(message)
    agreed = None if prefix else _AGREED.match(message)
    if prefix:
        body = message[prefix.end() :]
    elif agreed:
        body = message[agreed.end() :]
    else:
        if _NOT_ACTION_START.match(message):
            return _not_action(text)
        numbered = _NUMBERING.match(message)
        body = message[numbered.end() :] if numbered else message
    agreed_inside = _AGREED.match(body) if prefix else None
    if agreed_inside:  # "Action: it was agreed that HN would ..."
        body = body[agreed_inside.end() :]
    number = int(prefix.group("num")) if prefix and prefix.group("num") else None

    body, status = _cut_status(body.rstrip())
    whole = body  # the action and its update
    body, update = _cut_update(body, status is not None)

    def not_action(update: str | None = update, status: str | None = status) -> Capture:
        return _not_action(text, number=number, context=context, update=update, status=status, offset=offset)

    if not body:
        return not_action()
    flagged = bool(prefix or agreed or _OWNER_MARK.search(body))
    lead_status = _STATUS.match(body) if flagged else None
    if lead_status:
        # "Action 6: Ongoing - HN to report back": a status, then perhaps the action itself
        word = _status_word(lead_status.group(0))
        rest = re.sub(r"^[^.;:–—-]*[.;:–—-]+\s*", "", body[lead_status.end() :])
        subject = _SUBJECT.match(rest)
        subj_owners = (
            _read_owners(subject.group("subj"), roster, series, day, lenient=False) if subject else None
        )
        if not subject or subject.group("be") or not subj_owners:
            news = " ".join(p for p in (rest if word else body, update) if p)
            return not_action(news or None, status or word)
        body, status = rest, status or word
    if (status or update) and not _reads_as_task(body, roster, series, day):
        return not_action(whole)  # "Action 3: Training has been done. Action closed.": all update

    names: list[Name] = []
    cut: list[tuple[int, int]] = []
    title_start = 0
    is_action = False

    if prefix and (prefix.group("for") or prefix.group("paren")):
        found = _read_owners(prefix.group("for") or prefix.group("paren"), roster, series, day, lenient=True)
        names.extend(found or [])

    subject = None if re.match(r"\s*to\s", body, _I) else _SUBJECT.match(body)
    if subject and not _verb_ok(subject.group("verb"), body):
        subject = None
    owners = None
    if subject:
        aux = subject.group("aux").lower()
        active = not subject.group("be")
        owners = _read_owners(subject.group("subj"), roster, series, day, lenient=flagged) if active else None
        # "HN agreed to circulate ..." is a commitment; "HN will ..." is narrative unless flagged.
        if not (aux == "to" or aux.endswith(" to") or flagged):
            owners = None
    marked = _marked_owners(body, roster, series, day, with_for=flagged or bool(owners))
    if subject and owners:
        is_action = True
        # A marked owner wins; the subject then stays in the title unless it names the same owners.
        if marked is None or set(map(str, owners)) == set(map(str, marked[0])):
            title_start = subject.start("verb")
        if marked is None:
            names.extend(owners)
    opening_to = re.match(r"\s*to\s+(?=[a-z])", body, _I)
    if flagged and opening_to:
        title_start = opening_to.end()  # "Action: to form a task and finish group"
    if marked:
        names.extend(marked[0])
        cut.append(marked[1])
        is_action = True

    if not names:
        agent = _agent(body, roster, series, day)
        if agent:
            found, a_start, a_end = agent
            # Without a prefix, only a passive opening the message counts: "The protocol to be shared by RB".
            if flagged or (subject and subject.group("be") and any(isinstance(n, Resolved) for n in found)):
                names.extend(found)
                cut.append((a_start, a_end))
                is_action = True
    if flagged and not names:
        lead = _OWNER_COLON.match(body)
        found = (
            _read_owners(lead.group("owners"), roster, series, day, lenient=False, strict=True)
            if lead
            else []
        )
        if lead and found:
            names.extend(found)
            title_start = lead.end()
    if flagged and not names:
        side = _side_owners(body, roster, series, day)
        if side:
            names.extend(side[0])
            cut.append(side[1])
    if flagged and not names:
        field = _FIELD_OWNER.search(body)
        trailing = _TRAILING_OWNER.search(body)
        if field:
            names.extend(_read_owners(field.group("owners"), roster, series, day, lenient=True) or [])
            if names:
                cut.append((field.start(), field.end()))
        elif trailing:
            found = _read_owners(
                trailing.group("owners") or trailing.group("dash"),
                roster,
                series,
                day,
                lenient=False,
                strict=True,
            )
            if found:
                names.extend(found)
                cut.append((trailing.start(), trailing.end()))

    if flagged and prefix:
        is_action = True
    elif agreed and not is_action:
        # "Agreed: ... to be ... by ...": a passive with a deadline or agent is an action, owner or not.
        is_action = bool(re.search(r"\bto\s+be\s+[a-z]+(?:-[a-z]+)*\b.*\bby\b", body, _I))
    if not is_action:
        return not_action()

    masked = body
    for s, e in cut:  # an agent is not a date: "to be shared by June" when June is a person
        masked = masked[:s] + " " * (e - s) + masked[e:]
    tz = roster.timezone
    due = find_due(masked, sent_at=sent_at, tz=tz, next_meeting=next_meeting)
    if due.kind or due.why:
        due = Due(due.date, due.kind, body[due.start : due.end], due.start, due.end, due.refused, due.why)
    found_owners, questions = _dedupe(names)
    return Capture(
        is_action=True,
        owners=found_owners,
        questions=questions,
        due=due.date,
        due_kind=due.kind,
        due_text=due.text if due.kind else None,
        due_refused=due if due.why else None,
        title=_title(body, cut, due, title_start) or body.strip(),
        number=number,
        action_text=body.strip(),
        context=context,
        update=update,
        status=status,
        offset=offset,
    )
