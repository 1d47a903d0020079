"""What the store keeps of a run's agent sessions: which session each issue reports to,
every activity due or posted (with the UUID it is posted under), and every prompt seen.

``session_outbox`` holds one row per source (a run event, a tool the agent ran, an approval)
so a translation made twice (a resumed runner reads the events again) is kept once.
``session_posts`` holds one row per activity and session, created with its UUID before it is
sent: a runner killed mid-request finds it and asks Linear whether that id arrived before
sending it again. ``session_inbox`` is keyed by Linear's activity id: a prompt is acted on
once, whoever polls (the runner, the watcher).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from workflows.base.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS run_sessions (
    run_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    backend TEXT NOT NULL,            -- linear | local
    session_id TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT '',    -- the plan and URL last sent (JSON), to send changes only
    prompts_since TEXT NOT NULL,      -- prompts created since this time are looked at
    opened_at REAL NOT NULL,
    PRIMARY KEY (run_id, issue)
);
CREATE TABLE IF NOT EXISTS session_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,             -- ev:<run event id> | tool:<agent event id> | appr:<id>
    type TEXT NOT NULL,               -- thought | action | elicitation | response | error
    content TEXT NOT NULL,            -- JSON content payload
    queued INTEGER NOT NULL DEFAULT 0,  -- 1 once turned into session_posts
    at REAL NOT NULL,
    UNIQUE (run_id, source)
);
CREATE TABLE IF NOT EXISTS session_posts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id TEXT NOT NULL UNIQUE, -- the UUID it is posted under
    run_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    session_id TEXT NOT NULL,
    type TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',  -- pending | sending | posted | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    posted_at REAL
);
CREATE INDEX IF NOT EXISTS session_posts_run ON session_posts(run_id, status, seq);
CREATE TABLE IF NOT EXISTS session_inbox (
    activity_id TEXT PRIMARY KEY,     -- the prompt's id in Linear (or the local store)
    run_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    body TEXT NOT NULL,
    signal TEXT,
    status TEXT NOT NULL,             -- handling | done | failed
    outcome TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class RunSession:
    run_id: str
    issue: str
    backend: str
    session_id: str
    plan: str
    prompts_since: str
    opened_at: float


@dataclass(frozen=True)
class Post:
    seq: int
    activity_id: str
    run_id: str
    issue: str
    session_id: str
    type: str
    content: dict[str, Any]
    status: str
    attempts: int
    error: str


def open_store(store: Store | None = None) -> Store:
    store = store or Store()
    store.ensure("run-sessions", DDL)
    return store


def sessions_of(store: Store, run_id: str | None = None) -> list[RunSession]:
    sql, args = "SELECT * FROM run_sessions", []
    if run_id is not None:
        sql, args = sql + " WHERE run_id = ?", [run_id]
    rows = store.connection().execute(sql + " ORDER BY opened_at", args)
    return [RunSession(**dict(row)) for row in rows]


def add_session(store: Store, session: RunSession) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO run_sessions (run_id, issue, backend, session_id, plan,"
            " prompts_since, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session.run_id,
                session.issue,
                session.backend,
                session.session_id,
                session.plan,
                session.prompts_since,
                session.opened_at,
            ),
        )


def set_session(store: Store, run_id: str, issue: str, **values: str) -> None:
    names = ", ".join(f"{name} = ?" for name in values)
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE run_sessions SET {names} WHERE run_id = ? AND issue = ?",
            (*values.values(), run_id, issue),
        )


def session_ids_in_use(store: Store) -> set[str]:
    return {
        str(row[0]) for row in store.connection().execute("SELECT session_id FROM run_sessions")
    }


def posts(store: Store, run_id: str, *, status: tuple[str, ...] = ()) -> list[Post]:
    sql, args = "SELECT * FROM session_posts WHERE run_id = ?", [run_id]
    if status:
        sql += f" AND status IN ({', '.join('?' * len(status))})"
        args += list(status)
    rows = store.connection().execute(sql + " ORDER BY seq", args)
    return [
        Post(
            row["seq"],
            row["activity_id"],
            row["run_id"],
            row["issue"],
            row["session_id"],
            row["type"],
            json.loads(row["content"]),
            row["status"],
            row["attempts"],
            row["error"],
        )
        for row in rows
    ]


def mark_post(
    store: Store, activity_id: str, status: str, *, error: str = "", tried: int = 0
) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE session_posts SET status = ?, error = ?, attempts = attempts + ?,"
            " posted_at = CASE WHEN ? = 'posted' THEN ? ELSE posted_at END WHERE activity_id = ?",
            (status, error, tried, status, time.time(), activity_id),
        )
