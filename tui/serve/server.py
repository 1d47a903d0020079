"""textual-serve's server, behind the token, quiet about it, and stopping cleanly.

Each browser that connects gets its own app process (``agenttui app`` with the same tmux
socket, session, config and state dir), exactly what a terminal would run: the app is a
client of tmux and the store, so several browsers and terminals can look at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

from tui.serve.auth import token_middleware
from workflows.base.errors import AgentTuiError

TEMPLATES = Path(__file__).with_name("templates")


class TokenServer(Server):
    """textual-serve with every route behind ``token``; no access log (the first
    request's address holds the token) and no banner (the CLI says what matters)."""

    def __init__(self, command: str, *, host: str, port: int, token: str) -> None:
        super().__init__(command, host=host, port=port, title="agenttui", templates_path=TEMPLATES)
        self.token = token
        self._sessions: set[asyncio.Task[object]] = set()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(token_middleware(self.token))
        return app

    async def on_startup(self, app: web.Application) -> None:
        """(textual-serve prints its banner here.)"""

    async def on_shutdown(self, app: web.Application) -> None:
        """Each connected browser's app is told to quit (and waited for) before we go."""
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(task)

    def run(self, ready: Callable[[int], None]) -> None:
        """Serve until SIGINT/SIGTERM; ``ready(port)`` once listening (``port`` 0 picks one)."""
        logging.basicConfig(level=logging.WARNING, format="agenttui serve: %(message)s")
        asyncio.run(self._run(ready))

    async def _run(self, ready: Callable[[int], None]) -> None:
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            try:
                await site.start()
            except OSError as error:
                raise AgentTuiError(
                    f"cannot listen on {self.host}:{self.port}: {error.strerror or error}"
                ) from None
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            ready(int(runner.addresses[0][1]))
            await stop.wait()
        finally:
            await runner.cleanup()
