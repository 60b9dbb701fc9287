"""The hostile input corpus (docs/reliability.md#suites): what an attacker or a careless chair types.

Two sources of messages, both sent by the board's chair in the meeting's channel, where the most
can change:

- the fixed corpus, tests/fixtures/hostile-corpus.txt: the probe's findings, unicode confusables,
  right-to-left text, empty and whitespace-only messages, Slack mrkdwn and mentions, Jinja and SQL
  fragments, control characters, impossible dates, very long lines;
- messages generated with `hypothesis` from the registry's grammar: each command's usage with its
  placeholders filled by hostile values (huge and negative numbers, impossible dates, initials
  real and invented, any unicode).

Each goes through the core (on SQLite and PostgreSQL) and through both chat doors (Slack's slash
command and a Teams meeting-chat mention, against their local fakes). For every message: no
fault, an answer in words a chair can act on, and, where it is refused, every table as it was.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_fake import FakeSlack
from slack_fake import Harness as SlackHarness
from sqlalchemy import select
from teams_fakes import MEETING_CHAT, load
from teams_fakes import Harness as TeamsHarness

from bot.app import App
from handlers import registry
from handlers.attendance import MAX_NAMES, MAX_NAMES_TEXT
from handlers.context import Request
from handlers.reply import ERROR, File, Reply, Table, Text
from storage.models import Base, Note

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)
CORPUS_FILE = FIXTURES / "hostile-corpus.txt"

# --- the fixed corpus ---------------------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrt\\])")
_REPEAT = re.compile(r"<<(\d+)\*(.*?)>>")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1)
    return _SIMPLE[code] if code in _SIMPLE else chr(int(code[1:], 16))


def decode(line: str) -> str:
    """One corpus line as the message it stands for (the escapes are in the file's header)."""
    if line == "<<empty>>":
        return ""
    return _ESCAPE.sub(_unescape, _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), line))


def corpus() -> list[str]:
    lines = CORPUS_FILE.read_text(encoding="utf-8").split("\n")
    return [decode(line) for line in lines if line and not line.startswith("# ")]


CORPUS = corpus()

# --- messages from the registry's grammar -------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 2, 3, 2**31 - 1, 2**31, 2**63, 10**40]),
).map(str) | st.sampled_from(["1.5", "1e9", "0x1f", "١", "１", "-0", "9" * 400])
DATES = st.one_of(
    st.builds(
        lambda d, m, y: f"{d}/{m}/{y}",
        st.integers(min_value=-1, max_value=99),
        st.integers(min_value=-1, max_value=99),
        st.integers(min_value=-1, max_value=99999),
    ),
    st.sampled_from(
        ["31/02/24", "29/02/23", "30 February 2024", "Friday", "yesterday", "0/0/0", "1/1/10000"]
    ),
)
HOURS = st.builds(
    lambda h, m: f"{h}:{m:02d}",
    st.integers(min_value=-1, max_value=99),
    st.integers(min_value=0, max_value=99),
)
BOARD_MEMBERS = [
    "MT",
    "LE",
    "SMa",
    "SMi",
    "HN",
    "GP",
    "BLl",
    "DA",
    "TR",
    "KB",
    "TT",
    "SC",
    "JK",
    "WB",
    "RB",
    "OK",
    "NF",
]
REAL_INITIALS = ["MT", "LE", "SMa", "SMi", "PMw", "HN", "GP", "TR", "CG", "RB", "OK", "DA", "BLl", "KB"]
# Any unicode, with the categories that make trouble (controls, format characters, surrogates) made common.
HOSTILE_CHARS = st.one_of(
    st.characters(),
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Zs"]),
    st.sampled_from(list("=+-@\t\r\n{}%<>*_~`'\";|&$\\/#")),
)
TEXTS = st.text(HOSTILE_CHARS, max_size=120)
INITIALS = st.one_of(
    st.sampled_from(REAL_INITIALS),
    st.text(st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=4),
    TEXTS,
)
NAMES = st.lists(INITIALS, min_size=0, max_size=4).map(" ".join)
SERIES = st.sampled_from(["board", "exploitation", "executive", "nonexistent", "BOARD", "bоard"]) | TEXTS

# A placeholder of a usage (its capital words) → what fills it.
FILL: dict[str, st.SearchStrategy[str]] = {
    "N": NUMBERS,
    "DATE": DATES,
    "HH": st.integers(min_value=-1, max_value=99).map(str),
    "MM": st.integers(min_value=-1, max_value=99).map(str),
    "TIME": HOURS,
    "SERIES": SERIES,
    "MEETING": st.one_of(NUMBERS, DATES, st.sampled_from(["last", "next"])),
    "XX": INITIALS,
    "INITIALS": INITIALS,
    "NAME": INITIALS,
    "NAMES": NAMES,
    "OWNERS": NAMES,
    "DEPUTY": INITIALS,
    "MEMBER": INITIALS,
}
USAGES = sorted(
    {
        alt.replace("[", "").replace("]", "").replace("…", "")
        for spec in registry.all_commands()
        for alt in [*spec.usage.split(" | "), *spec.aliases]
    }
)


@st.composite
def grammar(draw: st.DrawFn) -> str:
    """A registry command's usage with each placeholder filled by something hostile."""
    usage = draw(st.sampled_from(USAGES))
    text = re.sub(r"\b[A-Z]+\b", lambda m: draw(FILL.get(m.group(0), TEXTS)), usage)
    spacing = draw(st.sampled_from(["", "  ", "\t", "\n"]))
    return spacing + text if draw(st.booleans()) else text + spacing


# --- one message, judged ------------------------------------------------------------------------------------

FAULT = re.compile(r"went wrong|Traceback|Internal error|Exception|Error:", re.I)
# Words that say what to do next: a command to type, a limit, who to ask, what was (not) kept.
GUIDANCE = re.compile(
    r"`|help|Nothing|nothing|[Nn]ame |[Gg]ive |[Ss]end |[Aa]sk |[Uu]se |[Tt]ype |[Tt]ry |[Cc]heck |"
    r"limit|at most|"
    r"the most|no action|not in|not a|isn't|doesn't|can't|cannot|Only|only|already|Which|which|[Ss]ay |"
    r"[Rr]ecord|[Ww]rite |[Aa]dd |[Cc]hoose|[Aa]nswer|[Rr]eply|Series: |[Ii]tems",
)
# Tables whose rows only record that a delivery came in, or how to reach its sender again.
BOOKKEEPING = {"processed_events", "conversation_refs", "door_identities"}


def dump(app: App, skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    with app.engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(select(t)).all()))
            for t in Base.metadata.sorted_tables
            if t.name not in skip
        }


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in after if before.get(name) != after[name]]


@dataclass
class Probe:
    """Sends messages one by one and judges each answer; an open question is cancelled after it."""

    app: App
    send: Callable[[str], tuple[str, bool]]  # message → (what the chair was told, was it refused)
    skip: frozenset[str] = frozenset()
    inputs: int = 0
    refused: int = 0
    wrong: list[str] = field(default_factory=list)
    before: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.before = dump(self.app, self.skip)

    def run(self, text: str) -> None:
        self.inputs += 1
        said, refused = self.send(text)
        after = dump(self.app, self.skip)
        shown = repr(text[:80]) + ("…" if len(text) > 80 else "")
        if FAULT.search(said):
            self.wrong.append(f"{shown}: a fault: {said[:300]!r}")
        if not said.strip():
            self.wrong.append(f"{shown}: no answer")
        elif refused and not GUIDANCE.search(said):
            self.wrong.append(f"{shown}: a refusal without a way on: {said[:300]!r}")
        if refused:
            self.refused += 1
            moved = changed_tables(self.before, after)
            if moved:
                self.wrong.append(f"{shown}: refused ({said[:120]!r}) but changed {moved}")
        if after.get("pending_questions") != self.before.get("pending_questions"):
            self.send("cancel")  # the next message is then a command again, not an answer
            after = dump(self.app, self.skip)
        self.before = after

    def check(self, label: str) -> None:
        print(f"hostile corpus, {label}: {self.inputs} inputs, {self.refused} refused")
        assert not self.wrong, f"{len(self.wrong)} of {self.inputs} inputs went wrong:\n" + "\n".join(
            self.wrong
        )


def _all_text(reply: Reply) -> str:
    """What a chat door shows of a reply: its texts, tables and files."""
    out: list[str] = []
    for m in reply.messages:
        for b in m.blocks:
            if isinstance(b, Text):
                out.append(b.text)
            elif isinstance(b, Table):
                out.extend([b.caption or "", *(" | ".join(r) for r in b.rows)])
            elif isinstance(b, File):
                out.append(b.title)
    return "\n".join(out)


def _refused(reply: Reply) -> bool:
    tones = [b.tone for m in reply.messages for b in m.blocks if hasattr(b, "tone")]
    return ERROR in tones or not reply.recognised


GENERATED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- through the core, on SQLite and PostgreSQL -------------------------------------------------------------


def _core_probe(app: App) -> Probe:
    core = app.core()
    clock = iter(AT + timedelta(seconds=i) for i in range(10**6))

    def send(text: str) -> tuple[str, bool]:
        reply = core.handle(Request("shell", "C-BOARD", "MT", text, next(clock)))
        return _all_text(reply), _refused(reply)

    for line in (
        "meeting start board",
        "present MT LE SMa HN TR DA",
        "Action: HN to write to the three schools by 29/01/24",
        "Action: SMa to send the dashboard to the board by 29/01/24",
    ):
        said, refused = send(line)
        assert not refused, said
    return Probe(app, send)


def test_the_fixed_corpus_through_the_core(app: App) -> None:
    probe = _core_probe(app)
    for text in CORPUS:
        probe.run(text)
    probe.check(f"the fixed corpus through the core on {app.engine.dialect.name}")


def test_generated_commands_through_the_core(app: App) -> None:
    probe = _core_probe(app)

    @settings(GENERATED, max_examples=100)
    @given(grammar())
    def one(text: str) -> None:
        probe.run(text)

    one()
    probe.check(f"generated commands through the core on {app.engine.dialect.name}")


# --- through the chat doors (SQLite) ------------------------------------------------------------------------


def _only_sqlite(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("the doors' part of the corpus runs on SQLite; the core's part runs on both")


@pytest.fixture
def slack_probe(app: App) -> Iterator[Probe]:
    _only_sqlite(app)
    fake = FakeSlack()
    harness = SlackHarness(app, fake)
    harness.know("MT")

    def send(text: str) -> tuple[str, bool]:
        fake.clear()
        # A Slack client sends UTF-8: a lone surrogate cannot reach the door, its replacement can.
        typed = text.encode("utf-8", "replace").decode("utf-8")
        resp = harness.slash("MT", typed)
        said = _slack_words(resp, fake)
        return said, _sounds_refused(said)

    for line in (
        "meeting start board",
        "present MT LE SMa HN",
        "Action: HN to write to the schools by 29/01/24",
    ):
        send(line)
    try:
        yield Probe(app, send, frozenset(BOOKKEEPING))
    finally:
        harness.door.close()
        fake.close()


def _slack_words(resp: Any, fake: FakeSlack) -> str:
    parts: list[str] = []
    if resp.status != 200:
        parts.append(f"HTTP {resp.status}")
    body = resp.body or ""
    if body:
        try:
            parts.append(_words(json.loads(body)))
        except ValueError:
            parts.append(body)
    for call in fake.state.calls:
        parts.append(_words(call.params))
    for told in fake.responses():
        parts.append(_words(told))
    return "\n".join(p for p in parts if p)


def _words(data: Any) -> str:
    """Every text of a Slack payload: messages, their blocks, files and their comment."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "initial_comment", "title") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node[:1] in "[{":
            with contextlib.suppress(ValueError):
                walk(json.loads(node))

    walk(data)
    return "\n".join(found)


# What a refusal sounds like at a door, where only the words come back.
REFUSAL = re.compile(
    r"Nothing (was )?(changed|stored|recorded)|didn't understand|I don't know|There is no action|"
    r"You have no action|Which series|doesn't answer|is not yours|Only |only the|can't|cannot|isn't a",
)
# A question back stores the question, and only it, until it is answered: not a refusal.
QUESTION_BACK = re.compile(r"who did you mean|who owns this action|Reply with|:question:")


def _sounds_refused(said: str) -> bool:
    return bool(REFUSAL.search(said)) and not QUESTION_BACK.search(said)


def test_the_corpus_through_the_slack_door(slack_probe: Probe) -> None:
    for text in CORPUS:
        slack_probe.run(text)

    @settings(GENERATED, max_examples=75)
    @given(grammar())
    def one(text: str) -> None:
        slack_probe.run(text)

    one()
    slack_probe.check("the fixed corpus and generated commands through the Slack door")


@pytest.fixture
def teams_probe(app: App) -> Iterator[Probe]:
    _only_sqlite(app)
    harness = TeamsHarness(app, graph=False)
    harness.know("MT")

    def send(text: str) -> tuple[str, bool]:
        seen = len(harness.connector.texts(MEETING_CHAT))
        # As JSON with \u escapes, the way a lone surrogate can arrive (httpx's own encoder cannot send one).
        body = json.dumps(load("meeting-message", **harness.values("MT", text=text)))
        headers = {"Content-Type": "application/json"}
        resp = harness.http.post(harness.settings.endpoint, content=body.encode(), headers=headers)
        said = "\n".join(harness.connector.texts(MEETING_CHAT)[seen:])
        if resp.status_code >= 300:
            said = f"HTTP {resp.status_code} {resp.text}\n{said}"
        return said, _sounds_refused(said)

    for line in (
        "bind board",
        "meeting start",
        "present MT LE SMa HN",
        "Action: HN to write to the schools by 29/01/24",
    ):
        send(line)
    try:
        yield Probe(app, send, frozenset(BOOKKEEPING))
    finally:
        harness.close()


def test_the_corpus_through_the_teams_door(teams_probe: Probe) -> None:
    for text in CORPUS:
        teams_probe.run(text)

    @settings(GENERATED, max_examples=75)
    @given(grammar())
    def one(text: str) -> None:
        teams_probe.run(text)

    one()
    teams_probe.check("the fixed corpus and generated commands through the Teams door")
    # Found by the corpus: a bare mention was dropped without a word; now it is `help`, as on Slack.
    said, _ = teams_probe.send("")
    assert "Commands you can use" in said


def test_the_corpus_has_what_the_issue_asked_for() -> None:
    """The fixed corpus holds each kind of hostile input it promises (its header lists them)."""
    assert len(CORPUS) >= 200
    kinds: dict[str, Callable[[str], bool]] = {
        "empty": lambda t: t == "",
        "whitespace only": lambda t: t != "" and not t.strip(),
        "over 40,000 characters": lambda t: len(t) > 40_000,
        "a control character": lambda t: any(
            (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in t
        ),
        "right-to-left": lambda t: any("\u0590" <= c <= "\u08ff" or c in "\u202e\u2067\u200f" for c in t),
        "a confusable": lambda t: any("\u0400" <= c <= "\u04ff" or "\uff01" <= c <= "\uff5e" for c in t),
        "a Slack mention": lambda t: "<@U" in t,
        "Jinja": lambda t: "{{" in t or "{%" in t,
        "SQL": lambda t: "DROP TABLE" in t or "UNION SELECT" in t,
        "an impossible date": lambda t: "31/02/24" in t,
        "a lone surrogate": lambda t: any("\ud800" <= c <= "\udfff" for c in t),
        "a formula": lambda t: ": =" in t or ": +" in t or ": @" in t,
    }
    missing = [kind for kind, has in kinds.items() if not any(has(t) for t in CORPUS)]
    assert missing == []


# --- what the corpus found, kept as regression tests --------------------------------------------------------


def test_a_lone_surrogate_is_stored_as_a_replacement_character(app: App) -> None:
    """JSON may carry half a UTF-16 pair ("\\ud800"); no database encoding can store one. It was a
    fault ("something went wrong"); now it becomes U+FFFD at the core's entry, like a control character."""
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "meeting start board", AT))
    said = core.handle(Request("shell", "C-BOARD", "MT", "note: before\ud800after", AT)).plain
    assert "went wrong" not in said and "Noted" in said
    with app.sessions() as s:
        assert s.scalars(select(Note.text)).all() == ["before\ufffdafter"]


def test_a_list_of_people_has_a_maximum_length(app: App) -> None:
    """`present` followed by thousands of names took a minute of CPU (a query or more per name), so one
    message could stall the bot. A list over MAX_NAMES people or MAX_NAMES_TEXT characters is refused
    before any name is looked up, and nothing is recorded."""
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "meeting start board", AT))
    before = dump(app)
    for names, limit in (
        ("MT " * (MAX_NAMES + 1), f"the most one command takes is {MAX_NAMES}"),
        ("MT, " * 1000, f"the most one command reads is {MAX_NAMES_TEXT:,}"),
        ('"Zed Qux", ' * 500, f"the most one command reads is {MAX_NAMES_TEXT:,}"),
    ):
        for command in ("present", "apologies", "in attendance"):
            said = core.handle(Request("shell", "C-BOARD", "MT", f"{command} {names}", AT)).plain
            assert limit in said and "Nothing was recorded" in said, (command, said)
    assert dump(app) == before
    # Loose words with a long list are chat, not a refusal: "… for …" overheard says nothing.
    overheard = Request("shell", "C-BOARD", "MT", "thanks " * 400 + "for TR", AT, addressed=False)
    assert core.handle(overheard).plain == ""
    # The limit leaves room for a real meeting: every member of the board at once.
    said = core.handle(Request("shell", "C-BOARD", "MT", "present " + " ".join(BOARD_MEMBERS), AT)).plain
    assert said.startswith("Present:") and "Nothing" not in said
