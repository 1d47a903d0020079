"""``extends``: a workflow built on another's settings and steps (the built-in feedback-qa is
feedback plus its QA step), and the errors a bad one gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.base.paths import config_dir
from workflows.definitions.loader import WorkflowError, load_workflow


def test_feedback_qa_is_feedback_then_qa_review_ci_rounds_and_merge() -> None:
    feedback, qa = load_workflow("feedback"), load_workflow("feedback-qa")
    count = len(feedback.steps)
    assert qa.steps[:count] == feedback.steps and qa.agent == feedback.agent
    slot, rounds, merge = qa.steps[count:]
    assert (slot.id, slot.kind, slot.slot, slot.on_fail) == ("qa", "slot", "staging", "implement")
    assert (rounds.kind, rounds.on_fail) == ("pr_feedback", "implement")
    assert (merge.kind, merge.requires) == ("merge", ("qa",))  # merges only once QA passed
    assert qa.name == "feedback-qa" and qa.path.endswith("feedback-qa.toml")


def test_an_extended_workflow_follows_the_users_override_of_its_base(tmp_path: Path) -> None:
    folder = config_dir() / "workflows"
    folder.mkdir(parents=True)
    (folder / "feedback.toml").write_text(
        'name = "feedback"\nagent = "codex"\n[[steps]]\nid = "implement"\nprompt = "do it"\n'
    )
    qa = load_workflow("feedback-qa")
    assert [step.id for step in qa.steps] == ["implement", "qa", "feedback", "merge"]
    assert qa.agent == "codex"


def test_a_bad_extends_names_the_file_and_line(tmp_path: Path) -> None:
    def problems(text: str) -> list[str]:
        path = tmp_path / "mine.toml"
        path.write_text(text)
        with pytest.raises(WorkflowError) as caught:
            load_workflow(str(path))
        return caught.value.problems

    step = '[[steps]]\nid = "qa"\nkind = "slot"\n'
    found = problems(f'name = "mine"\nextends = "nope"\n{step}slot = "staging"\n')
    assert found == [f"{tmp_path}/mine.toml:2: extends: unknown workflow 'nope' (known: "
                     + found[0].split("(known: ")[1]]  # fmt: skip
    assert problems(f'extends = "mine"\n{step}slot = "staging"\n') == [
        f"{tmp_path}/mine.toml:1: extends must name another workflow, not 'mine'"
    ]
    assert problems(f'extends = "feedback"\n{step}') == [
        f"{tmp_path}/mine.toml:2: step 'qa': a slot step needs slot = \"NAME\" ([slots.NAME])"
    ]
    on_fail = problems(f'extends = "feedback"\n{step}slot = "s"\non_fail = "later"\n')
    assert on_fail == [f"{tmp_path}/mine.toml:2: step 'qa': on_fail refers to unknown step 'later'"]
