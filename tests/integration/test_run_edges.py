"""Smaller run and CLI edges (issue 18 item 10): a missing test program, no test command,
a refused --repo, options after send's TARGET."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import agenttui, agenttui_json
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import prompts_received, quick_fix, wait_for_end
from tests.support.tmux import TmuxServer, demo_prompts
from tests.support.waiting import wait_until


def test_a_missing_test_program_fails_the_run_saying_so(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project
) -> None:
    run_id = quick_fix(project, "--test-command", "no-such-test-runner --all")
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed"
    assert "test command not found: no-such-test-runner --all" in summary["error"]
    assert "not found" in summary["error"].split("(", 1)[1]  # the shell's own words
    prompts = prompts_received(Path(summary["worktree"]))
    assert len(prompts) == 1  # the implement prompt only: no "fix this" rounds


def test_no_test_command_is_said_on_the_pr_and_in_the_log(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    run_id = quick_fix(project)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    (pull,) = github.pulls
    assert "step `test` was not run: no test command: pass --test-command" in pull["body"]
    assert "step 'test' not run: no test command" in agenttui("log", run_id).stdout


def test_a_launch_refused_for_a_bad_repo_leaves_no_run(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    for repo in (tmp_path / "nowhere", tmp_path):  # missing; not a git repository
        result = agenttui(
            "run", "quick-fix", "--issues", "ENG-1", "--repo", str(repo), "--source", "local",
            check=False,
        )  # fmt: skip
        assert result.returncode == 2 and "no run started" in result.stderr
        assert "Traceback" not in result.stderr
    assert "nowhere does not exist" in result.stderr or "not a git repository" in result.stderr
    assert json.loads(agenttui("runs", "--json").stdout) == []


def test_send_takes_options_after_the_target(tmux_server: TmuxServer, tmp_path: Path) -> None:
    code, spawned = agenttui_json(
        "spawn", "--agent", "demo", "--name", "w", "--cwd", str(tmp_path), "--json",
        "--", "--work", "0.1",
    )  # fmt: skip
    assert code == 0, spawned
    assert agenttui_json("wait", "w", "--state", "idle", "--timeout", "30")[0] == 0
    code, sent = agenttui_json("send", "w", "--timeout", "20", "after the target", "--json")
    assert (code, sent["submitted"]) == (0, True), sent
    assert agenttui_json("send", "w", "--timeout", "20", "--", "-starts with a dash")[0] == 0
    assert agenttui_json("send", "--timeout", "20", "w", "options first")[0] == 0
    wait_until(lambda: len(demo_prompts(tmp_path)) == 3, timeout=30, message="3 prompts")
    assert demo_prompts(tmp_path) == ["after the target", "-starts with a dash", "options first"]
