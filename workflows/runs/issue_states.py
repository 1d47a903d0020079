"""The states a run moved its issues to, put back when it is cancelled (unless someone
moved an issue again since)."""

from __future__ import annotations

from workflows.base.errors import AgentTuiError
from workflows.issues.model import IssueSource
from workflows.runs.run_store import RunStore


def current_state(source: IssueSource, issue: str) -> str | None:
    try:
        return source.get_issue(issue).state
    except AgentTuiError:
        return None


def restore_states(runs: RunStore, run_id: str) -> list[str]:
    """Put back the states a run moved its issues to (a cancelled run leaves nothing "In
    Progress"), unless someone moved an issue again since; each one is recorded."""
    from workflows.issues import open_source

    run = runs.get(run_id)
    moved: dict[str, tuple[str, str]] = {}  # issue → (state before the run, state it set)
    for event in runs.events(run.id):
        data = event["data"]
        if event["kind"] == "linear" and data.get("action") == "state" and data.get("previous"):
            first = moved.get(str(data["issue"]), (str(data["previous"]), ""))[0]
            moved[str(data["issue"])] = (first, str(data["state"]))
    if not moved:
        return []
    source, restored = open_source(run.params.get("source")), []
    for issue, (before, set_to) in moved.items():
        if before.casefold() == set_to.casefold():
            continue  # the run did not change it
        now = current_state(source, issue)
        if now is None or now.casefold() != set_to.casefold():
            runs.event(run.id, "linear", f"{issue} stays {now}: moved since the run set it")
            continue
        try:
            source.set_state(issue, before)
        except AgentTuiError as error:
            runs.event(run.id, "warning", f"could not move {issue} back to {before}: {error}")
            continue
        runs.event(run.id, "linear", f"state on {issue}: back to {before} (run cancelled)")
        restored.append(issue)
    return restored
