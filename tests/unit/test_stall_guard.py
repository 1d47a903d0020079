"""The stall guard's clock (issue 15 item 5): what counts as progress, and the stall time a
step gets from its definition or ``[runs] stall_after``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.environment import write_config
from workflows.definitions.loader import WorkflowError, load_workflow
from workflows.definitions.model import Step
from workflows.runs.steps.progress import STALL_AFTER_S, Progress, stall_time


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_only_an_unchanged_agent_for_the_whole_stall_time_is_stalled() -> None:
    clock = Clock()
    progress = Progress(10, clock)
    progress.observe("working", ["⠋ Working… (1s)"])
    clock.now += 9
    progress.observe("working", ["⠙ Working… (10s)"])  # its screen moved: progress
    clock.now += 9
    assert progress.stalled_for() is None
    progress.observe("working", ["⠙ Working… (10s)"])  # the same for 10 s: stalled
    clock.now += 1
    assert progress.stalled_for() == 10
    progress.restart()  # waited for a person meanwhile: counted from now
    assert progress.stalled_for() is None
    assert Progress(0, clock).stalled_for() is None  # 0: never


def test_stall_time_from_the_step_then_the_config(tmp_path: Path) -> None:
    assert stall_time(Step("a", "agent")) == STALL_AFTER_S
    write_config("[runs]\nstall_after = 120\n")
    assert stall_time(Step("a", "agent")) == 120
    assert stall_time(Step("a", "agent", stall=0)) == 0
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n\n[[steps]]\nid = "a"\nprompt = "x"\nstall = "soon"\n')
    with pytest.raises(WorkflowError) as caught:
        load_workflow(str(path))
    assert any("stall must be a number of seconds" in p for p in caught.value.problems)
