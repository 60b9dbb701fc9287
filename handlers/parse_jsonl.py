"""The offline `partnerbot parse` runner: one JSON answer per JSONL line, in order.

Input lines are {"input": {"series", "text", "sent_at", "next_meeting"}} (other
keys, such as "expect", are ignored); blank lines are skipped. A line that
cannot be read still gets a line on stdout, {"error": ...}, so answers stay
aligned with their inputs, and the same message with its line number goes to
stderr; the exit code is then 1.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from handlers.capture import Capture, capture_action
from handlers.names import Ambiguous
from storage.roster import Roster


class _BadLine(ValueError):
    pass


def load_roster(partnership_path: str) -> Roster:
    from storage.partnership_file import read_partnership

    return Roster.from_spec(read_partnership(partnership_path))


def answer(capture: Capture) -> dict[str, Any]:
    """The contract's output shape for one captured message, and what else the line held.

    The five contract keys are always there; the others only when the line gives them: the action's
    number, the owner names the partnership file does not settle ("unresolved", as typed, with the
    people they may be), and for a line holding more than the action, the action as written, the
    context before a mid-line "Action:", and a tracker line's update and status word. A deadline
    outside the accepted window ("by 29/09/23" read in 2026) is no due date, and is named in
    "due_refused" with the date it would have been.
    """
    out: dict[str, Any] = {
        "is_action": capture.is_action,
        "owners": [o.as_json() for o in capture.owners] if capture.is_action else None,
        "due": capture.due.isoformat() if capture.is_action and capture.due else None,
        "due_kind": capture.due_kind if capture.is_action else None,
        "title": capture.title,
    }
    if capture.number is not None:
        out["number"] = capture.number
    refused = capture.due_refused
    if refused is not None:
        out["due_refused"] = {
            "text": refused.text,
            "date": refused.refused.isoformat() if refused.refused else None,
            "why": refused.why,
        }
    if capture.questions:
        out["unresolved"] = [
            {"text": q.text, "kind": "ambiguous", "choices": list(q.candidates)}
            if isinstance(q, Ambiguous)
            else {"text": q.text, "kind": "unknown", "choices": list(q.suggestions)}
            for q in capture.questions
        ]
    if capture.context or capture.update or capture.status:
        extra = {
            "action_text": capture.action_text,
            "context": capture.context,
            "update": capture.update,
            "status": capture.status,
        }
        out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _read_line(line: str, roster: Roster) -> tuple[str, str | None, datetime, date | None]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not JSON ({exc.msg} at column {exc.colno})") from None
    item = record.get("input") if isinstance(record, dict) else None
    if not isinstance(item, dict):
        raise _BadLine('no "input" object')
    text = item.get("text")
    if not isinstance(text, str):
        raise _BadLine('"input.text" must be a string')
    series = item.get("series")
    if series is not None and (not isinstance(series, str) or series not in roster.series):
        raise _BadLine(f"unknown series {series!r}")
    raw_sent = item.get("sent_at")
    if raw_sent is None:
        sent_at = datetime.now(ZoneInfo(roster.timezone))
    else:
        try:
            sent_at = datetime.fromisoformat(str(raw_sent))
        except ValueError:
            raise _BadLine(f'"input.sent_at" is not an ISO-8601 time: {raw_sent!r}') from None
    raw_next = item.get("next_meeting")
    try:
        next_meeting = date.fromisoformat(raw_next) if raw_next else None
    except (TypeError, ValueError):
        raise _BadLine(f'"input.next_meeting" is not a YYYY-MM-DD date: {raw_next!r}') from None
    return text, series, sent_at, next_meeting


def run(partnership_path: str, jsonl_path: str, out: TextIO, err: TextIO) -> int:
    """Answer every line of `jsonl_path` against the partnership file.

    Returns 0 when every line was answered, 1 when some lines were malformed, 2 when the partnership
    file or the JSONL file cannot be read at all.
    """
    from storage.partnership_file import PartnershipFileError

    try:
        roster = load_roster(partnership_path)
    except PartnershipFileError as exc:
        print(exc, file=err)
        return 2
    try:
        lines = open(jsonl_path, encoding="utf-8-sig")  # noqa: SIM115 - closed below, after the loop
    except OSError as exc:
        print(f"{jsonl_path}: cannot read the file: {exc.strerror or exc}", file=err)
        return 2
    status = 0
    with lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                text, series, sent_at, next_meeting = _read_line(line, roster)
            except _BadLine as exc:
                message = f"{jsonl_path}: line {number}: {exc}"
                print(message, file=err)
                print(json.dumps({"error": f"line {number}: {exc}"}), file=out)
                status = 1
                continue
            capture = capture_action(text, roster, series=series, sent_at=sent_at, next_meeting=next_meeting)
            print(json.dumps(answer(capture), ensure_ascii=False), file=out)
    return status
