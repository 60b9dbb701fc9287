"""`partnerbot import tracker|meeting FILE --series ID`: bring a partnership's action tracker, or its
previous meeting from its minutes, in (docs/import.md).

partnerbot import tracker FILE --series ID [--dry-run] [--assume XX=NAME ...] [--map COLUMN=FIELD ...]
partnerbot import meeting FILE --series ID [--dry-run] [--assume XX=NAME ...]
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.app import App
from handlers.context import Request, UserError


def register(subparsers: Any) -> None:
    im = subparsers.add_parser(
        "import",
        help="bring in an action tracker from minutes (text, Word, PDF), CSV or Excel, or the previous "
        "meeting from its minutes (all or nothing)",
    )
    im.add_argument("what", choices=["tracker", "meeting"])
    im.add_argument(
        "file",
        help="the tracker: .txt (the minutes' own text), .docx, .pdf, .csv or .xlsx; the meeting's minutes: "
        ".txt, .docx or .pdf",
    )
    im.add_argument("--series", required=True, help="the series whose tracker it is, e.g. board")
    im.add_argument("--dry-run", action="store_true", help="show what would be imported, and store nothing")
    im.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="NAME=WHO",
        help="who a name in the file means: SM=SMo, 'Jo Bloggs=guest' (repeatable)",
    )
    im.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="what a column holds: 'Lead officer=owner' (number, action, owner, due, update, status, "
        "raised, meeting or ignore; repeatable)",
    )
    im.add_argument(
        "--date", help="the date of updates the file writes without one (default: the document's own date)"
    )
    im.add_argument("--partnership", help="partnership id, when several are loaded")
    im.add_argument("--at", help="the import's time instead of now (ISO, e.g. 2024-03-08T09:30:00+00:00)")


def run_import(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from handlers.import_read import absolute_date, parse_map, read_source
    from handlers.import_tracker import apply_import, parse_assume, plan_import, report

    core = app.core(args.partnership)
    zone = ZoneInfo(core.roster().timezone)
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    day = None
    if args.date:
        day = absolute_date(args.date)
        if day is None:
            raise UserError(f"--date {args.date!r}: write it as 22/09/2023. Nothing was imported.")
    assume = parse_assume(args.assume)
    if args.what == "meeting":
        return _run_meeting(app, core, args, at, day, assume, out)
    source = read_source(Path(args.file), parse_map(args.map))
    with app.sessions() as session:
        try:
            ctx = core.context(session, Request("import", source.name, "import", "", at))
            plan = plan_import(ctx, source, args.series, assume, day)
            out.write(report(ctx, plan, dry_run=args.dry_run))
            if args.dry_run or not plan.ok:
                session.rollback()
                return 0 if plan.ok else 1
            counts = apply_import(ctx, plan)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    out.write(f"Imported {source.name} into {plan.series.name}: {counts}.\n")
    return 0


def _run_meeting(
    app: App, core: Any, args: argparse.Namespace, at: datetime, day: Any, assume: dict[str, str], out: TextIO
) -> int:
    from handlers.import_meeting import apply_meeting, plan_meeting, read_minutes_file, report

    if args.map:
        raise UserError(
            "--map names a tracker's columns: `import meeting` reads minutes. Nothing was imported."
        )
    minutes = read_minutes_file(Path(args.file))
    with app.sessions() as session:
        try:
            ctx = core.context(session, Request("import", minutes.name, "import", "", at))
            plan = plan_meeting(ctx, minutes, args.series, assume, day)
            out.write(report(ctx, plan, dry_run=args.dry_run))
            if args.dry_run or not plan.ok:
                session.rollback()
                return 0 if plan.ok else 1
            counts, tracker = apply_meeting(ctx, plan, assume)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    out.write(
        f"Imported {minutes.name} into {plan.series.name}: the meeting {counts.meeting}, "
        f"{counts.rows} attendance row{'s' if counts.rows != 1 else ''} recorded, "
        f"{counts.guests} guest{'s' if counts.guests != 1 else ''} created"
        + (f"; the tracker: {tracker}" if tracker else "")
        + ".\n"
    )
    return 0


COMMANDS = {"import": run_import}
