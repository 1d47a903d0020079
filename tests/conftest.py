"""Fixtures for every test: an isolated HOME/config/state, and a private tmux server.

No test touches the user's tmux server, ~/.tmux.conf, config or store: HOME and the XDG
dirs point into tmp_path, and tmux runs on a socket name unique to the test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from workflows.tmux.driver import TmuxDriver

pytest_plugins = ["tests.linear_fixtures"]  # linear_server, linear_source (issue 4)


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
    for var in (
        "TMUX",
        "TMUX_PANE",
        "LINEAR_API_KEY",
        "GITHUB_TOKEN",
        "AGENTTUI_TMUX_SOCKET",
        "AGENTTUI_SESSION",
    ):
        monkeypatch.delenv(var, raising=False)
    # CI=true (set by the CI runner) makes agent CLIs such as Gemini's run headless; the
    # tmux servers started by tests must give agents the environment of a person's terminal.
    for var in [name for name in os.environ if name.startswith("CI_")]:
        monkeypatch.delenv(var)
    for var in ("CI", "CONTINUOUS_INTEGRATION"):
        monkeypatch.delenv(var, raising=False)
    from workflows.config import load_config

    load_config.cache_clear()
    return home


@dataclass(frozen=True)
class TmuxServer:
    """A private tmux server: pass ``socket``/``session`` to the driver or the CLI."""

    socket: str
    session: str

    def cmd(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return result.stdout


def _stop_tmux_server(socket: str) -> None:
    """kill-server, and SIGKILL the server if it hangs (tmux 3.3a can wedge while a control
    client is attached), so no test leaves a server behind or blocks on teardown."""
    argv = ["tmux", "-L", socket]
    try:
        pid_text = subprocess.run(
            [*argv, "display-message", "-p", "#{pid}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        ).stdout.strip()
    except subprocess.TimeoutExpired:
        pid_text = ""
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run([*argv, "kill-server"], capture_output=True, check=False, timeout=10)
    if pid_text.isdigit():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_text), signal.SIGKILL)


@pytest.fixture
def tmux_server(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TmuxServer]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed; run tests through tests/bootstrap.sh")
    server = TmuxServer(socket=f"agenttui-test-{uuid.uuid4().hex[:10]}", session="agenttui")
    monkeypatch.setenv("AGENTTUI_TMUX_SOCKET", server.socket)
    monkeypatch.setenv("AGENTTUI_SESSION", server.session)
    yield server
    _stop_tmux_server(server.socket)
    socket_dir = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
    (socket_dir / server.socket).unlink(missing_ok=True)


@pytest.fixture
def driver(tmux_server: TmuxServer) -> Iterator[TmuxDriver]:
    """A driver on the private tmux server; its session is created on first use."""
    tmux = TmuxDriver(socket=tmux_server.socket, session=tmux_server.session)
    yield tmux
    tmux.close()
