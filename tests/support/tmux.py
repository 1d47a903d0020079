"""Tests and benches driving agents in a real tmux server: the private server fixtures
(tmux_server, driver, demo_worker) and helpers to spawn and read agents in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.tmux_guard import stop_server
from tests.support.waiting import wait_until
from workflows.agents.profiles import Profile, parse_profile
from workflows.agents.settings import load_profile
from workflows.base.paths import agenttui_argv
from workflows.base.target import TmuxTarget
from workflows.tmux.driver import PaneInfo, TmuxDriver

RAW_READER = Path(__file__).with_name("raw_reader.py")
RAW_PROFILE = parse_profile(
    {
        "name": "raw",
        "command": [sys.executable, str(RAW_READER)],
        "input_empty": r"^>\s*$",
        "input_last_lines": 1,
        "settle_ms": 50,
    },
    Path("<raw reader>"),
)


def spawn_demo(
    driver: TmuxDriver,
    cwd: Path,
    *,
    name: str,
    work: float | None = 0.05,
    prompt: str | None = None,
) -> PaneInfo:
    """The offline demo agent in ``cwd`` (made if missing): ``work`` seconds per prompt (None:
    its own default), ``prompt`` as its first one."""
    cwd.mkdir(parents=True, exist_ok=True)
    extra = [] if work is None else ["--work", str(work)]
    argv = [*load_profile("demo").launch_argv(extra=extra), *([] if prompt is None else [prompt])]
    return driver.spawn(argv, name=name, agent="demo", cwd=str(cwd))


def spawn_raw(driver: TmuxDriver, log: Path, *, name: str, echo: bool = True) -> PaneInfo:
    argv = [*RAW_PROFILE.command, str(log), *([] if echo else ["--no-echo"])]
    return driver.spawn(argv, name=name, cwd=str(log.parent))


def demo_prompts(cwd: Path) -> list[str]:
    log = cwd / ".demo-agent" / "prompts.jsonl"
    if not log.exists():
        return []
    return [json.loads(line)["text"] for line in log.read_text(encoding="utf-8").splitlines()]


def raw_expected(texts: list[str], *, submit: bool = True) -> bytes:
    """What a raw reader with bracketed paste on receives for these sends (tmux: LF → CR)."""
    out = b""
    for text in texts:
        body = text.replace("\r\n", "\n").replace("\n", "\r").encode()
        out += b"\x1b[200~" + body + b"\x1b[201~" + (b"\r" if submit else b"")
    return out


def wait_ready(driver: TmuxDriver, pane: PaneInfo, profile: Profile) -> bool:
    """True once the profile's input-empty pattern is on the pane's screen."""
    assert profile.input_empty is not None
    return profile.input_empty.search("\n".join(driver.capture(pane.pane_id))) is not None


def private_target() -> TmuxTarget:
    """The test's tmux target: the ``tmux_server`` fixture's private socket when the test asked
    for it, else the default socket name inside the test's own TMUX_TMPDIR (tests/support/
    tmux_guard.py), never the person's server."""
    return TmuxTarget(
        os.environ.get("AGENTTUI_TMUX_SOCKET") or None,
        os.environ.get("AGENTTUI_SESSION") or "agenttui",
    )


@dataclass(frozen=True)
class TmuxServer:
    """A private tmux server: pass ``socket``/``session`` to the driver or the CLI."""

    socket: str
    session: str

    @property
    def target(self) -> TmuxTarget:
        return TmuxTarget(self.socket, self.session)

    def cmd(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise TmuxCommandFailed(result.returncode, result.args, result.stdout, result.stderr)
        return result.stdout


class TmuxCommandFailed(subprocess.CalledProcessError):
    """A test's tmux command failed; its message says tmux's reason (a pane gone, or no
    server: it crashed), which CalledProcessError leaves out."""

    def __str__(self) -> str:
        return f"{super().__str__()} tmux said: {str(self.stderr).strip()!r}"


@pytest.fixture
def demo_worker(tmux_server: TmuxServer, tmp_path: Path) -> Iterator[tuple[TmuxDriver, Path]]:
    workdir = tmp_path / "worker"
    workdir.mkdir()
    driver = TmuxDriver(tmux_server.target)
    pane = driver.spawn(
        [*agenttui_argv(), "demo-agent"], name="worker", agent="demo", cwd=str(workdir)
    )
    wait_until(
        lambda: any(line.startswith("❯") for line in driver.capture(pane.pane_id)),
        timeout=30,
        message="the demo agent's input box",
    )
    yield driver, workdir
    driver.close()


def demo_prompt_records(workdir: Path) -> list[dict[str, object]]:
    """What the demo agent in ``workdir`` received, as it logged each prompt (text, time…)."""
    log = workdir / ".demo-agent" / "prompts.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


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
    stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / server.socket)


@pytest.fixture
def driver(tmux_server: TmuxServer) -> Iterator[TmuxDriver]:
    """A driver on the private tmux server; its session is created on first use."""
    tmux = TmuxDriver(tmux_server.target)
    yield tmux
    tmux.close()
