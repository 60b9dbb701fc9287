"""`partnerbot`: one command with subcommands.

Door SDKs are imported only by the subcommands that use them, so `shell` and `parse` start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

BUILTIN = ("run", "shell", "load", "parse", "export", "audit", "migrate")
PAUSED_WHILE_STARTING = ("run", "shell", "serve")  # each resumes the cycle collector once it is up


def _command_word(argv: list[str]) -> str | None:
    """The subcommand in argv, skipping the global options (and their values)."""
    words = iter(argv)
    for word in words:
        if word in ("--config", "--database"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _parser(extensions: bool = True, command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `command`, of the extension subcommands only that one's."""
    p = argparse.ArgumentParser(
        prog="partnerbot",
        description="Meetings, actions and reminders for safeguarding "
        "partnerships, in Slack, Teams and the terminal.",
    )
    p.add_argument("--config", help="settings file (default: app.yaml, or PARTNERBOT_CONFIG)")
    p.add_argument("--database", help="database URL (overrides app.yaml and PARTNERBOT_DATABASE_URL)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="load the partnership files of app.yaml and start the terminal door")
    run.add_argument(
        "--as",
        dest="user",
        help="initials of the person typing (default: the first series' chair, or "
        "if it names none its vice-chair, business manager or business unit)",
    )

    sh = sub.add_parser(
        "shell", help="the terminal door: one meeting channel (interactive, piped or a script)"
    )
    sh.add_argument("--as", dest="user", help="initials of the person typing")
    sh.add_argument("--script", help="run a script file (@ TIME, XX: message, XX> direct message, ! sweep)")
    sh.add_argument("--partnership", help="partnership id, when several are loaded")
    sh.add_argument("--channel", default="shell", help="the channel name this shell is (default: shell)")
    sh.add_argument("--out", default="out", help="folder for files the bot sends (default: out)")

    ld = sub.add_parser("load", help="load or update partnership files (all or nothing per file)")
    ld.add_argument("files", nargs="+")

    ps = sub.add_parser("parse", help="read actions offline: one JSON line out per JSON line in")
    ps.add_argument("--partnership", required=True, help="partnership file (YAML)")
    ps.add_argument(
        "--jsonl",
        required=True,
        help='input lines: {"input": {"series", "text", "sent_at", "next_meeting"}}; - for stdin',
    )

    ex = sub.add_parser("export", help="export the action tracker")
    ex.add_argument("what", choices=["actions"])
    ex.add_argument("--series", help="series id (needed when the partnership has several)")
    ex.add_argument("--format", choices=["csv", "json"], default="csv")
    ex.add_argument("--out", help="file to write (default: standard output)")
    ex.add_argument(
        "--at",
        help="overdue, stale and RAG as of this ISO time (default: now; no offset: the partnership's time)",
    )
    ex.add_argument("--partnership")

    au = sub.add_parser("audit", help="list the audit trail (who changed what, when, through which door)")
    au.add_argument("--series", help="only this series (default: the whole partnership)")
    au.add_argument("--limit", type=int, help="only the last N events")
    au.add_argument("--json", action="store_true", help="one JSON object per event")
    au.add_argument("--partnership")

    sub.add_parser("migrate", help="bring the database schema up to date")
    if extensions:
        for ext in _extensions(command):
            ext.register(sub)
    return p


# Subcommands that live beside the feature they drive: each module has register(subparsers)
# and COMMANDS = {name: run(app, args, out) -> exit code}. Their names are written here too, so
# a command line imports only its own subcommand's module (tests/test_cli.py checks the two agree).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "bot.cli_documents": ("agenda", "minutes", "report"),
    "bot.cli_import": ("import",),
    "bot.cli_person": ("person",),
    "bot.serve": ("nudge", "serve"),
    "bot.slack.cli": ("slack",),
    "bot.teams.cli": ("teams", "attendance"),
}


def _extensions(command: str | None = None) -> list[Any]:
    """The module of `command`; every extension module when it is none of theirs (help, a typo)."""
    import importlib

    names = [name for name, commands in EXTENSIONS.items() if command in commands] or list(EXTENSIONS)
    return [importlib.import_module(name) for name in names]


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    own = argv is None  # the process's own command line, not a call from a program (or a test)
    argv = sys.argv[1:] if argv is None else argv
    # Built-in commands never load the extensions (documents, reminders, doors), so they start fast.
    word = _command_word(argv)
    if own and word in PAUSED_WHILE_STARTING:
        from bot import start_up

        start_up.pause()  # the cycle collector, until the command is up (bot/start_up.py)
        try:
            return _main(argv, word, out, err)
        finally:
            start_up.resume()  # whatever happened
    return _main(argv, word, out, err)


def _main(argv: list[str], word: str | None, out: TextIO, err: TextIO) -> int:
    args = _parser(extensions=word not in BUILTIN, command=word).parse_args(argv)
    if args.command is None:
        _parser().print_help(out)
        return 0
    if args.command == "parse":
        from handlers.parse_jsonl import run as run_parse

        return run_parse(args.partnership, args.jsonl, out, err)

    from bot.app import AppError, open_app
    from bot.settings import SettingsError, load_settings
    from handlers.context import UserError
    from storage.db import DatabaseUnreachable

    file_errors: tuple[type[Exception], ...] = ()  # the shell reads no partnership file: not imported
    if args.command != "shell":
        from storage.partnership_file import PartnershipFileError

        file_errors = (PartnershipFileError,)
    try:
        settings = load_settings(args.config, args.database)
        # `serve` waits for the database itself, answering /health meanwhile; the rest say why not.
        app = open_app(settings, load=args.command in ("run",), wait=args.command == "serve")
        if args.command == "migrate":
            out.write("The database schema is up to date.\n")
            return 0
        if args.command == "load":
            return _load(app, args.files, out, err)
        if args.command in ("run", "shell"):
            return _shell(app, args, out)
        if args.command == "export":
            return _export(app, args, out)
        if args.command == "audit":
            return _audit(app, args, out)
        for ext in _extensions(args.command):
            if args.command in ext.COMMANDS:
                return int(ext.COMMANDS[args.command](app, args, out))
    except file_errors as e:
        err.write(f"{e}\nNothing was loaded.\n")
        return 1
    except (AppError, SettingsError, UserError, DatabaseUnreachable) as e:
        err.write(f"{e}\n")
        return 1
    return 2


def _load(app: object, files: list[str], out: TextIO, err: TextIO) -> int:
    from bot.app import App
    from storage.partnership_file import PartnershipFileError

    assert isinstance(app, App)
    status = 0
    for path in files:
        try:
            (result,) = app.load_files([path])
        except PartnershipFileError as e:
            err.write(f"{e}\nNothing was loaded from {path}.\n")
            status = 1
            continue
        for warning in result.warnings:
            err.write(f"{path}: {warning}\n")
        if not result.changed:
            out.write(f"{path}: {result.partnership_id} is already up to date; nothing changed.\n")
        else:
            out.write(f"{path}: loaded {result.partnership_id} ({len(result.changes)} changes).\n")
            for change in result.changes[:50]:
                out.write(f"  {change}\n")
            if len(result.changes) > 50:
                out.write(f"  … and {len(result.changes) - 50} more (see `partnerbot audit`).\n")
    return status


def _shell(app: object, args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import App, AppError
    from bot.shell import ShellDoor, interactive
    from bot.start_up import resume

    assert isinstance(app, App)
    # Every loaded partnership; --partnership (else app.yaml's `partnership:`) is the shell's own:
    # its people's initials are the ones the shell's lines speak as.
    core = app.router(getattr(args, "partnership", None))
    if not core.partnerships():
        raise AppError("No partnership is loaded: `partnerbot load FILE.yaml` first.")
    roster = core.roster()
    # The first series' chair; a series naming none: its vice-chair, business manager or business unit.
    first = next(iter(roster.series.values()))
    user = args.user or next(iter(roster.chair_or_stand_ins(first, datetime.now(UTC).date())), "")
    if user not in roster.people:
        out.write(f"{user} is not in the {roster.name} file: you can only use `help` (or `/as XX`).\n")
    door = ShellDoor(
        core,
        out,
        user=user,
        channel=getattr(args, "channel", "shell"),
        files_dir=Path(getattr(args, "out", "out")),
        echo=bool(getattr(args, "script", None)),
    )
    app.plug_shell(door)
    resume()  # the cycle collector: start-up is over (bot/start_up.py)
    script = getattr(args, "script", None)
    if script:
        with open(script, encoding="utf-8") as fh:
            door.run(fh)
        return 0
    if sys.stdin.isatty():
        person = roster.people.get(user)
        out.write(
            f"partnerbot — {roster.name}. You are {person.name + ' (' + user + ')' if person else user}; "
            "`/as XX` switches person, `XX> text` sends a direct message, `/quit` ends.\n"
            "Type `help` for the commands.\n"
        )
        interactive(door)
    else:
        door.run(sys.stdin)
    return 0


def _zone(session: Any, pid: str) -> ZoneInfo:
    """The partnership's own time zone (its file's `timezone`): the CLI's dates and times are in it."""
    from storage.models import Partnership

    part = session.get(Partnership, pid)
    assert part is not None  # App.partnership_id only names a loaded partnership
    return ZoneInfo(part.timezone)


def _as_of(text: str | None, zone: ZoneInfo) -> datetime:
    """--at as an aware time: now when not given, the partnership's zone when it has no offset."""
    from handlers.context import UserError

    if not text:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--at: cannot read {text!r}; use e.g. 2024-03-08T09:00 or 2024-03-08T09:00+00:00."
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=zone)


def _export(app: object, args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import App
    from handlers.context import UserError
    from handlers.format import printable
    from handlers.reports import export_actions

    assert isinstance(app, App)
    pid = app.partnership_id(args.partnership)
    with app.sessions() as session:
        at = _as_of(args.at, _zone(session, pid))
        series = args.series
        if not series:
            keys = list(app.core(pid).roster().series)
            if len(keys) != 1:
                raise UserError(f"Name the series: --series {' | '.join(keys)}. Nothing was written.")
            series = keys[0]
        text = export_actions(app.core(pid), session, series, args.format, at)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        out.write(f"Wrote {args.out}.\n")
    else:
        out.write(printable(text))  # to a terminal: never an escape sequence from stored text
    return 0


def _audit(app: object, args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import App
    from handlers.format import printable
    from handlers.reports import audit_events, audit_text

    assert isinstance(app, App)
    pid = app.partnership_id(args.partnership)
    with app.sessions() as session:
        events = audit_events(session, pid, args.series, args.limit)
        if args.json:
            for e in events:
                out.write(
                    printable(
                        json.dumps(
                            {
                                "id": e.id,
                                "at": e.at.isoformat(),
                                "actor": e.actor,
                                "door": e.door,
                                "entity": e.entity,
                                "entity_id": e.entity_id,
                                "verb": e.verb,
                                "before": e.before,
                                "after": e.after,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                )
        else:
            out.write(printable(audit_text(events, _zone(session, pid).key)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
