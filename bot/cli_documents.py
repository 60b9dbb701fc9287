"""`partnerbot agenda` and `partnerbot minutes`: the documents written to a folder from the command line.

partnerbot agenda --series board --meeting next --out DIR
partnerbot minutes --meeting last|DATE|ID [--series board] --out DIR
partnerbot report year --partnership ID [--from YYYY-MM-DD --to YYYY-MM-DD] --out DIR
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import App
from handlers.context import Ctx, Request, UserError
from handlers.reply import File
from storage.models import Meeting, Series


def register(subparsers: Any) -> None:
    ag = subparsers.add_parser("agenda", help="write the agenda pack of the next meeting (.docx, .pdf, .ics)")
    ag.add_argument("--series", required=True, help="series id, e.g. board")
    ag.add_argument("--meeting", default="next", choices=["next"], help="which meeting (only `next`)")
    ag.add_argument("--out", default="out", help="folder to write to (default: out)")
    ag.add_argument("--partnership", help="partnership id, when several are loaded")
    ag.add_argument("--at", help="as of this ISO time instead of now (e.g. 2024-03-08T09:30:00+00:00)")
    ag.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    mi = subparsers.add_parser("minutes", help="write the minutes draft of a closed meeting (.docx, .pdf)")
    mi.add_argument(
        "--meeting", default="last", help="last (default), the meeting's date (19/01/24) or its id"
    )
    mi.add_argument("--series", help="series id (needed for `last` or a date when there are several)")
    mi.add_argument("--out", default="out", help="folder to write to (default: out)")
    mi.add_argument("--partnership", help="partnership id, when several are loaded")
    mi.add_argument("--at", help="as of this ISO time instead of now")
    mi.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    rp = subparsers.add_parser(
        "report", help="write the year in figures (.docx, .pdf, .csv of every figure, .png charts)"
    )
    rp.add_argument("what", choices=["year"])
    rp.add_argument("--partnership", help="partnership id, when several are loaded")
    rp.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: the last financial year)")
    rp.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
    rp.add_argument("--out", default="out", help="folder to write to (default: out)")
    rp.add_argument("--at", help="figures as of this ISO time instead of now")
    rp.add_argument("--no-pdf", action="store_true", help="skip the PDF")


def _context(app: App, session: Any, args: argparse.Namespace, series: Series | None) -> Ctx:
    core = app.core(args.partnership)
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(core.roster().timezone))
    return core.context(session, Request("cli", "cli", "cli", "", at), series=series)


def _series(session: Any, pid: str, key: str) -> Series:
    row = session.scalars(
        select(Series).where(Series.partnership_id == pid, func.lower(Series.key) == key.lower())
    ).first()
    if row is None:
        keys = ", ".join(session.scalars(select(Series.key).where(Series.partnership_id == pid)))
        raise UserError(f"No series {key!r} (series: {keys}).")
    return row


def _series_of_meeting(session: Any, pid: str, wanted: str, tz: ZoneInfo) -> Series:
    """Without --series: the series whose closed meeting is meant (`last` is the latest in any series)."""
    from handlers.documents_data import read_day

    rows = list(
        session.execute(
            select(Meeting, Series)
            .join(Series, Series.id == Meeting.series_id)
            .where(Series.partnership_id == pid, Meeting.status == "closed")
            .order_by(Meeting.starts_at.desc())
        ).all()
    )
    if wanted.lower() in ("last", "previous"):
        if not rows:
            raise UserError("No meeting has been closed yet.")
        return rows[0][1]
    day = read_day(wanted)
    found = {s.key: s for m, s in rows if day and m.starts_at and m.starts_at.astimezone(tz).date() == day}
    if len(found) != 1:
        raise UserError(f"Say which series with --series ({', '.join(sorted(found)) or 'no meeting found'}).")
    return next(iter(found.values()))


def _write(files: list[File], folder: Path, out: TextIO) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        path = folder / f.filename
        path.write_bytes(f.data)
        out.write(f"{path}\n")


def run_agenda(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from handlers.documents_data import agenda_pack
    from handlers.documents_render import agenda_files

    try:
        with app.sessions() as session:
            pid = app.partnership_id(args.partnership)
            series = _series(session, pid, args.series)
            ctx = _context(app, session, args, series)
            pack = agenda_pack(ctx, series)
            files = agenda_files(ctx.setup.templates, pack, ctx.now, pdf=not args.no_pdf)
    except UserError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    _write(files, Path(args.out), out)
    return 0


def run_minutes(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from handlers.documents_data import find_meeting, minutes_draft
    from handlers.documents_render import minutes_files

    try:
        with app.sessions() as session:
            pid = app.partnership_id(args.partnership)
            wanted = str(args.meeting).strip()
            series: Series | None = _series(session, pid, args.series) if args.series else None
            if series is None and wanted.lstrip("#").isdigit():
                meeting = session.get(Meeting, int(wanted.lstrip("#")))
                series = session.get(Series, meeting.series_id) if meeting else None
                if series is None or series.partnership_id != pid:
                    raise UserError(f"No meeting {wanted} in {pid}.")
            if series is None:
                series = _series_of_meeting(session, pid, wanted, ZoneInfo(app.core(pid).roster().timezone))
            ctx = _context(app, session, args, series)
            meeting = find_meeting(ctx, series, wanted)
            minutes = minutes_draft(ctx, series, meeting)
            files = minutes_files(ctx.setup.templates, minutes, pdf=not args.no_pdf)
    except UserError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    _write(files, Path(args.out), out)
    return 0


def run_report(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from handlers.year_report import year_report
    from handlers.year_report_command import read_period
    from handlers.year_report_render import year_files
    from handlers.year_report_worker import start as start_worker

    try:
        with app.sessions() as session:
            ctx = _context(app, session, args, None)
            start, end = read_period(args.start, args.end, ctx.today, "--from 2024-04-01 --to 2025-03-31")
            worker = ctx.setup.report_worker and not args.no_pdf
            if worker:
                start_worker()  # its imports overlap with reading the figures
            report = year_report(session, ctx.partnership_id, start, end, ctx.now)
            files = year_files(ctx.setup.templates, report, pdf=not args.no_pdf, worker=worker)
    except UserError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    _write(files, Path(args.out), out)
    return 0


COMMANDS = {"agenda": run_agenda, "minutes": run_minutes, "report": run_report}
