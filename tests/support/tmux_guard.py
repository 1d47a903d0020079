"""The suite never reaches a tmux server it did not make, and leaves none behind.

By construction: from the moment this plugin loads, ``TMUX_TMPDIR`` points into a private
folder of this test session (each test gets its own subfolder), and ``TMUX``,
``AGENTTUI_TMUX_SOCKET`` and ``AGENTTUI_SESSION`` are unset; so even a bare ``tmux`` or a code
path that falls back to the default socket lands on a server of the test's own.

Checked: after each test, a live server in its folder fails the test ("outlived its test")
and is stopped; at the end, the session fails if any private server is still alive, or if the
person's default server (or their socket folder) gained a window or server that a process of
this suite made (its environment names this suite's folders). Windows that other programs
add to the default server meanwhile are reported, never blamed on the suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

UID = os.getuid()
# The person's socket folder, as tmux itself would pick it before we change anything.
REAL_SOCKET_DIR = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{UID}"
# Short (a unix socket path must fit 107 bytes): /tmp/att-XXXXXXXX/t123/tmux-0/<socket>.
SUITE_DIR = Path(tempfile.mkdtemp(prefix="att-", dir="/tmp"))
OUTSIDE_TESTS = SUITE_DIR / "session"
_markers: list[str] = [f"{SUITE_DIR}/"]
_counter = iter(range(1, 1_000_000))
_problems: list[str] = []
_notes: list[str] = []


def _point_tmux_into(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["TMUX_TMPDIR"] = str(folder)
    for name in ("TMUX", "TMUX_PANE", "AGENTTUI_TMUX_SOCKET", "AGENTTUI_SESSION"):
        os.environ.pop(name, None)


_point_tmux_into(OUTSIDE_TESTS)  # at import: before any fixture, test or collection runs


# -- looking at servers without starting one --------------------------------------------
def server_alive(path: Path) -> bool:
    """Whether a tmux server answers on ``path`` (a connect never starts one)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _tmux(path: Path, *args: str) -> list[str]:
    """One tmux command on the server at ``path`` (these never start a server)."""
    try:
        done = subprocess.run(
            ["tmux", "-S", str(path), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return done.stdout.splitlines() if done.returncode == 0 else []


def stop_server(path: Path) -> None:
    """kill-server, then SIGKILL (tmux 3.3a can wedge with a control client attached)."""
    pids = {line for line in _tmux(path, "list-sessions", "-F", "#{pid}") if line.isdigit()}
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        subprocess.run(
            ["tmux", "-S", str(path), "kill-server"], capture_output=True, timeout=10, check=False
        )
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    path.unlink(missing_ok=True)


def live_sockets(folder: Path) -> list[Path]:
    """Sockets with a live server under ``folder`` (any depth)."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_socket() and server_alive(p))


def _environ(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def made_by_this_suite(pid: str) -> bool:
    environ = _environ(pid)
    return any(marker in environ for marker in _markers)


@dataclass(frozen=True)
class Window:
    window_id: str
    where: str  # session:window name
    pids: tuple[str, ...]  # its panes' processes
    commands: tuple[str, ...]  # and their start commands (a launcher names its launch file)

    @property
    def ours(self) -> bool:
        named = any(marker in command for command in self.commands for marker in _markers)
        return named or any(made_by_this_suite(pid) for pid in self.pids)


def windows(path: Path) -> dict[str, Window]:
    found: dict[str, Window] = {}
    fields = "#{window_id}\t#{session_name}:#{window_name}\t#{pane_pid}\t#{pane_start_command}"
    lines = _tmux(path, "list-panes", "-a", "-F", fields)
    for line in lines:
        window_id, where, pid, command = [*line.split("\t", 3), "", "", ""][:4]
        old = found.get(window_id)
        found[window_id] = Window(
            window_id,
            where,
            (*(old.pids if old else ()), pid),
            (*(old.commands if old else ()), command),
        )
    return found


def describe(path: Path) -> str:
    """What a leftover socket at ``path`` serves, to tell who left it: a tmux server's
    windows and their start commands, or what else listens there (an ssh connection)."""
    listed = windows(path)
    if listed:
        return "; ".join(f"{w.where}: {' | '.join(w.commands)[:300]}" for w in listed.values())
    pid = server_pid(path)
    if pid:
        return f"tmux server {pid}, no window"
    holders = [f"{pid} {_cmdline(pid)[:120]!r}" for pid in _pids() if str(path) in _cmdline(pid)]
    return f"not a tmux server; held by {', '.join(holders) or 'no process naming it'}"


def _pids() -> list[str]:
    return [entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _cmdline(pid: str) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def server_pid(path: Path) -> str:
    pids = _tmux(path, "list-sessions", "-F", "#{pid}")
    return pids[0] if pids else ""


# -- the checks --------------------------------------------------------------------------
_default_before: dict[str, Window] = windows(REAL_SOCKET_DIR / "default")
_real_before: set[Path] = set(live_sockets(REAL_SOCKET_DIR))


def check_default_server() -> None:
    """Fail (and clean up after) windows this suite put on the person's servers."""
    default = REAL_SOCKET_DIR / "default"
    if server_alive(default) and made_by_this_suite(server_pid(default)):
        _problems.append(f"the suite started the default tmux server {default}")
        stop_server(default)
    for window in windows(default).values():
        if window.window_id in _default_before:
            continue
        if window.ours:
            _problems.append(f"the suite left window {window.where} on the default server")
            _tmux(default, "kill-window", "-t", window.window_id)
        else:
            _notes.append(f"default server gained {window.where} (not from this suite)")
    for path in live_sockets(REAL_SOCKET_DIR):
        if path not in _real_before and made_by_this_suite(server_pid(path)):
            _problems.append(f"the suite left a tmux server at {path}")
            stop_server(path)


@pytest.fixture(scope="session", autouse=True)
def _suite_markers(tmp_path_factory: pytest.TempPathFactory) -> None:
    _markers.append(f"{tmp_path_factory.getbasetemp()}/")


@pytest.fixture(autouse=True)
def private_tmux_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's own TMUX_TMPDIR; no server may be alive in it once the test is over."""
    folder = SUITE_DIR / f"t{next(_counter)}"
    folder.mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(folder))
    for name in ("TMUX", "TMUX_PANE", "AGENTTUI_TMUX_SOCKET", "AGENTTUI_SESSION"):
        monkeypatch.delenv(name, raising=False)
    yield folder
    leftover = live_sockets(folder)
    found = [f"{path.name} ({describe(path)})" for path in leftover]
    for path in leftover:
        stop_server(path)
    if leftover:
        names = ", ".join(found)
        pytest.fail(f"tmux server(s) outlived the test: {names} (stopped now)", pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for path in live_sockets(SUITE_DIR):
        _problems.append(f"a private tmux server outlived its test: {path} ({describe(path)})")
        stop_server(path)
    check_default_server()
    shutil.rmtree(SUITE_DIR, ignore_errors=True)
    if _problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _problems or _notes:
        terminalreporter.section("tmux servers")
    for line in _problems:
        terminalreporter.write_line(f"FAILED: {line}", red=True)
    for line in _notes:
        terminalreporter.write_line(f"note: {line}")
