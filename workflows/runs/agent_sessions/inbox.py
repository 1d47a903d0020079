"""From Linear back to the run: what people write in a run's sessions, acted on once.

- the stop signal cancels the run (its runner stops within a poll of its own loop);
- while an agent of the run waits for a person (an approval, a question): "approve"/"yes"
  approves, "deny"/"no" denies, anything else is sent to it as the answer;
- otherwise, while the run is active: the message is queued for the run's current agent,
  which gets it (a recorded, verified send) as soon as its turn ends, before its step
  finishes (``next_followup``, called by agent steps): never typed into a busy agent, never
  racing the run's own next prompt;
- after the run ended: a fix round, a run of ``[linear_agent] followup_workflow`` on the same
  branch, reporting to the same session, with the message as ``{request}``.

A prompt is claimed in ``session_inbox`` (keyed by its id) before anything is done, so the
runner's poller and the watcher's never both act on it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.base.errors import AgentTuiError
from workflows.base.store import Store
from workflows.base.target import TmuxTarget
from workflows.issues.linear_agent.backend import Prompt, SessionBackend
from workflows.issues.linear_agent.settings import AgentSettings
from workflows.runs.agent_sessions.store import RunSession, open_store, sessions_of, set_session
from workflows.runs.records import RunRecord
from workflows.runs.run_store import ACTIVE, RunStore

if TYPE_CHECKING:
    from workflows.tmux.driver import TmuxDriver

QUEUED = "queued for the run's current agent (it gets it when its turn ends)"
APPROVE = frozenset({"approve", "approved", "yes", "y", "allow", "ok", "go ahead", "lgtm"})
DENY = frozenset({"deny", "denied", "no", "n", "reject"})
FOLLOWUP_HEADER = "Follow-up from the Linear issue (a person wrote this):\n\n"
SEND_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Handled:
    prompt: Prompt
    issue: str
    outcome: str


def _word(text: str) -> str:
    return re.sub(r"[^\w ]+", "", text).strip().casefold()


class Inbox:
    def __init__(
        self,
        backend: SessionBackend,
        *,
        target: TmuxTarget,
        store: Store | None = None,
        settings: AgentSettings | None = None,
    ) -> None:
        self.backend = backend
        self.runs = RunStore(store)
        self.store = open_store(self.runs.store)
        self.target = target
        self.settings = settings or AgentSettings.load()

    def poll_run(self, run_id: str) -> list[Handled]:
        handled = self._after_the_run(run_id)
        for session in sessions_of(self.store, run_id):
            if session.backend != self.backend.kind:
                continue
            prompts = self.backend.prompts(session.session_id, session.prompts_since)
            for prompt in prompts:
                if self._claim(run_id, session, prompt):
                    handled.append(self._handle(run_id, session, prompt))
            if prompts:
                latest = max(prompt.created_at for prompt in prompts)
                set_session(self.store, run_id, session.issue, prompts_since=latest)
        return handled

    def _claim(self, run_id: str, session: RunSession, prompt: Prompt) -> bool:
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO session_inbox (activity_id, run_id, issue, body, signal,"
                " status, at) VALUES (?, ?, ?, ?, ?, 'handling', ?)",
                (prompt.id, run_id, session.issue, prompt.body, prompt.signal, time.time()),
            )
            return cursor.rowcount == 1

    def _after_the_run(self, run_id: str) -> list[Handled]:
        """Follow-ups queued while the run was active that its agents never got: once the
        run has ended they start a fix round."""
        record = self.runs.get(run_id)
        if record.status in ACTIVE:
            return []
        rows = (
            self.store.connection()
            .execute(
                "SELECT * FROM session_inbox WHERE run_id = ? AND status = 'queued' ORDER BY at",
                (run_id,),
            )
            .fetchall()
        )
        handled = []
        for row in rows:
            prompt = Prompt(row["activity_id"], "", row["body"], row["signal"])
            session = RunSession(run_id, row["issue"], self.backend.kind, "", "", "", 0.0)
            handled.append(self._handle(run_id, session, prompt))
        return handled

    def _handle(self, run_id: str, session: RunSession, prompt: Prompt) -> Handled:
        record = self.runs.get(run_id)
        try:
            outcome = self._act(record, session, prompt)
            status = "queued" if outcome == QUEUED else "done"
        except AgentTuiError as error:
            outcome, status = f"not done: {error}", "failed"
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE session_inbox SET status = ?, outcome = ? WHERE activity_id = ?",
                (status, outcome, prompt.id),
            )
        if record.status in ACTIVE:
            self.runs.event(record.id, "linear-prompt", f"{session.issue}: {outcome}")
        return Handled(prompt, session.issue, outcome)

    def _act(self, record: RunRecord, session: RunSession, prompt: Prompt) -> str:
        from workflows.runs.runner import cancel_run

        if prompt.signal == "stop":
            if record.status not in ACTIVE:
                return f"stop asked; run {record.id} had already {record.status}"
            result = cancel_run(record.id, target=self.target)
            return f"stop asked on Linear: run {record.id} {result}"
        if record.status not in ACTIVE:
            return self._fix_round(record, prompt)
        waiting = self._waiting_pane(record)
        if waiting is not None:
            return self._answer(record, waiting, prompt.body)
        return QUEUED

    # -- an active run ----------------------------------------------------------------------
    def _waiting_pane(self, record: RunRecord) -> str | None:
        if not record.context.get("attention"):
            return None
        for event in reversed(self.runs.events(record.id)):
            if event["kind"] == "attention" and event["data"].get("pane"):
                return str(event["data"]["pane"])
        return None

    def _answer(self, record: RunRecord, pane_id: str, body: str) -> str:
        """Approve or deny the waiting agent's dialog, or answer its question; a message
        that is neither, to an agent waiting for approval, waits for its turn's end. Only
        if the pane is still that agent (``run_agents``): after a tmux restart its id may be
        another run's agent, waiting for an approval of its own."""
        from workflows.agents.observe import read_state
        from workflows.agents.state import AgentState
        from workflows.approvals.answer import answer
        from workflows.runs.run_agents import record_for_pane, why_gone
        from workflows.tmux.driver import TmuxDriver

        word = _word(body)
        driver = TmuxDriver(self.target)
        try:
            agent = record_for_pane(self.runs, record.id, None, pane_id)
            if (gone := why_gone(driver, agent, pane_id)) is not None:
                raise AgentTuiError(f"the agent of run {record.id} that asked is gone: {gone}")
            if word in APPROVE or word in DENY:
                action = "approve" if word in APPROVE else "deny"
                result = answer(driver, pane_id, action, store=self.store)
                done = "approved" if action == "approve" else "denied"
                return f"{done} on Linear: {result}"
            reading = read_state(driver, driver.resolve(pane_id), store=self.store)
            if reading.state is AgentState.ASKING:
                return self._send(driver, pane_id, body, "answer")
            return QUEUED
        finally:
            driver.close()

    def _send(self, driver: TmuxDriver, pane_id: str, text: str, what: str) -> str:
        from workflows.agents.delivery import send_text

        result = send_text(driver, pane_id, text, timeout=SEND_TIMEOUT_S)
        pane = driver.resolve(pane_id)
        if not result.submitted:
            raise AgentTuiError(f"{what} pasted into {pane.name} but not submitted")
        return f"{what} delivered to {pane.name}"

    # -- after the run ----------------------------------------------------------------------
    def _fix_round(self, record: RunRecord, prompt: Prompt) -> str:
        from workflows.runs.runner import launch_run

        params = record.params
        earlier: dict[str, str] = params.get("agents") or {}  # the agent that did the work
        agent = earlier.get("implement") or next(iter(earlier.values()), None)
        run_id = launch_run(
            self.settings.followup_workflow,
            record.issues,
            target=self.target,
            repo=params.get("repo"),
            source=params.get("source"),
            agents=[agent] if agent else (),
            github_repo=params.get("github_repo"),
            branch=str(record.context.get("branch") or "") or None,
            base=params.get("base"),
            test_command=params.get("test_command"),
            extra={"followup_of": record.id, "request": prompt.body},
        )
        return f"follow-up after run {record.id} ended: started run {run_id}"


def next_followup(store: Store, run_id: str) -> tuple[str, str] | None:
    """The oldest follow-up queued for the run's agents (its id and text, with the header
    that says where it comes from), marked as being delivered: it is never sent twice. One
    left ``delivering`` comes first: a runner killed before recording its delivery (one
    that recorded it finishes that delivery on resume and marks it done)."""
    open_store(store)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT activity_id, body FROM session_inbox WHERE run_id = ?"
            " AND status IN ('delivering', 'queued') ORDER BY status = 'queued', at LIMIT 1",
            (run_id,),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE session_inbox SET status = 'delivering' WHERE activity_id = ?",
            (row["activity_id"],),
        )
    return str(row["activity_id"]), FOLLOWUP_HEADER + str(row["body"])


def followup_text(store: Store, activity_id: str) -> str:
    """What a follow-up's delivery carries (as ``next_followup`` gave it)."""
    row = (
        open_store(store)
        .connection()
        .execute("SELECT body FROM session_inbox WHERE activity_id = ?", (activity_id,))
        .fetchone()
    )
    if row is None:
        raise AgentTuiError(f"follow-up {activity_id} is not in the store")
    return FOLLOWUP_HEADER + str(row["body"])


def followup_done(store: Store, activity_id: str, outcome: str, *, ok: bool) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE session_inbox SET status = ?, outcome = ? WHERE activity_id = ?",
            ("done" if ok else "failed", outcome, activity_id),
        )
