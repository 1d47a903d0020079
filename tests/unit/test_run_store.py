"""The run store: runs, attempts with the cursor, deliveries recorded before sending, the log."""

from __future__ import annotations

import pytest

from workflows.base.errors import UsageError
from workflows.runs.run_store import RunStore, list_runs, run_log_path


def test_run_lifecycle_attempts_cursor_and_log() -> None:
    runs = RunStore()
    run = runs.create("feedback", {"steps": []}, ["ENG-1", "ENG-2"], {"repo": "/r"})
    assert run.status == "pending" and run.issues == ["ENG-1", "ENG-2"]
    assert runs.get(run.id[:4]).id == run.id  # a unique prefix is enough
    with pytest.raises(UsageError, match="no run 'nope'"):
        runs.get("nope")

    runs.start_attempt(run.id, 0, "refine-1", 1, "step")
    runs.start_attempt(run.id, 0, "refine-1", 1, "step")  # a resumed runner: same attempt
    assert runs.get(run.id).current_step == "refine-1"
    assert [a.status for a in runs.attempts(run.id)] == ["running"]
    assert runs.latest_outputs(run.id) == {}
    runs.finish_attempt(
        run.id,
        0,
        status="succeeded",
        outputs={"output": "notes"},
        error=None,
        cursor={"pc": 1, "seq": 1},
    )
    assert runs.get(run.id).cursor == {"pc": 1, "seq": 1}
    assert runs.latest_outputs(run.id) == {"refine-1": {"output": "notes"}}

    context = runs.update_context(run.id, branch="eng-1")
    assert runs.update_context(run.id, worktree="/w") == {**context, "worktree": "/w"}
    runs.finish(run.id, "failed", "push rejected")
    final = runs.get(run.id)
    assert (final.status, final.error) == ("failed", "push rejected")
    assert final.summary().branch == "eng-1"
    log = run_log_path(run.id).read_text()
    assert "created run of feedback for ENG-1, ENG-2" in log and "run failed: push rejected" in log
    assert [r.id for r in list_runs()] == [run.id]


def test_deliveries_are_recorded_before_and_marked_after() -> None:
    runs = RunStore()
    run = runs.create("quick-fix", {"steps": []}, ["ENG-1"], {})
    delivery = runs.record_delivery(
        run.id, 3, "implement", pane_id="%4", agent_name="r-main", chars=120
    )
    (pending,) = runs.deliveries(run.id, 3)
    assert (pending.id, pending.status, pending.pane_id) == (delivery, "sending", "%4")
    runs.mark_delivery(delivery, "submitted", "1 attempt(s)")
    assert [d.status for d in runs.deliveries(run.id)] == ["submitted"]
    assert runs.deliveries(run.id, 4) == []


def test_runner_lock_tells_live_runners_and_waits_out_readers() -> None:
    import fcntl
    import threading

    from workflows.runs.records import run_file, take_runner_lock, worker_alive

    assert not worker_alive("r1")
    reader = run_file("r1", "lock").open("a")
    fcntl.flock(reader, fcntl.LOCK_SH)  # a status reader looking right now
    release = threading.Timer(0.3, reader.close)
    release.start()
    lock = take_runner_lock("r1", wait=10)  # waits the reader out instead of giving up
    assert lock is not None and worker_alive("r1")
    assert take_runner_lock("r1", wait=0.1) is None  # a second runner is refused
    lock.close()  # the kernel does the same when the runner dies
    assert not worker_alive("r1")
