"""The watcher's part in runs following their issues (``workflows.runs.follow``): each round
stops the runs at work whose issues no longer want them and resumes the runs stopped so once
their issues are back at work; each decision goes to the watcher's log."""

from __future__ import annotations

from collections.abc import Callable

from workflows.base.errors import AgentTuiError
from workflows.base.store import Store
from workflows.base.target import TmuxTarget
from workflows.runs.follow import FollowRules, fetch, request_stop
from workflows.runs.run_store import ACTIVE, RunStore
from workflows.runs.runner import resume_run

Decide = Callable[[list[str], str, str, str], None]
"""(issues, action, reason, run id) → recorded as one of the round's decisions."""


def follow_runs(store: Store, target: TmuxTarget, *, dry_run: bool, decide: Decide) -> None:
    rules = FollowRules.from_config()
    runs = RunStore(store)
    for record in runs.all_runs():
        status = record.summary().status
        stopped = status == "stopped" and bool(record.context.get("stop_for"))
        if status not in ACTIVE and not stopped:
            continue
        try:
            issues = fetch(record.params.get("source"), record.issues)
        except AgentTuiError as error:
            decide(record.issues, "unchecked", f"run {record.id}: {error}", record.id)
            continue
        if stopped and rules.resumes(record, issues):
            why = f"run {record.id} resumed: its issues are back at work"
            if dry_run:
                decide(record.issues, "would-resume", why, record.id)
                continue
            try:
                resume_run(record.id, target=target)
            except AgentTuiError as error:
                decide(record.issues, "failed", f"run {record.id} not resumed: {error}", record.id)
                continue
            decide(record.issues, "resumed", why, record.id)
        elif not stopped and (reason := rules.why_stop(record, issues)):
            if not dry_run:
                request_stop(runs, record, reason)
            action = "would-stop" if dry_run else "stopped"
            decide(record.issues, action, f"run {record.id}: {reason}", record.id)
