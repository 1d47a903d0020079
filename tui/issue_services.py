"""The issues part of the app's door to the core (``tui.services.Services``): the issue
source, its cache, one issue in full, suggested groups."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows.issues.model import Issue

DETAIL_FRESH_S = 60.0


class IssueServices:
    """Mixed into ``Services``, whose dataclass fields these are."""

    _source: Any
    _details: dict[str, tuple[float, Issue]]

    def _issue_source(self) -> Any:
        if self._source is None:
            from workflows.issues import open_source

            self._source = open_source()
        return self._source

    def skipped_issue_files(self) -> list[str]:
        """Issue files the local source skipped at its last read (``path:line: why``)."""
        return list(getattr(self._issue_source(), "problems", []))

    def cached_issues(self) -> list[Issue]:
        """The last list seen, at once (empty before the first refresh)."""
        from workflows.issues.cache import IssueCache, cache_key

        return IssueCache().load(cache_key(self._issue_source()))

    def refresh_issues(self) -> list[Issue]:
        from workflows.issues.cache import IssueCache

        return IssueCache().refresh(self._issue_source())

    def issue_view(self, listed: Issue) -> Any:
        """The issue in full and the runs made for it. Fetched again once the copy is a
        minute old (comments change), never more: moving through the list costs Linear at
        most one request per issue per minute."""
        from widgets.issue_detail import IssueView
        from workflows.issues.cache import IssueCache, cache_key
        from workflows.runs.run_store import list_runs

        source = self._issue_source()
        issue, error = listed, ""
        fetched = self._details.get(listed.identifier)
        if fetched is not None and _still_current(fetched, listed):
            issue = fetched[1]
        else:
            try:
                issue = source.get_issue(listed.identifier)
                self._details[listed.identifier] = (time.monotonic(), issue)
                IssueCache().store_detail(cache_key(source), issue)
            except Exception as failure:
                error = f"showing the list's copy; the full issue could not be read: {failure}"
        from workflows.runs.agent_sessions.stream import issue_stream

        runs = [record.summary() for record in list_runs() if listed.identifier in record.issues]
        return IssueView(issue, runs, error, session=issue_stream(listed.identifier))

    def poll_issues(self) -> list[Issue]:
        """The issues as they are now, cheaply: the local source is read again (its state
        changes live in the store); Linear is asked only for the issues updated since the
        last listing (with a minute's overlap), merged into the cached list."""
        from datetime import UTC, datetime

        from workflows.issues.cache import IssueCache, cache_key
        from workflows.issues.model import IssueFilters

        source, cache = self._issue_source(), IssueCache()
        key = cache_key(source)
        last = cache.refreshed_at(key)
        if source.name != "linear" or last is None:
            return cache.refresh(source)
        since = datetime.fromtimestamp(last - 60, UTC).isoformat(timespec="seconds")
        cache.refresh(source, IssueFilters(updated_since=since))
        return cache.load(key)

    def suggest_groups(self, issues: list[Issue]) -> list[tuple[list[str], list[str]]]:
        from workflows.issues.grouping import suggest_groups

        groups = suggest_groups(issues, singletons=False)
        return [(list(group.issues), list(group.reasons)) for group in groups]


def _still_current(fetched: tuple[float, Issue], listed: Issue) -> bool:
    """A full copy fetched under a minute ago, unless the list already has a newer one (a
    run moved the issue since: the detail beside the list never contradicts it)."""
    when, issue = fetched
    return (
        time.monotonic() - when < DETAIL_FRESH_S
        and issue.state == listed.state
        and issue.updated_at >= listed.updated_at
    )
