"""Filtering issues in memory: the local source's filters and the TUI's per-keystroke search.

``matches(issue, query)`` must stay cheap (the triage screen runs it over thousands of issues
per keystroke), so each issue's lower-cased search text is computed once and cached.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from workflows.base.errors import UsageError
from workflows.issues.model import Issue, IssueFilters

_SEARCH_TEXT: dict[int, tuple[Issue, str]] = {}
DURATION = re.compile(r"^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def search_text(issue: Issue) -> str:
    """Lower-cased identifier, title, labels, project, state, assignee (not the description:
    too long for per-keystroke matching). Cached per issue object."""
    cached = _SEARCH_TEXT.get(id(issue))
    if cached is not None and cached[0] is issue:
        return cached[1]
    parts = [
        issue.identifier,
        issue.title,
        issue.state,
        issue.project or "",
        issue.assignee or "",
        *issue.labels,
    ]
    text = " ".join(parts).casefold()
    if len(_SEARCH_TEXT) > 50_000:
        _SEARCH_TEXT.clear()
    _SEARCH_TEXT[id(issue)] = (issue, text)
    return text


def matches(issue: Issue, query: str) -> bool:
    """True when every whitespace-separated word of ``query`` occurs in the issue."""
    text = search_text(issue)
    return all(word in text for word in query.casefold().split())


def parse_time(value: str) -> datetime:
    """An ISO 8601 time, or a duration relative to now like "-PT1H" or "-P2D"."""
    value = value.strip()
    match = DURATION.match(value)
    if match and value.lstrip("-") != "P":
        sign = -1 if match.group(1) else 1
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
        delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        return datetime.now(UTC) + sign * delta
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"not a time or duration: {value!r} (try 2026-11-01T00:00Z or -PT1H)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def matches_filters(
    issue: Issue, filters: IssueFilters, since: datetime | None = None, me: str = "me"
) -> bool:
    """The local equivalent of Linear's IssueFilter built from ``filters``; ``me`` is the
    assignee name that counts as the current user."""
    if filters.team and (issue.team or "").casefold() != filters.team.casefold():
        return False
    if filters.assignee_me and (issue.assignee or "").casefold() != me.casefold():
        return False
    if filters.state_types and issue.state_type not in filters.state_types:
        return False
    if filters.labels and not set(filters.labels) & set(issue.labels):
        return False
    if filters.project and (issue.project or "").casefold() != filters.project.casefold():
        return False
    if since is not None and (not issue.updated_at or parse_time(issue.updated_at) <= since):
        return False
    if filters.text:
        needle = filters.text.casefold()
        if needle not in issue.title.casefold() and needle not in issue.description.casefold():
            return False
    return True


def filter_issues(issues: list[Issue], filters: IssueFilters | None, me: str = "me") -> list[Issue]:
    if filters is None:
        return list(issues)
    since = parse_time(filters.updated_since) if filters.updated_since else None
    selected = [issue for issue in issues if matches_filters(issue, filters, since, me)]
    return selected[: filters.limit] if filters.limit is not None else selected
