"""A host that drops at any moment of an agent step is waited for, never a failed run: the
runner is held at an exact point (``AGENTTUI_HOLD_AT``) while the host goes down, then goes
on and meets the drop right there — between two reads of one poll, or between the paste of
the prompt and its Enter — and the prompt still lands exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.host_runs import start_on_host
from tests.support.runs import (
    hold_at,
    prompts_received,
    run_summary,
    wait_for_attention,
    wait_for_end,
)
from tests.support.sshd import SshdHost
from workflows.runs.host_worktree import remote_worktree
from workflows.runs.run_store import RunStore


@pytest.mark.parametrize(
    "point",
    [
        "poll-read",  # its state read, its screen not yet (the stall guard's capture)
        "delivery-pasted",  # the prompt pasted into the agent's box, Enter not yet pressed
    ],
)
@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_host_dropping_anywhere_in_an_agent_step_is_waited_for_and_the_prompt_lands_once(
    point: str,
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with hold_at(point, monkeypatch) as held:
        run_id = start_on_host(ssh_host, project, project.repo.parent, 2.0)
        assert held() == RunStore().get(run_id).worker_pid
        ssh_host.stop()  # the host is down before the runner's next read there
    shown = wait_for_attention(run_id)
    assert "host 'remote' unreachable" in shown and "Connection refused" in shown, shown
    assert run_summary(run_id)["status"] == "running"  # waiting, not failed
    ssh_host.start()

    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert "host 'remote' unreachable, waiting for it" in log and "host 'remote' back after" in log
    there = Path(remote_worktree(ssh_host.host, run_id))
    assert len(prompts_received(there)) == len(RunStore().deliveries(run_id)) == 1  # sent once
    assert (Path(summary["worktree"]) / "DEMO_CHANGES.md").exists()
    assert len(github.pulls) == 1
