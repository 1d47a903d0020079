"""One run's agent sessions, kept up to date from the store: opened, fed, planned, linked.

Each ``step()`` (the runner's session thread calls it every second): open a session per issue
(adopting the one Linear opened on delegation or mention); turn new run events, tool events
and approval decisions into outbox rows; turn outbox rows into posts (one per session, each
with its UUID, merged when the budget is short); post them in order within the budget; send
the plan and the PR link when they changed. Nothing here raises into the run: Linear being
slow or down only delays the stream, and what Linear refuses is reported in the run's log and
given up after ``max_attempts``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.base.store import Store
from workflows.definitions.model import Workflow
from workflows.issues.linear_agent.backend import SessionBackend
from workflows.issues.linear_agent.local_backend import iso
from workflows.issues.linear_agent.settings import AgentSettings
from workflows.issues.linear_http import LinearRateLimited, LinearUnavailable
from workflows.runs.agent_sessions import activities
from workflows.runs.agent_sessions.activities import Planned, Translator
from workflows.runs.agent_sessions.batching import batches, merged
from workflows.runs.agent_sessions.budget import Budget
from workflows.runs.agent_sessions.store import (
    RunSession,
    add_session,
    mark_post,
    open_store,
    posts,
    session_ids_in_use,
    sessions_of,
    set_session,
)
from workflows.runs.run_store import FINAL, RunStore

TRANSIENT = (LinearUnavailable, LinearRateLimited)
MAX_BACKOFF_S = 60.0
UNLIMITED = 1_000_000  # per minute, for a backend that is not Linear
KEEP_REMAINING = 100  # requests of Linear's hourly allowance left for everything else


class SessionSync:
    def __init__(
        self,
        run_id: str,
        backend: SessionBackend,
        *,
        settings: AgentSettings | None = None,
        store: Store | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runs = RunStore(store)
        self.store = open_store(self.runs.store)
        record = self.runs.get(run_id)
        self.run_id = record.id
        self.backend = backend
        self.settings = settings or AgentSettings.load()
        self.workflow = Workflow.from_json(record.definition)
        self.translator = Translator(self.workflow)
        per_minute = self.settings.per_minute if backend.rate_limited else UNLIMITED
        self.budget = Budget(per_minute, clock=clock)
        self._clock = clock
        self._cursor = {"ev": 0, "tool": 0, "appr": 0}
        self._retry_at = 0.0
        self._transient = 0
        self._told: set[str] = set()
        self._stepping = threading.Lock()

    # -- the loop's body --------------------------------------------------------------------
    def step(self) -> None:
        # One step at a time: the runner's final drain may start while the session thread
        # is still inside one (its join timed out), and a step that took events off the
        # cursor must queue them before another queues what came after (the response).
        with self._stepping:
            self._step()

    def _step(self) -> None:
        if self._clock() < self._retry_at or self._allowance_low():
            return
        try:
            self.open_sessions()
            self.collect()
            self.queue()
            if self.runs.get(self.run_id).status in FINAL:
                self.update_sessions()  # the plan is complete when the response shows
            self.flush()
            self.update_sessions()
            self._transient = 0
        except TRANSIENT as error:
            self._transient += 1
            pause = min(MAX_BACKOFF_S, 2.0**self._transient)
            if isinstance(error, LinearRateLimited):
                pause = max(pause, error.reset_at - time.time())
            self._retry_at = self._clock() + pause
            self._tell("transient", f"Linear session updates wait {pause:.0f}s: {error}")
        except AgentTuiError as error:
            self._retry_at = self._clock() + min(MAX_BACKOFF_S, 5.0)
            self._tell(str(error), f"Linear session updates failed: {error}")

    def _allowance_low(self) -> bool:
        """Linear's own count (X-RateLimit-Requests-Remaining) says the hour's allowance is
        nearly spent: the stream waits, leaving the rest to the runs' other requests."""
        headers = getattr(getattr(self.backend, "client", None), "last_rate_limit", {}) or {}
        remaining = {k.lower(): v for k, v in headers.items()}.get(
            "x-ratelimit-requests-remaining", ""
        )
        if remaining.isdigit() and int(remaining) < KEEP_REMAINING:
            self._retry_at = self._clock() + MAX_BACKOFF_S
            self._tell("allowance", f"Linear allows {remaining} more requests this hour; "
                       "the session stream waits")  # fmt: skip
            return True
        return False

    def pending(self) -> bool:
        unqueued = self.store.connection().execute(
            "SELECT 1 FROM session_outbox WHERE run_id = ? AND queued = 0 LIMIT 1", (self.run_id,)
        )
        return (
            bool(unqueued.fetchone())
            or bool(posts(self.store, self.run_id, status=("pending", "sending")))
            or bool(self._stale_sessions(self._session_update()))
        )

    def drain(self, timeout: float) -> bool:
        """Post what is left (the final response) within ``timeout``; True when all went."""
        deadline = self._clock() + timeout
        while True:
            self.step()
            if not self.pending() or self._clock() >= deadline:
                return not self.pending()
            time.sleep(0.2)

    def _tell(self, key: str, message: str) -> None:
        """Report a problem once in the run's log (never silent, never a flood)."""
        if key not in self._told:
            self._told.add(key)
            self.runs.event(self.run_id, "linear-session", message)

    # -- sessions ---------------------------------------------------------------------------
    def sessions(self) -> list[RunSession]:
        return sessions_of(self.store, self.run_id)

    def open_sessions(self) -> None:
        record = self.runs.get(self.run_id)
        have = {session.issue for session in self.sessions()}
        inherited = {s.issue: s for s in self._inherited(record.params.get("followup_of"))}
        for issue in record.issues:
            if issue in have:
                continue
            earlier = inherited.get(issue)
            session_id = (
                earlier.session_id
                if earlier is not None
                else self.backend.open_session(issue, taken=session_ids_in_use(self.store))
            )
            add_session(
                self.store,
                RunSession(
                    self.run_id,
                    issue,
                    self.backend.kind,
                    session_id,
                    "",
                    iso(time.time()),
                    time.time(),
                ),
            )
            self.runs.event(self.run_id, "linear-session", f"{issue}: agent session {session_id}")

    def _inherited(self, run_id: Any) -> list[RunSession]:
        return sessions_of(self.store, str(run_id)) if run_id else []

    # -- events → outbox → posts ------------------------------------------------------------
    def collect(self) -> int:
        found: list[Planned] = []
        for event in self.runs.events(self.run_id):
            if event["id"] <= self._cursor["ev"]:
                continue
            self._cursor["ev"] = event["id"]
            planned = self._final(event) or self.translator.run_event(event)
            if planned is not None:
                found.append(planned)
        found += self._tool_events() + self._approvals()
        found.sort(key=lambda planned: planned.at)
        with self.store.transaction() as conn:
            for planned in found:
                conn.execute(
                    "INSERT OR IGNORE INTO session_outbox (run_id, source, type, content, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (self.run_id, planned.source, planned.type, json.dumps(planned.content),
                     planned.at),
                )  # fmt: skip
        return len(found)

    def _final(self, event: dict[str, Any]) -> Planned | None:
        status = str(event["kind"])
        if status not in FINAL or not str(event["message"]).startswith(f"run {status}"):
            return None
        record = self.runs.get(self.run_id)
        error = str(event["message"]).removeprefix(f"run {status}").removeprefix(": ")
        summary = activities.summary(self.workflow, self.runs.attempts(self.run_id))
        content = activities.final(status, error=error, pr_url=record.pr_url, summary=summary)
        return Planned(f"ev:{event['id']}", float(event["at"]), content)

    def _tool_events(self) -> list[Planned]:
        from workflows.agents.hooks import open_events

        rows = (
            open_events(self.store)
            .connection()
            .execute(
                "SELECT id, payload, at FROM agent_events WHERE agent LIKE ? AND kind = 'tool_done'"
                " AND id > ? ORDER BY id",
                (f"{self.run_id}-%", self._cursor["tool"]),
            )
        )
        found = []
        for row in rows:
            self._cursor["tool"] = row["id"]
            try:
                payload = json.loads(row["payload"])
            except ValueError:
                continue
            event = {"id": row["id"], "at": row["at"], "payload": payload}
            planned = Translator.tool_event(event) if isinstance(payload, dict) else None
            if planned is not None:
                found.append(planned)
        return found

    def _approvals(self) -> list[Planned]:
        from workflows.approvals.audit import DDL, AuditEntry

        self.store.ensure("approvals", DDL)
        rows = self.store.connection().execute(
            "SELECT * FROM approval_audit WHERE agent LIKE ? AND id > ? ORDER BY id",
            (f"{self.run_id}-%", self._cursor["appr"]),
        )
        found = []
        for row in rows:
            self._cursor["appr"] = row["id"]
            found.append(Translator.approval(AuditEntry(**dict(row))))
        return found

    def queue(self) -> None:
        """Outbox rows become posts, one per session: as many as the budget allows now,
        merging the rest's thoughts and actions (Linear's limits, one request each)."""
        sessions = self.sessions()
        if not sessions:
            return
        conn = self.store.connection()
        rows = conn.execute(
            "SELECT seq, content FROM session_outbox WHERE run_id = ? AND queued = 0 ORDER BY seq",
            (self.run_id,),
        ).fetchall()
        if not rows:
            return
        waiting = len(posts(self.store, self.run_id, status=("pending", "sending")))
        room = (self.budget.available() - waiting) // len(sessions)
        if room < 1:
            return
        contents = [json.loads(row["content"]) for row in rows]
        groups = batches(contents, room)[:room]
        now = time.time()
        with self.store.transaction() as tx:
            for group in groups:
                content = merged([contents[index] for index in group])
                for session in sessions:
                    tx.execute(
                        "INSERT INTO session_posts (activity_id, run_id, issue, session_id,"
                        " type, content, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (str(uuid.uuid4()), self.run_id, session.issue, session.session_id,
                         content["type"], json.dumps(content), now),
                    )  # fmt: skip
                tx.executemany(
                    "UPDATE session_outbox SET queued = 1 WHERE seq = ?",
                    [(rows[index]["seq"],) for index in group],
                )

    def flush(self) -> None:
        for post in posts(self.store, self.run_id, status=("pending", "sending")):
            if not self.budget.take():
                return
            retried = post.status == "sending" or post.attempts > 0
            mark_post(self.store, post.activity_id, "sending")
            try:
                self.backend.post_activity(
                    post.session_id, post.activity_id, post.content, retried=retried
                )
            except TRANSIENT:
                raise  # stays "sending": the next try asks Linear first
            except AgentTuiError as error:
                self._refused(post.activity_id, post.type, post.attempts + 1, str(error))
                return  # in order: the next tick tries it again (or goes past it)
            mark_post(self.store, post.activity_id, "posted")

    def _refused(self, activity_id: str, kind: str, attempts: int, error: str) -> None:
        if attempts >= self.settings.max_attempts:
            mark_post(self.store, activity_id, "failed", error=error, tried=1)
            self.runs.event(
                self.run_id,
                "linear-session",
                f"Linear refused the {kind} activity {attempts} time(s), not trying again: {error}",
            )
        else:
            mark_post(self.store, activity_id, "pending", error=error, tried=1)

    # -- plan and link ----------------------------------------------------------------------
    def _session_update(self) -> dict[str, Any]:
        record = self.runs.get(self.run_id)
        plan = activities.plan(self.workflow, self.runs.attempts(self.run_id), record.status)
        update: dict[str, Any] = {"plan": plan}
        if record.pr_url:
            update["externalUrls"] = [{"label": "Pull request", "url": record.pr_url}]
        return update

    def _stale_sessions(self, update: dict[str, Any]) -> list[RunSession]:
        wanted = json.dumps(update, sort_keys=True)
        return [session for session in self.sessions() if session.plan != wanted]

    def update_sessions(self) -> None:
        update = self._session_update()
        wanted = json.dumps(update, sort_keys=True)
        for session in self._stale_sessions(update):
            if not self.budget.take():
                continue
            try:
                self.backend.update_session(session.session_id, update)
            except TRANSIENT:
                raise
            except AgentTuiError as error:
                key = f"plan:{session.session_id}:{wanted}"
                self._tell(key, f"Linear refused the plan/link of {session.issue}: {error}")
            set_session(self.store, self.run_id, session.issue, plan=wanted)
