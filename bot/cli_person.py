"""`partnerbot person export|erase`: a person's subject access pack, and their erasure (UK GDPR).

partnerbot person export INITIALS|NAME [--partnership ID] --out DIR
partnerbot person erase INITIALS|NAME [--partnership ID] [--reassign INITIALS]

The rules live in handlers/person_data.py; docs/data-protection.md says what each does.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from handlers.context import UserError
from handlers.format import printable


def register(subparsers: Any) -> None:
    pe = subparsers.add_parser(
        "person", help="data protection: a person's subject access pack (export), or their erasure (erase)"
    )
    pe.add_argument("what", choices=["export", "erase"])
    pe.add_argument("who", help="their initials as the file has them (HN), a guest's key, or their full name")
    pe.add_argument("--partnership", help="partnership id, when several are loaded")
    pe.add_argument("--out", help="export: the folder to write the pack to (JSON and Markdown)")
    pe.add_argument(
        "--reassign",
        metavar="INITIALS",
        help="erase: who takes over the open actions the person owns (recorded in the audit trail)",
    )
    pe.add_argument("--at", help=argparse.SUPPRESS)  # the time to record instead of now (tests)


def _at(args: argparse.Namespace) -> datetime:
    if not args.at:
        return datetime.now(UTC)
    at = datetime.fromisoformat(args.at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def run_person(app: App, args: argparse.Namespace, out: TextIO) -> int:
    if args.what == "export":
        if args.reassign:
            raise UserError("--reassign is for `person erase`. Nothing was written.")
        if not args.out:
            raise UserError("Say where to write the pack: `partnerbot person export HN --out DIR`.")
        return _export(app, args, out)
    if args.out:
        raise UserError("--out is for `person export`: erasure writes no files. Nothing was changed.")
    return _erase(app, args, out)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "person"


def _export(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from handlers.person_data import export_person, find_subject, person_markdown

    pid = app.partnership_id(args.partnership)
    at = _at(args)
    with app.sessions() as session:
        subject = find_subject(session, pid, args.who)
        pack = export_person(session, subject, at)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"subject-access-{pid}-{_slug(pack['person']['initials'])}-{at.date().isoformat()}"
    data, doc = folder / f"{stem}.json", folder / f"{stem}.md"
    data.write_text(json.dumps(pack, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    doc.write_text(person_markdown(pack), encoding="utf-8")
    count = sum(len(rows) for rows in pack["records"].values())
    mentions = sum(len(rows) for rows in pack["mentions"].values())
    out.write(
        printable(
            f"Wrote {data} and {doc}: {pack['person']['name']} ({pack['person']['initials']}), "
            f"{count} record{'s' if count != 1 else ''} that reference them, {len(pack['actions_owned'])} "
            f"action ownership{'s' if len(pack['actions_owned']) != 1 else ''}, {mentions} mention"
            f"{'s' if mentions != 1 else ''} in text.\n"
        )
    )
    return 0


def _erase(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from handlers.person_data import erase_person, find_subject

    pid = app.partnership_id(args.partnership)
    at = _at(args)
    with app.sessions() as session, session.begin():
        subject = find_subject(session, pid, args.who)
        initials, name, email = subject.person.initials, subject.person.name, subject.person.email
        result = erase_person(session, subject, at, args.reassign)
    if result.already:
        out.write(f"{result.label} ({result.key}) was erased already; nothing changed.\n")
        return 0
    lines = [f"Erased {name} ({initials}) from {pid}: they are now {result.label}."]
    if result.reassigned:
        lines.append(f"Open actions reassigned to {args.reassign}: {', '.join(result.reassigned)}.")
    changed = ", ".join(f"{k} {v}" for k, v in sorted(result.changed.items()))
    lines.append(f"Changed: {changed}.")
    lines += result.notes
    lines.append(_file_note(app, pid, initials, name, email))
    out.write(printable("\n".join(lines) + "\n"))
    return 0


def _file_note(app: App, pid: str, initials: str, name: str, email: str | None) -> str:
    """The partnership file is the business unit's: say whether it still names the person."""
    from storage.partnership_file import PartnershipFileError, read_partnership

    if initials.startswith("guest-"):
        return "They were a guest: no partnership file names them."
    for path in app.settings.partnership_files:
        try:
            spec = read_partnership(str(path))
        except (PartnershipFileError, OSError):
            continue
        if spec.id != pid:
            continue
        if any(p.initials == initials or p.name == name or (email and p.email == email) for p in spec.people):
            return (
                f"{path.name} still names {initials}: remove them from it (and from its series and groups) "
                "and load it again. Until then a load of a changed file adds them back as a new person, "
                "with no history."
            )
        return f"{path.name} no longer names them."
    return (
        "The partnership file is the business unit's: if it still names them, remove them there and load it "
        "again, or a load of a changed file adds them back as a new person, with no history."
    )


COMMANDS = {"person": run_person}
