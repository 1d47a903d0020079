"""A real OpenSSH server on 127.0.0.1 playing a remote host (issue 17's hosts).

``ssh_host`` starts Debian's ``sshd`` on a free port with a host key and an authorized key of
its own (made by ``ssh-keygen`` for this test), allowing only this user by that key. The
"remote" side gets another HOME and its own ``TMUX_TMPDIR`` (set by sshd's ``SetEnv``), so
its tmux server, files and agenttui state are not the test's. The client side is an ssh
config file with the alias ``remote`` (port, key, a known_hosts holding the test's host key,
StrictHostKeyChecking), written as ``[hosts.remote]`` into the test's config.toml.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import agenttui_result
from tests.support.environment import write_config
from tests.support.tmux_guard import live_sockets, stop_server
from workflows.agents.hook_relay import relay_running, relay_status, spawned_pid, stop_relay
from workflows.base.hosts import SshHost, host_named
from workflows.base.paths import state_dir
from workflows.base.target import TmuxTarget
from workflows.tmux.ssh import control_dir

SSHD = "/usr/sbin/sshd"


def _free_port() -> int:
    """A free port below the kernel's range for outgoing connections: sshd binds it again
    after ``stop()``, and meanwhile any connection on the machine (another test's) may be
    given a port of that range as its own, which refused the second bind once in CI."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(10000, low if low > 11000 else 32768)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@dataclass
class SshdHost:
    """The running sshd and what a test needs to reach and inspect the remote side."""

    name: str
    port: int
    ssh_config: Path
    home: Path
    """The remote side's HOME."""
    tmux_dir: Path
    """The remote side's TMUX_TMPDIR."""
    repo: Path
    """The repo path configured for the host (a folder under its HOME)."""
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> SshHost:
        return host_named(self.name)

    def target(self, session: str = "agenttui", socket_name: str = "remote") -> TmuxTarget:
        return TmuxTarget(socket_name, session, self.host)

    def ssh(
        self, command: str, *, check: bool = True, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on the remote side over a connection of its own (not the shared
        one agenttui uses), ``stdin`` on its standard input."""
        return subprocess.run(
            ["ssh", "-F", str(self.ssh_config), "-o", "ControlMaster=no", "-T", self.name, command],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )

    def start(self) -> None:
        """Start (again) sshd with this host's config and keys; back once it answers."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.log.parent / "sshd_config")],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while self.ssh("true", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {self.log.read_text(errors='replace')}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop sshd and every connection it serves: the host is down; back once every ssh
        client here that was using a connection to it has ended.

        Each connection has an sshd process of its own in a session of its own (sshd calls
        setsid), so it outlives the listener: an ssh that became a plain connection (two
        clients opening the shared connection at once: the second keeps its own) or a shared
        one still logging in would go on reaching the host. The listener is frozen first
        (it accepts nothing more), then it and every connection's sshd are killed."""
        assert self.process is not None
        listener = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(listener, signal.SIGSTOP)
        _wait(lambda: _state(listener) in ("T", "Z", ""), "sshd to stop accepting")
        serving = [pid for pid in _descendants(listener) if _comm(pid).startswith("sshd")]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(listener, signal.SIGKILL)
        self.process.wait(timeout=10)
        for pid in serving:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _wait(lambda: not any(map(alive, serving)), "the host's connections to end")
        clients = ssh_clients(control_dir())
        _wait(lambda: not any(map(alive, clients)), "the ssh clients of the host to end")
        for path in control_dir().iterdir():  # sockets of masters that ended: gone with them
            _ssh_control(path, "exit")
            path.unlink(missing_ok=True)

    def environ_of(self, pane: str) -> dict[str, str]:
        """The environment of the process in ``pane`` of the remote tmux server."""
        pid = self.ssh(f"tmux -L remote display-message -p -t {pane} '#{{pane_pid}}'").stdout
        raw = Path(f"/proc/{pid.strip()}/environ").read_bytes().decode(errors="replace")
        return dict(item.partition("=")[::2] for item in raw.split("\0") if item)

    def master_pid(self) -> int | None:
        """The pid of agenttui's shared ssh connection to the host, if one is open."""
        for path in control_dir().iterdir():
            answer = _ssh_control(path, "check")
            if "pid=" in answer:
                return int(answer.split("pid=")[1].split(")")[0])
        return None

    def drop_connection(self) -> int:
        """Kill agenttui's shared ssh connection as a network cut would; the pid killed."""
        pid = self.master_pid()
        assert pid is not None, "no shared ssh connection to kill"
        os.kill(pid, signal.SIGKILL)
        return pid


def _wait(done: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g}s for {what}")
        time.sleep(0.05)


def _state(pid: int) -> str:
    """The process's state letter (R, S, T, Z…); "" when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _descendants(root: int) -> list[int]:
    """Every process below ``root``: its children, theirs, and so on."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def ssh_clients(folder: Path) -> list[int]:
    """ssh processes here using a shared-connection socket in ``folder`` (agenttui's: its
    ControlPath; a master's title names its socket)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or _comm(int(entry.name)) != "ssh":
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"{folder}/" in command:
            found.append(int(entry.name))
    return found


def _ssh_control(path: Path, command: str) -> str:
    """``ssh -O command`` on the shared connection at ``path``; what it said."""
    try:
        done = subprocess.run(
            ["ssh", "-o", f"ControlPath={path}", "-O", command, "x"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        return ""
    return done.stderr if done.returncode == 0 else ""


def remote(*args: str) -> tuple[int, Any]:
    """A verb on the host ``remote`` (its tmux socket ``remote``); its exit code and JSON
    (stderr when it printed none)."""
    done = agenttui_result("--host", "remote", "--socket", "remote", "--json", *args)
    out = done.stdout.strip()
    return done.returncode, json.loads(out.splitlines()[-1]) if out else done.stderr


def stop_relays() -> None:
    """Stop every hook relay of the test's state dir (started by agents spawned on a host)
    and wait until each has ended."""
    folder = state_dir() / "relays"
    kinds = (".json", ".lock", ".log", ".spawned")
    names = {p.stem for p in folder.iterdir() if p.suffix in kinds} if folder.is_dir() else set()
    for name in sorted(names):
        host = SshHost(name, "")  # its files are named by the host's name alone
        pids = (relay_status(host).get("pid"), spawned_pid(host))
        stop_relay(host)
        deadline = time.monotonic() + 20
        while (relay_running(host) or any(map(alive, pids))) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not relay_running(host), f"the hook relay of {host.name} did not stop"


def alive(pid: object) -> bool:
    """Whether ``pid`` is a process not yet reaped (a zombie child counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def host_config(name: str, ssh_config: Path, repo: Path, max_agents: int = 0) -> str:
    """The ``[hosts.NAME]`` table of config.toml for the test's host."""
    return (
        f'[hosts.{name}]\nssh = "remote"\nssh_config = "{ssh_config}"\nrepo = "{repo}"\n'
        f'agenttui = "agenttui"\nmax_agents = {max_agents}\n'
    )


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "agenttui-test", "-f", str(path)],
        check=True,
    )


@contextlib.contextmanager
def running_sshd(root: Path, tmux_dir: Path, sshd_options: str = "") -> Iterator[SshdHost]:
    """sshd on a free port playing the host ``remote``: keys, configs and the remote side's
    HOME under ``root``, its TMUX_TMPDIR ``tmux_dir`` (short: a socket path is ≤107 bytes);
    ``sshd_options`` more lines of its sshd_config; config.toml gets its ``[hosts.remote]``.
    Stopped, with everything it started, at exit."""
    if not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("ssh-keygen")):
        raise RuntimeError("openssh-server is not installed; run tests through tests/bootstrap.sh")
    folder = root / "sshd"
    folder.mkdir(mode=0o700)
    _keygen(folder / "host_key")
    _keygen(folder / "id")
    shutil.copy(folder / "id.pub", folder / "authorized_keys")
    home = root / "remote-home"
    home.mkdir()
    repo = home / "repo"
    repo.mkdir()
    tmux_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    user = getpass.getuser()
    # bin/ under its HOME first: where a test puts the agent CLIs the host has
    remote_path = f"{home / 'bin'}:{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\n"
        f"HostKey {folder / 'host_key'}\nPidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nStrictModes no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        f"PermitRootLogin prohibit-password\nAllowUsers {user}\n"
        f"SetEnv HOME={home} TMUX_TMPDIR={tmux_dir} PATH={remote_path} LANG=C.UTF-8\n"
        + sshd_options,
        encoding="utf-8",
    )
    host_key = (folder / "host_key.pub").read_text().split()[:2]
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key)}\n")
    ssh_config = folder / "ssh_config"
    ssh_config.write_text(
        "Host remote\n  HostName 127.0.0.1\n"
        f"  Port {port}\n  User {user}\n  IdentityFile {folder / 'id'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {folder / 'known_hosts'}\n  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n",
        encoding="utf-8",
    )
    if os.getuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    write_config(host_config("remote", ssh_config, repo))
    remote = SshdHost("remote", port, ssh_config, home, tmux_dir, repo, folder / "sshd.log")
    try:
        remote.start()
        yield remote
    finally:
        stop_relays()  # this machine's hook relays hold connections to the host
        if remote.process is not None and remote.process.poll() is None:
            remote.stop()  # with every connection to it, and the ssh clients here using one
        for path in live_sockets(tmux_dir):  # the remote tmux server
            stop_server(path)
        for path in control_dir().iterdir():  # agenttui's shared connections (ended)
            _ssh_control(path, "exit")
            path.unlink(missing_ok=True)


@pytest.fixture
def ssh_host(tmp_path: Path, private_tmux_dir: Path, isolated_env: Path) -> Iterator[SshdHost]:
    """A real sshd on 127.0.0.1 as the host ``remote`` (see :func:`running_sshd`)."""
    try:
        with running_sshd(tmp_path, private_tmux_dir / "r") as remote:
            yield remote
    except RuntimeError as error:
        pytest.fail(str(error))
