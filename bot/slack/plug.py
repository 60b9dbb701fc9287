"""Plug the Slack door into `serve` and the reminder sweep: its courier and its service.

Importing this module imports no Slack SDK; the factories do, and only when app.yaml turns
Slack on. Call `plug()` once at start-up of `serve` and `nudge` (calling it again is harmless).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

_plugged = False


def _courier(app: App) -> Any:
    config = app.settings.slack.resolve()
    if not config.enabled:
        return None
    from bot.slack.courier import courier_for

    return courier_for(app, config)


def _service(app: App, args: argparse.Namespace, out: TextIO, web: WebServer) -> Any:
    config = app.settings.slack.resolve()
    if not config.enabled:
        return None
    if getattr(args, "partnership", None) and not config.partnership:
        from dataclasses import replace

        config = replace(config, partnership=args.partnership)
    from bot.slack.service import SlackService

    return SlackService(app, config, out, web)


def plug() -> None:
    global _plugged
    if _plugged:
        return
    from bot.plugs import register_courier, register_service

    register_courier("slack", _courier)
    register_service(_service)
    _plugged = True
