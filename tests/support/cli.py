"""The agenttui command line as a test runs it: ``python -m tui`` with this test's environment
(its HOME, state and config folders, private tmux socket), never an installed agenttui."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def agenttui_result(
    *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a verb; its exit code, stdout and stderr, whatever they are."""
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=timeout,
        check=False,
    )


def agenttui(
    *args: str, check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a verb that must succeed (``check``): a failure is an AssertionError with stderr."""
    result = agenttui_result(*args, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"agenttui {args} exited {result.returncode}: {result.stderr}")
    return result


def agenttui_json(
    *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120
) -> tuple[int, Any]:
    """Run a verb; its exit code and its last stdout line as JSON (the text when that is not
    JSON, None when it printed nothing)."""
    done = agenttui_result(*args, stdin=stdin, cwd=cwd, timeout=timeout)
    out = done.stdout.strip()
    try:
        return done.returncode, json.loads(out.splitlines()[-1]) if out else None
    except json.JSONDecodeError:
        return done.returncode, out


def start_demo(socket: str) -> dict[str, Any]:
    """``agenttui demo --no-attach`` on the test's private tmux socket; what it set up."""
    done = agenttui_result("--socket", socket, "--json", "demo", "--no-attach", timeout=180)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def in_a_terminal(command: str) -> subprocess.Popen[bytes]:
    """``command`` (a shell line) in a pseudo-terminal outside tmux, as a person runs attach."""
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env["TERM"] = "xterm-256color"
    return subprocess.Popen(
        ["script", "-qfec", command, "/dev/null"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
