"""How the doors plug into `serve` and the reminder sweep: courier and service factories.

Each module in DOOR_PLUGS has `plug()`, which registers a courier factory (reminders through
that door) and a service factory (its part of `serve`); it imports no platform SDK until
app.yaml turns its door on. A factory returns None when its door is off.
"""

from __future__ import annotations

import argparse
import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO

from scheduler.couriers import Courier

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

DOOR_PLUGS = ("bot.slack.plug", "bot.teams.plug")


class Service(Protocol):
    name: str

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; return then. Raising stops the whole process."""
        ...


CourierFactory = Callable[["App"], Courier | None]
# A door's service may take a place on the one web server (`web.part(name)`) for its routes.
ServiceFactory = Callable[["App", argparse.Namespace, TextIO, "WebServer"], Service | None]

COURIER_FACTORIES: dict[str, CourierFactory] = {}
SERVICE_FACTORIES: list[ServiceFactory] = []


def plug_doors() -> None:
    for name in DOOR_PLUGS:
        importlib.import_module(name).plug()


def register_courier(door: str, factory: CourierFactory) -> None:
    COURIER_FACTORIES[door] = factory


def register_service(factory: ServiceFactory) -> None:
    SERVICE_FACTORIES.append(factory)


def build_couriers(app: App, *extra: Courier) -> dict[str, Courier]:
    """Couriers of every configured door, e-mail when SMTP is set up, plus any given (the terminal)."""
    from scheduler.email import EmailCourier

    found: dict[str, Courier] = {}
    for door, factory in COURIER_FACTORIES.items():
        courier = factory(app)
        if courier is not None:
            found[door] = courier
    smtp = app.settings.email.resolve()
    if smtp is not None and "email" not in found:
        found["email"] = EmailCourier(smtp, app.settings.web.answer_links())
    for courier in extra:
        found.setdefault(courier.door, courier)
    return found
