"""A person's terminal for tests that need a real tmux client: ``script`` gives the client a
pty of a chosen size; its stdin carries the person's keys."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.support.tmux import TmuxServer


class Terminals:
    """Terminals opened by one test; each is stopped at its end."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def open(self, command: str, *, size: tuple[int, int] = (200, 50)) -> subprocess.Popen[bytes]:
        """``command`` in a fresh terminal of ``size`` (columns, rows), outside tmux."""
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        columns, rows = size
        process = subprocess.Popen(
            ["script", "-qfec", f"stty cols {columns} rows {rows}; {command}", "/dev/null"],
            env={**env, "TERM": "xterm-256color"},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.started.append(process)
        return process


def press(terminal: subprocess.Popen[bytes], keys: bytes) -> None:
    assert terminal.stdin is not None
    terminal.stdin.write(keys)
    terminal.stdin.flush()


def person_clients(server: TmuxServer) -> list[tuple[str, str, str]]:
    """(session, window name, pane) each terminal client shows (agenttui's own control
    connections left out); none when there is no server."""
    try:
        lines = server.cmd(
            "list-clients", "-F",
            "#{client_control_mode}\t#{session_name}\t#{window_name}\t#{pane_id}",
        )  # fmt: skip
    except subprocess.CalledProcessError:
        return []
    rows = [line.split("\t") for line in lines.splitlines()]
    return [(session, window, pane) for mode, session, window, pane in rows if mode == "0"]


@pytest.fixture
def terminals(tmux_server: TmuxServer) -> Iterator[Terminals]:
    opened = Terminals()
    yield opened
    for process in opened.started:
        if process.poll() is None:
            process.kill()
            process.wait()
