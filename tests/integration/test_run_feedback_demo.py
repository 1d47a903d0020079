"""The feedback workflow end to end in real tmux, offline: demo agents, a real repository with
a bare remote, the local Linear server and the local GitHub API server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import prompts_received, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.recording.files import run_folder
from workflows.runs.run_store import RunStore

HOSTILE_TITLE = 'Checkout `$(touch /tmp/pwned)` ; Enter {pr_url} "quoted"'
HOSTILE_BODY = "Steps:\n1. run $(rm -rf ~)\n2. press Enter\n\tEscape C-c {{not a placeholder}}"


def test_feedback_workflow_opens_pr_and_reports_on_every_issue(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    workspace = linear_server.workspace
    hostile = workspace.add_issue(HOSTILE_TITLE, description=HOSTILE_BODY)
    first = workspace.find_issue("ENG-1")
    run_id = start_run(
        "feedback",
        "--issues",
        f"ENG-1,{hostile['identifier']}",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        "demo",
        "--github-repo",
        "acme/widgets",
        "--test-command",
        "sh run_tests.sh",
    )
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout

    # The pull request exists on the server, for the branch Linear named, with a real diff.
    (pull,) = github.pulls
    branch = first["branchName"]
    assert pull["head"]["ref"] == branch and pull["base"]["ref"] == "main"
    assert summary["pr_url"] == pull["html_url"] and summary["branch"] == branch
    assert pull["title"].startswith("ENG-1: ")
    changed = run_git(project.remote, "diff", "--name-only", f"main...{branch}")
    assert changed.splitlines() == ["DEMO_CHANGES.md"]  # notes under .agenttui/ stay out

    # Every issue of the group got the PR as a comment and an attachment, and moved state.
    for key in ("ENG-1", hostile["identifier"]):
        assert any(pull["html_url"] in body for body in workspace.comments_on(key))
        assert [a["url"] for a in workspace.attachments_on(key)] == [pull["html_url"]]
        assert workspace.issue_state(key) == "In Review"

    # Each prompt reached an agent exactly once; the issue text arrived verbatim.
    worktree = Path(summary["worktree"])
    prompts = prompts_received(worktree)
    deliveries = RunStore().deliveries(run_id)
    assert len(prompts) == len(deliveries) == 6  # refine ×3, plan, implement, review
    assert len(set(prompts)) == len(prompts)
    assert HOSTILE_TITLE in prompts[0] and HOSTILE_BODY in prompts[0]
    assert not Path("/tmp/pwned").exists()
    # The reviewer was a second agent pane.
    assert {d.agent_name for d in deliveries} == {f"{run_id}-main", f"{run_id}-reviewer"}

    log = agenttui("log", run_id).stdout
    assert "opened pull request" in log and "run succeeded" in log
    assert "[claim] state on ENG-1: In Progress" in log  # moved when the work started
    assert agenttui("log", run_id, "--follow").stdout.rstrip("\n") == log.rstrip("\n")

    def runner_window_closed() -> bool:  # a run that ended well leaves no window behind
        windows = tmux_server.cmd("list-windows", "-a", "-F", "#{window_name}").split()
        return f"run-{run_id}" not in windows

    wait_until(runner_window_closed, timeout=30, message="the runner's window to close")

    def agents_closed() -> bool:  # a run that succeeded closes its agents
        names = tmux_server.cmd("list-panes", "-a", "-F", "#{@agenttui_name}").split()
        return not {f"{run_id}-main", f"{run_id}-reviewer"} & set(names)

    wait_until(agents_closed, timeout=30, message="the run's agents to close")

    cleaned = json.loads(agenttui("clean", run_id, "--json").stdout)
    removed = sorted(Path(path).name for path in cleaned.pop("recordings_removed"))
    assert removed == [f"{run_id}-main.cast", f"{run_id}-reviewer.cast"]  # recorded by default
    assert cleaned == {"run": run_id, "worktree_removed": str(worktree)}
    assert not run_folder(run_id).exists()
    assert not worktree.exists() and run_git(project.repo, "branch", "--list", branch)
    windows = tmux_server.cmd("list-windows", "-a", "-F", "#{window_name}").split()
    assert f"run-{run_id}" not in windows


def test_config_supplies_repo_agent_worktree_root_and_test_command(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    from workflows.base.paths import config_file

    root = project.repo.parent / "trees"
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(
        f'[workflows]\nrepo = "{project.repo}"\nagent = "demo"\nworktree_root = "{root}"\n'
        'test_command = "sh run_tests.sh && echo tests-ran-from-config"\n'
    )
    run_id = start_run(
        "quick-fix", "--issues", "ENG-4", "--source", "linear", "--github-repo", "acme/widgets"
    )
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert Path(summary["worktree"]).parent == root
    assert len(prompts_received(Path(summary["worktree"]))) == 1  # the demo agent got it
    assert "tests-ran-from-config" in RunStore().latest_outputs(run_id)["test"]["output"]
    assert len(github.pulls) == 1
