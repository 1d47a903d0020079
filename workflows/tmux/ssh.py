"""A host's tmux over ssh: every tmux client, file and launch for a remote target.

One ssh connection per host carries everything: each ``ssh`` runs with
``ControlMaster=auto`` and a ``ControlPath`` per host, and every one (a control-mode client
``ssh HOST tmux -C``, a file written, a has-session probe) is a session multiplexed over that
connection, in milliseconds and without a new login. The connection is opened once, under a
lock per host across processes (``open_shared_connection``): with ControlMaster=auto alone,
ssh commands started at once (a dozen agents launched together) each find no connection,
each log in, and the losers of the race keep their own connections (measured: 6 of 6).
``BatchMode=yes``: no password or host-key prompt can hang agenttui; ssh fails with
its own message (exit status 255), which :class:`HostUnreachable` carries.

Files the tmux server must read (an agent's launch file, a paste) are written on the host
through ssh's stdin into a 0700 folder under the host's ``$HOME/.cache/agenttui``, 0600
each: their contents (API keys, untrusted prompt text) never appear on a command line.
The launcher itself (``workflows/tmux/launch.py``, standard library only) is copied there,
so a host needs only ssh, tmux and Python to run agents; agenttui there only for their hooks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workflows.base import crashpoints
from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.base.paths import agenttui_argv
from workflows.base.target import TmuxTarget
from workflows.tmux import launch
from workflows.tmux.locks import file_lock
from workflows.tmux.protocol import client_env, tmux_base_argv

CONNECT_TIMEOUT_S = 10
PERSIST_S = 300  # the shared connection outlives its last user this long
UNREACHABLE = 255  # ssh's own failures; anything else is the remote command's status
RETRIES = 2
RETRY_PAUSE_S = 0.3
STOP_GRACE_S = 10.0  # a command told to stop (SIGTERM) gets SIGKILL after this
OPEN_WAIT_S = CONNECT_TIMEOUT_S + 5.0  # for another process opening the shared connection
OPEN_RETRY_S = 5.0  # no new open this soon after one failed (the host is down)
REMOTE_DIR = '"$HOME/.cache/agenttui"'
_host_dirs: dict[SshHost, str] = {}  # by the whole host: a changed config is another host
_launchers: dict[SshHost, str] = {}
_cache_lock = threading.Lock()
_open_failed: dict[Path, float] = {}  # control path → until when not to open it again


class HostUnreachable(AgentTuiError):
    """ssh could not reach the host (down, refused, a key or host key not accepted)."""


def control_dir() -> Path:
    """Where the per-host connection sockets live (short: a unix socket path is ≤107 bytes)."""
    base = os.environ.get("TMUX_TMPDIR") or "/tmp"
    folder = Path(base) / f"agenttui-ssh-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def ssh_argv(host: SshHost, command: str, *, tty: bool = False, agent: bool = True) -> list[str]:
    """``ssh`` running the shell ``command`` on ``host`` over its shared connection (opened
    first when it is not, see ``open_shared_connection``); ``agent=False``: never forwarding
    this machine's ssh agent (``-a`` beats any config)."""
    return [
        *_options(host, open_shared_connection(host)),
        *([] if agent else ["-a"]),
        "-t" if tty else "-T",
        "--", host.ssh, command,
    ]  # fmt: skip


def _options(host: SshHost, shared: Path) -> list[str]:
    """``ssh`` and its options for ``host``: batch mode, its shared connection (the socket
    ``shared``), keep-alives."""
    argv = ["ssh"]
    if host.ssh_config:
        argv += ["-F", host.ssh_config]
    return [
        *argv,
        "-o", "BatchMode=yes",
        "-o", "ControlMaster=auto",
        "-o", f"ControlPath={shared}",
        "-o", f"ControlPersist={PERSIST_S}",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=3",
        *host.ssh_options,
    ]  # fmt: skip


def control_path(host: SshHost) -> Path:
    """The socket of the host's shared connection: one per destination and ssh settings."""
    settings = json.dumps([host.ssh, host.ssh_config, list(host.ssh_options)])
    return control_dir() / f"cm-{hashlib.sha256(settings.encode()).hexdigest()[:16]}"


def open_shared_connection(host: SshHost) -> Path:
    """Open the host's shared connection unless its socket is there, one process at a time:
    the others wait (``OPEN_WAIT_S`` at most) and find it open; its socket. A failed open is
    not tried again for ``OPEN_RETRY_S`` (the command that follows says ssh's reason
    itself), so a host that is down costs each command one connection attempt, not two."""
    path = control_path(host)
    if path.exists() or time.monotonic() < _open_failed.get(path, 0.0):
        return path
    try:
        with file_lock(f"ssh-{path.name}.lock", timeout=OPEN_WAIT_S, busy=_OpenBusy):
            if path.exists() or time.monotonic() < _open_failed.get(path, 0.0):
                return path
            opened = _open_master(host, path)
    except _OpenBusy:
        return path  # still opening elsewhere: ControlMaster=auto does the rest
    if not opened:
        _open_failed[path] = time.monotonic() + OPEN_RETRY_S
    return path


class _OpenBusy(Exception):
    pass


def _open_master(host: SshHost, shared: Path) -> bool:
    """Start the host's shared connection (it goes to the background once logged in and
    ends ``PERSIST_S`` after its last session); whether it did."""
    try:
        done = subprocess.run(
            [*_options(host, shared), "-o", "ControlMaster=yes", "-N", "-f", "--", host.ssh],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # the master keeps what it inherited: no pipes
            stderr=subprocess.DEVNULL,
            timeout=CONNECT_TIMEOUT_S + 5,
            check=False,
            env=client_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def forward_argv(host: SshHost, operation: str, remote: str, local: str) -> list[str]:
    """``ssh -O forward|cancel -R remote:local``: the host's shared connection (its
    ControlMaster) adds or drops a forwarding of the unix socket ``remote`` on the host to
    ``local`` here. Nothing listens on a port; sshd makes ``remote`` 0600 (its
    ``StreamLocalBindMask``)."""
    options = _options(host, open_shared_connection(host))
    return [*options, "-O", operation, "-R", f"{remote}:{local}", "--", host.ssh]


def forward_socket(host: SshHost, remote: str, local: str) -> None:
    """Forward the unix socket ``remote`` on the host to ``local`` here over the host's shared
    connection (opened if needed). A forwarding that connection already holds is dropped and
    a socket file left there by a connection that died is removed first: sshd would refuse
    to bind over it."""
    _control(host, "cancel", remote, local)  # "no such forwarding" is the usual answer
    run_remote(host, f"rm -f -- {shlex.quote(remote)}")
    done = _control(host, "forward", remote, local)
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        raise HostUnreachable(f"cannot forward a socket to host {host.name!r}: {stderr}")


def _control(
    host: SshHost, operation: str, remote: str, local: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        forward_argv(host, operation, remote, local),
        capture_output=True,
        timeout=CONNECT_TIMEOUT_S + 5,
        check=False,
        env=client_env(),
    )


def client_argv(target: TmuxTarget, *args: str, tty: bool = False) -> list[str]:
    """A tmux client running ``args`` on the target's server, here or on its host."""
    words = [*tmux_base_argv(target.socket), *args]
    if target.host is None:
        return words
    return ssh_argv(target.host, shlex.join(["tmux", *words[1:]]), tty=tty)


def run_remote(
    host: SshHost, command: str, *, data: bytes | None = None, timeout: float = 30.0
) -> str:
    """Run the shell ``command`` on ``host`` (``data`` on its stdin); its stdout.
    AgentTuiError with its stderr when it fails."""
    done = ssh_result(host, command, data=data, timeout=timeout)
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        raise AgentTuiError(f"on host {host.name!r}: {stderr or f'exit {done.returncode}'}")
    return done.stdout.decode(errors="replace")


def ssh_result(
    host: SshHost,
    command: str,
    *,
    data: bytes | None = None,
    timeout: float = 30.0,
    agent: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run the shell ``command`` on ``host``; what it exited with and printed, whatever
    the status (HostUnreachable when ssh itself fails).

    ssh failing (exit 255) is tried again ``RETRIES`` times, a moment apart: a connection
    that just dropped (its shared connection killed) is usually back on the next try."""
    for attempt in range(RETRIES + 1):
        try:
            done = subprocess.run(
                ssh_argv(host, command, agent=agent),
                input=data if data is not None else b"",
                capture_output=True,
                timeout=timeout,
                check=False,
                env=client_env(),
            )
        except FileNotFoundError as error:
            raise AgentTuiError("ssh is not installed (apt-get install openssh-client)") from error
        except subprocess.TimeoutExpired as error:
            silent = f"host {host.name!r} did not answer within {timeout:g}s"
            raise HostUnreachable(silent) from error
        if done.returncode != UNREACHABLE or attempt == RETRIES:
            break
        time.sleep(RETRY_PAUSE_S * (attempt + 1))
    if done.returncode == UNREACHABLE:
        stderr = done.stderr.decode(errors="replace").strip()
        raise HostUnreachable(f"cannot reach host {host.name!r} ({host.ssh}): {stderr}")
    return done


def host_dir(host: SshHost) -> str:
    """agenttui's private folder on the host (made 0700 on first use), absolute."""
    with _cache_lock:
        known = _host_dirs.get(host)
    if known is None:
        known = run_remote(
            host, f"umask 077 && mkdir -p {REMOTE_DIR}/files && cd {REMOTE_DIR} && pwd"
        ).strip()
        with _cache_lock:
            _host_dirs[host] = known
    return known


def host_state_dir(host: SshHost) -> str:
    """The state dir of agenttui's agents on the host: their hooks' store
    (``agents.host_events`` fetches its events)."""
    return f"{host_dir(host)}/state"


def write_private(host: SshHost, data: bytes) -> str:
    """Write ``data`` to a new 0600 file on the host; its path there."""
    folder = shlex.quote(f"{host_dir(host)}/files")
    script = f'umask 077 && f=$(mktemp {folder}/XXXXXXXXXX) && cat > "$f" && printf %s "$f"'
    return run_remote(host, script, data=data)


def remove_file(host: SshHost, path: str) -> None:
    run_remote(host, f"rm -f -- {shlex.quote(path)}")


def directory_exists(host: SshHost, path: str) -> bool:
    return run_remote(host, f"test -d {shlex.quote(path)} && echo yes || true").strip() == "yes"


def _launcher(host: SshHost) -> str:
    """The launcher's path on the host, copied there once per process."""
    with _cache_lock:
        known = _launchers.get(host)
    if known is None:
        path = f"{host_dir(host)}/launch.py"
        source = Path(launch.__file__).read_bytes()
        quoted = shlex.quote(path)
        script = f"umask 077 && cat > {quoted}.new && mv {quoted}.new {quoted}"
        run_remote(host, script, data=source)
        known = path
        with _cache_lock:
            _launchers[host] = known
    return known


@dataclass
class RemoteShell:
    """A command running on a host: its ssh here, and what stops it there."""

    host: SshHost
    process: subprocess.Popen[bytes]
    pidfile: str

    def stop(self) -> None:
        """Stop the command there (its whole process group, waiting until it is gone), then
        its ssh here."""
        with contextlib.suppress(AgentTuiError):
            stop_remote_group(self.host, self.pidfile)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait()


def stop_remote_group(host: SshHost, pidfile: str, *, grace: float = STOP_GRACE_S) -> str:
    """Stop the process group led by the pid in ``pidfile`` on ``host`` (SIGTERM, SIGKILL
    after ``grace`` s) and wait until none of it runs; the file goes once it is gone.
    "stopped" (it ran), "survived" (even SIGKILL did not end it) or "" (nothing ran)."""
    quoted, ticks = shlex.quote(pidfile), max(1, int(grace * 10))
    script = (
        f"p=$(cat {quoted} 2>/dev/null); "
        f'if [ -z "$p" ] || ! kill -TERM -- "-$p" 2>/dev/null; then rm -f {quoted}; exit 0; fi; '
        'i=0; while kill -0 -- "-$p" 2>/dev/null; do i=$((i+1)); '
        f'[ "$i" -eq {ticks} ] && kill -KILL -- "-$p" 2>/dev/null; '
        f'[ "$i" -gt {ticks + 50} ] && {{ echo survived; exit 0; }}; sleep 0.1; done; '
        f"rm -f {quoted}; echo stopped"
    )
    return run_remote(host, script, timeout=grace + 30).strip()


def new_pidfile(host: SshHost) -> str:
    """An empty 0600 file on ``host`` for :func:`remote_shell`'s pid (known before it runs)."""
    return write_private(host, b"")


def remote_shell(
    host: SshHost,
    cwd: str,
    script: str,
    env: Mapping[str, str],
    *,
    stdout: IO[str],
    pidfile: str | None = None,
) -> RemoteShell:
    """Start ``sh -c script`` in ``cwd`` on the host, its output into ``stdout`` here. The
    environment goes in a 0600 file there, read and deleted first: values (untrusted issue
    text, a workflow's ``env_from`` secrets) never appear on a command line. The command
    leads its own process group there (sshd starts each session's command in a new session);
    its pid is kept in ``pidfile`` there (:func:`new_pidfile`), so :meth:`RemoteShell.stop`
    (or a later runner: :func:`stop_remote_group`) can end it. It runs only once its pid is
    written and this process says "go" on its stdin: a process killed before that leaves a
    command that reads end-of-file there and ends without running (its env file removed)."""
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
    envfile = shlex.quote(write_private(host, exports.encode("utf-8", "surrogateescape")))
    pidfile = pidfile or new_pidfile(host)
    command = (
        f"echo $$ > {shlex.quote(pidfile)} && "
        f'if IFS= read -r go && [ "$go" = go ]; then :; else rm -f {envfile}; exit 125; fi && '
        f". {envfile} && rm -f {envfile} && "
        f"cd {shlex.quote(cwd)} && exec sh -c {shlex.quote(script)} </dev/null"
    )
    process = subprocess.Popen(
        ssh_argv(host, command),
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        env=client_env(),
        start_new_session=True,
    )
    assert process.stdin is not None
    crashpoints.reached("shell-step-recorded")  # tests: a runner killed before "go"
    with contextlib.suppress(BrokenPipeError):  # ssh already failed: its status says why
        process.stdin.write(b"go\n")
        process.stdin.close()
    return RemoteShell(host, process, pidfile)


def on_host(argv: Sequence[str], host: SshHost) -> list[str]:
    """``argv`` with this agenttui's own command (``{agenttui}`` in a profile) replaced by
    the host's ``agenttui``."""
    local = agenttui_argv()
    words = list(argv)
    out: list[str] = []
    index = 0
    while index < len(words):
        if words[index : index + len(local)] == local:
            out.extend(shlex.split(host.agenttui))
            index += len(local)
        else:
            out.append(words[index])
            index += 1
    return out


def remote_launch_argv(
    host: SshHost,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    unset: Sequence[str] = (),
) -> list[str]:
    """What ``launch.launch_argv`` is for a pane on ``host``: the launch file written there.
    The agent's hooks keep their events in the store of :func:`host_state_dir`."""
    env = {**(env or {}), "AGENTTUI_STATE_DIR": host_state_dir(host)}
    payload = launch.launch_payload(on_host(argv, host), env=env, cwd=cwd, unset=unset)
    path = write_private(host, payload)
    return [host.python, "-I", _launcher(host), path]
