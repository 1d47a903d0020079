"""The runner's session thread: a run on Linear issues (with the app token) or local issues
reports to its agent sessions and hears back from them, beside the engine, never in its way.

``start(run_id, …)`` returns None when the run's issues have no session backend; otherwise a
:class:`SessionWorker` whose thread steps the sync every second and polls the sessions for
prompts every ``[linear_agent] poll_active`` seconds. ``finish()`` (the run has ended) posts
what is left, the final response included, within a bound.
"""

from __future__ import annotations

import threading
import time
import traceback

from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.issues.linear_agent import open_backend
from workflows.issues.linear_agent.backend import SessionBackend
from workflows.issues.linear_agent.settings import AgentSettings
from workflows.runs.agent_sessions.inbox import Inbox
from workflows.runs.agent_sessions.sync import SessionSync
from workflows.runs.run_store import RunStore

TICK_S = 1.0
FINISH_TIMEOUT_S = 30.0


def backend_for(run_id: str) -> SessionBackend | None:
    from workflows.base.config import table
    from workflows.issues.linear import configured_key

    params = RunStore().get(run_id).params
    source = params.get("source") or table("issues").get_str("source")
    if not source:
        source = "linear" if configured_key() is not None else "local"
    return open_backend(str(source))


class SessionWorker:
    def __init__(
        self,
        run_id: str,
        backend: SessionBackend,
        *,
        target: TmuxTarget,
        settings: AgentSettings | None = None,
    ) -> None:
        self.settings = settings or AgentSettings.load()
        self.sync = SessionSync(run_id, backend, settings=self.settings)
        self.inbox = Inbox(backend, target=target, settings=self.settings)
        self.backend = backend
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="agent-sessions", daemon=True)

    def start(self) -> SessionWorker:
        self._thread.start()
        return self

    def _loop(self) -> None:
        next_poll = 0.0
        while not self._stop.is_set():
            self._guarded(self.sync.step)
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self.settings.poll_active
                self._guarded(lambda: self.inbox.poll_run(self.run_id))
            self._stop.wait(TICK_S)

    def _guarded(self, work: object) -> None:
        try:
            work()  # type: ignore[operator]
        except AgentTuiError as error:
            self.sync._tell(str(error), f"Linear sessions: {error}")
        except Exception:  # a bug here must never take the run down
            self.sync._tell("crash", "Linear sessions stopped by an internal error:\n"
                            + traceback.format_exc())  # fmt: skip

    def finish(self, timeout: float = FINISH_TIMEOUT_S) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.sync.drain(timeout)
        except Exception as error:  # reported, never raised out of the runner
            self.sync._tell(
                "drain", f"Linear sessions: could not post the last activities: {error}"
            )
        finally:
            self.backend.close()

    def abandon(self) -> None:
        """Stop without posting anything more: the run's issues no longer want it
        (workflows.runs.follow), so its sessions hear nothing after the stop."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.backend.close()


def start(run_id: str, *, target: TmuxTarget) -> SessionWorker | None:
    """The session worker of a run, started; None when its issues get no session."""
    try:
        backend = backend_for(run_id)
        if backend is None:
            return None
        return SessionWorker(run_id, backend, target=target).start()
    except AgentTuiError as error:  # a bad token file or [linear_agent]: the run goes on
        RunStore().event(run_id, "linear-session", f"no agent session: {error}")
        return None
