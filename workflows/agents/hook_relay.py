"""Where the hook relay of a host lives, and starting it: what an agent there needs to reach it.

The hooks of an agent on a host must be decided by THIS machine's approval policy, against
this machine's store. One local process per host and state dir, ``agenttui hook-relay HOST``
(``workflows.approvals.relay``), listens on a unix socket here (0600, in the 0700
``ssh.control_dir()``); the host's shared ssh connection forwards a unix socket there to it
(``ssh -O forward -R``: no TCP port anywhere), in a 0700 folder of the host's runtime dir.
The agent's environment names that socket (``AGENTTUI_HOOK_RELAY``), so ``agenttui hook``
there hands each event to the relay (``workflows.approvals.relay_client``).

Only one relay per host and state dir runs: it holds ``relays/HOST.lock`` (``flock``) for its
life. Its status (pid, forwarded or the error), written by the holder only, is
``relays/HOST.json``; the last one started here is in ``relays/HOST.spawned``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from workflows.agents.hook_origin import RELAY_ENV
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.hosts import SshHost
from workflows.base.paths import agenttui_argv, state_dir
from workflows.tmux.locks import lock_held
from workflows.tmux.ssh import HostUnreachable, control_dir, run_remote

READY_WAIT_S = 15.0
# On the host: a private folder for the forwarded socket, where tmux keeps its own
# (a runtime dir, short enough for a socket path), refused when someone else owns it.
REMOTE_FOLDER = (
    'd="${XDG_RUNTIME_DIR:-${TMUX_TMPDIR:-/tmp}}/agenttui-relay-$(id -u)" && umask 077 && '
    'mkdir -p "$d" && test -O "$d" && ! test -L "$d" && chmod 700 "$d" && printf %s "$d"'
)
# On the host, given the relay's socket there: "yes" when a process there has it in its
# environment (an agent started with it, or that agent's children), "no" when none has,
# "unknown" where /proc cannot tell.
AGENTS_THERE = (
    "test -r /proc/self/environ || { echo unknown; exit 0; }; "
    'if grep -qsaF -e "$1" /proc/[0-9]*/environ; then echo yes; else echo no; fi'
)
NO_AGENTS = "no agent of agenttui uses it there any more"
_remote: dict[SshHost, str] = {}
_can_relay: set[SshHost] = set()
_lock = threading.Lock()


def relay_key(host: SshHost) -> str:
    """One relay per (this machine, state dir, host): two machines or stores using the same
    host each have their own socket there."""
    seed = f"{socket.gethostname()}\0{state_dir()}\0{host.name}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def local_socket(host: SshHost) -> Path:
    """The relay's socket here (short: a unix socket path is ≤107 bytes)."""
    return control_dir() / f"relay-{relay_key(host)}.sock"


def relay_files(host: SshHost) -> Path:
    """``relays/HOST`` under the state dir: ``.lock``, ``.json`` (status), ``.log``."""
    folder = state_dir() / "relays"
    folder.mkdir(mode=0o700, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in host.name)
    return folder / safe


def remote_socket(host: SshHost, *, fresh: bool = False) -> str:
    """The forwarded socket's path on the host (its folder made private there)."""
    with _lock:
        known = None if fresh else _remote.get(host)
    if known is None:
        folder = run_remote(host, REMOTE_FOLDER).strip()
        if not folder.startswith("/"):
            raise OSError(f"host {host.name!r} gave no folder for the hook relay: {folder!r}")
        known = f"{folder}/{relay_key(host)}.sock"
        with _lock:
            _remote[host] = known
    return known


def require_relay_support(host: SshHost) -> None:
    """The host's agenttui must hand its hooks to this machine (``hook-relay`` came with
    that): an older one, or none, would decide with the host's own policy or not at all.
    Checked once per process and host."""
    with _lock:
        if host in _can_relay:
            return
    words = " ".join(shlex.quote(word) for word in shlex.split(host.agenttui))
    try:
        run_remote(host, f"{words} hook-relay --help >/dev/null")
    except HostUnreachable:
        raise
    except AgentTuiError as error:
        raise UsageError(
            f"the agenttui on host {host.name!r} ({host.agenttui}) cannot hand an agent's hooks "
            f"to this machine's approval policy ({error}); install this agenttui there, or "
            f"point [hosts.{host.name}] agenttui at one that has `hook-relay`"
        ) from error
    with _lock:
        _can_relay.add(host)


def relay_running(host: SshHost) -> bool:
    """Whether a relay for the host holds its lock (checked without starting anything)."""
    return lock_held(Path(f"{relay_files(host)}.lock"))


def relay_status(host: SshHost) -> dict[str, Any]:
    """The relay's last status (``pid``, ``forwarded`` or ``error``, ``at``), {} if none."""
    try:
        value = json.loads(Path(f"{relay_files(host)}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_status(host: SshHost, **status: Any) -> None:
    path = Path(f"{relay_files(host)}.json")
    temporary = path.with_suffix(".json.new")
    temporary.write_text(json.dumps({**status, "at": time.time()}), encoding="utf-8")
    temporary.replace(path)


def agents_use_relay(host: SshHost, remote: str) -> bool | None:
    """Whether an agent on ``host`` still has the relay's socket ``remote`` (None: the host
    cannot tell, or cannot be reached now). One ssh command over the shared connection."""
    needle = f"{RELAY_ENV}={remote}"
    command = f"sh -c {shlex.quote(AGENTS_THERE)} agents {shlex.quote(needle)}"
    try:
        answer = run_remote(host, command, timeout=15.0).strip()
    except AgentTuiError:
        return None
    return {"yes": True, "no": False}.get(answer)


def wanted_at(host: SshHost) -> float:
    """When an agent was last about to start with the relay (unix time; 0 if never)."""
    try:
        return Path(f"{relay_files(host)}.wanted").stat().st_mtime
    except OSError:
        return 0.0


def ensure_relay(host: SshHost, *, wait_s: float = READY_WAIT_S) -> dict[str, Any]:
    """Start the host's relay unless one runs; wait (up to ``wait_s``) until its socket is
    forwarded. Its status back: a relay that cannot forward says why there (its hooks then
    leave every decision to a person, never to the host's own policy). Noted as wanted
    first: a relay seeing no agent there keeps running a while after (the agent starting)."""
    Path(f"{relay_files(host)}.wanted").touch()
    if relay_running(host):
        return relay_status(host)
    # Not an agent's hook itself, nor in a pane: the origin of each request is the host's.
    environ = {k: v for k, v in os.environ.items() if k not in (RELAY_ENV, "TMUX", "TMUX_PANE")}
    with open(f"{relay_files(host)}.log", "ab") as log:
        process = subprocess.Popen(
            [*agenttui_argv(), "hook-relay", host.name],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            start_new_session=True,
        )
    # Stoppable from now on, even before it holds its lock (the status is the lock holder's).
    Path(f"{relay_files(host)}.spawned").write_text(str(process.pid), encoding="utf-8")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        status = relay_status(host)
        if status.get("pid") == process.pid and ("forwarded" in status or "error" in status):
            return status
        if process.poll() is not None:  # another one won the lock, or it failed: its log says
            return relay_status(host)
        time.sleep(0.05)
    return relay_status(host)


def revive_relay(host: SshHost) -> None:
    """Start the host's relay again if one was started here before and has ended (idle, or
    killed): its agents there may still ask. Not one that ended with the host's last agent
    (the next agent started there starts it). Costs a ``flock`` when it runs."""
    status = relay_status(host)
    if status and status.get("reason") != NO_AGENTS and not relay_running(host):
        ensure_relay(host, wait_s=0)


def stop_relay(host: SshHost) -> None:
    """Stop the host's relay, even one still starting (it then ends its forwarding and its
    hold on the connection)."""
    for pid in {relay_status(host).get("pid"), spawned_pid(host)}:
        if isinstance(pid, int) and _is_relay(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def spawned_pid(host: SshHost) -> int | None:
    """The relay process started last here (it may have lost the lock to another)."""
    try:
        return int(Path(f"{relay_files(host)}.spawned").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_relay(pid: int) -> bool:
    """Whether ``pid`` is a hook relay still (not a process that took its number since)."""
    try:
        return b"hook-relay" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
