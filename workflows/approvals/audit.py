"""The approval audit log: every decision, who or what made it, when, and on what.

``decided_by`` is ``person``, ``rule:<rule>[, <rule>…]``, ``deny-list:<category>``,
``deny-list-ask:<category>`` (the deny-list could not judge it: left to a person, with the
reason) or ``default`` (no rule: the request was left to a person). Input summaries are redacted so
tokens typed into a command never reach the store.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.base.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS approval_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    agent TEXT NOT NULL,
    tool TEXT NOT NULL,
    summary TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    cwd TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_audit_at ON approval_audit(at);
"""
SUMMARY_LIMIT = 500
SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization:\s*(bearer\s+|basic\s+|token\s+)?)\S+"),
    re.compile(r"(?i)\b([\w-]*(key|token|secret|passw(or)?d)[\w-]*\s*[=:]\s*)[^\s'\"]+"),
    re.compile(r"(?i)(--?(token|password|api-key|key)[= ])\S+"),
    re.compile(
        r"()\b(lin_(api|oauth)_\w+|gh[pousr]_\w{20,}|github_pat_\w+|sk-[\w-]{16,}|"
        r"xox[abpr]-[\w-]+|AKIA[0-9A-Z]{16})"
    ),
)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    agent: str
    tool: str
    summary: str
    decision: str
    decided_by: str
    reason: str
    cwd: str


def redact(text: str) -> str:
    """Replace anything that looks like a credential with ``[redacted]``."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


def summarize(tool_name: str, tool_input: Mapping[str, Any]) -> str:
    """One redacted line describing a request: the command, the path or the URL."""
    for key in ("command", "cmd", "file_path", "notebook_path", "path", "url", "query"):
        value = tool_input.get(key)
        if isinstance(value, list):
            value = " ".join(str(item) for item in value)
        if isinstance(value, str) and value:
            break
    else:
        value = json.dumps(dict(tool_input), ensure_ascii=False, default=str, sort_keys=True)
    return redact(str(value))[:SUMMARY_LIMIT]


def record(
    store: Store,
    *,
    agent: str,
    tool: str,
    tool_input: Mapping[str, Any],
    decision: str,
    decided_by: str,
    reason: str = "",
    cwd: str = "",
) -> int:
    store.ensure("approvals", DDL)
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO approval_audit(at, agent, tool, summary, decision, decided_by, reason,"
            " cwd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                agent,
                tool,
                summarize(tool, tool_input),
                decision,
                decided_by,
                redact(reason),
                cwd,
            ),
        )
        return int(cursor.lastrowid or 0)


def entries(store: Store, *, limit: int = 100, since: float = 0.0) -> list[AuditEntry]:
    store.ensure("approvals", DDL)
    rows = store.connection().execute(
        "SELECT * FROM approval_audit WHERE at >= ? ORDER BY id DESC LIMIT ?", (since, limit)
    )
    return [AuditEntry(**dict(row)) for row in rows]


def stats(store: Store, *, bucket_seconds: int = 86400) -> list[dict[str, Any]]:
    """Per period: decisions made by rules, by the deny-list and by a person, and the share
    of final decisions that needed a person (``default`` and ``deny-list-ask`` rows are
    questions, not answers: they count as asked)."""
    store.ensure("approvals", DDL)
    rows = store.connection().execute(
        "SELECT CAST(at / ? AS INTEGER) * ? AS period,"
        " SUM(decided_by LIKE 'rule:%') AS by_rule,"
        " SUM(decided_by LIKE 'deny-list:%') AS by_deny_list,"
        " SUM(decided_by = 'person') AS by_person,"
        " SUM(decided_by = 'default' OR decided_by LIKE 'deny-list-ask:%') AS asked"
        " FROM approval_audit GROUP BY period ORDER BY period",
        (bucket_seconds, bucket_seconds),
    )
    result = []
    for row in rows:
        decided = row["by_rule"] + row["by_deny_list"] + row["by_person"]
        result.append(
            {
                "period_start": time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["period"])),
                "by_rule": row["by_rule"],
                "by_deny_list": row["by_deny_list"],
                "by_person": row["by_person"],
                "asked": row["asked"],
                "person_share": round(row["by_person"] / decided, 3) if decided else None,
            }
        )
    return result
