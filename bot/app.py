"""Wiring shared by every command line entry: database, migrations, partnership files, the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.core import Core
from handlers.router import Router
from handlers.setup import CoreSetup
from storage.db import make_engine, make_sessionmaker, migrate, reach
from storage.models import Partnership

if TYPE_CHECKING:
    from bot.shell import ShellDoor
    from storage.loader import LoadResult


class AppError(Exception):
    pass


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    setup: CoreSetup  # app.yaml's reminder policy and templates, and the roster cache, for every core

    def router(self, home: str | None = None) -> Router:
        """What the doors talk to: every loaded partnership; the home one is `home`, else app.yaml's
        `partnership:` (the shell's, and the answer when nothing else decides)."""
        wanted = home or self.settings.partnership
        return Router(self.sessions, self.setup, home=self.partnership_id(wanted) if wanted else None)

    def core(self, partnership: str | None = None) -> Core:
        return Core(self.sessions, self.partnership_id(partnership), self.setup)

    def partnership_id(self, wanted: str | None = None) -> str:
        with self.sessions() as session:
            ids = list(session.scalars(select(Partnership.id).order_by(Partnership.id)))
        wanted = wanted or self.settings.partnership
        if wanted:
            if wanted not in ids:
                raise AppError(
                    f"No partnership {wanted!r} is loaded (loaded: {', '.join(ids) or 'none'}). "
                    "Load its file with `partnerbot load FILE.yaml`."
                )
            return wanted
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise AppError("No partnership is loaded: `partnerbot load FILE.yaml` first.")
        raise AppError(f"Several partnerships are loaded ({', '.join(ids)}): say which with --partnership.")

    def plug_shell(self, door: ShellDoor) -> None:
        """Let `! sweep` lines in a shell run the reminder sweep."""
        from bot.shell_sweep import plug

        plug(self, door)

    def load_files(self, paths: list[str] | None = None) -> list[LoadResult]:
        """Load partnership files, each whole or not at all."""
        from storage.loader import load_partnership
        from storage.partnership_file import read_partnership

        results = []
        for path in paths if paths is not None else [str(p) for p in self.settings.partnership_files]:
            spec = read_partnership(path)  # raises PartnershipFileError listing every problem
            with self.sessions() as session, session.begin():
                results.append(load_partnership(session, spec, at=datetime.now(UTC)))
        return results


def open_app(settings: Settings, *, load: bool = True, wait: bool = False) -> App:
    """The app on app.yaml's database, its schema brought up to date (and its files loaded, if `load`).

    A database that does not answer is storage.db.DatabaseUnreachable, one line; with `wait`
    (`serve`) nothing is tried yet: the caller waits for it with `ready_database`."""
    engine = make_engine(settings.database_url)
    if wait:
        return App(settings, engine, make_sessionmaker(engine), core_setup(settings))
    ready_database(engine)
    app = App(settings, engine, make_sessionmaker(engine), core_setup(settings))
    if load:
        app.load_files()
    return app


def ready_database(engine: Engine) -> None:
    """Connect, then bring the schema up to date: DatabaseUnreachable if the database does not answer."""
    reach(engine)
    migrate(engine)


def core_setup(settings: Settings) -> CoreSetup:
    """What the core reads of app.yaml: the reminder policy (it also says when an action is stale)
    and the business unit's own templates, if any."""
    from handlers.documents_render import BUILT_IN, TemplateProblem, Templates

    folder = settings.templates_folder
    try:  # a wrong folder stops start-up rather than being ignored
        templates = Templates(folder) if folder else BUILT_IN
    except TemplateProblem as e:
        raise AppError(str(e)) from e
    return CoreSetup(
        policy=settings.nudges.resolve().policy_for,
        templates=templates,
        report_worker=settings.documents.report_worker,
    )
