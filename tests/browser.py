"""Headless Chromium, driven over the DevTools protocol (no driver binary, no extra package).

`Browser.start()` launches Debian's `chromium` (or another Chromium found on PATH) with a
remote-debugging port; each `Tab` is one page's DevTools WebSocket (aiohttp, already a test
dependency). Enough for a test to open a link, type, click, read the page and run axe-core.

A browser that cannot be launched skips the test with the reason, except on CI (CI=true),
where it fails: CI installs Chromium (.ci/run).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
AXE = Path(__file__).resolve().parent / "fixtures" / "axe" / "axe.min.js"
# The rule sets of WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")


def unavailable(reason: str) -> None:
    """Skip outside CI; fail on CI, where the browser must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test must run on CI: {reason}")
    pytest.skip(f"browser test skipped: {reason} (CI installs chromium: see .ci/run)")


class Tab:
    """One page, over its DevTools WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        wanted = self.next_id
        await self.ws.send_str(json.dumps({"id": wanted, "method": method, "params": params}))
        async with asyncio.timeout(60):
            while True:
                msg = json.loads((await self.ws.receive()).data)
                if msg.get("id") == wanted:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return dict(msg.get("result", {}))
                if "method" in msg:
                    self.events.append(msg)

    async def wait_for(self, event: str) -> None:
        """Until the page sends `event` (e.g. Page.loadEventFired) after the last `expect()`."""
        async with asyncio.timeout(60):
            while not any(e["method"] == event for e in self.events):
                msg = json.loads((await self.ws.receive()).data)
                if "method" in msg:
                    self.events.append(msg)

    def expect(self) -> None:
        self.events.clear()

    async def evaluate(self, expression: str, *, wait: bool = False) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def open(self, url: str) -> str:
        """Go to a URL as a person following a link; the page's text once it has loaded."""
        self.expect()
        await self.call("Page.navigate", url=url)
        await self.wait_for("Page.loadEventFired")
        return await self.text()

    async def text(self) -> str:
        return str(await self.evaluate("document.body.innerText"))

    async def type_into(self, selector: str, text: str) -> None:
        """Focus a field (as by clicking it) and type, replacing what it held."""
        await self.evaluate(
            f"(e => {{ e.focus(); e.select && e.select(); }})(document.querySelector({selector!r}))"
        )
        await self.call("Input.insertText", text=text)

    async def click(self, selector: str) -> str:
        """Click the element with the mouse, where it is on the screen; the text of the page it leads to."""
        box = await self.evaluate(
            f"(e => {{ e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();"
            f" return [r.x + r.width / 2, r.y + r.height / 2, r.width, r.height]; }})"
            f"(document.querySelector({selector!r}))"
        )
        x, y, width, height = box
        assert width > 0 and height > 0, f"{selector} is not visible"
        self.expect()
        for kind in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        await self.wait_for("Page.loadEventFired")
        return await self.text()

    async def axe(self) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is: [] when it finds none."""
        if not await self.evaluate("typeof window.axe !== 'undefined'"):
            await self.evaluate(AXE.read_text(encoding="utf-8"))
        found = await self.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: " + json.dumps(list(AXE_TAGS)) + "}})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' '))})))",
            wait=True,
        )
        return list(found)


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], port: int, profile: str) -> None:
        self.process, self.port, self.profile = process, port, profile
        self.session: aiohttp.ClientSession | None = None
        self.tabs: list[Tab] = []

    @classmethod
    def start(cls) -> Browser:
        binary = next((shutil.which(c) for c in CANDIDATES if shutil.which(c)), None)
        if binary is None:
            unavailable("no chromium on PATH")
        assert binary is not None
        profile = tempfile.mkdtemp(prefix="pb-chromium-")
        args = [
            binary,
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}",
            "--window-size=1024,900",
            "about:blank",
        ]
        if hasattr(os, "getuid") and os.getuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as e:
            shutil.rmtree(profile, ignore_errors=True)
            unavailable(f"{binary} cannot be started: {e}")
            raise
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode(errors="replace")[-500:] if process.stderr else ""
                process.kill()
                shutil.rmtree(profile, ignore_errors=True)
                unavailable(f"{binary} did not start: {err.strip() or 'no DevTools port'}")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        return cls(process, port, profile)

    async def tab(self) -> Tab:
        """A new page (tab), with page events on."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as r:
            target = await r.json()
        ws = await self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        tab = Tab(ws)
        await tab.call("Page.enable")
        await tab.call("Runtime.enable")
        self.tabs.append(tab)
        return tab

    async def close_tabs(self) -> None:
        for tab in self.tabs:
            await tab.ws.close()
        if self.session is not None:
            await self.session.close()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)
