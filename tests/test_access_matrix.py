"""The access matrix: every registry command × every role × every context (docs/reliability.md#suites).

One partnership (tests/fixtures/access/kestrel.yaml) with one person per role, and a second one
(heron.yaml) for a person outside it, both served by the router every chat door uses (Slack ids as
users). The database is built once per module; each cell runs one command, compares every table
before and after, and puts the snapshot back when something changed.

The expected outcome of each cell comes from the product's rules (who may do what,
docs/architecture.md and README "Roles"), written out below, not from running the code:

- the chair team (chair, vice-chair, minute taker, business manager, business unit) runs the meeting
  and may change any action of the series; members add actions and change their own; someone
  outside a series sees nothing of it: its actions do not exist for them;
- a bare action number where no series is bound is one of the person's own actions;
- people not in the file (a guest, someone of another partnership, an unknown user) only get `help`
  and `cancel` here; where nothing binds the conversation to this partnership, the other
  partnership's person is answered by her own, in whose series she sits in none;
- every refusal says who can.

A command added to the registry without a row here fails `test_every_registry_command_has_a_row`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES, make_app
from slack_fake import FakeSlack, Harness
from sqlalchemy import select

from bot.app import App
from bot.slack.home import home_view_for
from handlers import registry
from handlers.context import Request
from handlers.reply import File, Reply, Table, Text
from storage.models import Base
from storage.roster_repo import RosterCache

KESTREL = FIXTURES / "access" / "kestrel.yaml"
HERON = FIXTURES / "access" / "heron.yaml"
EARLIER = datetime(2024, 2, 5, 10, 0, tzinfo=UTC)  # the board's previous meeting (a Monday)
AT = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)  # today's meetings
CELL_AT = AT + timedelta(minutes=20)
GUEST_EMAIL = "gil.gray@example.org"

# --- who ----------------------------------------------------------------------------------------------------

ROLES: dict[str, str] = {  # role → Slack user id
    "chair": "U0CH000001",
    "vice-chair": "U0VC000001",
    "minute taker": "U0MK000001",
    "business unit": "U0BW000001",
    "member": "U0ME000001",  # of the board, not of its chair team
    "other series member": "U0OT000001",  # of the review group only
    "guest": "U0GG000001",  # Gil Gray: recorded as a guest, owns board 3; his Slack e-mail is the guest's
    "outsider": "U0PM000001",  # Pia Moss, of the Heron partnership
    "unknown": "U0ZZ999991",  # nobody in any file
}
IN_FILE = {"chair", "vice-chair", "minute taker", "business unit", "member", "other series member"}
TEAM = {"board": {"chair", "vice-chair", "minute taker", "business unit"}, "review": {"business unit"}}
MEMBERS = {"board": TEAM["board"] | {"member"}, "review": TEAM["review"] | {"other series member"}}
# Actions 1 (open) and 2 (done) of each series; board 3 is the guest's.
OWNERS = {("board", 1): "member", ("board", 2): "member", ("review", 1): "other series member"}
OWNERS[("review", 2)] = "other series member"
# What nobody outside a series may read in a reply: its actions' titles and owners.
SECRETS = {
    "board": (
        "check the referral pathway",
        "send the audit",
        "share the health audit",
        "Merle Ede",
        "Gil Gray",
    ),
    "review": ("review the case file", "share the chronology", "Otto Tarr"),
}

# --- where --------------------------------------------------------------------------------------------------

CONTEXTS = ("bound", "other", "dm", "unbound")
CHANNEL = {"bound": "CBOARD", "other": "CREVIEW", "unbound": "CLOOSE"}
BOUND_TO = {"bound": "board", "other": "review"}

# --- what: one row per registry command ---------------------------------------------------------------------
# who may run it:
ANYONE = "anyone"  # even someone not in the file
PERSON = "person"  # anyone in the file
MEMBER = "member"  # a member of the series
TEAM_ = "team"  # the series' chair team
ANY_TEAM = "any team"  # with no series: the chair team of some series (guests, digests)
ACTION = "action"  # the action's owner or its series' chair team; a member sees it; others: no such action
OWNER = "owner"  # only the action's owner (returning it)
SEE = "see"  # anyone who may see the action
DROP = "drop"  # the action's series' chair team (an owner may not drop their own)
BIND = "bind"  # the series' chair team, and the chair team of the series the channel is bound to
CHAIRS = "chairs"  # the business unit and whoever chairs a series, anywhere (the year in figures)


@dataclass(frozen=True)
class Row:
    text: str  # as typed in a channel
    who: str
    dm: str | None = None  # as typed in a direct message (naming the series where the grammar allows)
    writes: frozenset[str] = frozenset(CONTEXTS)  # where an allowed run changes stored state
    number: int = 1  # the action it is about, for ACTION / OWNER / SEE
    # A loose pattern ("BW for VC"): only a command where a series is; elsewhere ordinary chat.
    loose: bool = False

    def typed(self, context: str) -> str:
        return self.dm if context == "dm" and self.dm else self.text


NOWHERE: frozenset[str] = frozenset()
IN_CHANNELS = frozenset({"bound", "other"})
BOARD_CHANNEL = frozenset({"bound"})

ROWS: dict[str, Row] = {
    "bind": Row("bind board", BIND, writes=frozenset({"other", "unbound", "dm"})),
    "unbind": Row("unbind", TEAM_, writes=NOWHERE),  # a meeting is open in both bound channels
    "meeting start": Row("meeting start", TEAM_, dm="meeting start board", writes=NOWHERE),  # already open
    "meeting end": Row("meeting end", TEAM_, writes=IN_CHANNELS),
    # Members may ask for the date; setting it is the chair team's.
    "next meeting": Row("next meeting Friday 15 March 2024 10:00-12:00 at Kestrel House", TEAM_),
    "agenda add": Row('agenda add "Neglect strategy"', MEMBER),
    "chair today": Row("chair today VC", TEAM_, writes=BOARD_CHANNEL),  # VC is not in the review group
    "person merge": Row('person merge "Gil Gray" BW', ANY_TEAM),
    "person": Row("person Gil Gray email gil.gray@kestrel.example", ANY_TEAM),
    "people guests": Row("people guests", ANY_TEAM, writes=NOWHERE),
    "action update": Row("update 1: called the provider", ACTION, dm="update board 1: called the provider"),
    "action done": Row("done 1", ACTION, dm="done board 1"),
    "action due": Row("1 new date 29/04/24", ACTION, dm="board 1 new date 29/04/24"),
    "action owner": Row("reassign 1 to BW", ACTION, dm="reassign board 1 to BW"),
    "action not mine": Row("not mine 1", OWNER, dm="not mine board 1"),
    "action snooze": Row("snooze 1 until 1/4/24", ACTION, dm="snooze board 1 until 1/4/24"),
    "action drop": Row("drop 1: superseded", DROP, dm="drop board 1: superseded"),
    "action reopen": Row("reopen 2", ACTION, dm="reopen board 2", number=2),
    "action show": Row("action 1", SEE, dm="action board 1", writes=NOWHERE),
    "actions mine": Row("actions mine", PERSON, writes=NOWHERE),
    "actions overdue": Row("actions overdue", MEMBER, writes=NOWHERE),
    "actions": Row("actions", MEMBER, dm="actions board", writes=NOWHERE),
    "action": Row("Action: BW to update the dashboard by 29/03/24", MEMBER),
    "item": Row("item 2", TEAM_),
    "next item": Row("next item", TEAM_),
    "present": Row("present BW", TEAM_),
    "apologies": Row("apologies VC", TEAM_, writes=BOARD_CHANNEL),  # the names are the board's
    "sent apologies": Row(
        "VC sent apologies; BW attended in his place", TEAM_, writes=BOARD_CHANNEL, loose=True
    ),
    "deputy": Row("BW for VC", TEAM_, writes=BOARD_CHANNEL, loose=True),
    "authorise": Row("authorise BW for CH: yes", TEAM_, writes=NOWHERE),  # not recorded as a deputy
    "left": Row("ME left", TEAM_, writes=BOARD_CHANNEL, loose=True),  # ME is present at the board
    "joined": Row("BW joined", TEAM_, loose=True),
    "in attendance": Row('in attendance "Jane Doe" (presenter)', TEAM_),
    "quorum": Row("quorum", MEMBER, writes=NOWHERE),
    "attendance": Row("attendance", MEMBER, writes=NOWHERE),
    "decision": Row("decision: adopt the neglect strategy", TEAM_),
    "decisions": Row("decisions", MEMBER, dm="decisions board", writes=NOWHERE),
    "invite": Row("invite", MEMBER, dm="invite board", writes=NOWHERE),
    "declaration": Row("declaration: BW has an interest in the audit", MEMBER),
    "note": Row("note: the dashboard is late", MEMBER),
    "agenda next": Row("agenda next", MEMBER, dm="agenda next board", writes=NOWHERE),
    "minutes draft": Row("minutes draft", MEMBER, writes=NOWHERE),
    # No decision awaits ratification here (or the meeting is inquorate): allowed, nothing written.
    "decisions ratified": Row("decisions ratified", TEAM_, writes=NOWHERE),
    "report year": Row("report year", CHAIRS, writes=NOWHERE),
    "minutes approve": Row("minutes approve", TEAM_, writes=frozenset({"bound"})),  # the board met before
    "minutes correct": Row("minutes correct: the audit was due in March", TEAM_, writes=frozenset({"bound"})),
    "agenda carry": Row('agenda carry "Neglect strategy"', TEAM_, writes=frozenset({"bound"})),
    "agenda withdraw": Row('agenda withdraw "Neglect strategy"', TEAM_, writes=frozenset({"bound"})),
    "digest": Row("digest", ANY_TEAM, dm="digest board", writes=NOWHERE),
    "attendance import": Row("attendance import", TEAM_, dm="attendance import board", writes=NOWHERE),
    "attendance confirm": Row("attendance confirm board #2: BW 10:00-11:00", TEAM_),
    "questions": Row("questions", PERSON, writes=NOWHERE),
    "help": Row("help", ANYONE, writes=NOWHERE),
    "cancel": Row("cancel", ANYONE, writes=NOWHERE),
}

# --- the expected outcome of a cell -------------------------------------------------------------------------
OK, REFUSED, NOT_YOURS, NO_SUCH, UNKNOWN, NAME_SERIES, CHAT = (
    "ok",
    "refused, naming who can",
    "not yours",
    "no such action",
    "not in the file",
    "name a series",
    "ordinary chat",
)


def series_of(row: Row, context: str) -> str | None:
    """The series a command is about: the one it names, else the channel's binding."""
    if re.search(r"\bboard\b", row.typed(context)):
        return "board"
    return BOUND_TO.get(context)


def expected(name: str, role: str, context: str) -> str:
    row = ROWS[name]
    if row.who == ANYONE:
        return OK
    if role == "outsider" and context in ("dm", "unbound"):
        role = "nobody"  # her own partnership answers, where she is in no series
    elif role not in IN_FILE:
        return CHAT if row.loose and series_of(row, context) is None else UNKNOWN
    if row.who == PERSON:
        return OK
    if row.who == CHAIRS:
        return OK if role in ("chair", "business unit") else REFUSED
    series = series_of(row, context)
    if row.who == ANY_TEAM:
        if series is not None:
            return OK if role in TEAM[series] else REFUSED
        return OK if any(role in team for team in TEAM.values()) else REFUSED
    if row.who in (ACTION, OWNER, SEE, DROP):
        if series is None:
            # A bare number: one of the person's own actions; one they may see but do not own is
            # "not yours" (name its series to change it), and one they may not see does not exist.
            mine = [s for (s, n), owner in OWNERS.items() if n == row.number and owner == role]
            if not mine:
                seen = [s for (s, n) in OWNERS if n == row.number and role in MEMBERS[s]]
                return NOT_YOURS if seen else NO_SUCH
            series = mine[0]
        owner = OWNERS[(series, row.number)] == role
        if not (owner or role in MEMBERS[series]):
            return NO_SUCH
        if row.who == SEE:
            return OK
        if row.who == DROP:
            return OK if role in TEAM[series] else REFUSED
        if row.who == OWNER or not (owner or role in TEAM[series]):
            return OK if owner else NOT_YOURS
        return OK
    if series is None:
        # Loose words ("BW for VC") are a command only where the names are someone's.
        return CHAT if row.loose and role not in IN_FILE else NAME_SERIES
    if row.who == BIND:
        # Taking a channel from another series needs rights there too.
        bound = BOUND_TO.get(context)
        allowed = role in TEAM["board"] and (bound is None or role in TEAM[bound])
        return OK if allowed else REFUSED
    return OK if role in (TEAM if row.who == TEAM_ else MEMBERS)[series] else REFUSED


# --- reading a reply ----------------------------------------------------------------------------------------
ROLE_NAMED = re.compile(
    r"the chair \(|members of|chair team|business (unit|manager)|Business Unit|owners", re.I
)


def text_of(reply: Reply) -> str:
    out: list[str] = []
    for m in reply.messages:
        for b in m.blocks:
            if isinstance(b, Text):
                out.append(b.text)
            elif isinstance(b, Table):
                out.append(b.caption or "")
                out.extend(" | ".join(r) for r in b.rows)
    return "\n".join(out)


def observed(said: str) -> str:
    if "I don't know you" in said:
        return UNKNOWN
    if re.search(r"\b(There is|You have) no action\b", said):
        return NO_SUCH
    if re.search(r"\d is not yours", said):
        return NOT_YOURS
    if re.search(r"\b[Oo]nly (the|members|its|a series)\b|is for the chair team", said):
        return REFUSED
    if "Which series?" in said:
        return NAME_SERIES
    if said.startswith("I didn't understand"):
        return CHAT
    return OK


# --- the module's database ----------------------------------------------------------------------------------


class World:
    """The module's app on one SQLite file, with a snapshot to put back after a cell changed it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.app: App = make_app(f"sqlite:///{path}", KESTREL, HERON)
        self.snapshot = sqlite3.connect(":memory:")

    def say(self, role_or_id: str, context: str, text: str, at: datetime = CELL_AT) -> Reply:
        user = ROLES.get(role_or_id, role_or_id)
        direct = context == "dm"
        channel = f"D{user[1:]}" if direct else CHANNEL[context]
        return self.app.router().handle(Request("slack", channel, user, text, at, direct=direct))

    def dump(self) -> dict[str, list[str]]:
        with self.app.engine.connect() as conn:
            return {
                t.name: sorted(map(repr, conn.execute(select(t)).all())) for t in Base.metadata.sorted_tables
            }

    def take_snapshot(self) -> None:
        self.app.engine.dispose()
        with sqlite3.connect(self.path) as src:
            src.backup(self.snapshot)
        self.before = self.dump()

    def restore(self) -> None:
        self.app.engine.dispose()
        dst = sqlite3.connect(self.path)
        self.snapshot.backup(dst)
        dst.close()
        # The roster cache is keyed on the partnership's version, which the snapshot may share with a
        # roster built after it (a guest added): start from an empty cache.
        self.app.setup = dataclasses.replace(self.app.setup, rosters=RosterCache())


def _setup(world: World) -> None:
    def ok(role: str, context: str, text: str, at: datetime, expect: str) -> None:
        said = text_of(world.say(role, context, text, at))
        assert expect in said, (text, said)

    ok("chair", "bound", "meeting start board", EARLIER, "is open")
    ok("chair", "bound", "present CH ME", EARLIER, "Present")
    ok("chair", "bound", "note: the previous meeting", EARLIER, "Noted")
    ok("chair", "bound", "meeting end", EARLIER + timedelta(hours=1), "closed")
    ok("chair", "bound", 'agenda add "Neglect strategy"', EARLIER + timedelta(hours=2), "Added")
    ok("chair", "bound", "meeting start board", AT, "is open")
    ok("chair", "bound", "present CH ME", AT, "Present")
    ok("chair", "bound", "Action: ME to check the referral pathway by 29/03/24", AT, "Action 1")
    ok("chair", "bound", "Action: ME to send the audit by 29/03/24", AT, "Action 2")
    ok("chair", "bound", "done 2", AT, "is done")
    ok("chair", "bound", "Action: Gil Gray to share the health audit by 29/03/24", AT, "recorded as a guest")
    ok("chair", "bound", f"person Gil Gray email {GUEST_EMAIL}", AT, GUEST_EMAIL)
    ok("U0RC000001", "other", "meeting start review", AT, "is open")
    ok("U0RC000001", "other", "Action: OT to review the case file by 29/03/24", AT, "Action 1")
    ok("U0RC000001", "other", "Action: OT to share the chronology by 29/03/24", AT, "Action 2")
    ok("U0RC000001", "other", "done 2", AT, "is done")
    # The guest's Slack profile carries the guest's e-mail: a guest is nobody's identity all the same.
    assert world.app.router().learn_identity("slack", ROLES["guest"], [GUEST_EMAIL], AT) is None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    path = tmp_path_factory.mktemp("access") / "access.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    w = World(path)
    _setup(w)
    w.take_snapshot()
    yield w
    w.app.engine.dispose()
    w.snapshot.close()


# --- the tests ----------------------------------------------------------------------------------------------


def test_every_registry_command_has_a_row() -> None:
    names = [spec.name for spec in registry.all_commands()]
    assert sorted(set(names) - set(ROWS)) == [], "a command without a row in the access matrix"
    assert sorted(set(ROWS) - set(names)) == [], "a row for a command that is gone"
    for name, row in ROWS.items():  # each row's text is that command, in every context
        for context in CONTEXTS:
            found = registry.match(row.typed(context))
            assert found is not None and found[0].name == name, (name, row.typed(context))


@pytest.mark.parametrize("name", [spec.name for spec in registry.all_commands()])
def test_only_the_allowed_cells_work(world: World, name: str) -> None:
    """One command in every role and context: the outcome, what was stored, what was said."""
    assert name in ROWS, f"no row in the access matrix for {name!r}"
    row = ROWS[name]
    wrong: list[str] = []
    for context in CONTEXTS:
        for role in ROLES:
            want = expected(name, role, context)
            said = text_of(world.say(role, context, row.typed(context)))
            got = observed(said)
            after = world.dump()
            changed = after != world.before
            if changed:
                world.restore()
            cell = f"{role} / {context} / {row.typed(context)!r}"
            if "went wrong" in said or "Traceback" in said:
                wrong.append(f"{cell}: a fault: {said[:200]}")
                continue
            if got != want:
                wrong.append(f"{cell}: expected {want}, got {got}: {said[:300]!r}")
                continue
            if want != OK and changed:
                wrong.append(f"{cell}: refused ({got}) but stored something")
            if want == OK and context in row.writes and not changed:
                wrong.append(f"{cell}: allowed but stored nothing: {said[:200]!r}")
            if want in (REFUSED, UNKNOWN) and not ROLE_NAMED.search(said):
                wrong.append(f"{cell}: the refusal names nobody who can: {said[:200]!r}")
            if not said.strip():
                wrong.append(f"{cell}: no answer")
            for series, secrets in SECRETS.items():
                if role in MEMBERS[series]:
                    continue
                mine = {f"{s} {n}" for (s, n), owner in OWNERS.items() if owner == role and s == series}
                if mine:
                    continue  # an owner outside the series sees their own action
                leaked = [s for s in secrets if s in said]
                if leaked:
                    wrong.append(f"{cell}: shows {series}'s {leaked} to a non-member")
    assert not wrong, "\n".join(wrong)


def test_the_matrix_refuses_somewhere_and_allows_somewhere_in_every_context() -> None:
    """The table itself: every role and context has allowed and refused cells (a table that allows
    everything, or nothing, proves nothing). Prints the matrix's figures (docs/reliability.md)."""
    outcomes = {
        (name, role, context): expected(name, role, context)
        for name in ROWS
        for role in ROLES
        for context in CONTEXTS
    }
    for context in CONTEXTS:
        here = [o for (_, _, c), o in outcomes.items() if c == context]
        assert OK in here and len(set(here)) > 2, context
    for role in ROLES:
        mine = {o for (_, r, _), o in outcomes.items() if r == role}
        assert OK in mine and len(mine) > 1, role
    allowed = sum(o == OK for o in outcomes.values())
    print(
        f"access matrix: {len(outcomes)} cells ({len(ROWS)} commands × {len(ROLES)} roles × "
        f"{len(CONTEXTS)} contexts): {allowed} allowed, {len(outcomes) - allowed} refused or nothing to show"
    )
    assert len(outcomes) == len(registry.all_commands()) * 9 * 4


# --- what else shows a series: the Slack Home tab, the chair's digest, documents ----------------------------


def _secrets_in(text: str) -> dict[str, list[str]]:
    return {k: [s for s in v if s in text] for k, v in SECRETS.items() if any(s in text for s in v)}


def test_the_home_tab_shows_each_person_only_their_own(world: World) -> None:
    fake = FakeSlack()
    harness = Harness(world.app, fake)
    try:
        for role, sees in [
            ("member", {"board": ["check the referral pathway", "Merle Ede"]}),
            ("other series member", {"review": ["review the case file", "Otto Tarr"]}),
            ("chair", {}),  # owns nothing: the tab is "my actions", not the series'
            ("guest", {}),
            ("outsider", {}),
            ("unknown", {}),
        ]:
            view = json.dumps(home_view_for(harness.door, ROLES[role], None), ensure_ascii=False)
            assert _secrets_in(view) == sees, role
    finally:
        harness.door.close()
        fake.close()
    world.restore()  # the door may have learnt identities by e-mail


def test_the_chairs_digest_and_the_agenda_pack_show_only_their_series(world: World) -> None:
    review = world.say("U0RC000001", "other", "digest")
    assert "Case Review Group" in text_of(review) and list(_secrets_in(text_of(review))) == ["review"]
    pack = world.say("U0RC000001", "other", "agenda next")
    files = [b for m in pack.messages for b in m.blocks if isinstance(b, File)]
    assert files, "the agenda pack has its documents"
    shown = text_of(pack) + "".join(f.title + f.filename for f in files)
    shown += "".join(f.data.decode() for f in files if f.media_type.startswith("text/"))
    assert "review the case file" in shown and list(_secrets_in(shown)) == ["review"]
    # The business unit's digest of the board, for contrast: the same check would see a leak.
    board = text_of(world.say("business unit", "dm", "digest board"))
    assert "Kestrel Partnership Board" in board and "board" in _secrets_in(board)
    if world.dump() != world.before:
        world.restore()
