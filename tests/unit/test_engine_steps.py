"""Pure parts of the step kinds: verdict lines, remedy prompts, issue text."""

from __future__ import annotations

from pathlib import Path

from workflows.base.target import TmuxTarget
from workflows.definitions.model import Step, Workflow
from workflows.runs.run_store import RunStore
from workflows.runs.steps.agent import build_prompt, verdict_holds
from workflows.runs.steps.base import StepContext
from workflows.runs.steps.setup import group_title, issues_text, lead_issue


def test_verdict_needs_a_line_that_says_it() -> None:
    assert verdict_holds("Findings…\nVERDICT: PASS\n", "VERDICT: PASS")
    assert verdict_holds("**VERDICT: PASS**", "VERDICT: PASS")
    assert verdict_holds("  - VERDICT: PASS  ", "VERDICT: PASS")
    assert not verdict_holds("Write VERDICT: PASS or VERDICT: FAIL", "VERDICT: PASS")
    assert not verdict_holds("VERDICT: FAIL\n", "VERDICT: PASS")


def context(tmp_path: Path, step: Step, role: str, values: dict[str, str]) -> StepContext:
    runs = RunStore()
    run = runs.create("w", {"steps": []}, ["ENG-1"], {})
    return StepContext(
        run=run,
        runs=runs,
        workflow=Workflow(name="w", path="w.toml"),
        step=step,
        seq=0,
        round=1,
        role=role,
        values=values,
        worktree=tmp_path,
        target=TmuxTarget(None, "agenttui"),
    )


def test_prompts_name_the_absolute_output_file_and_remedies_carry_the_failure(
    tmp_path: Path,
) -> None:
    step = Step(id="implement", kind="agent", prompt="Do {issue_ids}.", output="notes/i.md")
    first = build_prompt(context(tmp_path, step, "step", {"issue_ids": "ENG-1"}))
    assert first == f"Do ENG-1.\n\nWrite your answer to the file: {tmp_path}/notes/i.md\n"
    remedy = build_prompt(
        context(tmp_path, step, "remedy", {"issue_ids": "ENG-1", "failure": "3 tests failed"})
    )
    assert remedy.startswith("Do ENG-1.\n\nThis came back and must be fixed:\n\n3 tests failed")
    custom = Step(
        id="i", kind="agent", prompt="x", retry_prompt="Fix: {failure} → {output}", output="o.md"
    )
    text = build_prompt(context(tmp_path, custom, "remedy", {"failure": "boom"}))
    assert text == f"Fix: boom → {tmp_path}/o.md"


def test_issue_text_is_verbatim_and_groups_are_named() -> None:
    issues = [
        {
            "identifier": "ENG-1",
            "title": "Title `$(x)`",
            "description": "Body {pr_url}\n",
            "url": "https://linear.app/x/ENG-1",
            "state": "Todo",
            "labels": ["bug"],
        },
        {"identifier": "ENG-2", "title": "Other", "description": ""},
    ]
    text = issues_text(issues)
    assert text.startswith(
        "## ENG-1: Title `$(x)`\nURL: https://linear.app/x/ENG-1\n"
        "State: Todo\nLabels: bug\n\nBody {pr_url}\n"
    )
    assert "## ENG-2: Other\n\n(no description)" in text
    assert group_title(issues) == "ENG-1: Title `$(x)` (with ENG-2)"
    assert group_title(issues[:1]) == "ENG-1: Title `$(x)`"


def test_a_group_with_a_parent_is_named_after_it() -> None:
    child = {"identifier": "ENG-5", "title": "Payment sheet UI", "parent": "ENG-3"}
    parent = {"identifier": "ENG-3", "title": "Add Apple Pay", "parent": None}
    sibling = {"identifier": "ENG-4", "title": "Merchant validation", "parent": "ENG-3"}
    assert group_title([child, parent, sibling]) == "ENG-3: Add Apple Pay (with ENG-5, ENG-4)"
    assert lead_issue([child, sibling]) is child  # no parent in the group: the first


def test_every_step_kind_is_declared_once_and_runs() -> None:
    """STEP_KINDS is the one declaration: validation reads its keys and outputs, the engine
    imports the runner it names."""
    from workflows.definitions.model import STEP_KINDS
    from workflows.runs.engine import step_runner

    assert set(STEP_KINDS) == {
        "agent", "shell", "preview", "pull_request", "linear", "spawn", "workers",
        "pr_feedback", "merge", "slot",
    }  # fmt: skip
    for kind in STEP_KINDS:
        assert callable(step_runner(kind)), kind
