"""Wire the Teams door into `partnerbot serve` and the reminder sweep; call `plug()` once at start-up.

Importing this module loads no Teams or Graph SDK: the factories import them only when app.yaml
switches Teams (`teams.enabled`) or Graph (`graph.enabled`) on.
- courier "teams": reminder cards in people's 1:1 chats with the bot;
- courier "email": Graph `sendMail` from the partnership mailbox, instead of SMTP, when
  `graph.mailbox` is set (otherwise the SMTP courier of scheduler/email.py is used);
- service "teams": the bot endpoint, bound to `teams.host:teams.port`.
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.app import App
    from bot.teams.app import TeamsDoor
    from bot.teams.graph import Graph
    from scheduler.couriers import Courier

_doors: dict[int, TeamsDoor] = {}
_graphs: dict[int, Graph] = {}
_graph_apps: dict[int, App] = {}
_lock = threading.Lock()
_plugged = False


def door_for(app: App, partnership: str | None = None) -> TeamsDoor | None:
    """The process's Teams door for this app (one per app), or None when Teams is off."""
    settings = app.settings.teams.resolve(app.settings.root)
    if not settings.enabled:
        return None
    with _lock:
        door = _doors.get(id(app))
        if door is None or door.app is not app:  # an id can be reused once an app is gone
            from bot.teams import runtime
            from bot.teams.app import TeamsDoor

            runtime.loop(settings.workers)
            graph = graph_for(app)
            door = TeamsDoor(
                app, settings, app.settings.graph.resolve(), partnership=partnership, graph=graph
            )
            _doors[id(app)] = door
        return door


def graph_for(app: App) -> Graph | None:
    settings = app.settings.graph.resolve()
    if not settings.enabled:
        return None
    graph = _graphs.get(id(app))
    if graph is None or _graph_apps.get(id(app)) is not app:
        from bot.teams.graph import Graph

        graph = Graph(settings)
        _graphs[id(app)] = graph
        _graph_apps[id(app)] = app
    return graph


def teams_courier(app: App) -> Courier | None:
    if not app.settings.teams.enabled:
        return None
    from bot.teams.courier import TeamsCourier

    def make() -> TeamsDoor:
        door = door_for(app)
        assert door is not None
        return door

    return TeamsCourier(make, app.sessions)


def graph_mail_courier(app: App) -> Courier | None:
    if not app.settings.graph.resolve().mail_ready:
        return None
    graph = graph_for(app)
    if graph is None:
        return None
    from bot.teams.courier import GraphMailCourier

    return GraphMailCourier(graph)


class TeamsService:
    """`serve`'s Teams service: the bot endpoint on the configured address until `stop`.

    The door (and the Teams SDK, about a second to import) is made in the service's own thread,
    so the other doors and the sweep start meanwhile."""

    name = "teams"

    def __init__(self, app: App, partnership: str | None, out: TextIO) -> None:
        self.app = app
        self.partnership = partnership
        self.out = out
        self.door: TeamsDoor | None = None

    def run(self, stop: threading.Event) -> None:
        import uvicorn

        from bot.teams import runtime

        door = door_for(self.app, self.partnership)
        if door is None:
            return
        self.door = door
        s = door.settings
        config = uvicorn.Config(
            door.web,
            host=s.host,
            port=s.port,
            log_level="warning",
            access_log=False,
            http=_http_impl(),
            lifespan="off",
        )
        server = uvicorn.Server(config)

        async def serve() -> None:
            await door.initialize()
            await server.serve()

        future = runtime.submit(serve())
        deadline = time.monotonic() + 15
        while not server.started and not future.done() and time.monotonic() < deadline:
            time.sleep(0.02)
        if future.done():
            future.result()  # raises why it could not start (e.g. the port is taken)
            raise RuntimeError("the Teams endpoint stopped at once")
        self.out.write(f"Teams door listening on http://{s.host}:{s.port}{s.endpoint}\n")
        self.out.flush()
        while not stop.wait(0.5):
            if future.done():
                future.result()
                raise RuntimeError("the Teams endpoint stopped")
        server.should_exit = True
        future.result(timeout=10)


def _http_impl() -> str:
    try:
        import httptools  # noqa: F401 - optional, faster HTTP parsing
    except ImportError:
        return "h11"
    return "httptools"


def teams_service(app: App, args: argparse.Namespace, out: TextIO) -> Any:
    settings = app.settings.teams.resolve(app.settings.root)
    if not settings.enabled:
        return None
    settings.check_for_serve()  # a door without credentials stops `serve` now
    return TeamsService(app, getattr(args, "partnership", None), out)


def plug() -> None:
    """Register the Teams courier, the Graph e-mail courier and the Teams service (once)."""
    global _plugged
    if _plugged:
        return
    from scheduler.cli import register_service
    from scheduler.couriers import register_courier

    register_courier("teams", teams_courier)
    register_courier("email", graph_mail_courier)
    register_service(teams_service)
    _plugged = True
