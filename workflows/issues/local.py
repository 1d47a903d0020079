"""The local issue source: a folder of issue files, the offline default when no Linear key
is configured (the shipped sample in workflows/issues/sample/ unless ``[local] path``).

Issue files are the user's own (or package data), so write-back never edits them: comments,
state changes and links are recorded in the store and laid over the files when read.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from workflows.base.config import table
from workflows.base.errors import UsageError
from workflows.base.store import Store
from workflows.issues.local_files import STATE_TYPES, load_folder
from workflows.issues.model import Comment, Issue, IssueFilters
from workflows.issues.search import filter_issues

SAMPLE_FOLDER = Path(__file__).parent / "sample"
LOCAL_DDL = """
CREATE TABLE IF NOT EXISTS local_issue_updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    folder TEXT NOT NULL,
    issue TEXT NOT NULL,
    kind TEXT NOT NULL,          -- comment | state | link
    payload TEXT NOT NULL,       -- JSON
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS local_issue_updates_folder ON local_issue_updates(folder, issue);
"""


def configured_folder() -> Path:
    return table("local").get_path("path") or SAMPLE_FOLDER


class LocalSource:
    """IssueSource over a folder of TOML / Markdown issue files."""

    name = "local"

    def __init__(
        self, folder: Path | None = None, *, store: Store | None = None, me: str | None = None
    ) -> None:
        self.folder = (folder or configured_folder()).resolve()
        self.store = store or Store()
        self.cache_key = f"local:{self.folder}"
        self.me = me or table("local").get_str("me") or "me"
        self.problems: list[str] = []
        """Files skipped by the last read, each as ``path:line: why``."""
        self.store.ensure("issues-local", LOCAL_DDL)

    def __repr__(self) -> str:
        return f"LocalSource({str(self.folder)!r})"

    def _all(self) -> list[Issue]:
        self.problems = []
        issues = load_folder(self.folder, self.problems)
        by_id = {issue.identifier: issue for issue in issues}
        rows = (
            self.store.connection()
            .execute(
                "SELECT issue, kind, payload, at FROM local_issue_updates WHERE folder = ? "
                "ORDER BY seq",
                (str(self.folder),),
            )
            .fetchall()
        )
        for row in rows:
            issue = by_id.get(row["issue"])
            if issue is None:
                continue
            payload = json.loads(row["payload"])
            stamp = datetime.fromtimestamp(row["at"], UTC).isoformat()
            if row["kind"] == "comment":
                issue.comments.append(Comment(payload["body"], self.me, stamp))
            elif row["kind"] == "state":
                issue.state = payload["state"]
                issue.state_type = STATE_TYPES.get(issue.state.casefold(), issue.state_type)
            elif row["kind"] == "link":
                issue.comments.append(
                    Comment(f"Linked: {payload['title']} {payload['url']}", self.me, stamp)
                )
            issue.updated_at = max(issue.updated_at, stamp)
        return issues

    def list_issues(self, filters: IssueFilters | None = None) -> list[Issue]:
        issues = self._all()
        issues.sort(key=lambda issue: issue.updated_at, reverse=True)
        if filters is not None and filters.delegated:
            from workflows.issues.linear_agent.local_backend import LocalSessions

            handed = LocalSessions(self.store).pending_issues()
            issues = [issue for issue in issues if issue.identifier.casefold() in handed]
        return filter_issues(issues, filters, self.me)

    def get_issue(self, issue_id: str) -> Issue:
        for issue in self._all():
            if issue.identifier.casefold() == issue_id.casefold():
                return issue
        raise UsageError(f"no issue {issue_id} in {self.folder}{self._skipped()}")

    def get_issues(self, issue_ids: list[str]) -> list[Issue]:
        wanted = {issue_id.casefold() for issue_id in issue_ids}
        found = [i for i in self._all() if i.identifier.casefold() in wanted]
        if len(found) != len(wanted):
            missing = wanted - {i.identifier.casefold() for i in found}
            raise UsageError(
                f"no issue {', '.join(sorted(missing)).upper()} in {self.folder}{self._skipped()}"
            )
        return found

    def _skipped(self) -> str:
        """The files the last read skipped, for a "no issue" message: the one asked for may
        be among them."""
        if not self.problems:
            return ""
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        return "; files skipped: " + "; ".join(self.problems[:3]) + more

    def _record(self, issue_id: str, kind: str, payload: dict[str, str]) -> None:
        issue = self.get_issue(issue_id)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO local_issue_updates (folder, issue, kind, payload, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(self.folder), issue.identifier, kind, json.dumps(payload), time.time()),
            )

    def comment(self, issue_id: str, body: str) -> None:
        self._record(issue_id, "comment", {"body": body})

    def set_state(self, issue_id: str, state_name: str) -> None:
        if state_name.casefold() not in STATE_TYPES:
            known = "Backlog, Todo, In Progress, In Review, Done, Canceled"
            raise UsageError(f"unknown state {state_name!r} (states: {known})")
        self._record(issue_id, "state", {"state": state_name})

    def link_url(self, issue_id: str, url: str, title: str | None = None) -> None:
        self._record(issue_id, "link", {"url": url, "title": title or url})
