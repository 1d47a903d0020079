"""`agenttui demo --qa`: two feedback-qa runs queue for the demo's one staging slot, offline.
The scripted QA person fails the first deploy once, that run's fix round re-deploys and
passes, then the slot passes to the second run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.slots import check_every_change
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.demo.qa import QA_FAIL, QA_PASS, staging_dir
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore
from workflows.runs.slots.book import SlotBook

RUN_TIMEOUT_S = 400  # two feedback-qa runs and the demo's own run on a loaded 2-core machine


def test_demo_qa_fails_the_first_once_redeploys_passes_and_hands_the_slot_on(
    tmux_server: TmuxServer,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--socket", tmux_server.socket, "--json",
         "demo", "--no-attach", "--qa", "--agents", "0"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    first_started, second_started = result["qa_runs"]
    windows = tmux_server.cmd("list-windows", "-t", "=agenttui", "-F", "#{window_name}").split()
    assert "qa" in windows

    def ended(run_id: str) -> str | None:
        status = RunStore().get(run_id).summary().status
        return status if status in ("succeeded", "failed", "cancelled") else None

    for run_id in (first_started, second_started):
        status = wait_until(lambda r=run_id: ended(r), timeout=RUN_TIMEOUT_S, interval=1.0,
                            message=f"run {run_id}")  # fmt: skip
        log = subprocess.run([sys.executable, "-m", "tui", "log", run_id],
                             capture_output=True, text=True, check=False).stdout  # fmt: skip
        assert status == "succeeded", log

    history = SlotBook().log("staging")
    first, second = check_every_change(history)  # whoever reached staging first
    assert [(row["change"], row["run_id"]) for row in history if row["change"] != "queued"] == [
        ("acquired", first),
        ("released", first),
        ("acquired", second),
        ("released", second),
    ]
    runs = RunStore()
    deployed = [
        event["message"] for run_id in (first, second) for event in runs.events(run_id)
        if event["kind"] == "deploy" and event["message"].startswith("deployed ")
    ]  # fmt: skip
    assert len(deployed) == 3  # the first twice (before and after its fix round), the second
    issue_of = {run_id: runs.get(run_id).issues[0] for run_id in (first, second)}
    said = {run_id: [c.body for c in LocalSource().get_issue(issue_of[run_id]).comments]
            for run_id in (first, second)}  # fmt: skip
    assert [body for body in said[first] if body.startswith("QA ")] == [QA_FAIL, QA_PASS]
    assert [body for body in said[second] if body.startswith("QA ")] == [QA_PASS]
    # Then each watched its PR (the demo's reviewer approved, its CI passed) and stopped
    # short of merging: [merge] is off in the demo.
    for run_id in (first, second):
        said_by_run = [event["message"] for event in runs.events(run_id)]
        assert any("merging is off" in message for message in said_by_run), said_by_run
        steps = [a.step_id for a in runs.attempts(run_id) if a.status == "succeeded"]
        assert steps[-3:] == ["qa", "feedback", "merge"]
    # Staging now holds the second run's branch.
    page = (staging_dir(Path(result["repo"]).parents[1]) / "index.html").read_text()
    assert runs.get(second).context["branch"] in page
