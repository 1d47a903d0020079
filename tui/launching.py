"""What launching runs on issues would run into: the runs already made for them."""

from __future__ import annotations

from workflows.runs.records import RunSummary

BUSY = ("queued", "pending", "running")


def runs_by_issue(runs: list[RunSummary]) -> dict[str, list[RunSummary]]:
    """Issue id → the runs (summaries) made for it, newest first."""
    by_issue: dict[str, list[RunSummary]] = {}
    for run in sorted(runs, key=lambda run: -float(run.created_at)):
        for issue in run.issues or []:
            by_issue.setdefault(issue, []).append(run)
    return by_issue


def launch_warnings(by_issue: dict[str, list[RunSummary]], issue_ids: list[str]) -> list[str]:
    """A run still working on one of the issues, or a pull request a run already opened for
    it (a new run reuses its branch, worktree and that PR)."""
    warnings = []
    for issue in issue_ids:
        for run in by_issue.get(issue, []):
            what = f"{issue}: run {run.id} ({run.workflow})"
            if run.status in BUSY:
                warnings.append(f"{what} is still {run.status} on it")
            elif run.pr_url:
                warnings.append(
                    f"{what} opened {run.pr_url}: a new run reuses its branch, worktree "
                    "and pull request"
                )
    return warnings
