"""The hook relay (``agenttui hook-relay HOST``): hooks of agents on a host, decided here.

One process per host and state dir (``agents.hook_relay`` starts it and names its files).
It listens on a unix socket here and keeps it forwarded to the host over the host's shared
ssh connection (``ssh -O forward -R``; never a TCP port). Each request is one hook event of
an agent there, as JSON (``approvals.relay_client``); the relay runs the very code of the
local ``agenttui hook`` (``hook_verb.handle_hook``) with the origin the host sent
(``agents.hook_origin``: pane, tmux server, home, worktree bound, the local project its
checkout maps to: ``approvals.host_project``), so this machine's rules,
learned rules, deny-list and audit decide, and the events land in this store at once.

Its life: it opens the connection when needed and holds one quiet session over it
(``cat``), which ends when the connection drops; then it connects again, a moment apart,
and forwards the socket anew (the host's old socket file removed first). It ends on
SIGTERM, after ``IDLE_EXIT_S`` with no request, after ``GIVE_UP_S`` of the host out of
reach (whoever next starts or reads an agent of the host starts it again), or once no agent
there has its socket any more (asked every ``AGENTS_EVERY_S`` over the held connection; the
next agent started there starts it again).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from workflows.agents.hook_origin import HookOrigin, hook_origin
from workflows.agents.hook_relay import (
    NO_AGENTS,
    agents_use_relay,
    local_socket,
    relay_files,
    remote_socket,
    wanted_at,
    write_status,
)
from workflows.approvals.hook_verb import handle_hook
from workflows.approvals.host_project import local_project
from workflows.approvals.worktree import RunRepo, RunWorktree
from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.tmux.protocol import client_env
from workflows.tmux.ssh import forward_argv, forward_socket, ssh_argv

IDLE_EXIT_S = 3600.0
GIVE_UP_S = 600.0  # a host unreachable this long: the relay ends until its agents are read
AGENTS_EVERY_S = 10.0  # how often it asks the host whether an agent still uses it
REQUEST_LIMIT = 32 * 1024 * 1024  # a Write's whole content travels in its hook's JSON
READ_WITHIN_S = 10.0
LOCK_WAIT_S = 1.0
RETRY_PAUSES_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
FIELDS = ("agent_kind", "name", "raw", "pane", "server", "home", "worktree")


def answer_request(
    data: bytes,
    run_worktree: RunWorktree,
    host: SshHost | None = None,
    run_repo: RunRepo | None = None,
) -> dict[str, Any]:
    """One request's answer: ``{"reply": …}`` (what ``agenttui hook`` prints there, None
    for nothing) or ``{"error": …}`` (the host then leaves any decision to a person).
    ``host``: where it comes from; its ``repo`` (or a worktree of it) there is decided with
    this machine's project (``approvals.host_project``; a run's agent: the run's repository,
    found by ``run_repo``)."""
    try:
        request = json.loads(data)
    except ValueError:
        return {"error": "the request is not JSON"}
    if not isinstance(request, dict) or not all(isinstance(request.get(f), str) for f in FIELDS):
        return {"error": f"the request needs the text fields {', '.join(FIELDS)}"}
    if request["agent_kind"] not in ("claude", "codex"):
        return {"error": f"unknown agent kind {request['agent_kind']!r}"}
    checkout, run = request.get("checkout", ""), request.get("run", "")  # older: none sent
    if not isinstance(checkout, str) or not isinstance(run, str):
        return {"error": "the request's checkout and run must be text"}
    project = local_project(host, checkout, request["home"], run, run_repo)
    origin = HookOrigin(
        request["pane"], request["server"], request["home"], request["worktree"], project
    )
    with hook_origin(origin):
        reply = handle_hook(request["agent_kind"], request["name"], request["raw"], run_worktree)
    return {"reply": reply}


class Relay:
    def __init__(
        self, host: SshHost, run_worktree: RunWorktree, run_repo: RunRepo, idle_exit_s: float
    ) -> None:
        self.host = host
        self.run_worktree = run_worktree
        self.run_repo = run_repo
        self.idle_exit_s = idle_exit_s
        self.stopped = threading.Event()
        self.last_request = time.monotonic()
        self.local = local_socket(host)
        self.remote = ""
        self.reason = ""  # why it ended, when not told to (SIGTERM) or idle
        self.next_check = time.monotonic() + AGENTS_EVERY_S

    def idle(self) -> bool:
        return time.monotonic() - self.last_request > self.idle_exit_s

    def listen(self) -> socket.socket:
        self.local.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(str(self.local))
        finally:
            os.umask(old)
        listener.listen(32)
        return listener

    def accept(self, listener: socket.socket) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed: the relay ends
            self.last_request = time.monotonic()
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(READ_WITHIN_S)
                chunks, size = [], 0
                while size <= REQUEST_LIMIT and (chunk := conn.recv(65536)):
                    chunks.append(chunk)
                    size += len(chunk)
                if size > REQUEST_LIMIT:
                    answer: dict[str, Any] = {"error": "the request is too large"}
                else:
                    answer = answer_request(
                        b"".join(chunks), self.run_worktree, self.host, self.run_repo
                    )
            except OSError as error:
                answer = {"error": f"reading the request: {error}"}
            except Exception as error:  # the host's hook must get an answer, whatever happens
                answer = {"error": f"{type(error).__name__}: {error}"}
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(answer).encode("utf-8"))

    def keep_forwarded(self) -> None:
        """Forward the socket over the host's connection, hold that connection, and do it
        again whenever it drops, until stopped or idle."""
        failures, failing_since = 0, time.monotonic()
        while not self.stopped.is_set() and not self.idle():
            try:
                self.remote = remote_socket(self.host, fresh=True)
                forward_socket(self.host, self.remote, str(self.local))
            except (AgentTuiError, OSError) as error:
                write_status(self.host, pid=os.getpid(), error=str(error))
                if time.monotonic() - failing_since > GIVE_UP_S:
                    return  # started again by whoever next reads the host's agents
                self.stopped.wait(RETRY_PAUSES_S[min(failures, len(RETRY_PAUSES_S) - 1)])
                failures += 1
                continue
            failures = 0
            write_status(self.host, pid=os.getpid(), forwarded=self.remote, local=str(self.local))
            holder = subprocess.Popen(
                ssh_argv(self.host, "exec cat >/dev/null"),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=client_env(),
            )
            try:
                while holder.poll() is None and not self.stopped.is_set() and not self.idle():
                    self.stopped.wait(0.2)
                    if time.monotonic() >= self.next_check and self.agentless():
                        self.reason = NO_AGENTS
                        self.stopped.set()
            finally:
                _end(holder)
            if not self.stopped.is_set() and not self.idle():
                write_status(self.host, pid=os.getpid(), error="the connection dropped")
                failing_since = time.monotonic()
                self.stopped.wait(RETRY_PAUSES_S[0])

    def agentless(self) -> bool:
        """Whether no agent on the host has the relay's socket any more, and none was
        about to start with it since the last look (checked every ``AGENTS_EVERY_S``)."""
        self.next_check = time.monotonic() + AGENTS_EVERY_S
        found = agents_use_relay(self.host, self.remote)
        if found:
            write_status(self.host, pid=os.getpid(), forwarded=self.remote,
                         local=str(self.local), agents_seen=time.time())  # fmt: skip
        if found is not False:  # one is there; or unknown, or unreachable: kept
            return False
        return time.time() - wanted_at(self.host) > AGENTS_EVERY_S

    def cancel_forward(self) -> None:
        if self.remote:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                subprocess.run(
                    forward_argv(self.host, "cancel", self.remote, str(self.local)),
                    capture_output=True,
                    timeout=5,
                    check=False,
                    env=client_env(),
                )


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    if process.poll() is None:
        process.kill()
        process.wait()


def serve(
    host: SshHost,
    run_worktree: RunWorktree,
    run_repo: RunRepo,
    *,
    idle_exit_s: float = IDLE_EXIT_S,
) -> int:
    """Run the host's relay until SIGTERM or idle; 0 at once when another one runs."""
    with Path(f"{relay_files(host)}.lock").open("a+b") as lock:
        deadline = time.monotonic() + LOCK_WAIT_S  # someone may be probing it (lock_held)
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return 0
                time.sleep(0.02)
        _serve(Relay(host, run_worktree, run_repo, idle_exit_s))
    return 0


def _serve(relay: Relay) -> None:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        relay.stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_status(relay.host, pid=os.getpid(), starting=True)
    listener = relay.listen()
    threading.Thread(target=relay.accept, args=(listener,), daemon=True).start()
    try:
        relay.keep_forwarded()
    finally:
        relay.cancel_forward()
        listener.close()
        relay.local.unlink(missing_ok=True)
        write_status(relay.host, pid=os.getpid(), stopped=True, reason=relay.reason)
