"""QA's verdict, read where QA people already work: the issues of the run.

A verdict is an issue moved to the configured pass or fail state, a pass or fail label added
to it, or a comment that starts with the pass or fail word ("QA fail: the login button is
gone") — each only when it happened after the deploy: the issue's state and labels when the
wait began are its baseline, so a fail label left from the last round is not read again.
The comment's text is QA's, untrusted: it is carried verbatim and
only ever reaches an agent as a prompt (made inert on delivery), never a shell or tmux.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from workflows.issues.model import Issue
from workflows.runs.slots.config import SlotConfig


@dataclass(frozen=True)
class Verdict:
    passed: bool
    issue: str
    how: str  # "state In Review → QA Failed", "label qa-fail", "comment"
    text: str  # what QA wrote (a comment's whole body), or what happened


def _when(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _starts_with(body: str, word: str) -> bool:
    return bool(word) and body.lstrip().casefold().startswith(word.casefold())


@dataclass(frozen=True)
class Baseline:
    """An issue as it was when the wait for a verdict began."""

    state: str
    labels: tuple[str, ...]
    since: float

    @classmethod
    def of(cls, issue: Issue, since: float) -> Baseline:
        return cls(issue.state, tuple(issue.labels), since)


def verdict_of(issue: Issue, slot: SlotConfig, baseline: Baseline) -> Verdict | None:
    """The verdict this issue carries, if any (a fail wins over a pass on one issue)."""
    found: list[Verdict] = []
    state, since = issue.state.casefold(), baseline.since
    moved = state != baseline.state.casefold()
    for passed, wanted in ((False, slot.fail_state), (True, slot.pass_state)):
        if moved and wanted and state == wanted.casefold():
            found.append(
                Verdict(passed, issue.identifier, f"state {issue.state}", f"moved to {issue.state}")
            )
    labels = {label.casefold() for label in issue.labels} - {
        label.casefold() for label in baseline.labels
    }
    for passed, wanted in ((False, slot.fail_label), (True, slot.pass_label)):
        if wanted and wanted.casefold() in labels:
            found.append(Verdict(passed, issue.identifier, f"label {wanted}", f"labelled {wanted}"))
    for comment in issue.comments:
        written = _when(comment.created_at)
        if written is None or written < since:
            continue
        for passed, word in ((False, slot.fail_word), (True, slot.pass_word)):
            if _starts_with(comment.body, word):
                by = f" by {comment.author}" if comment.author else ""
                found.append(Verdict(passed, issue.identifier, f"comment{by}", comment.body))
                break
    failed = [verdict for verdict in found if not verdict.passed]
    chosen = failed or found
    return chosen[0] if chosen else None


def run_verdict(
    issues: list[Issue], slot: SlotConfig, baselines: dict[str, Baseline]
) -> Verdict | None:
    """The run's verdict: a fail on any of its issues fails it, else a pass on any passes
    it (one deploy holds the whole group: QA answers once, on any of its issues)."""
    verdicts = [
        verdict
        for issue in issues
        if issue.identifier in baselines
        and (verdict := verdict_of(issue, slot, baselines[issue.identifier])) is not None
    ]
    failed = [verdict for verdict in verdicts if not verdict.passed]
    chosen = failed or verdicts
    return chosen[0] if chosen else None
