"""Plug the Teams door into `partnerbot serve` and the reminder sweep; call `plug()` once at start-up.

Importing this module loads no Teams or Graph SDK: the factories import them only when app.yaml
switches Teams (`teams.enabled`) or Graph (`graph.enabled`) on.
- courier "teams": reminder cards in people's 1:1 chats with the bot;
- courier "email": Graph `sendMail` from the partnership mailbox, instead of SMTP, when
  `graph.mailbox` is set (otherwise the SMTP courier of scheduler/email.py is used);
- service "teams": the bot endpoint (`teams.endpoint`), `/files/` and `/healthz` on the one web
  server (bot/web.py).
"""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.app import App
    from bot.teams.app import TeamsDoor
    from bot.teams.graph import Graph
    from bot.web import Part, WebServer
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
            from bot import runtime
            from bot.teams.loading import door_class

            runtime.loop(settings.workers)
            graph = graph_for(app)
            door = door_class()(
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

    return GraphMailCourier(graph, app.settings.web.answer_links())


class TeamsService:
    """`serve`'s Teams service: the bot endpoint on the web server until `stop`.

    The door's routes are mounted at once (bot/teams/loading.py), so the web server and
    `/health` do not wait for the Teams SDK (about a second to import). Once the server listens,
    this service's thread builds the door; requests that arrive meanwhile are held until it is
    ready, or answered 503 with Retry-After. A door that fails to build stops `serve`."""

    name = "teams"

    def __init__(self, app: App, partnership: str | None, out: TextIO, web: WebServer) -> None:
        from bot.teams.loading import LoadingDoor

        self.app = app
        self.partnership = partnership
        self.out = out
        self.web = web
        self.part = web.part("teams")
        self.door: TeamsDoor | None = None
        self.loaded = threading.Event()  # the door is built and serves
        self.loading = LoadingDoor(app.settings.teams.resolve(app.settings.root).endpoint)
        self.loading.mount(self.part)

    def run(self, stop: threading.Event) -> None:
        from bot import runtime

        while not self.web.ready.wait(0.02):  # the port first: importing the SDK competes for the GIL
            if stop.is_set():
                return
        door = door_for(self.app, self.partnership)
        if door is None:
            raise RuntimeError("Teams was switched off while starting")
        self.door = door
        runtime.run(self.loading.open(door))
        self.loaded.set()
        stop.wait()


def mount(door: TeamsDoor, part: Part) -> None:
    """The door's routes on the web server: the bot endpoint, signed file links, `/healthz`."""
    part.route(door.settings.endpoint, door.endpoint)  # body and token checked, then the SDK
    part.route("/files/", door.web, prefix=True)
    part.route("/healthz", door.web)
    part.check(lambda: {"ok": door.ready})
    part.ready()


def teams_service(app: App, args: argparse.Namespace, out: TextIO, web: WebServer) -> Any:
    settings = app.settings.teams.resolve(app.settings.root)
    if not settings.enabled:
        return None
    settings.check_for_serve()  # a door without credentials stops `serve` now
    return TeamsService(app, getattr(args, "partnership", None), out, web)


def plug() -> None:
    """Register the Teams courier, the Graph e-mail courier and the Teams service (once)."""
    global _plugged
    if _plugged:
        return
    from bot.plugs import register_courier, register_service

    register_courier("teams", teams_courier)
    register_courier("email", graph_mail_courier)
    register_service(teams_service)
    _plugged = True
