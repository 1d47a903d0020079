"""A workers step: the orchestrator's task list fans out to worker agents, waited for, once.

Real tmux, real demo agents, a real repository: a shell step stands in for the orchestrating
agent writing its task list; each task gets its own worker pane and tagged prompt, and the
step ends when every worker has written its answer.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import make_project
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import prompts_received, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.paths import config_dir
from workflows.runs.run_store import RunStore

FANOUT = """
name = "fanout"
description = "orchestrator plans, workers work, results collected"
agent = "demo"

[[steps]]
id = "plan"
run = "printf -- '- add the login page\\n\\n2. write the changelog\\n' > .agenttui/tasks.md"

[[steps]]
id = "fan"
kind = "workers"
prompt = "You are one of the workers for {group}."
tasks = ".agenttui/tasks.md"

[[steps]]
id = "collect"
run = "test -s .agenttui/fan/worker-1.md && test -s .agenttui/fan/worker-2.md"
"""


def test_workers_step_fans_out_and_waits(
    tmp_path: Path, tmux_server: object, linear_server: LinearServer
) -> None:
    project = make_project(tmp_path)
    (config_dir() / "workflows").mkdir(parents=True)
    (config_dir() / "workflows" / "fanout.toml").write_text(FANOUT)
    run_id = start_run(
        "fanout", "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    try:
        summary = wait_for_end(run_id, timeout=240)
    except AssertionError:
        print(agenttui("log", run_id, check=False).stdout)
        raise
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout

    deliveries = RunStore().deliveries(run_id)
    assert sorted(d.agent_name for d in deliveries) == [f"{run_id}-fan-1", f"{run_id}-fan-2"]
    prompts = prompts_received(Path(summary["worktree"]))
    assert len(prompts) == 2
    for number, task in ((1, "add the login page"), (2, "write the changelog")):
        [prompt] = [p for p in prompts if f"worker {number} of 2" in p]
        assert prompt.startswith(f"[from {run_id}-orchestrator] You are one of the workers")
        assert f"):\n{task}\n" in prompt
        worker_file = Path(summary["worktree"]) / f".agenttui/fan/worker-{number}.md"
        assert f"Write your answer to the file: {worker_file}" in prompt
    record = RunStore().get(run_id)
    outputs = RunStore().latest_outputs(run_id)["fan"]
    assert outputs["count"] == "2" and "write the changelog" in outputs["output"], record


def test_workers_step_needs_tasks() -> None:
    (config_dir() / "workflows").mkdir(parents=True)
    (config_dir() / "workflows" / "bad.toml").write_text(
        'name = "bad"\n[[steps]]\nid = "fan"\nkind = "workers"\nprompt = "x"\n'
    )
    result = agenttui("workflows", "--json", check=False)
    assert "a workers step needs prompt and tasks" in result.stdout + result.stderr


def test_a_worker_that_dies_is_started_again_with_its_task(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    project = make_project(tmp_path)
    (config_dir() / "workflows").mkdir(parents=True)
    (config_dir() / "workflows" / "fanout.toml").write_text(FANOUT)
    run_id = start_run(
        "fanout", "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear",
        "--agent", slow_demo_profile(5.0),
    )  # fmt: skip
    store = RunStore()

    def second_worker_busy() -> str | None:
        for delivery in store.deliveries(run_id):
            if delivery.agent_name.endswith("fan-2") and delivery.status == "submitted":
                return delivery.pane_id
        return None

    pane = wait_until(second_worker_busy, timeout=120, message="worker 2 to get its task")
    pid = tmux_server.cmd("display-message", "-p", "-t", pane, "#{pane_pid}").strip()
    os.kill(int(pid), signal.SIGKILL)

    summary = wait_for_end(run_id, timeout=240)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert f"agent {run_id}-fan-2 ({pane}) is gone: it exited during the step" in log
    statuses = [(d.agent_name.rsplit("-", 1)[1], d.status) for d in store.deliveries(run_id)]
    assert sorted(statuses) == [("1", "submitted"), ("2", "lost"), ("2", "submitted")]
    prompts = prompts_received(Path(summary["worktree"]))
    assert sum("worker 1 of 2" in p for p in prompts) == 1
    assert sum("worker 2 of 2" in p for p in prompts) == 2  # the lost worker's, and again
    assert "write the changelog" in store.latest_outputs(run_id)["fan"]["output"]
