"""The Linear step against the local Linear server: every issue, once, even across a crash."""

from __future__ import annotations

from pathlib import Path

from tests.support.linear_server import LinearServer
from workflows.base.target import TmuxTarget
from workflows.definitions.model import Step, Workflow
from workflows.runs.run_store import RunStore
from workflows.runs.steps.base import StepContext
from workflows.runs.steps.linear import post_to_issues, run_linear


def context(tmp_path: Path, step: Step, issues: list[str]) -> StepContext:
    runs = RunStore()
    run = runs.create("w", {"steps": []}, issues, {"source": "linear"})
    return StepContext(
        run=run,
        runs=runs,
        workflow=Workflow(name="w", path="w.toml"),
        step=step,
        seq=7,
        round=1,
        role="step",
        values={"pr_url": "http://127.0.0.1:1/pr/1", "group": "G"},
        worktree=tmp_path,
        target=TmuxTarget(None, "agenttui"),
    )


def test_comment_link_and_state_on_every_issue_once(
    tmp_path: Path, linear_server: LinearServer
) -> None:
    step = Step(
        id="report",
        kind="linear",
        comment="PR: {pr_url}",
        link="{pr_url}",
        link_title="{group}",
        state="In Review",
    )
    ctx = context(tmp_path, step, ["ENG-1", "ENG-2"])
    assert run_linear(ctx).outputs == {"actions": 6}
    assert run_linear(ctx).outputs == {"actions": 0}  # a resumed step does nothing twice
    workspace = linear_server.workspace
    for key in ("ENG-1", "ENG-2"):
        assert workspace.comments_on(key) == ["PR: http://127.0.0.1:1/pr/1"]
        assert [(a["url"], a["title"]) for a in workspace.attachments_on(key)] == [
            ("http://127.0.0.1:1/pr/1", "G")
        ]
        assert workspace.issue_state(key) == "In Review"


def test_a_comment_posted_just_before_a_crash_is_not_posted_again(
    tmp_path: Path, linear_server: LinearServer
) -> None:
    step = Step(id="report", kind="linear", comment="x")
    ctx = context(tmp_path, step, ["ENG-1"])
    post_to_issues(ctx, comment="PR is up")
    # As if the runner died after Linear took the comment but before the store noted it.
    with ctx.runs.store.transaction() as conn:
        conn.execute("DELETE FROM run_events WHERE kind='linear' AND run_id=?", (ctx.run.id,))
    assert post_to_issues(ctx, comment="PR is up") == 0
    assert linear_server.workspace.comments_on("ENG-1") == ["PR is up"]
    # Without an announcement of it, a comment is simply posted.
    other = context(tmp_path, step, ["ENG-1"])
    assert post_to_issues(other, comment="second run") == 1
    assert linear_server.workspace.comments_on("ENG-1") == ["PR is up", "second run"]


def test_a_state_the_team_lacks_is_a_warning_not_a_failure(
    tmp_path: Path, linear_server: LinearServer
) -> None:
    step = Step(id="report", kind="linear", comment="PR", state="Shipped To Mars")
    ctx = context(tmp_path, step, ["ENG-1"])
    assert run_linear(ctx).outputs == {"actions": 1}
    assert linear_server.workspace.comments_on("ENG-1") == ["PR"]
    (warning,) = [e for e in ctx.runs.events(ctx.run.id) if e["kind"] == "warning"]
    assert "could not move ENG-1" in warning["message"]
    assert "no state 'Shipped To Mars'" in warning["message"]
