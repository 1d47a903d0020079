"""Headless Chromium (Debian's package) driven over the DevTools protocol on 127.0.0.1.

No browser is downloaded and nothing leaves the machine: the flags are the ones this
machine's Chromium needs headless and offline (no background networking, sync, component
updates or QUIC), every host name resolves to nothing (``--host-resolver-rules``) so only
127.0.0.1 can be reached, and each browser gets a fresh profile.

What the page's terminal shows is read from what the browser received: the binary
websocket frames of the served app (its terminal output) are fed into a pyte screen of the
size the page announced (its ``resize`` frames).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pyte

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
KEY_CODES = {"Enter": 13, "Escape": 27, "Tab": 9}


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise AssertionError("chromium is not installed; run tests through tests/bootstrap.sh")
    return found


@dataclass
class Terminal:
    """The served app's screen as the page received it."""

    columns: int = 80
    lines: int = 24
    output: bytearray = field(default_factory=bytearray)
    typed: list[str] = field(default_factory=list)

    def screen(self) -> list[str]:
        screen = pyte.Screen(self.columns, self.lines)
        stream = pyte.ByteStream(screen)
        stream.feed(bytes(self.output))
        return [line.rstrip() for line in screen.display]

    def text(self) -> str:
        return "\n".join(self.screen())


class Browser:
    """One headless Chromium with one page; ``send`` speaks the DevTools protocol."""

    def __init__(self, profile: Path, *, width: int = 1280, height: int = 800) -> None:
        self.profile = profile
        self.size = (width, height)
        self.process: subprocess.Popen[bytes] | None = None
        self.terminal = Terminal()
        self.websockets: list[str] = []
        self.opened: list[str] = []
        """Addresses of the tabs the page opened (``window.open``)."""
        self._http: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._first_page = ""

    async def start(self, timeout: float = 60.0) -> None:
        self.profile.mkdir(parents=True, exist_ok=True)
        (self.profile / "DevToolsActivePort").unlink(missing_ok=True)  # from an earlier run
        width, height = self.size
        self.process = subprocess.Popen(
            [
                chromium_path(),
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.profile / "chromium.log").open("wb"),
        )
        port = await self._devtools_port(timeout)
        self._http = aiohttp.ClientSession()
        async with self._http.get(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = await answer.json()
        page = next(target for target in targets if target["type"] == "page")
        self._socket = await self._http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        await self.send("Network.enable")
        await self.send("Page.enable")
        await self.send("Target.setDiscoverTargets", discover=True)
        self._first_page = page["id"]

    async def _devtools_port(self, timeout: float) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not marker.exists() or not marker.read_text().strip():
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.profile / "chromium.log").read_text(errors="replace")
                raise AssertionError(f"chromium exited {self.process.returncode}: {log[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("chromium did not open its DevTools port")
            await asyncio.sleep(0.05)
        return int(marker.read_text().split()[0])

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        assert self._socket is not None
        number = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        await self._socket.send_json({"id": number, "method": method, "params": params})
        reply = await asyncio.wait_for(answer, 30)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    async def _read(self) -> None:
        assert self._socket is not None
        async for message in self._socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                waiter = self._waiting.pop(data["id"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(data)
            else:
                self._event(data["method"], data.get("params", {}))

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method in ("Target.targetCreated", "Target.targetInfoChanged"):
            info = params["targetInfo"]
            if info["type"] == "page" and info["targetId"] != self._first_page:
                self.opened.append(info["url"])
        elif method == "Network.webSocketCreated":
            self.websockets.append(params["url"])
            query = parse_qs(urlsplit(params["url"]).query)
            self.terminal.columns = int(query.get("width", ["80"])[0])
            self.terminal.lines = int(query.get("height", ["24"])[0])
        elif method == "Network.webSocketFrameReceived":
            frame = params["response"]
            if frame["opcode"] == 2:  # binary: the app's terminal output
                self.terminal.output += base64.b64decode(frame["payloadData"])
        elif method == "Network.webSocketFrameSent":
            self._sent(params["response"]["payloadData"])

    def _sent(self, payload: str) -> None:
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            kind, data = json.loads(payload)
            if kind == "resize":
                self.terminal.columns, self.terminal.lines = data["width"], data["height"]
            elif kind == "stdin":
                self.terminal.typed.append(data)

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def page_text(self) -> str:
        result = await self.send(
            "Runtime.evaluate", expression="document.body ? document.body.innerText : ''"
        )
        return str(result["result"].get("value", ""))

    async def press(self, key: str) -> None:
        """One key as a person types it, into the page's terminal."""
        await self.send(
            "Runtime.evaluate",
            expression="document.querySelector('.xterm-helper-textarea').focus()",
        )
        if len(key) != 1 and key not in KEY_CODES:
            raise ValueError(f"press: {key!r} is neither one character nor one of {KEY_CODES}")
        code = KEY_CODES[key] if key in KEY_CODES else ord(key.upper())
        text = "\r" if key == "Enter" else key if len(key) == 1 else ""
        down = {"key": key, "windowsVirtualKeyCode": code, "text": text}
        await self.send("Input.dispatchKeyEvent", type="keyDown", **down)
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key, windowsVirtualKeyCode=code)

    async def screenshot(self, path: Path) -> None:
        result = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(result["data"]))

    async def until(
        self, predicate: Callable[[], Any], *, timeout: float = 60.0, message: str = ""
    ) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := await _value(predicate())):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {message}; the page's terminal:\n"
                    + self.terminal.text()
                )
            await asyncio.sleep(0.1)
        return value

    async def close(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self.send("Browser.close")
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._http is not None:
            await self._http.close()
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def _value(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@contextlib.asynccontextmanager
async def chromium(
    profile: Path, *, width: int = 1280, height: int = 800
) -> AsyncIterator[Browser]:
    browser = Browser(profile, width=width, height=height)
    try:
        await browser.start()
        yield browser
    finally:
        await browser.close()
