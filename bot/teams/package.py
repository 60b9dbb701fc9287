"""The Teams app package: manifest.json and two icons in a zip, ready to upload to Teams admin.

- The bot in three scopes: `personal` (1:1 reminders, "my actions"), `groupChat` (meeting
  chats) and `team` (channels); its command list comes from the command registry (Teams shows
  at most ten per scope, so the ones people type most are listed; `help` lists the rest).
- Resource-specific consent: read the chat's messages without an @mention, the meeting's
  participants (organiser rights, join/leave) and its basic details (start/end events).
- Icons are drawn here (a 192 px colour icon and a 32 px white outline), so the package needs
  no image files or imaging library.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

MANIFEST_VERSION = "1.19"
SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
RSC = ("ChatMessage.Read.Chat", "OnlineMeetingParticipant.Read.Chat", "OnlineMeeting.ReadBasic.Chat")
ACCENT = (0x1F, 0x4E, 0x79)  # a deep blue, readable behind white

# The commands shown in Teams' command menu, most used first (Teams allows ten per scope).
PERSONAL = (
    "actions mine",
    "action done",
    "action update",
    "action due",
    "action not mine",
    "action snooze",
    "action show",
    "digest",
    "help",
    "cancel",
)
MEETING = (
    "meeting start",
    "present",
    "apologies",
    "deputy",
    "quorum",
    "action",
    "decision",
    "meeting end",
    "attendance import",
    "help",
)
CHANNEL = (
    "bind",
    "actions",
    "actions overdue",
    "agenda next",
    "minutes draft",
    "agenda add",
    "next meeting",
    "digest",
    "action show",
    "help",
)


class PackageError(ValueError):
    pass


@dataclass(frozen=True)
class AppInfo:
    app_id: str
    developer: str  # who publishes the app: app.yaml's teams.package (at most 32 characters)
    website: str
    privacy: str
    terms: str
    name: str = "partnerbot"
    full_name: str = "partnerbot: partnership meetings and actions"
    version: str = "1.0.0"
    domain: str | None = None  # the bot's public host, for file links


def _commands(names: tuple[str, ...]) -> list[dict[str, str]]:
    from handlers.registry import all_commands

    specs = {s.name: s for s in all_commands()}
    out = []
    for name in names:
        spec = specs.get(name)
        if spec is None:
            continue
        title = (
            spec.usage if len(spec.usage) <= 32 else spec.usage.split(" ")[0] + " " + spec.usage.split(" ")[1]
        )
        out.append({"title": title[:32], "description": spec.summary[:128]})
    return out[:10]


def manifest(info: AppInfo) -> dict[str, object]:
    if not info.app_id:
        raise PackageError("the app id is needed: set TEAMS_APP_ID (the bot's Entra app id) or pass --app-id")
    lists = [
        {"scopes": ["personal"], "commands": _commands(PERSONAL)},
        {"scopes": ["groupChat"], "commands": _commands(MEETING)},
        {"scopes": ["team"], "commands": _commands(CHANNEL)},
    ]
    doc: dict[str, object] = {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": info.version,
        "id": info.app_id,
        "developer": {
            "name": info.developer,
            "websiteUrl": info.website,
            "privacyUrl": info.privacy,
            "termsOfUseUrl": info.terms,
        },
        "name": {"short": info.name[:30], "full": info.full_name[:100]},
        "description": {
            "short": "Meetings, attendance, actions and reminders for a safeguarding partnership"[:80],
            "full": (
                "The chair types short commands in the meeting chat: who is present, apologies, "
                "deputies, quorum, actions and decisions. Action owners get reminders in their chat "
                "with the bot and answer with a button: done, an update, a new date, not mine. The "
                "business unit gets agenda packs, minutes drafts and the action tracker."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": info.app_id,
                "scopes": ["personal", "groupChat", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": lists,
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [info.domain] if info.domain else [],
        "webApplicationInfo": {"id": info.app_id, "resource": f"api://botid-{info.app_id}"},
        "authorization": {
            "permissions": {"resourceSpecific": [{"name": name, "type": "Application"} for name in RSC]}
        },
    }
    return doc


# --- icons -----------------------------------------------------------------------------------------------


def _png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    raw = b"".join(
        b"\x00" + b"".join(struct.pack("BBBB", *pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _tick(x: float, y: float, size: float, width: float) -> bool:
    """A check mark: two strokes, in a box of `size`."""

    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        px, py = ax + t * dx, ay + t * dy
        return (x - px) ** 2 + (y - py) ** 2 <= width**2

    s = size
    return near(0.22 * s, 0.52 * s, 0.42 * s, 0.72 * s) or near(0.42 * s, 0.72 * s, 0.80 * s, 0.30 * s)


def colour_icon() -> bytes:
    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        return (255, 255, 255, 255) if _tick(x + 0.5, y + 0.5, 192, 12) else (*ACCENT, 255)

    return _png(192, 192, pixel)


def outline_icon() -> bytes:
    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        return (255, 255, 255, 255) if _tick(x + 0.5, y + 0.5, 32, 2.2) else (255, 255, 255, 0)

    return _png(32, 32, pixel)


def file_name(info: AppInfo) -> str:
    """The zip's name when `--out` is a folder: the app and its version (Teams wants a new one per upload)."""
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in info.name.lower()).strip("-") or "app"
    return f"{slug}-teams-{info.version}.zip"


def build(info: AppInfo) -> bytes:
    """The zip to upload: manifest.json, color.png, outline.png at its root."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest(info), indent=2, ensure_ascii=False))
        z.writestr("color.png", colour_icon())
        z.writestr("outline.png", outline_icon())
    return buf.getvalue()
