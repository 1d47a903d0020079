"""The runner process (``agenttui run-worker ID``): drives the engine of a run in its tmux
window, and what it does when the run ends."""

from __future__ import annotations

import faulthandler
import os
import signal
import time
from collections.abc import Callable
from types import FrameType

from workflows.base.config import table
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.target import TmuxTarget
from workflows.runs.engine import Engine
from workflows.runs.issue_states import restore_states
from workflows.runs.recording.recorder import record_run
from workflows.runs.records import take_runner_lock, tmux_server_gone
from workflows.runs.run_env import forget_run_env
from workflows.runs.run_store import RunStore
from workflows.runs.runner import (
    SERVER_EXIT_WAIT_S,
    close_runner_window_on_exit,
    interrupt_agents,
    kill_agents,
    runner_name,
    start_admitted,
)
from workflows.tmux.server import ServerIdentity


def _stop_on_signal(
    run_id: str, server: ServerIdentity | None
) -> Callable[[int, FrameType | None], None]:
    """The runner's SIGTERM/SIGHUP handler: the run fails saying why. A hangup comes with
    the tmux server's exit (a crash, kill-server) too, a moment before it is gone: wait
    that moment to tell it from the runner's own window being closed."""

    def stop(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP and server is not None:
            deadline = time.monotonic() + SERVER_EXIT_WAIT_S
            while server.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not server.running():
                raise AgentTuiError(tmux_server_gone(run_id, server))
        raise AgentTuiError(f"the runner was stopped by signal {signal.Signals(signum).name}")

    return stop


def _note_tmux_server(runs: RunStore, run_id: str, *, target: TmuxTarget) -> ServerIdentity | None:
    from workflows.runs.run_agents import note_server
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(target)
    try:
        server = driver.server_identity()
        note_server(runs, runs.get(run_id), server)
        return server
    except AgentTuiError:
        return None  # no tmux server: the steps that need one say so
    finally:
        driver.close()


def _step_hosts(runs: RunStore, run_id: str) -> set[str]:
    """The hosts the run's steps work on, or worked on last (``steps.on_host``)."""
    context = runs.get(run_id).context
    placed = context.get("on_host") or {}
    return {str(name) for name in (placed.get("host"), context.get("worked_on")) if name}


def run_worker(run_id: str, *, target: TmuxTarget) -> int:
    """Body of ``agenttui run-worker``: hold the lock, drive the engine."""
    runs = RunStore(echo=True)
    record = runs.get(run_id)
    lock = take_runner_lock(record.id)
    if lock is None:
        raise UsageError(f"run {record.id} already has a runner")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal(record.id, None))
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` prints where the runner is
    runs.update(record.id, worker_pid=os.getpid())
    server = _note_tmux_server(runs, record.id, target=target)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal(record.id, server))
    from workflows.runs.agent_sessions import worker as session_worker

    sessions = session_worker.start(record.id, target=target)
    stop = record_run(  # (stopped before agents are closed)
        record.id,
        target=target,
        skip=frozenset({runner_name(record.id)}),
        report=lambda _pane, text: runs.event(record.id, "recording", text),
        hosts=lambda: _step_hosts(runs, record.id),
    )

    def before_finish() -> None:
        if runs.get(record.id).context.get("stop_for"):  # stopped for its issues:
            if sessions is not None:
                sessions.abandon()  # nothing more is posted to them
            interrupt_agents(record.id, target=target)  # (recorded, then closed below)
        if stop is not None:
            stop()

    try:
        status = Engine(record.id, target=target, runs=runs, before_finish=before_finish).run()
    finally:
        if stop is not None:
            stop()  # (done already, unless the engine itself failed)
        start_admitted(target=target)  # the run is final: its slot goes to the queue's head
    from workflows.runs.slots.book import SlotBook  # nor a shared environment ([slots])

    for slot in SlotBook().release_run(record.id, f"run {status}"):
        runs.event(record.id, "slot", f"released {slot}: the run {status}")
    if sessions is not None and status != "stopped":
        sessions.finish()  # the final response, bounded: the run has already ended
    keep = table("workflows").get_bool("keep_agents", False)
    if status in ("succeeded", "cancelled"):
        forget_run_env(record.id)  # it can no longer be resumed
    if status in ("cancelled", "stopped") or (status == "succeeded" and not keep):
        kill_agents(record.id, target=target)  # failed: kept for a look
    if status == "cancelled":
        restore_states(runs, record.id)
    if status in ("succeeded", "cancelled", "stopped"):
        close_runner_window_on_exit(record.id, target=target)
    final = runs.get(record.id)
    print(f"run {record.id} {status}" + (f": {final.error}" if final.error else ""))
    lock.close()
    return 0 if status == "succeeded" else 1
