"""A workflow cannot loop past its bounds (issue 15 item 5): the engine's own cursor moves
(``next_attempt``, ``Engine._advance``) driven through every small workflow shape — each
step's ``on_fail`` remedy, ``max_rounds`` 1–3 and ``exhausted`` fail/continue — by the
worst outcomes (every step fails, every remedy succeeds: the longest loop there is) and by
seeded random ones. Every drive ends, within ``Workflow.attempt_bound()``, and the worst one
reaches the bound exactly (the bound is tight, not merely large)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator

from workflows.base.target import TmuxTarget
from workflows.definitions.model import Step, Workflow
from workflows.runs.engine import Cursor, Engine, next_attempt
from workflows.runs.run_store import RunStore
from workflows.runs.steps.base import StepResult

Outcome = Callable[[Step, str], bool]


def shapes() -> Iterator[Workflow]:
    """Every 2-step workflow: each step's remedy (none, itself's sibling), rounds, exhaustion."""
    ids = ("implement", "test")
    options = list(itertools.product((None, "other"), (1, 2, 3), ("fail", "continue")))
    for first, second in itertools.product(options, repeat=2):
        steps = []
        for index, (on_fail, rounds, exhausted) in enumerate((first, second)):
            remedy = ids[1 - index] if on_fail else None
            steps.append(
                Step(
                    ids[index],
                    "shell",
                    run="true",
                    on_fail=remedy,
                    max_rounds=rounds,
                    exhausted=exhausted,
                )
            )
        yield Workflow(name="shape", path="shape.toml", steps=tuple(steps))


def drive(engine: Engine, workflow: Workflow, outcome: Outcome) -> tuple[int, bool]:
    """Attempts made until the run ends (finished or stopped), and whether it finished."""
    cursor, attempts = Cursor(), 0
    while cursor.pc < len(workflow.steps):
        step, role, _round = next_attempt(workflow, cursor)
        attempts += 1
        assert attempts <= workflow.attempt_bound(), (workflow, attempts)
        ok = outcome(step, role)
        back = step.requires[0] if step.requires and not ok else None  # a merge's way back
        result = StepResult(ok=ok, failure="no", back_to=back)
        cursor, stop = engine._advance(workflow, cursor, step, role, result)
        if stop:
            return attempts, False
    return attempts, True


def test_no_workflow_shape_loops_past_its_bound() -> None:
    runs = RunStore()
    engine = Engine(runs.create("w", {"steps": []}, ["ENG-1"], {}).id, target=TmuxTarget(None, "t"),
                    runs=runs)  # fmt: skip
    worst_reached = 0
    rng = random.Random(15)
    for workflow in shapes():
        attempts, _ = drive(engine, workflow, lambda step, role: role == "remedy")
        if all(step.on_fail and step.exhausted == "continue" for step in workflow.steps):
            assert attempts == workflow.attempt_bound()  # the longest loop meets the bound
            worst_reached += 1
        for _ in range(3):
            drive(engine, workflow, lambda step, role: rng.random() < 0.3)
    assert worst_reached == 9  # every shape where both steps have a remedy and go on


def test_the_bound_counts_rounds_and_remedies() -> None:
    fix = Step("fix", "shell", run="true")
    check = Step("check", "shell", run="false", on_fail="fix", max_rounds=3)
    once = Step("once", "shell", run="true")
    assert Workflow("w", "w.toml", steps=(fix, check, once)).attempt_bound() == 3 + 5 + 3


def test_a_step_sending_the_run_back_stays_within_the_bound() -> None:
    """A merge whose required QA passed on an older commit sends the run back to it, in its
    own rounds: always sent back, the run stops after max_rounds; never past the bound."""
    runs = RunStore()
    engine = Engine(runs.create("w", {"steps": []}, ["ENG-1"], {}).id, target=TmuxTarget(None, "t"),
                    runs=runs)  # fmt: skip
    rng = random.Random(17)
    for qa_rounds, merge_rounds, remedy in itertools.product((1, 2, 3), (1, 2, 3), (None, "fix")):
        steps = (
            Step("fix", "shell", run="true"),
            Step("qa", "slot", slot="staging", on_fail=remedy, max_rounds=qa_rounds),
            Step("watch", "pr_feedback", on_fail=remedy, max_rounds=2),
            Step("merge", "merge", requires=("qa",), max_rounds=merge_rounds),
        )
        workflow = Workflow(name="back", path="back.toml", steps=steps)
        attempts, finished = drive(engine, workflow, lambda step, role: step.id != "merge")
        assert not finished and attempts == 1 + 3 * merge_rounds  # fix, then qa-watch-merge
        for _ in range(5):
            drive(engine, workflow, lambda step, role: rng.random() < 0.5)
