"""``agenttui serve`` as a test runs it: on a free port, stopped afterwards."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    opening: str | None
    """The address with the token, printed only when this start made the token."""

    @property
    def token(self) -> str:
        assert self.opening is not None
        return self.opening.split("?token=", 1)[1]

    def children(self) -> list[int]:
        """The app processes this server started (one per connected browser)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


@contextmanager
def serving(*extra: str, json_output: bool = True) -> Iterator[Served]:
    """``agenttui serve --port 0`` (a free port), stopped with SIGTERM afterwards."""
    argv = [sys.executable, "-m", "tui", "serve", "--port", "0", *extra]
    process = subprocess.Popen(
        [*argv, *(["--json"] if json_output else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first:
            raise AssertionError(f"serve ended: {process.wait(10)} {process.stderr.read()}")  # type: ignore[union-attr]
        if json_output:
            said = json.loads(first)
            yield Served(process, said["url"], said["open"])
        else:
            yield Served(process, first, None)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
