"""Runs follow their issues: an issue canceled, done or unassigned stops its run; back at work,
it resumes the run.

Checked by the runner before every step attempt and by the watcher's round for every run at
work or stopped (``workflows.autonomy.watcher``). What stops and what resumes is configured by
Linear's state types in ``[runs.follow]``. A stop is a cancel request carrying the reason
(``stop_for`` in the run's context): the step waiting notices it within a poll, the engine ends
the run ``stopped`` with the reason, its agents are interrupted then closed, its worktree stays,
and nothing more is posted to its issues (no state put back, no session activity).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows.base.config import table
from workflows.base.errors import AgentTuiError
from workflows.issues.model import Issue
from workflows.runs.run_store import RunRecord, RunStore

STATE_TYPES = ("triage", "backlog", "unstarted", "started", "completed", "canceled")
FOLLOW_KEYS = ("stop_on", "stop_unassigned", "resume_on")


@dataclass(frozen=True)
class FollowRules:
    stop_on: tuple[str, ...] = ("canceled", "completed")
    stop_unassigned: bool = True
    resume_on: tuple[str, ...] = ("unstarted", "started")

    @classmethod
    def from_config(cls) -> FollowRules:
        follow = table("runs", "follow")
        follow.check_known(FOLLOW_KEYS)
        defaults = cls()
        for key in ("stop_on", "resume_on"):
            for value in follow.get_str_list(key):
                if value not in STATE_TYPES:
                    raise follow.error(
                        key, f"a list of Linear state types ({', '.join(STATE_TYPES)})"
                    )
        return cls(
            stop_on=tuple(follow.get_str_list("stop_on", list(defaults.stop_on))),
            stop_unassigned=follow.get_bool("stop_unassigned", defaults.stop_unassigned),
            resume_on=tuple(follow.get_str_list("resume_on", list(defaults.resume_on))),
        )

    def why_stop(self, run: RunRecord, issues: Mapping[str, Issue]) -> str | None:
        """Why the run's issues no longer want it (None: they still do)."""
        for identifier in run.issues:
            issue = issues.get(identifier.upper())
            if issue is None:
                continue
            if issue.state_type in self.stop_on and not _set_by_run(run, issue):
                return f"{issue.identifier} was moved to {issue.state} ({issue.state_type})"
            before = assignee_at_launch(run, issue.identifier)
            if self.stop_unassigned and before and issue.assignee != before:
                now = f"assigned to {issue.assignee}" if issue.assignee else "unassigned"
                return f"{issue.identifier} is {now} (was {before})"
        return None

    def resumes(self, run: RunRecord, issues: Mapping[str, Issue]) -> bool:
        """A run stopped for its issues whose issues are all back at work (and assigned as
        they were at launch)."""
        if not run.context.get("stop_for"):
            return False
        for identifier in run.issues:
            issue = issues.get(identifier.upper())
            if issue is None or issue.state_type not in self.resume_on:
                return False
            before = assignee_at_launch(run, issue.identifier)
            if self.stop_unassigned and before and issue.assignee != before:
                return False
        return True


def assignee_at_launch(run: RunRecord, identifier: str) -> str | None:
    for issue in run.context.get("issues", []):
        if str(issue.get("identifier", "")).upper() == identifier.upper():
            return str(issue["assignee"]) if issue.get("assignee") else None
    return None


def _set_by_run(run: RunRecord, issue: Issue) -> bool:
    """The run moved the issue to this state itself (a workflow that ends with "Done")."""
    return any(
        event["kind"] == "linear"
        and event["data"].get("action") == "state"
        and str(event["data"].get("issue", "")).upper() == issue.identifier.upper()
        and str(event["data"].get("state", "")).casefold() == issue.state.casefold()
        for event in RunStore().events(run.id)
    )


def fetch(source_name: str | None, identifiers: list[str]) -> dict[str, Issue]:
    """The issues as they are now, by upper-cased identifier (an error names the issue)."""
    from workflows.issues import open_source

    source = open_source(source_name)
    try:
        found = {}
        for identifier in identifiers:
            try:
                found[identifier.upper()] = source.get_issue(identifier)
            except AgentTuiError as error:
                raise AgentTuiError(f"cannot read {identifier}: {error}") from error
        return found
    finally:
        close: Callable[[], Any] | None = getattr(source, "close", None)
        if callable(close):
            close()


def request_stop(runs: RunStore, run: RunRecord, reason: str) -> None:
    """Stop the run for its issues: a queued run ends at once; a working one is asked to stop
    (its runner ends it within a poll)."""
    runs.update_context(run.id, stop_for=reason)
    if run.status == "queued":
        runs.finish(run.id, "stopped", reason)
        return
    runs.update(run.id, cancel_requested=1)
    runs.event(run.id, "follow", f"stopping: {reason}")
