"""Plug the Slack door into `serve` and the reminder sweep: its courier and its service.

Importing this module imports no Slack SDK; the factories do, and only when app.yaml turns
Slack on. Call `plug()` once at start-up of `serve` and `nudge` (calling it again is harmless).
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("partnerbot.slack")

_plugged = False


def _courier(app: App) -> Any:
    from bot.slack.config import SlackConfigError, load_config

    try:
        config = load_config(app.settings)
    except SlackConfigError as e:
        log.error("%s", e)
        return None
    if not config.enabled:
        return None
    from bot.slack.courier import courier_for

    return courier_for(app, config)


def _service(app: App, args: argparse.Namespace, out: TextIO, web: WebServer) -> Any:
    from bot.slack.config import load_config

    config = load_config(app.settings)  # a wrong slack: section stops `serve` with its message
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
