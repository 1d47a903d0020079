"""The pr_feedback and merge step kinds in workflow files: the README's example loads, and
their keys are checked with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.definitions.loader import WorkflowError, load_workflow
from workflows.definitions.model import Workflow

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_of_the_loop_is_valid(tmp_path: Path) -> None:
    readme = README.read_text()
    start = readme.index("```toml\n# config_dir/workflows/ship.toml\n") + len("```toml\n")
    path = tmp_path / "ship.toml"
    path.write_text(readme[start : readme.index("```", start)])
    workflow = load_workflow(str(path))
    kinds = [step.kind for step in workflow.steps]
    assert kinds == ["agent", "pull_request", "pr_feedback", "merge"]
    feedback, merge = workflow.steps[2], workflow.steps[3]
    assert (feedback.on_fail, feedback.conflicts, feedback.poll) == ("implement", "rebase", 30)
    assert feedback.settle == 5
    assert feedback.effective_timeout() == 86400.0
    assert (merge.method, merge.state, merge.clean) == ("squash", "Done", True)
    assert Workflow.from_json(workflow.to_json()).steps[3].method == "squash"


BAD = """
name = "bad"
[[steps]]
id = "implement"
prompt = "x"
[[steps]]
id = "pr"
kind = "pull_request"
[[steps]]
id = "feedback"
kind = "pr_feedback"
conflicts = "squash"
checks = "maybe"
poll = 0
settle = -1
[[steps]]
id = "merge"
kind = "merge"
method = "octopus"
delete_branch = "yes"
requires = ["qa"]
"""


def test_bad_keys_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(WorkflowError) as caught:
        load_workflow(str(path))
    problems = caught.value.problems
    expected = [
        f'{path}:12: conflicts must be "merge" or "rebase", not \'squash\'',
        f'{path}:13: checks must be "required" or "optional", not \'maybe\'',
        f"{path}:14: poll must be a number of seconds > 0",
        f"{path}:15: settle must be a number of seconds (0: none)",
        f'{path}:19: method must be "merge" or "squash" or "rebase", not \'octopus\'',
        f"{path}:20: delete_branch must be true or false",
        f"{path}:21: step 'merge': requires 'qa', which is not an earlier step",
    ]
    assert sorted(problems) == sorted(expected)


def test_a_run_s_linear_session_tells_the_rounds_and_the_merge(tmp_path: Path) -> None:
    """What the watch and the merge do reaches the issue's Linear agent session as thoughts;
    a fix round that waits for a person typing asks nothing there (no elicitation)."""
    from workflows.runs.agent_sessions.activities import Translator

    readme = README.read_text()
    start = readme.index("```toml\n# config_dir/workflows/ship.toml\n") + len("```toml\n")
    path = tmp_path / "ship.toml"
    path.write_text(readme[start : readme.index("```", start)])
    translator = Translator(load_workflow(str(path)))

    def said(kind: str, message: str, step_id: str) -> dict[str, object] | None:
        event = {"id": 1, "at": 0.0, "kind": kind, "message": message, "step_id": step_id}
        planned = translator.run_event(event)
        return None if planned is None else planned.content

    started = said("step", "started (pr_feedback step, round 1)", "feedback")
    assert started == {
        "type": "thought",
        "body": "**feedback**: watching the pull request's reviews and checks",
    }
    round_ = said("pr_feedback", "a fix round starts (review + checks)", "feedback")
    assert round_ == {
        "type": "thought",
        "body": "**feedback**: a fix round starts (review + checks)",
    }
    merged = said("merge", "merged pull request #7 (squash) as 0123456789", "merge")
    assert merged is not None and "merged pull request #7" in str(merged["body"])
    assert said("waiting", "ENG-1-main (%3) holds text agenttui did not send", "feedback") is None
