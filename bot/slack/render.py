"""The core's neutral Reply as Block Kit, and Slack's message text back as plain text.

Every piece of text the core gives us may hold user text (action titles, updates), so all
of it is escaped (`&`, `<`, `>`): `<!channel>` in a title shows as text and pings nobody.
Blocks come from `slack_sdk.models`, which checks Slack's limits; we cut long replies to
fit them (50 blocks, 3,000 characters per section) and say so, rather than have Slack refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers.format import table_lines
from handlers.reply import ERROR, QUESTION, WARNING, Button, Buttons, File, Message, Table, Text

MAX_BLOCKS = 50  # per message (a modal or the Home tab: 100)
SECTION_LIMIT = 2_900  # Slack's limit is 3,000 characters; leave room for the code fences
MESSAGE_CHARS = 12_000  # Slack refuses much longer block messages (msg_blocks_too_long)
FALLBACK_CHARS = 1_000  # the notification text
TONE_MARK = {ERROR: ":x: ", WARNING: ":warning: ", QUESTION: ":question: "}

# Action ids of answer buttons, and the callback ids of our modals.
ACTION_PREFIX = "pb."
ANSWER_VIEW = "pb_answer"
CAPTURE_VIEW = "pb_capture"
CAPTURE_SHORTCUT = "pb_capture"


def escape(text: str) -> str:
    """Slack's three control characters; everything else shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- Slack's text to ours --------------------------------------------------------------------------------

_TOKEN = re.compile(r"<([^<>]*)>")


def from_slack(text: str, user: Callable[[str], str]) -> str:
    """Message text as people meant it: mentions by `user(id)` (initials when known), links
    as their label, special mentions as plain words, then the entities Slack escaped."""

    def token(m: re.Match[str]) -> str:
        inner = m.group(1)
        target, _, label = inner.partition("|")
        if target[:2] in ("@U", "@W"):
            return user(target[1:])
        if target.startswith("#C") or target.startswith("#G"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@group"
        if target.startswith("!date^"):
            return label or target.split("^")[1]
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0]).lstrip("@")
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        return label or target

    text = _TOKEN.sub(token, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- ours to Slack's --------------------------------------------------------------------------------------


@dataclass
class Rendered:
    text: str  # the notification and fallback text
    blocks: list[dict[str, Any]]
    files: list[File]

    @property
    def empty(self) -> bool:
        return not self.blocks and not self.files


def _chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Cut text at line ends into pieces Slack takes in one section."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text.strip():
        out.append(text)
    return out


def _sections(text: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in _chunks(text)]


def _table(table: Table) -> list[Block]:
    blocks: list[Block] = []
    if table.caption:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{escape(table.caption)}*")))
    lines = [escape(line) for line in table_lines(Table(table.columns, table.rows))]
    # Monospace keeps the columns; each chunk gets its own fences.
    for chunk in _chunks("\n".join(lines), SECTION_LIMIT - 8):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"```{chunk}```")))
    return blocks


def button_value(typed: str, prompt: str | None, label: str) -> str:
    return json.dumps({"t": typed, "p": prompt, "l": label}, ensure_ascii=False)


def read_button_value(value: str) -> tuple[str, str | None, str]:
    data = json.loads(value)
    return str(data["t"]), data.get("p"), str(data.get("l") or "")


def answers_block_id(buttons: Buttons, index: int) -> str:
    """One action's answers share a block id, so the answer can replace exactly that block."""
    payload = buttons.buttons[0].payload if buttons.buttons else {}
    if "series" in payload and "number" in payload:
        return f"ans:{payload['series']}:{payload['number']}"
    return f"btn:{index}"


CONFIRM_VERBS = ("not_mine",)  # no words to type, but not to be pressed by accident either


def _confirm(b: Button) -> ConfirmObject:
    ref = " ".join(b.typed.split()[1:3]).capitalize() if b.typed.startswith("action ") else "This action"
    return ConfirmObject(
        title="Not yours?",
        text=f"{ref} goes back to the chair, who will find it a new owner. Other owners keep it.",
        confirm="Return it",
        deny="Keep it",
    )


def _buttons(buttons: Buttons, index: int) -> list[Block]:
    if not buttons.buttons:
        return []
    seen: dict[str, int] = {}
    elements = []
    for b in buttons.buttons[:25]:
        n = seen.get(b.verb, 0)
        seen[b.verb] = n + 1
        elements.append(
            ButtonElement(
                text=b.label[:75],
                action_id=f"{ACTION_PREFIX}{b.verb}" + (f".{n}" if n else ""),
                value=button_value(b.typed, b.needs_text, b.label),
                style="primary" if b.verb == "done" else None,
                confirm=_confirm(b) if b.verb in CONFIRM_VERBS else None,
            )
        )
    return [ActionsBlock(elements=elements, block_id=answers_block_id(buttons, index))]


def render(message: Message, *, max_blocks: int = MAX_BLOCKS) -> Rendered:
    """One message of a Reply as blocks (files apart: they are uploaded)."""
    blocks: list[Block] = []
    plain: list[str] = []
    files: list[File] = []
    said: list[str] = []  # consecutive texts read as one paragraph, not a stack of sections

    def flush() -> None:
        if said:
            blocks.extend(_sections("\n".join(said)))
            said.clear()

    for i, block in enumerate(message.blocks):
        if isinstance(block, Text):
            text = TONE_MARK.get(block.tone, "") + escape(block.text)
            said.append(text)
            plain.append(text)
            continue
        flush()
        if isinstance(block, Table):
            blocks.extend(_table(block))
            plain.append(escape(block.caption or "A table"))
        elif isinstance(block, Buttons):
            blocks.extend(_buttons(block, i))
        elif isinstance(block, File):
            files.append(block)
    flush()
    dicts = _fit([b.to_dict() for b in blocks], max_blocks)
    return Rendered(fallback("\n".join(plain)), dicts, files)


def _fit(blocks: list[dict[str, Any]], max_blocks: int) -> list[dict[str, Any]]:
    """Within Slack's block count and total size; what is cut is said, never silently dropped."""
    out: list[dict[str, Any]] = []
    total = 0
    for i, block in enumerate(blocks):
        size = len(json.dumps(block.get("text", {}).get("text", ""), ensure_ascii=False))
        if len(out) >= max_blocks - 1 or total + size > MESSAGE_CHARS:
            left = len(blocks) - i
            note = (
                f"(Cut short: {left} more part{'s' if left != 1 else ''} did not fit in one Slack message. "
                "Ask for less at a time, or use the Word/PDF documents or `partnerbot export`.)"
            )
            out.append(ContextBlock(elements=[MarkdownTextObject(text=note)]).to_dict())
            break
        out.append(block)
        total += size
    return out


def fallback(text: str) -> str:
    text = text.strip()
    return text if len(text) <= FALLBACK_CHARS else text[: FALLBACK_CHARS - 1].rsplit(" ", 1)[0] + "…"


def summary(message: Message, limit: int = 600) -> str:
    """A short comment for uploaded documents: the head of the text, not all of it."""
    head = next((b.text for b in message.blocks if isinstance(b, Text)), "")
    first = head.strip().split("\n\n")[0]
    lines = first.split("\n")[:3]
    text = "\n".join(lines)
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return escape(text)


def answered(blocks: list[dict[str, Any]], block_id: str, note: str) -> list[dict[str, Any]]:
    """The message after an answer: that action's buttons give way to what was done."""
    context = ContextBlock(elements=[MarkdownTextObject(text=note[:2900])], block_id=block_id).to_dict()
    out = [context if b.get("block_id") == block_id else b for b in blocks]
    return out if any(b.get("block_id") == block_id for b in blocks) else [*blocks, context]


# --- modals ----------------------------------------------------------------------------------------------

DATE_VERBS = ("new_date", "snooze")


def _title(text: str) -> str:
    return text if len(text) <= 24 else text[:23] + "…"


def answer_modal(label: str, prompt: str, verb: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The modal of an answer that needs words (an update) or a date (new date, snooze)."""
    blocks: list[Block] = []
    if verb in DATE_VERBS:
        blocks.append(
            InputBlock(
                block_id="date",
                label=prompt,
                optional=True,
                element=DatePickerElement(action_id="value"),
            )
        )
        blocks.append(
            InputBlock(
                block_id="answer",
                label="…or in words",
                optional=True,
                hint="For example: next meeting, Friday, end of the month, 29/03/24.",
                element=PlainTextInputElement(action_id="value", max_length=200),
            )
        )
    else:
        blocks.append(
            InputBlock(
                block_id="answer",
                label=prompt,
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=2000),
            )
        )
    view = View(
        type="modal",
        callback_id=ANSWER_VIEW,
        title=_title(label),
        submit="Save",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(metadata, ensure_ascii=False),
    )
    return view.to_dict()


def read_answer(values: dict[str, Any]) -> str:
    """The answer typed or picked in an answer modal; a picked date goes day-first, as people write."""
    picked = values.get("date", {}).get("value", {}).get("selected_date")
    typed = (values.get("answer", {}).get("value", {}).get("value") or "").strip()
    if typed:
        return typed
    if picked:
        return date.fromisoformat(picked).strftime("%d/%m/%Y")
    return ""


def capture_modal(quoted: str, title: str, owners: str, due: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """ "Capture as action": what was read from the message, to confirm or correct."""
    blocks: list[Block] = [
        ContextBlock(
            elements=[MarkdownTextObject(text="> " + escape(fallback(quoted)).replace("\n", "\n> "))]
        ),
        InputBlock(
            block_id="title",
            label="Action",
            element=PlainTextInputElement(
                action_id="value", initial_value=title[:3000] or None, max_length=3000
            ),
        ),
        InputBlock(
            block_id="owners",
            label="Owners",
            hint="Initials or names, a group, or “all”; several with / or commas.",
            element=PlainTextInputElement(action_id="value", initial_value=owners or None, max_length=300),
        ),
        InputBlock(
            block_id="due",
            label="Due",
            optional=True,
            hint="A date (29/03/24), next meeting, within two weeks… Empty: no due date.",
            element=PlainTextInputElement(action_id="value", initial_value=due or None, max_length=200),
        ),
    ]
    view = View(
        type="modal",
        callback_id=CAPTURE_VIEW,
        title="Capture as action",
        submit="Capture",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(metadata, ensure_ascii=False),
    )
    return view.to_dict()


def field(values: dict[str, Any], block_id: str) -> str:
    return str(values.get(block_id, {}).get("value", {}).get("value") or "").strip()


# --- the Home tab ----------------------------------------------------------------------------------------


def home_view(
    heading: str, intro: str | None, items: list[tuple[str, Buttons | None]], note: str | None
) -> dict:
    """ "My actions": one section per action with its answers, within the tab's 100 blocks."""
    blocks: list[Block] = [HeaderBlock(text=_header(heading))]
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note[:2900])]))
    if intro:
        blocks.extend(_sections(escape(intro)))
    for i, (text, buttons) in enumerate(items):
        if len(blocks) + 3 > 98:
            left = len(items) - i
            blocks.append(
                ContextBlock(
                    elements=[MarkdownTextObject(text=f"… and {left} more: `actions mine` lists them all.")]
                )
            )
            break
        blocks.extend(_sections(text))
        if buttons is not None:
            blocks.extend(_buttons(buttons, i))
    return View(type="home", blocks=blocks).to_dict()


def _header(text: str) -> str:
    return text if len(text) <= 150 else text[:149] + "…"
