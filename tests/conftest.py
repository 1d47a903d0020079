"""Fixtures for every test: an isolated HOME/config/state, and a private tmux server.

No test touches the user's tmux server, ~/.tmux.conf, config or store: HOME and the XDG
dirs point into tmp_path, and tmux runs on a socket name unique to the test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import TmuxServer
from workflows.tmux.driver import TmuxDriver

pytest_plugins = [
    "tests.support.tmux_guard",  # every test's own TMUX_TMPDIR; no server outlives its test
    "tests.support.linear_fixtures",  # linear_server, linear_source (issue 4)
]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("AGENTTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AGENTTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AGENTTUI_CONFIG", str(tmp_path / "config" / "config.toml"))
    # tmux's variables: tests/support/tmux_guard.py
    for var in ("LINEAR_API_KEY", "LINEAR_APP_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    # CI=true (set by the CI runner) makes agent CLIs such as Gemini's run headless; the
    # tmux servers started by tests must give agents the environment of a person's terminal.
    for var in [name for name in os.environ if name.startswith("CI_")]:
        monkeypatch.delenv(var)
    for var in ("CI", "CONTINUOUS_INTEGRATION"):
        monkeypatch.delenv(var, raising=False)
    from workflows.base.config import load_config

    load_config.cache_clear()
    return home


@pytest.fixture
def tmux_server(
    isolated_env: Path, private_tmux_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TmuxServer]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed; run tests through tests/bootstrap.sh")
    server = TmuxServer(socket=f"agenttui-test-{uuid.uuid4().hex[:10]}", session="agenttui")
    monkeypatch.setenv("AGENTTUI_TMUX_SOCKET", server.socket)
    monkeypatch.setenv("AGENTTUI_SESSION", server.session)
    yield server
    from tests.support.tmux_guard import (
        stop_server,  # (imported here: pytest_plugins loads it first)
    )

    stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / server.socket)


@pytest.fixture
def driver(tmux_server: TmuxServer) -> Iterator[TmuxDriver]:
    """A driver on the private tmux server; its session is created on first use."""
    tmux = TmuxDriver(tmux_server.target)
    yield tmux
    tmux.close()
