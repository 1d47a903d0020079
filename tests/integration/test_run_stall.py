"""The stall guard (issue 15 item 5): an agent step whose agent shows no progress for its
stall time fails with the reason; an agent that works on (its screen moving) does not.
Real runners and demo agents in a private tmux server, issues from the local Linear server."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import make_project
from tests.support.linear_server import LinearServer
from tests.support.runs import start_run, wait_for_end
from tests.support.tmux import TmuxServer
from workflows.base.paths import config_dir
from workflows.runs.run_store import RunStore

WORKFLOW = """
name = "NAME"
description = "one agent step (stall tests)"
worktree = true

[[steps]]
id = "look"
prompt = "Look into the flaky test DIRECTIVE"
output = ".agenttui/look.md"
stall = 5
"""


def launch(repo: Path, name: str, directive: str, issue: str) -> str:
    (config_dir() / "workflows").mkdir(parents=True, exist_ok=True)
    definition = WORKFLOW.replace("NAME", name).replace("DIRECTIVE", directive)
    (config_dir() / "workflows" / f"{name}.toml").write_text(definition)
    return start_run(
        name, "--issues", issue, "--repo", str(repo), "--source", "linear", "--agent", "demo"
    )


def test_a_hung_agent_fails_its_step_after_the_stall_time_and_a_working_one_does_not(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    repo = make_project(tmp_path).repo
    hung = launch(repo, "hung", "[hang]", "ENG-1")
    busy = launch(repo, "busy", "[work 12s]", "ENG-2")  # longer than its stall time

    summary = wait_for_end(hung, timeout=180)
    assert summary["status"] == "failed"
    assert "stalled: no progress for 5s" in summary["error"], summary["error"]
    assert "it was working" in summary["error"]  # busy by its screen, yet going nowhere
    (attempt,) = RunStore().attempts(hung)
    assert attempt.finished_at is not None
    assert attempt.finished_at - attempt.started_at < 90  # the step timeout is an hour
    assert "stalled" in agenttui("log", hung).stdout

    assert wait_for_end(busy, timeout=180)["status"] == "succeeded"
