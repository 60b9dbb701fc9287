"""Neutral replies (handlers.reply) as Teams messages: plain text, or an Adaptive Card.

- Text only, and short: a plain (markdown) message — cheapest to send and to read.
- Tables, buttons or files: an Adaptive Card 1.5. Answer buttons are `Action.Execute`; a
  button that needs words ("Add update", "New date", "Snooze") opens a small form first.
- Size: Teams refuses messages near 28–40 KB (413 MessageSizeTooBig), so a card is kept under
  `CARD_LIMIT`: long texts and tables are shortened and the whole content goes as a file.
- Messages that carry files (agenda packs, minutes drafts) are posted as a short card with a
  link per file; the full text is in the files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from microsoft_teams.api import Account

# From the subpackage with a literal __all__ (the top package builds its own at run time).
from microsoft_teams.api.activities.message import MessageActivityInput
from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    ColumnDefinition,
    ExecuteAction,
    OpenUrlAction,
    ShowCardAction,
    Table,
    TableCell,
    TableRow,
    TextBlock,
    TextInput,
)

from handlers.format import spreadsheet_cell
from handlers.my_actions import ActionState
from handlers.reply import ERROR, OK, QUESTION, WARNING, Block, Button, Buttons, File, Message, Text
from handlers.reply import Table as ReplyTable

CARD_LIMIT = 26_000  # bytes of card JSON; Teams starts refusing somewhere past 28 KB
TEXT_LIMIT = 3_500  # longer plain text goes in a card (and then, if need be, a file)
SHORT_TEXT = 900  # text shown beside files: the files carry the rest
TABLE_ROWS = 30
ACTION_TAG = "partnerbot"  # the `action` of our Action.Execute data, for the SDK's router

TONE_MARK = {WARNING: "⚠ ", ERROR: "✗ ", QUESTION: "? "}
# Values from the Adaptive Card text colours, which the SDK types as literals.
TONE_COLOUR: dict[str, Literal["Warning", "Attention", "Good"]] = {
    WARNING: "Warning",
    ERROR: "Attention",
    OK: "Good",
}

Linker = Callable[[File], str | None]


@dataclass
class Rendered:
    activity: MessageActivityInput
    is_card: bool
    size: int
    files: list[File] = field(default_factory=list)  # files that could not be linked (no public URL)


def plain(message: Message) -> str:
    """Text-only message as Teams markdown (backticks show as code)."""
    lines = []
    for block in message.blocks:
        if isinstance(block, Text):
            lines.append(TONE_MARK.get(block.tone, "") + block.text)
    return "\n\n".join(lines)


def _text_only(message: Message) -> bool:
    return all(isinstance(b, Text) for b in message.blocks)


def button_refs(blocks: Sequence[Block]) -> list[str]:
    """The actions a card's buttons answer ("board 3"), so an answered card can be redrawn."""
    refs: list[str] = []
    for block in blocks:
        if isinstance(block, Buttons):
            for b in block.buttons:
                series, number = b.payload.get("series"), b.payload.get("number")
                ref = f"{series} {number}" if series and number is not None else ""
                if ref and ref not in refs:
                    refs.append(ref)
    return refs


def _data(button: Button, card_id: str, refs: list[str], field_id: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": ACTION_TAG,
        "verb": button.verb,
        "typed": button.typed,
        "payload": button.payload,
        "card": card_id,
        "refs": refs,
    }
    if field_id:
        data["field"] = field_id
    return data


def _actions(buttons: Buttons, card_id: str, refs: list[str], counter: list[int]) -> list[Any]:
    out: list[Any] = []
    for b in buttons.buttons:
        if b.needs_text:
            counter[0] += 1
            field_id = f"text{counter[0]}"
            form = AdaptiveCard(
                body=[TextInput(id=field_id, label=b.needs_text, placeholder=b.needs_text, is_required=True)],
                actions=[
                    ExecuteAction(title="Send", verb=b.verb, data=_data(b, card_id, refs, field_id)),
                ],
            )
            out.append(ShowCardAction(title=b.label, card=form))
        else:
            out.append(ExecuteAction(title=b.label, verb=b.verb, data=_data(b, card_id, refs, None)))
    return out


def _text_block(text: str, tone: str, *, limit: int | None = None) -> TextBlock:
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    block = TextBlock(text=text, wrap=True)
    if tone in TONE_COLOUR:
        block.color = TONE_COLOUR[tone]
    if tone == QUESTION:
        block.weight = "Bolder"
    return block


def _table(table: ReplyTable, rows: int) -> list[CardElement]:
    shown = table.rows[:rows]
    out: list[CardElement] = []
    if table.caption:
        out.append(TextBlock(text=table.caption, wrap=True, weight="Bolder"))
    header = TableRow(cells=[TableCell(items=[TextBlock(text=str(c), wrap=True)]) for c in table.columns])
    body = [
        TableRow(cells=[TableCell(items=[TextBlock(text=str(v), wrap=True)]) for v in row]) for row in shown
    ]
    out.append(
        Table(
            columns=[ColumnDefinition(width=1) for _ in table.columns],
            rows=[header, *body],
            first_row_as_headers=True,
            show_grid_lines=False,
        )
    )
    if len(table.rows) > rows:
        out.append(
            TextBlock(
                text=f"… and {len(table.rows) - rows} more rows (the whole table is attached).", wrap=True
            )
        )
    return out


def table_csv(table: ReplyTable) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([spreadsheet_cell(c) for c in table.columns])
    writer.writerows([spreadsheet_cell(c) for c in row] for row in table.rows)
    return buf.getvalue().encode("utf-8-sig")


def _file_line(block: File, url: str | None) -> CardElement:
    if url:
        return ActionSet(actions=[OpenUrlAction(title=f"{block.title} ({_ext(block)})", url=url)])
    return TextBlock(text=f"📎 {block.title}: {block.filename} (ask the business unit for it)", wrap=True)


def _ext(block: File) -> str:
    return block.filename.rsplit(".", 1)[-1].upper() if "." in block.filename else "file"


def card_size(card: AdaptiveCard) -> int:
    return len(json.dumps(card.model_dump(mode="json", exclude_none=True), ensure_ascii=False).encode())


def _build(
    message: Message,
    card_id: str,
    linker: Linker | None,
    *,
    text_limit: int | None,
    table_rows: int,
    extra_files: list[File],
) -> tuple[AdaptiveCard, list[File]]:
    refs = button_refs(message.blocks)
    has_files = any(isinstance(b, File) for b in message.blocks) or bool(extra_files)
    limit = SHORT_TEXT if has_files and text_limit is None else text_limit
    body: list[CardElement] = []
    unlinked: list[File] = []
    counter = [0]
    files = [b for b in message.blocks if isinstance(b, File)] + extra_files
    for block in message.blocks:
        if isinstance(block, Text):
            body.append(_text_block(block.text, block.tone, limit=limit))
        elif isinstance(block, ReplyTable):
            body.extend(_table(block, table_rows))
            if len(block.rows) > table_rows:
                name = (block.caption or "table").lower().replace(" ", "-")[:40]
                files.append(File(f"{name}.csv", "text/csv", table_csv(block), block.caption or "Table"))
        elif isinstance(block, Buttons) and block.buttons:
            body.append(ActionSet(actions=_actions(block, card_id, refs, counter)))
    for f in files:
        url = linker(f) if linker else None
        if url is None:
            unlinked.append(f)
        body.append(_file_line(f, url))
    card = AdaptiveCard(body=body, version="1.5", fallback_text=message.plain[:500] or "partnerbot")
    return card, unlinked


def render(
    message: Message,
    *,
    card_id: str,
    linker: Linker | None = None,
    mention: Account | None = None,
) -> Rendered:
    """A Teams message for one neutral message (a card when it has more than short text)."""
    if _text_only(message):
        text = plain(message)
        if len(text) <= TEXT_LIMIT:
            activity = MessageActivityInput(text=text, text_format="markdown")
            if mention is not None and mention.name:
                activity.text = ""
                activity.add_mention(mention)
                activity.add_text(" " + text)
            return Rendered(activity, False, len(text.encode()))
    card, unlinked = _build(message, card_id, linker, text_limit=None, table_rows=TABLE_ROWS, extra_files=[])
    size = card_size(card)
    if size > CARD_LIMIT:
        # Too big for Teams: shorter texts and tables on the card, everything in a text file beside it.
        whole = File("message.txt", "text/plain", message.plain.encode(), "The full message")
        for text_limit, rows in ((1500, 15), (400, 5), (120, 0)):
            card, unlinked = _build(
                message, card_id, linker, text_limit=text_limit, table_rows=rows, extra_files=[whole]
            )
            size = card_size(card)
            if size <= CARD_LIMIT:
                break
    activity = MessageActivityInput().add_card(card)
    return Rendered(activity, True, size, unlinked)


# --- a reminder card after an answer ------------------------------------------------------------------


def answered_card(answer: Sequence[Text], states: Sequence[ActionState], card_id: str) -> AdaptiveCard:
    """The card that replaces a reminder once a button was pressed: the answer, then each action now."""
    refs = [s.ref.lower() for s in states]
    counter = [0]
    body: list[CardElement] = [_text_block(t.text, t.tone or OK, limit=1500) for t in answer]
    for s in states:
        body.append(TextBlock(text=f"**{s.ref}** — “{s.title}” — {s.state}", wrap=True, separator=True))
        if s.buttons is not None and s.buttons.buttons:
            body.append(ActionSet(actions=_actions(s.buttons, card_id, refs, counter)))
    return AdaptiveCard(body=body, version="1.5", fallback_text=" ".join(t.text for t in answer)[:500])
