"""The watcher's look at the sessions of runs that have ended (their runners are gone): a
follow-up written there starts a fix round, a stop is answered, at ``[linear_agent]
poll_idle``, for ``followup_days`` after a run ended."""

from __future__ import annotations

import time

from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.issues.linear_agent import open_backend
from workflows.issues.linear_agent.backend import SessionBackend
from workflows.issues.linear_agent.settings import AgentSettings
from workflows.runs.agent_sessions.inbox import Handled, Inbox
from workflows.runs.agent_sessions.store import open_store, sessions_of
from workflows.runs.run_store import ACTIVE, RunStore, worker_alive


def poll_finished(*, target: TmuxTarget) -> list[Handled]:
    """One look at every recently ended run's sessions; what was done about each prompt."""
    settings = AgentSettings.load()
    runs = RunStore()
    store = open_store(runs.store)
    horizon = time.time() - settings.followup_days * 86400
    backends: dict[str, SessionBackend | None] = {}
    handled: list[Handled] = []
    latest: dict[str, str] = {}  # session → the last run reporting to it (a fix round's)
    for run_session in sessions_of(store):  # oldest first
        latest[run_session.session_id] = run_session.run_id
    try:
        for run_id in dict.fromkeys(latest.values()):
            run_session = sessions_of(store, run_id)[0]
            record = runs.get(run_id)
            alive = record.status in ACTIVE and worker_alive(record.id)
            if alive or (record.finished_at or 0) < horizon:
                continue  # its runner polls it, or it is too old to follow up
            kind = run_session.backend
            if kind not in backends:
                backends[kind] = open_backend(kind)
            backend = backends[kind]
            if backend is None:
                continue
            inbox = Inbox(backend, target=target, settings=settings)
            try:
                handled += inbox.poll_run(record.id)
            except AgentTuiError as error:
                runs.event(record.id, "linear-session", f"could not read the session: {error}")
    finally:
        for backend in backends.values():
            if backend is not None:
                backend.close()
    return handled
