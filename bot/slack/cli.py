"""`partnerbot slack manifest`: the app manifest to paste into Slack's "Create app from manifest"."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.app import App


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("slack", help="the Slack door: print the app manifest")
    actions = s.add_subparsers(dest="slack_action", metavar="ACTION")
    m = actions.add_parser("manifest", help="print the Slack app manifest (YAML; --json for JSON)")
    m.add_argument("--json", action="store_true", help="JSON instead of YAML")
    m.add_argument(
        "--url",
        help="HTTP mode: the public HTTPS address Slack posts to (e.g. https://bot.example.org/slack/events)",
    )


def run(app: App, args: argparse.Namespace, out: TextIO) -> int:
    import yaml

    from bot.slack.manifest import manifest

    if getattr(args, "slack_action", None) != "manifest":
        out.write("Usage: partnerbot slack manifest [--json] [--url URL]\n")
        return 2
    config = app.settings.slack.resolve()
    if config.mode == "http" and not args.url:
        out.write(
            "slack.mode is http: give the public address Slack should post to, e.g.\n"
            "  partnerbot slack manifest --url https://bot.example.org" + config.http_path + "\n"
        )
        return 2
    data = manifest(config, args.url)
    if args.json:
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


COMMANDS = {"slack": run}
