"""The run detail's timeline from the run store: each step's state (done, running, waiting for
a person, failed, skipped, pending), its attempts with their times, and the notes an agent is
writing while its step runs."""

from __future__ import annotations

from pathlib import Path

from workflows.runs.detail import load_run_detail
from workflows.runs.records import take_runner_lock
from workflows.runs.run_store import RunStore

DEFINITION = {
    "name": "t",
    "steps": [
        {"id": "setup", "kind": "shell", "run": ""},
        {"id": "notes", "kind": "agent", "output": ".agenttui/notes.md"},
        {"id": "review", "kind": "agent", "until": "PASS", "on_fail": "notes", "max_rounds": 3},
        {"id": "pr", "kind": "pull_request"},
    ],
}


def make_run(tmp_path: Path) -> tuple[RunStore, str, Path]:
    runs = RunStore()
    run_id = runs.create("t", DEFINITION, ["ENG-1"], {}).id
    worktree = tmp_path / "wt"
    (worktree / ".agenttui").mkdir(parents=True)
    runs.update_context(run_id, worktree=str(worktree), base="main")
    runs.update(run_id, status="running")
    runs.start_attempt(run_id, 0, "setup", 1, "step")
    runs.finish_attempt(
        run_id, 0, status="succeeded", outputs={"output": "", "exit_code": 0, "skipped": True},
        error=None, cursor={},
    )  # fmt: skip
    runs.start_attempt(run_id, 1, "notes", 1, "step")
    return runs, run_id, worktree


def statuses(run_id: str) -> dict[str, str]:
    return {step.id: step.status for step in load_run_detail(run_id).steps}


def test_a_running_step_shows_the_notes_being_written(tmp_path: Path) -> None:
    runs, run_id, worktree = make_run(tmp_path)
    lock = take_runner_lock(run_id)  # the runner is alive
    try:
        detail = load_run_detail(run_id)
        assert statuses(run_id) == {
            "setup": "skipped", "notes": "running", "review": "pending", "pr": "pending",
        }  # fmt: skip
        assert detail.active and detail.base == "main"
        (worktree / ".agenttui" / "notes.md").write_text("# Plan\n\nhalf written")
        notes = next(step for step in load_run_detail(run_id).steps if step.id == "notes")
        assert notes.attempts[-1].output == "# Plan\n\nhalf written"
        assert notes.attempts[-1].finished_at is None and notes.duration(10**10) is not None
        # The agent asks for a person: the step waits for them.
        runs.update_context(run_id, attention="t-main (%3) is awaiting_approval")
        assert statuses(run_id)["notes"] == "waiting"
    finally:
        assert lock is not None
        lock.close()


def test_rounds_of_a_loop_and_a_runner_that_died(tmp_path: Path) -> None:
    runs, run_id, _ = make_run(tmp_path)
    runs.finish_attempt(run_id, 1, status="succeeded", outputs={"output": "n1"}, error=None,
                        cursor={})  # fmt: skip
    runs.start_attempt(run_id, 2, "review", 1, "step")
    runs.finish_attempt(run_id, 2, status="failed", outputs={"output": "FAIL: no tests"},
                        error="did not pass", cursor={})  # fmt: skip
    runs.start_attempt(run_id, 3, "notes", 1, "remedy")
    runs.finish_attempt(run_id, 3, status="succeeded", outputs={"output": "n2"}, error=None,
                        cursor={})  # fmt: skip
    runs.start_attempt(run_id, 4, "review", 2, "step")
    # No runner holds the lock: the attempt it was in the middle of did not finish.
    detail = load_run_detail(run_id)
    review = next(step for step in detail.steps if step.id == "review")
    notes = next(step for step in detail.steps if step.id == "notes")
    assert [(a.round, a.role, a.status) for a in review.attempts] == [
        (1, "step", "failed"), (2, "step", "failed"),
    ]  # fmt: skip
    assert review.rounds == 2 and review.loops and review.max_rounds == 3
    assert [(a.role, a.output) for a in notes.attempts] == [("step", "n1"), ("remedy", "n2")]
    assert review.attempts[0].error == "did not pass"
    assert detail.summary.status == "failed" and "resume" in str(detail.summary.error)
    assert statuses(run_id)["pr"] == "pending"  # a resume can still get there


def test_steps_a_cancelled_run_never_reached_are_skipped(tmp_path: Path) -> None:
    runs, run_id, _ = make_run(tmp_path)
    runs.finish_attempt(run_id, 1, status="cancelled", outputs={}, error="cancelled",
                        cursor={})  # fmt: skip
    runs.finish(run_id, "cancelled")
    assert statuses(run_id) == {
        "setup": "skipped", "notes": "cancelled", "review": "skipped", "pr": "skipped",
    }  # fmt: skip
