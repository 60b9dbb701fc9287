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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from handlers.dates import Due, find_due
from handlers.names import Ambiguous, Owner, Resolved, Unknown, resolve_name, suggest_people
from storage.roster import Roster

_I = re.IGNORECASE

_PREFIX = re.compile(
    r"^\s*(?:(?:[-*•·>]+|\d+(?:\.\d+)*[.)]?(?=\s))\s*)*(?:\*\*|__)?\s*(?:new\s+|agreed\s+)?"
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

# The subject of "<owners> to <verb>": lazily the shortest run before the first "to"/"will".
_SUBJECT = re.compile(
    r"^(?P<subj>[^.;:!?\n]{1,120}?)\s+(?P<aux>(?i:to|will|would|should|shall|must|are\s+to|is\s+to"
    r"|(?:has\s+|have\s+|kindly\s+)?(?:agreed|offered|volunteered|undertook|undertaken)\s+to))\s+"
    r"(?P<be>(?i:be)\s+)?(?P<verb>[A-Za-z][\w'’-]*)"
)
_PASSIVE = re.compile(
    r"\b(?:(?:to|will|would|should|shall|must|is\s+to|are\s+to)\s+be\s+(?P<verb>[a-z]+)"
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
    *,
    lenient: bool,
    strict: bool = False,
) -> list[Name] | None:
    """The owners named in a subject phrase, or None if the phrase does not look like owners at all."""
    phrase = _SUPPORT.sub("", _PAREN.sub("", phrase)).strip(" ,*_")
    phrase = re.sub(r"^(?:both|jointly)\s+", "", phrase, flags=_I)
    if not phrase or len(phrase.split()) > 14:
        return None
    whole = resolve_name(phrase, roster, series, suggest=False)
    if isinstance(whole, Resolved):
        return [whole]
    pieces = [p for p in _SPLIT.split(phrase) if p.strip()]
    out: list[Name] = []
    for piece in pieces:
        piece = _ON_BEHALF.sub("", piece.strip())
        found = resolve_name(piece, roster, series, suggest=False)
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


def _agent(body: str, roster: Roster, series: str | None) -> tuple[list[Name], int, int] | None:
    """The agent of "... to be shared by the Business Manager ...", with its span (from " by")."""
    for m in _PASSIVE.finditer(body):
        if (m.group("verb") or "").lower() in _NOT_AGENT_VERBS:
            continue
        rest = body[m.end() :]
        stop = _AGENT_END.search(rest)
        phrase = rest[: stop.start()] if stop else rest
        # A list may carry on past a comma: "by EH, DL and SC".
        names = _read_owners(phrase, roster, series, lenient=False)
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


def _not_action(text: str) -> Capture:
    return Capture(False, (), (), None, None, None, text.strip(), None)


def capture_action(
    text: str,
    roster: Roster,
    *,
    series: str | None,
    sent_at: datetime,
    next_meeting: date | None,
) -> Capture:
    """Read one message: is it an action, whose, due when, and its title."""
    prefix = _PREFIX.match(text)
    agreed = None if prefix else _AGREED.match(text)
    if prefix:
        body = text[prefix.end() :]
    elif agreed:
        body = text[agreed.end() :]
    else:
        if _NOT_ACTION_START.match(text):
            return _not_action(text)
        numbered = _NUMBERING.match(text)
        body = text[numbered.end() :] if numbered else text
    agreed_inside = _AGREED.match(body) if prefix else None
    if agreed_inside:  # "Action: it was agreed that HN would ..."
        body = body[agreed_inside.end() :]
    body = body.rstrip()
    number = int(prefix.group("num")) if prefix and prefix.group("num") else None
    flagged = bool(prefix or agreed)
    status = _STATUS.match(body) if flagged else None
    if status:
        # "Action 6: Ongoing - HN to report back": a status, then perhaps the action itself
        rest = re.sub(r"^[^.;:–—-]*[.;:–—-]+\s*", "", body[status.end() :])
        subject = _SUBJECT.match(rest)
        subj_owners = _read_owners(subject.group("subj"), roster, series, lenient=False) if subject else None
        if not subject or subject.group("be") or not subj_owners:
            return _not_action(text)
        body = rest
    if flagged and not body:
        return _not_action(text)

    names: list[Name] = []
    cut: list[tuple[int, int]] = []
    title_start = 0
    is_action = False

    if prefix and (prefix.group("for") or prefix.group("paren")):
        found = _read_owners(prefix.group("for") or prefix.group("paren"), roster, series, lenient=True)
        names.extend(found or [])

    subject = None if re.match(r"\s*to\s", body, _I) else _SUBJECT.match(body)
    if subject and not _verb_ok(subject.group("verb"), body):
        subject = None
    if subject:
        aux = subject.group("aux").lower()
        active = not subject.group("be")
        owners = _read_owners(subject.group("subj"), roster, series, lenient=flagged) if active else None
        # "HN agreed to circulate ..." is a commitment; "HN will ..." is narrative unless flagged.
        if owners and (aux == "to" or aux.endswith(" to") or flagged):
            names.extend(owners)
            is_action = True
            title_start = subject.start("verb")
    opening_to = re.match(r"\s*to\s+(?=[a-z])", body, _I)
    if flagged and opening_to:
        title_start = opening_to.end()  # "Action: to form a task and finish group"

    if not names:
        agent = _agent(body, roster, series)
        if agent:
            found, a_start, a_end = agent
            # Without a prefix, only a passive opening the message counts: "The protocol to be shared by RB".
            if flagged or (subject and subject.group("be") and any(isinstance(n, Resolved) for n in found)):
                names.extend(found)
                cut.append((a_start, a_end))
                is_action = True
    if flagged and not names:
        lead = _OWNER_COLON.match(body)
        found = _read_owners(lead.group("owners"), roster, series, lenient=False, strict=True) if lead else []
        if lead and found:
            names.extend(found)
            title_start = lead.end()
    if flagged and not names:
        field = _FIELD_OWNER.search(body)
        trailing = _TRAILING_OWNER.search(body)
        if field:
            names.extend(_read_owners(field.group("owners"), roster, series, lenient=True) or [])
            if names:
                cut.append((field.start(), field.end()))
        elif trailing:
            found = _read_owners(
                trailing.group("owners") or trailing.group("dash"), roster, series, lenient=False, strict=True
            )
            if found:
                names.extend(found)
                cut.append((trailing.start(), trailing.end()))

    if flagged and prefix:
        is_action = True
    elif agreed and not is_action:
        # "Agreed: ... to be ... by ...": a passive with a deadline or agent is an action, owner or not.
        is_action = bool(re.search(r"\bto\s+be\s+[a-z]+\b.*\bby\b", body, _I))
    if not is_action:
        return _not_action(text)

    masked = body
    for s, e in cut:  # an agent is not a date: "to be shared by June" when June is a person
        masked = masked[:s] + " " * (e - s) + masked[e:]
    tz = roster.timezone
    due = find_due(masked, sent_at=sent_at, tz=tz, next_meeting=next_meeting)
    if due.kind:
        due = Due(due.date, due.kind, body[due.start : due.end], due.start, due.end)
    found_owners, questions = _dedupe(names)
    return Capture(
        is_action=True,
        owners=found_owners,
        questions=questions,
        due=due.date,
        due_kind=due.kind,
        due_text=due.text,
        title=_title(body, cut, due, title_start) or body.strip(),
        number=number,
    )
