"""Helpers for pilot tests: waiting inside the app's event loop, and small fixtures."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.git_repos import make_project


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


def project_with_workflows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workflows: dict[str, str]
) -> Path:
    """A git project (the current directory) and these user workflows in the config dir."""
    folder = tmp_path / "config" / "workflows"
    folder.mkdir(parents=True)
    for name, text in workflows.items():
        (folder / f"{name}.toml").write_text(textwrap.dedent(text))
    project = make_project(tmp_path, test_script="true\n")
    monkeypatch.chdir(project.repo)
    return Path(project.repo)


def private_socket() -> str:
    """The tmux socket the ``tmux_server`` fixture made (never the default server: a run
    launched without it would land on the user's own tmux)."""
    return os.environ["AGENTTUI_TMUX_SOCKET"]
