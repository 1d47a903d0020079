"""An issue's agent-session stream as recorded in the store (what was posted to its
sessions, what people wrote there and what came of it), for the app's issue detail and
``agenttui session``; the same for Linear issues and local ones."""

from __future__ import annotations

import json
from typing import Any

from workflows.base.store import Store
from workflows.runs.agent_sessions.store import open_store


def text_of(kind: str, content: dict[str, Any]) -> str:
    if kind == "action":
        result = f" → {content['result']}" if content.get("result") else ""
        return f"{content.get('action', '')} {content.get('parameter', '')}{result}"
    return str(content.get("body") or "")


def issue_stream(
    issue: str, store: Store | None = None, *, limit: int = 200
) -> list[dict[str, Any]]:
    """The newest ``limit`` entries, oldest first: ``at``, ``run``, ``type`` (thought, action,
    elicitation, response, error, or prompt for a person's message), ``text``, ``status``
    (posted, pending, failed; for a prompt what was done about it)."""
    conn = open_store(store).connection()
    entries = [
        {
            "at": row["at"],
            "run": row["run_id"],
            "type": row["type"],
            "text": text_of(row["type"], json.loads(row["content"])),
            "status": row["status"] if row["status"] != "sending" else "pending",
        }
        for row in conn.execute(
            "SELECT run_id, type, content, status, at FROM session_posts"
            " WHERE issue = ? COLLATE NOCASE ORDER BY seq",
            (issue,),
        )
    ]
    entries += [
        {
            "at": row["at"],
            "run": row["run_id"],
            "type": "stop" if row["signal"] == "stop" else "prompt",
            "text": row["body"],
            "status": row["outcome"] or row["status"],
        }
        for row in conn.execute(
            "SELECT * FROM session_inbox WHERE issue = ? COLLATE NOCASE", (issue,)
        )
    ]
    entries.sort(key=lambda entry: entry["at"])
    return entries[-limit:]
