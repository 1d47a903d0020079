"""The same session model for local issues, kept in the store: offline, the app's issue
detail shows a run's activity stream exactly as Linear would, and ``agenttui session-prompt``
plays the person writing in the session (a follow-up, an answer, the stop signal)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from workflows.base.store import Store
from workflows.issues.linear_agent.backend import Prompt

DDL = """
CREATE TABLE IF NOT EXISTS local_agent_sessions (
    id TEXT PRIMARY KEY,
    issue TEXT NOT NULL,          -- identifier, e.g. PCL-101
    status TEXT NOT NULL,         -- pending | active | awaitingInput | complete | error
    plan TEXT NOT NULL DEFAULT '[]',
    external_urls TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS local_agent_activities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    type TEXT NOT NULL,           -- thought | action | elicitation | response | error | prompt
    content TEXT NOT NULL,        -- JSON, as Linear's content payload
    signal TEXT,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS local_agent_activities_session
    ON local_agent_activities(session_id, seq);
"""
STATUS_AFTER = {
    "thought": "active",
    "action": "active",
    "elicitation": "awaitingInput",
    "response": "complete",
    "error": "error",
}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds")


class LocalSessions:
    kind = "local"
    rate_limited = False  # the store: nothing to spare, the stream shows as it happens

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.store.ensure("local-agent-sessions", DDL)

    def close(self) -> None:
        pass

    def open_session(self, issue_id: str, *, taken: set[str]) -> str:
        now = time.time()
        with self.store.transaction() as conn:
            open_ones = conn.execute(
                "SELECT id FROM local_agent_sessions WHERE issue = ? AND status = 'pending'"
                " ORDER BY created_at DESC",
                (issue_id,),
            ).fetchall()
            for row in open_ones:
                if row["id"] not in taken:
                    return str(row["id"])
            session_id = f"local-{uuid.uuid4()}"
            conn.execute(
                "INSERT INTO local_agent_sessions (id, issue, status, created_at, updated_at)"
                " VALUES (?, ?, 'pending', ?, ?)",
                (session_id, issue_id, now, now),
            )
        return session_id

    def post_activity(
        self, session_id: str, activity_id: str, content: dict[str, Any], *, retried: bool
    ) -> None:
        self._add(session_id, activity_id, content, None)

    def _add(
        self, session_id: str, activity_id: str, content: dict[str, Any], signal: str | None
    ) -> None:
        now = time.time()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO local_agent_activities"
                " (id, session_id, type, content, signal, at) VALUES (?, ?, ?, ?, ?, ?)",
                (activity_id, session_id, content["type"], json.dumps(content), signal, now),
            )
            status = STATUS_AFTER.get(str(content["type"]))
            if status:
                conn.execute(
                    "UPDATE local_agent_sessions SET status = ?, updated_at = ? WHERE id = ?",
                    (status, now, session_id),
                )

    def update_session(self, session_id: str, update: dict[str, Any]) -> None:
        with self.store.transaction() as conn:
            if "plan" in update:
                conn.execute(
                    "UPDATE local_agent_sessions SET plan = ? WHERE id = ?",
                    (json.dumps(update["plan"]), session_id),
                )
            if "externalUrls" in update:
                conn.execute(
                    "UPDATE local_agent_sessions SET external_urls = ? WHERE id = ?",
                    (json.dumps(update["externalUrls"]), session_id),
                )

    def prompts(self, session_id: str, since: str) -> list[Prompt]:
        rows = self.store.connection().execute(
            "SELECT id, content, signal, at FROM local_agent_activities"
            " WHERE session_id = ? AND type = 'prompt' ORDER BY seq",
            (session_id,),
        )
        found = [
            Prompt(row["id"], iso(row["at"]), json.loads(row["content"])["body"], row["signal"])
            for row in rows
        ]
        return [prompt for prompt in found if prompt.created_at >= since]

    # -- what a person does, and what the app shows ----------------------------------------
    def delegate(self, issue_id: str) -> str:
        """A person hands the issue to agenttui (Linear's delegation, offline): a pending
        session the next run on it adopts."""
        return self.open_session(issue_id, taken=set())

    def pending_issues(self) -> set[str]:
        rows = self.store.connection().execute(
            "SELECT issue FROM local_agent_sessions WHERE status = 'pending'"
        )
        return {str(row[0]).casefold() for row in rows}

    def add_prompt(self, session_id: str, body: str, *, signal: str | None = None) -> str:
        activity_id = str(uuid.uuid4())
        self._add(session_id, activity_id, {"type": "prompt", "body": body}, signal)
        return activity_id

    def sessions_of(self, issue_id: str) -> list[dict[str, Any]]:
        """The issue's sessions, newest first, each with its plan, links and activities."""
        conn = self.store.connection()
        result = []
        for row in conn.execute(
            "SELECT * FROM local_agent_sessions WHERE issue = ? COLLATE NOCASE"
            " ORDER BY created_at DESC",
            (issue_id,),
        ):
            activities = [
                {
                    "id": act["id"],
                    "type": act["type"],
                    "content": json.loads(act["content"]),
                    "signal": act["signal"],
                    "at": act["at"],
                }
                for act in conn.execute(
                    "SELECT * FROM local_agent_activities WHERE session_id = ? ORDER BY seq",
                    (row["id"],),
                )
            ]
            result.append(
                {
                    "id": row["id"],
                    "issue": row["issue"],
                    "status": row["status"],
                    "plan": json.loads(row["plan"]),
                    "external_urls": json.loads(row["external_urls"]),
                    "activities": activities,
                }
            )
        return result
