"""Filter-as-you-type over thousands of issues, narrowing from the previous result.

Matching is ``workflows.issues.search.matches``: every word of the query occurs in the
issue's search text. Here the texts are looked up once per issue list (not per keystroke),
and a query that only adds to the previous one (typing on) is matched against the
previous result instead of the whole list.
"""

from __future__ import annotations

from collections.abc import Sequence

from workflows.issues.model import Issue
from workflows.issues.search import search_text


def _words(query: str) -> list[str]:
    return query.casefold().split()


def narrows(old_words: Sequence[str], new_words: Sequence[str]) -> bool:
    """True when every issue matching ``new_words`` also matches ``old_words`` (each old
    word is inside some new word), so the new result is a subset of the old one."""
    return all(any(old in new for new in new_words) for old in old_words)


class IssueFilter:
    """The shown issues for a query, given the whole list (``reset`` when it changes)."""

    def __init__(self) -> None:
        self._all: list[tuple[Issue, str]] = []
        self._words: list[str] = []
        self._shown: list[tuple[Issue, str]] = []

    def reset(self, issues: Sequence[Issue]) -> None:
        self._all = [(issue, search_text(issue)) for issue in issues]
        self._words = []
        self._shown = self._all

    def apply(self, query: str) -> list[Issue]:
        words = _words(query)
        pool = self._shown if narrows(self._words, words) else self._all
        if len(words) == 1:  # the common case, without a generator per issue
            word = words[0]
            self._shown = [pair for pair in pool if word in pair[1]]
        elif words:
            self._shown = [pair for pair in pool if all(word in pair[1] for word in words)]
        else:
            self._shown = self._all
        self._words = words
        return [issue for issue, _ in self._shown]
