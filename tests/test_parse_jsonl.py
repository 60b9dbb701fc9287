"""The offline `parse` runner: one answer per input line, in order; malformed lines reported by number."""

from __future__ import annotations

import io
import json
from pathlib import Path

from capture_fixtures import EXAMPLES, WESTSHIRE

from handlers.parse_jsonl import run

GOOD = {
    "input": {
        "series": "board",
        "text": "Action: TR to circulate the protocol within 5 working days.",
        "sent_at": "2024-01-19T10:05:00+00:00",
        "next_meeting": "2024-03-15",
    }
}
NOT_ACTION = {
    "input": {
        "series": "board",
        "text": "No further update. Action ongoing.",
        "sent_at": "2024-01-19T10:05:00+00:00",
        "next_meeting": "2024-03-15",
    }
}


def _run(tmp_path: Path, lines: list[str], partnership: Path = WESTSHIRE) -> tuple[int, list[str], str]:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(str(partnership), str(source), out, err)
    return code, out.getvalue().splitlines(), err.getvalue()


def test_every_line_answered_in_order(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, [json.dumps(GOOD), json.dumps(NOT_ACTION)])
    assert code == 0 and err == ""
    assert [json.loads(line) for line in out] == [
        {
            "is_action": True,
            "owners": [{"kind": "person", "id": "TR"}],
            "due": "2024-01-26",
            "due_kind": "date",
            "title": "circulate the protocol",
        },
        {
            "is_action": False,
            "owners": None,
            "due": None,
            "due_kind": None,
            "title": "No further update. Action ongoing.",
            "update": "No further update.",
            "status": "ongoing",
        },
    ]


def test_malformed_lines_are_reported_and_the_rest_answered(tmp_path: Path) -> None:
    bad_time = {"input": {**GOOD["input"], "sent_at": "last Tuesday"}}
    bad_series = {"input": {**GOOD["input"], "series": "nonesuch"}}
    bad_next = {"input": {**GOOD["input"], "next_meeting": "15/03/2024"}}
    lines = [
        json.dumps(GOOD),
        '{"input": {"series": "board", "text": "Action: HN to',  # cut short
        json.dumps({"text": "no input object"}),
        json.dumps({"input": {"series": "board", "text": 42}}),
        json.dumps(bad_time),
        json.dumps(bad_series),
        json.dumps(bad_next),
        "[1, 2]",
        json.dumps(NOT_ACTION),
    ]
    code, out, err = _run(tmp_path, lines)
    assert code == 1
    assert len(out) == len(lines)  # answers stay aligned with their inputs
    answers = [json.loads(line) for line in out]
    assert answers[0]["is_action"] is True and answers[-1]["is_action"] is False
    for number in range(2, 9):
        assert answers[number - 1] == {"error": answers[number - 1]["error"]}
        assert answers[number - 1]["error"].startswith(f"line {number}:")
        assert f"line {number}:" in err
    assert "line 1:" not in err and "line 9:" not in err
    assert "not JSON" in err and "unknown series 'nonesuch'" in err and "last Tuesday" in err


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, [json.dumps(GOOD), "", "not json", json.dumps(NOT_ACTION)])
    assert code == 1 and len(out) == 3
    assert "line 3:" in err


def test_extra_keys_are_ignored_and_next_meeting_optional(tmp_path: Path) -> None:
    item = {
        "input": {
            "series": "board",
            "text": "Action: MT to invite the lead to the next meeting.",
            "sent_at": "2024-01-19T10:05:00+00:00",
        },
        "expect": {"anything": True},
    }
    code, out, _ = _run(tmp_path, [json.dumps(item)])
    assert code == 0
    got = json.loads(out[0])
    assert (got["due"], got["due_kind"]) == (None, "next_meeting")


def test_the_worked_examples(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(str(WESTSHIRE), str(EXAMPLES), out, err) == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    cases = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(answers) == len(cases) == 22
    assert [a["is_action"] for a in answers] == [c["expect"]["is_action"] for c in cases]


def test_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    code, out, err = _run(tmp_path, [json.dumps(GOOD)], partnership=broken)
    assert code == 2 and out == [] and "broken.yaml" in err
    out_io, err_io = io.StringIO(), io.StringIO()
    assert run(str(WESTSHIRE), str(tmp_path / "missing.jsonl"), out_io, err_io) == 2
    assert "missing.jsonl" in err_io.getvalue()


def test_a_deadline_outside_the_window_is_named_not_dropped(tmp_path: Path) -> None:
    """Typed years later, "by 29/09/21" gives no due date, and the answer says which date it refused."""
    item = {"input": {**GOOD["input"], "text": "Action: TR to circulate the protocol by 29/09/21."}}
    code, out, _ = _run(tmp_path, [json.dumps(item), json.dumps(GOOD)])
    assert code == 0
    got = [json.loads(line) for line in out]
    assert (got[0]["due"], got[0]["due_kind"]) == (None, None)
    assert got[0]["due_refused"] == {
        "text": "by 29/09/21",
        "date": "2021-09-29",
        "why": "29 Sep 2021 is more than 18 months ago",
    }
    assert "due_refused" not in got[1]
