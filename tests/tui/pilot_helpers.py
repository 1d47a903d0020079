"""Helpers for pilot tests: waiting inside the app's event loop, and small fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def until(
    pilot: Pilot[Any], predicate: Callable[[], Any], *, timeout: float = 60.0, message: str = ""
) -> Any:
    """Let the app run until ``predicate()`` is truthy (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        await pilot.pause(0.05)


def enabled_keys(app: Any) -> set[str]:
    """Keys whose actions apply now (``check_action`` hides the others)."""
    return {key for key, active in app.screen.active_bindings.items() if active.enabled}
