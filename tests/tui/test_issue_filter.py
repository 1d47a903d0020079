"""The incremental issue filter gives exactly what ``search.matches`` gives over the whole
list, for every step of typing, deleting and editing a query."""

from __future__ import annotations

import random

from tui.issue_filter import IssueFilter, narrows
from workflows.issues.model import Issue
from workflows.issues.search import matches

WORDS = ["kalo", "bug", "export", "Safari", "todo", "select", "raven", "quill", "ab", "ba"]


def sample_issues(count: int) -> list[Issue]:
    pick = random.Random(7)
    return [
        Issue(
            id=str(n),
            identifier=f"BEN-{n}",
            title=" ".join(pick.sample(WORDS, 3)),
            state=pick.choice(["Todo", "In Progress", "Done"]),
            labels=pick.sample(["bug", "ux", "perf"], pick.randint(0, 2)),
            project=pick.choice([None, "project 1", "project 2"]),
        )
        for n in range(count)
    ]


def test_every_keystroke_matches_a_full_search() -> None:
    issues = sample_issues(400)
    issue_filter = IssueFilter()
    issue_filter.reset(issues)
    typed = ["bug ex", "bug export", "export", "ab", "ba ab", "ab ba", "BEN-1", "proj 2 todo"]
    queries = []
    for text in typed:  # type it, then delete it, a key at a time
        queries += [text[:n] for n in range(1, len(text) + 1)]
        queries += [text[:n] for n in range(len(text) - 1, -1, -1)]
    queries += ["bug", "bugs", "bug", "bug  ex ", "bug"]  # edits that widen, then narrow
    for query in queries:
        expected = [issue for issue in issues if matches(issue, query)] if query else issues
        assert issue_filter.apply(query) == expected, query


def test_narrows() -> None:
    assert narrows(["bug"], ["bugs"]) and narrows(["bug", "ex"], ["exa", "bug"])
    assert narrows([], ["x"]) and not narrows(["bug"], [])
    assert not narrows(["bugs"], ["bug"]) and not narrows(["bug", "ex"], ["bug"])
