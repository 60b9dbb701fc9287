"""Files the bot posts in Teams (agenda packs, minutes drafts, long tables) behind signed, expiring links.

A bot cannot attach a file to a group chat or channel message itself, so each file is kept in
`teams.files_dir` and the card links to `{public_url}/files/{token}/{name}?exp=…&sig=…`, which
the door serves. The link is unguessable and expires (`file_link_days`); expired files are
removed as new ones are kept. Several processes need a shared `files_dir`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import quote

from handlers.reply import File

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _safe_name(filename: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", Path(filename).name).strip(" .") or "file"
    return name[:120]


class FileStore:
    def __init__(self, directory: Path, public_url: str | None, key: bytes, days: int = 14) -> None:
        self.directory = directory
        self.public_url = public_url.rstrip("/") if public_url else None
        self.key = key
        self.seconds = max(1, days) * 86400

    @classmethod
    def for_settings(
        cls, directory: Path, public_url: str | None, secret: str | None, days: int
    ) -> FileStore:
        explicit = os.environ.get("TEAMS_FILES_KEY")
        if explicit:
            key = explicit.encode()
        elif secret:
            # Derived, so every process behind one public URL signs the same way without another secret.
            key = hmac.new(secret.encode(), b"partnerbot-teams-files", hashlib.sha256).digest()
        else:
            key = secrets.token_bytes(32)  # links last as long as this process: fine for tests
        return cls(directory, public_url, key, days)

    def _sign(self, token: str, name: str, expires: int) -> str:
        msg = f"{token}/{name}/{expires}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:32]

    def publish(self, block: File, now: float | None = None) -> str | None:
        """Keep the file and return its link; None when no public URL is configured."""
        if self.public_url is None:
            return None
        now = time.time() if now is None else now
        self._expire(now)
        token = secrets.token_urlsafe(18)
        name = _safe_name(block.filename)
        folder = self.directory / token
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(block.data)
        expires = int(now + self.seconds)
        sig = self._sign(token, name, expires)
        return f"{self.public_url}/files/{token}/{quote(name)}?exp={expires}&sig={sig}"

    def open(self, token: str, name: str, expires: int, sig: str, now: float | None = None) -> Path | None:
        """The file behind a link, if the link is genuine and not expired."""
        now = time.time() if now is None else now
        if not _TOKEN.fullmatch(token) or name != _safe_name(name) or expires < now:
            return None
        if not hmac.compare_digest(self._sign(token, name, expires), sig):
            return None
        path = self.directory / token / name
        return path if path.is_file() else None

    def _expire(self, now: float) -> None:
        if not self.directory.is_dir():
            return
        for folder in self.directory.iterdir():
            try:
                if folder.is_dir() and folder.stat().st_mtime < now - self.seconds:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue
