"""The run store: runs, step attempts with their outputs, events, and prompt deliveries.

A run's progress is a cursor (which step next, rounds used) saved in the same transaction
that finishes a step attempt, so a killed runner resumes exactly after the last completed
step. A prompt delivery is recorded *before* it is sent and marked after: on resume a
delivery that may have reached the agent is never sent again. Every event is also appended to
``state_dir()/runs/<run-id>.log`` for ``agenttui log``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from typing import Any

from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.store import Store
from workflows.runs.records import (
    ACTIVE,
    FINAL,
    RUNNER_START_GRACE_S,
    Attempt,
    Delivery,
    RunRecord,
    attempt_from_row,
    run_file,
    run_from_row,
    run_log_path,
    worker_alive,
)

# Re-exported: callers import these from here.
__all__ = [
    "ACTIVE",
    "FINAL",
    "RUNNER_START_GRACE_S",
    "Attempt",
    "Delivery",
    "RunRecord",
    "RunStore",
    "list_runs",
    "run_file",
    "run_log_path",
    "worker_alive",
]

DDL = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    definition TEXT NOT NULL,
    issues TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    current_step TEXT,
    cursor TEXT NOT NULL DEFAULT '{}',
    context TEXT NOT NULL DEFAULT '{}',
    pr_url TEXT,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS run_steps (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    outputs TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS run_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    step_id TEXT,
    message TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS run_events_by_run ON run_events(run_id, id);
CREATE TABLE IF NOT EXISTS run_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    pane_id TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    chars INTEGER NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    submitted_at REAL
);
"""
# What a delivery carries, so a resumed runner finishes it with the same text: "prompt",
# "reminder", or "followup:<activity id>" (a person's message from the run's session).
DELIVERY_KIND = "ALTER TABLE run_deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'prompt';"


class RunStore:
    def __init__(self, store: Store | None = None, *, echo: bool = False) -> None:
        self.store = store if store is not None else Store()
        self.echo = echo  # the runner also prints each event in its tmux window
        self.store.ensure("runs", DDL, DELIVERY_KIND)

    # -- runs ---------------------------------------------------------------------------
    def create(
        self,
        workflow: str,
        definition: dict[str, Any],
        issues: list[str],
        params: dict[str, Any],
        *,
        status: str = "pending",
    ) -> RunRecord:
        """A new run; a launch makes it ``queued`` (it starts once ``queue.admit`` lets it)."""
        now = time.time()
        with self.store.transaction() as conn:
            while True:
                run_id = "r" + secrets.token_hex(3)
                if conn.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is None:
                    break
            conn.execute(
                "INSERT INTO runs (id, workflow, definition, issues, params, status, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    workflow,
                    json.dumps(definition),
                    json.dumps(issues),
                    json.dumps(params),
                    status,
                    now,
                    now,
                ),
            )
        self.event(run_id, "created", f"run of {workflow} for {', '.join(issues)}")
        return self.get(run_id)

    def get(self, run_id: str) -> RunRecord:
        conn = self.store.connection()
        row = conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            rows = conn.execute("SELECT * FROM runs WHERE id LIKE ?", (run_id + "%",)).fetchall()
            if len(rows) != 1:
                raise UsageError(f"no run {run_id!r} (see `agenttui runs`)")
            row = rows[0]
        return run_from_row(row)

    def all_runs(self) -> list[RunRecord]:
        rows = self.store.connection().execute("SELECT * FROM runs ORDER BY created_at, id")
        return [run_from_row(row) for row in rows]

    def update(self, run_id: str, **fields: Any) -> None:
        """Set columns; dict/list values are stored as JSON."""
        fields["updated_at"] = time.time()
        names = ", ".join(f"{name}=?" for name in fields)
        values = [json.dumps(v) if isinstance(v, dict | list) else v for v in fields.values()]
        with self.store.transaction() as conn:
            conn.execute(f"UPDATE runs SET {names} WHERE id=?", (*values, run_id))

    def update_context(self, run_id: str, **values: Any) -> dict[str, Any]:
        with self.store.transaction() as conn:
            row = conn.execute("SELECT context FROM runs WHERE id=?", (run_id,)).fetchone()
            context = {**json.loads(row["context"]), **values}
            conn.execute(
                "UPDATE runs SET context=?, updated_at=? WHERE id=?",
                (json.dumps(context), time.time(), run_id),
            )
        return context

    def finish(self, run_id: str, status: str, error: str | None = None) -> None:
        """The final status and its event in one transaction: the events' order is the order
        runs ended in (what the queue's slots are counted from)."""
        now = time.time()
        message = f"run {status}" + (f": {error}" if error else "")
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status=?, error=?, finished_at=?, updated_at=? WHERE id=?",
                (status, error, now, now, run_id),
            )
            line = self.insert_event(conn, run_id, status, message, at=now)
        self.write_log_lines([line])

    def enqueue(self, run_id: str) -> None:
        """Put a run at the back of the queue (``workflows.runs.queue`` admits it)."""
        now = time.time()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT context FROM runs WHERE id=?", (run_id,)).fetchone()
            context = {**json.loads(row["context"]), "queued_at": now}
            context.pop("queued_for", None)
            context.pop("stop_for", None)  # a stopped run resumed: its issues want it again
            conn.execute(
                "UPDATE runs SET status='queued', error=NULL, finished_at=NULL,"
                " cancel_requested=0, context=?, updated_at=? WHERE id=?",
                (json.dumps(context), now, run_id),
            )

    # -- events and the log file ---------------------------------------------------------
    def event(
        self,
        run_id: str,
        kind: str,
        message: str,
        step_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        with self.store.transaction() as conn:
            line = self.insert_event(conn, run_id, kind, message, step_id=step_id, data=data)
        self.write_log_lines([line])

    @staticmethod
    def insert_event(
        conn: sqlite3.Connection,
        run_id: str,
        kind: str,
        message: str,
        *,
        step_id: str | None = None,
        data: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> tuple[str, str]:
        """Store an event inside the caller's transaction (with the change it records);
        returns the run and the log line for :meth:`write_log_lines` once committed."""
        now = time.time() if at is None else at
        conn.execute(
            "INSERT INTO run_events (run_id, at, kind, step_id, message, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, now, kind, step_id, message, json.dumps(data or {})),
        )
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
        where = f" [{step_id}]" if step_id else ""
        return run_id, f"{stamp} {kind}{where} {message}"

    def write_log_lines(self, lines: list[tuple[str, str]]) -> None:
        for run_id, line in lines:
            with run_log_path(run_id).open("a", encoding="utf-8") as log:
                log.write(line + "\n")
            if self.echo:
                print(line, flush=True)

    def events(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.store.connection().execute(
            "SELECT * FROM run_events WHERE run_id=? ORDER BY id", (run_id,)
        )
        return [{**dict(row), "data": json.loads(row["data"])} for row in rows]

    # -- step attempts -------------------------------------------------------------------
    def start_attempt(self, run_id: str, seq: int, step_id: str, round_: int, role: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO run_steps (run_id, seq, step_id, round, role, status,"
                " started_at) VALUES (?, ?, ?, ?, ?, 'running', ?)",
                (run_id, seq, step_id, round_, role, time.time()),
            )
            conn.execute(
                "UPDATE runs SET current_step=?, updated_at=? WHERE id=?",
                (step_id, time.time(), run_id),
            )

    def attempt(self, run_id: str, seq: int) -> Attempt | None:
        row = (
            self.store.connection()
            .execute("SELECT * FROM run_steps WHERE run_id=? AND seq=?", (run_id, seq))
            .fetchone()
        )
        return None if row is None else attempt_from_row(row)

    def attempts(self, run_id: str) -> list[Attempt]:
        rows = self.store.connection().execute(
            "SELECT * FROM run_steps WHERE run_id=? ORDER BY seq", (run_id,)
        )
        return [attempt_from_row(row) for row in rows]

    def finish_attempt(
        self,
        run_id: str,
        seq: int,
        *,
        status: str,
        outputs: dict[str, Any],
        error: str | None,
        cursor: dict[str, Any],
    ) -> None:
        """Close an attempt and move the cursor in one transaction (the resume point)."""
        now = time.time()
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE run_steps SET status=?, outputs=?, error=?, finished_at=?"
                " WHERE run_id=? AND seq=?",
                (status, json.dumps(outputs), error, now, run_id, seq),
            )
            conn.execute(
                "UPDATE runs SET cursor=?, updated_at=? WHERE id=?",
                (json.dumps(cursor), now, run_id),
            )

    def latest_outputs(self, run_id: str) -> dict[str, dict[str, Any]]:
        """Each step's outputs from its latest finished attempt (for placeholders)."""
        result: dict[str, dict[str, Any]] = {}
        for attempt in self.attempts(run_id):
            if attempt.status != "running":
                result[attempt.step_id] = attempt.outputs
        return result

    # -- deliveries ----------------------------------------------------------------------
    def record_delivery(
        self,
        run_id: str,
        seq: int,
        step_id: str,
        *,
        pane_id: str,
        agent_name: str,
        chars: int,
        kind: str = "prompt",
    ) -> int:
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO run_deliveries (run_id, seq, step_id, pane_id, agent_name, chars,"
                " status, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, 'sending', ?, ?)",
                (run_id, seq, step_id, pane_id, agent_name, chars, time.time(), kind),
            )
            return int(cursor.lastrowid or 0)

    def mark_delivery(self, delivery_id: int, status: str, detail: str = "") -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE run_deliveries SET status=?, detail=?, submitted_at=? WHERE id=?",
                (status, detail, time.time() if status == "submitted" else None, delivery_id),
            )

    def deliveries(self, run_id: str, seq: int | None = None) -> list[Delivery]:
        sql = "SELECT * FROM run_deliveries WHERE run_id=?"
        args: list[Any] = [run_id]
        if seq is not None:
            sql, args = sql + " AND seq=?", [*args, seq]
        rows = self.store.connection().execute(sql + " ORDER BY id", args)
        return [Delivery(**{k: row[k] for k in Delivery.__dataclass_fields__}) for row in rows]


def list_runs(store: Store | None = None) -> list[RunRecord]:
    """Every run, oldest first."""
    return RunStore(store).all_runs()


def run_worktree(run_id: str) -> str | None:
    """The worktree a run works in (what bounds its agents' deletes), None if unknown."""
    try:
        worktree = RunStore().get(run_id).context.get("worktree")
    except AgentTuiError:
        return None
    return str(worktree) if worktree else None


def run_repo(run_id: str) -> str | None:
    """The repository a run works for here (its worktree's project), None if unknown."""
    try:
        record = RunStore().get(run_id)
    except AgentTuiError:
        return None
    repo = record.context.get("repo") or record.params.get("repo")
    return str(repo) if repo else None
