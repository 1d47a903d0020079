"""The issue list cache in the store: the triage screen shows the last list instantly on
start, then refreshes in a background worker.

Usage from the TUI::

    cache = IssueCache()
    issues = cache.load(cache_key(source))      # instant, possibly stale
    issues = cache.refresh(source)               # in a thread worker; stores and returns
"""

from __future__ import annotations

import json
import time

from workflows.base.store import Store
from workflows.issues.model import Issue, IssueFilters, IssueSource

CACHE_DDL = """
CREATE TABLE IF NOT EXISTS issue_cache (
    source TEXT NOT NULL,          -- cache key of the source, e.g. linear:<url>, local:<folder>
    identifier TEXT NOT NULL,
    position INTEGER NOT NULL,     -- order of the last listing
    updated_at TEXT NOT NULL,
    detailed INTEGER NOT NULL,
    data TEXT NOT NULL,            -- Issue as JSON
    PRIMARY KEY (source, identifier)
);
CREATE TABLE IF NOT EXISTS issue_cache_meta (
    source TEXT PRIMARY KEY,
    refreshed_at REAL NOT NULL,
    count INTEGER NOT NULL
);
"""


def cache_key(source: IssueSource) -> str:
    """Which cache a source fills: per Linear endpoint, per local folder."""
    return str(getattr(source, "cache_key", source.name))


class IssueCache:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.store.ensure("issues-cache", CACHE_DDL)

    def load(self, source: str) -> list[Issue]:
        """The cached list of ``source`` in its last order (empty if never fetched)."""
        rows = (
            self.store.connection()
            .execute("SELECT data FROM issue_cache WHERE source = ? ORDER BY position", (source,))
            .fetchall()
        )
        return [Issue.from_dict(json.loads(row["data"])) for row in rows]

    def refreshed_at(self, source: str) -> float | None:
        row = (
            self.store.connection()
            .execute("SELECT refreshed_at FROM issue_cache_meta WHERE source = ?", (source,))
            .fetchone()
        )
        return float(row["refreshed_at"]) if row else None

    def refresh(self, source: IssueSource, filters: IssueFilters | None = None) -> list[Issue]:
        """Fetch from the source, store, and return what the source listed for ``filters``
        (never the rest of the cache). An unfiltered listing replaces the cache; a filtered
        one (``--label``, ``updated_since``…) is merged into it."""
        issues = source.list_issues(filters)
        unfiltered = filters is None or filters == IssueFilters()
        self.save(cache_key(source), issues, replace=unfiltered)
        return issues

    def save(self, source: str, issues: list[Issue], *, replace: bool = True) -> None:
        """Store ``issues``; a cached detailed issue is kept over a slim one that has not
        changed since (same updated_at), so details survive list refreshes."""
        with self.store.transaction() as conn:
            kept = {
                row["identifier"]: row
                for row in conn.execute(
                    "SELECT identifier, updated_at, detailed, data, position FROM issue_cache "
                    "WHERE source = ?",
                    (source,),
                )
            }
            if replace:
                conn.execute("DELETE FROM issue_cache WHERE source = ?", (source,))
                start = 0
            else:
                # new and changed issues go first (they are the newest); unchanged ones
                # keep their place, so a filtered listing does not reorder the cache
                lowest = min((row["position"] for row in kept.values()), default=0)
                start = lowest - len(issues)
            for offset, issue in enumerate(issues):
                old = kept.get(issue.identifier)
                position = start + offset
                if not replace and old is not None and old["updated_at"] == issue.updated_at:
                    position = old["position"]
                data = json.dumps(issue.to_dict())
                detailed = issue.detailed
                if old is not None and old["detailed"] and not issue.detailed:  # noqa: SIM102
                    if old["updated_at"] == issue.updated_at:  # unchanged since: keep details
                        data, detailed = old["data"], True
                conn.execute(
                    "INSERT OR REPLACE INTO issue_cache "
                    "(source, identifier, position, updated_at, detailed, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (source, issue.identifier, position, issue.updated_at, detailed, data),
                )
            count = conn.execute(
                "SELECT COUNT(*) FROM issue_cache WHERE source = ?", (source,)
            ).fetchone()[0]
            conn.execute(
                "INSERT OR REPLACE INTO issue_cache_meta (source, refreshed_at, count) "
                "VALUES (?, ?, ?)",
                (source, time.time(), count),
            )

    def with_details(self, source: IssueSource, issues: list[Issue]) -> list[Issue]:
        """``issues`` with full details (description, children, both relation directions),
        fetching only the ones not detailed yet and keeping them in the cache. Use it on a
        selection before grouping it or starting a run, never on a whole list."""
        key = cache_key(source)
        result = []
        for listed in issues:
            issue = listed
            if not listed.detailed:
                issue = source.get_issue(listed.identifier)
                self.store_detail(key, issue)
            result.append(issue)
        return result

    def store_detail(self, source: str, issue: Issue) -> None:
        """Keep a detailed issue (from get_issue) in place in the cached list."""
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT position FROM issue_cache WHERE source = ? AND identifier = ?",
                (source, issue.identifier),
            ).fetchone()
            position = row["position"] if row else 1_000_000
            conn.execute(
                "INSERT OR REPLACE INTO issue_cache "
                "(source, identifier, position, updated_at, detailed, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    source,
                    issue.identifier,
                    position,
                    issue.updated_at,
                    issue.detailed,
                    json.dumps(issue.to_dict()),
                ),
            )
