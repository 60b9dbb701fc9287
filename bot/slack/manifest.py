"""The Slack app manifest: paste it into api.slack.com/apps → Create New App → From a manifest."""

from __future__ import annotations

from typing import Any

from bot.slack.config import SlackConfig
from bot.slack.render import CAPTURE_SHORTCUT
from handlers.registry import SECTIONS, all_commands

BOT_SCOPES = (
    "channels:history",  # "Action:" lines in meeting threads (public channels)
    "groups:history",  # … and private channels the bot is invited to
    "im:history",  # direct messages to the bot (reminder replies)
    "im:write",  # opening a direct message to send a document
    "chat:write",  # channel posts, reminders, updated messages
    "commands",  # the slash command
    "files:write",  # agenda packs and minutes drafts
    "reactions:read",  # the capture emoji
    "users:read",  # names of people @-mentioned
    "users:read.email",  # matching a Slack profile to the partnership file by e-mail
)
BOT_EVENTS = ("app_home_opened", "message.channels", "message.groups", "message.im", "reaction_added")


def usage_hint() -> str:
    """The first command of each section of the registry, as a hint under the slash command."""
    picked: list[str] = []
    for section in SECTIONS:
        spec = next((s for s in all_commands() if s.section == section and s.name != "help"), None)
        if spec is not None:
            picked.append(spec.usage.split(" [")[0])
    hint = " · ".join(["help", *picked])
    return hint if len(hint) <= 100 else hint[:99] + "…"


def manifest(config: SlackConfig, url: str | None = None) -> dict[str, Any]:
    """The app as Slack should create it. `url` (HTTP mode) is the public address of the events path."""
    n = len(all_commands())
    command: dict[str, Any] = {
        "command": config.command,
        "description": f"Meetings and actions: all {n} partnerbot commands (try help)",
        "usage_hint": usage_hint(),
        "should_escape": True,  # mentions arrive as <@U…|name>, which we read as people
    }
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": config.mode == "socket",
        "token_rotation_enabled": False,
    }
    if config.mode == "http" and url:
        command["url"] = url
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": config.name,
            "description": "Meetings, actions and reminders for the safeguarding partnership",
            "background_color": "#1d4f6e",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": config.name, "always_online": True},
            "shortcuts": [
                {
                    "name": "Capture as action",
                    "type": "message",
                    "callback_id": CAPTURE_SHORTCUT,
                    "description": "Record this message as an action of the channel's meeting series",
                }
            ],
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": settings,
    }
