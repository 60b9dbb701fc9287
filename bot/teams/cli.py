"""`partnerbot teams package` and `partnerbot attendance import`.

    partnerbot teams package --out partnerbot-teams.zip     # or --out DIR (partnerbot-teams-VERSION.zip)
    partnerbot attendance import --series board --meeting last      # the last Teams meeting seen
    partnerbot attendance import --series board --meeting MSo3… --organiser rhian.bowen@…
    partnerbot attendance import … --confirm --as RB                 # record it as that person

Nothing here imports a Teams or Graph SDK until the subcommand runs.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.app import App


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    t = sub.add_parser("teams", help="the Microsoft Teams app: build its package for Teams admin")
    tsub = t.add_subparsers(dest="teams_command", metavar="WHAT")
    p = tsub.add_parser("package", help="write the Teams app package (manifest and icons) to a zip")
    p.add_argument(
        "--out", required=True, help="the zip to write (e.g. partnerbot-teams.zip) or a folder for it"
    )
    p.add_argument("--app-id", help="the bot's Entra app id (default: TEAMS_APP_ID or teams.app_id)")
    p.add_argument("--name", default=None, help="the app's short name in Teams (default: teams.bot_name)")
    p.add_argument("--version", default=None, help="the package version (default: partnerbot's)")

    a = sub.add_parser("attendance", help="attendance from Teams: propose it from the meeting's report")
    asub = a.add_subparsers(dest="attendance_command", metavar="WHAT")
    i = asub.add_parser("import", help="read a Teams attendance report (Graph) and propose attendance")
    i.add_argument("--series", required=True, help="the series of the meeting, e.g. board")
    i.add_argument(
        "--meeting",
        default="last",
        help="`last` (the last Teams meeting seen in the series' chat) or a Graph online meeting id",
    )
    i.add_argument("--organiser", help="the meeting organiser's UPN or object id (default: graph.organiser)")
    i.add_argument(
        "--as",
        dest="user",
        help="initials of the person doing it (default: the series' chair, or if it "
        "names none whoever takes its part)",
    )
    i.add_argument("--confirm", action="store_true", help="record the proposal at once, as that person")
    i.add_argument("--partnership")


def run_teams(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from bot.teams.package import AppInfo, PackageError, build, file_name

    if getattr(args, "teams_command", None) != "package":
        out.write("Usage: partnerbot teams package --out FILE.zip\n")
        return 2
    settings = app.settings.teams.resolve(app.settings.root)
    publisher = app.settings.teams.package
    if publisher.missing():
        out.write(
            f"The package names who publishes the app: set {', '.join(publisher.missing())} "
            "in app.yaml (see docs/teams.md).\n"
        )
        return 1
    try:
        default_version = version("partnerbot")
    except PackageNotFoundError:
        default_version = "1.0.0"
    domain = None
    if settings.public_url:
        from urllib.parse import urlsplit

        domain = urlsplit(settings.public_url).hostname
    info = AppInfo(
        app_id=args.app_id or settings.app_id or "",
        developer=publisher.developer_name or "",
        website=publisher.website_url or "",
        privacy=publisher.privacy_url or "",
        terms=publisher.terms_url or "",
        name=args.name or settings.bot_name,
        version=args.version or default_version,
        domain=domain,
    )
    try:
        data = build(info)
    except PackageError as e:
        out.write(f"{e}\n")
        return 1
    target = Path(args.out)
    if target.is_dir() or args.out.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)
        target = target / file_name(info)
    elif not target.parent.is_dir():
        out.write(f"--out: there is no folder {target.parent}; create it or give another path.\n")
        return 1
    target.write_bytes(data)
    out.write(f"Wrote {target}: upload it in Teams admin (Manage apps → Upload) or Developer Portal.\n")
    return 0


def run_attendance(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from bot import runtime
    from bot.shell import ShellDoor
    from bot.teams.attendance import fetch_report
    from bot.teams.plug import graph_for
    from handlers.attendance_report import NoReport
    from handlers.context import Request
    from handlers.reply import Buttons

    if getattr(args, "attendance_command", None) != "import":
        out.write("Usage: partnerbot attendance import --series SERIES [--meeting last|ID]\n")
        return 2
    graph = graph_for(app)
    if graph is None:
        out.write("Microsoft Graph is not set up: add a `graph:` section to app.yaml (see docs/teams.md).\n")
        return 1
    core = app.core(args.partnership)
    roster = core.roster()
    if args.series not in roster.series:
        out.write(f"No series {args.series!r}: {', '.join(roster.series)}.\n")
        return 1
    organiser = args.organiser or graph.settings.organiser
    graph_id = args.meeting
    if args.meeting == "last":
        seen = core.platform_meetings("teams", series_key=args.series)
        known = next((m for m in seen if m.graph_id), None)
        if known is None:
            out.write(f"I have seen no Teams meeting of {args.series} yet: give its id with --meeting.\n")
            return 1
        graph_id, organiser = known.graph_id, known.organiser or organiser
    if not organiser:
        out.write("Who organised the meeting? Give --organiser (or set graph.organiser in app.yaml).\n")
        return 1
    report = runtime.run(fetch_report(graph, organiser, str(graph_id)))
    failed = isinstance(report, NoReport)
    now = datetime.now(UTC)
    # The series' chair; a series naming none: its vice-chair, business manager or business unit.
    user = args.user or next(iter(roster.chair_or_stand_ins(roster.series[args.series], now.date())), "")
    door = ShellDoor(core, out, user=user, channel="cli:attendance")
    text = f"attendance import {args.series}"
    reply = core.handle(Request("shell", "cli:attendance", user, text, now, attendance_report=report))
    door.render(reply, user, False)
    if args.confirm:
        lines = [
            b.typed for m in reply.messages for x in m.blocks if isinstance(x, Buttons) for b in x.buttons
        ]
        if not lines:
            return 1 if failed else 0
        done = core.handle(Request("shell", "cli:attendance", user, lines[0], now))
        door.render(done, user, False)
    return 1 if failed else 0


COMMANDS = {"teams": run_teams, "attendance": run_attendance}
