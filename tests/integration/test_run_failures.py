"""Runs that go wrong say why, are marked failed, and leave nothing half-done unexplained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import prompts_received, quick_fix, run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.run_store import RunStore


def test_bad_workflow_file_is_refused_with_file_and_line(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n\n[[steps]]\nid = "a"\nprompt = "hi {nope}"\nretries = 2\n')
    result = agenttui("run", str(bad), "--issues", "ENG-1", "--repo", str(tmp_path), check=False)
    assert result.returncode == 1
    assert f"{bad}:5: step 'a' prompt: unknown placeholder {{nope}}" in result.stderr
    assert f"{bad}:6: step 'a': unknown key 'retries' for a agent step" in result.stderr
    assert json.loads(agenttui("runs", "--json").stdout) == []  # no run was created
    check = agenttui("workflows", "--check", str(bad), check=False)
    assert check.returncode == 1 and f"{bad}:5:" in check.stderr


def test_missing_repo_is_refused_with_the_reason(tmux_server: TmuxServer, tmp_path: Path) -> None:
    result = agenttui(
        "run",
        "quick-fix",
        "--issues",
        "ENG-1",
        "--repo",
        str(tmp_path / "nowhere"),
        "--source",
        "local",
        check=False,
    )
    assert result.returncode == 2 and "repository not found" in result.stderr
    assert "nowhere does not exist" in result.stderr
    assert json.loads(agenttui("runs", "--json").stdout) == []  # refused: no run record


def test_dirty_worktree_on_the_branch_stops_before_any_agent(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    branch = linear_server.workspace.find_issue("ENG-1")["branchName"]
    left_over = tmp_path / "left-over"
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(left_over))
    (left_over / "half-done.py").write_text("x = 1\n")
    run_id = quick_fix(project)
    summary = wait_for_end(run_id, timeout=60)
    assert summary["status"] == "failed"
    assert (
        f"worktree {left_over} (branch {branch}) has uncommitted changes: half-done.py"
        in summary["error"]
    )
    assert RunStore().deliveries(run_id) == []
    agenttui("clean", run_id)  # never removes a worktree the run did not create
    assert (left_over / "half-done.py").exists()
    windows = tmux_server.cmd("list-windows", "-a", "-F", "#{window_name}").split()
    assert f"{run_id}-main" not in windows  # no agent was started


def test_rejected_push_fails_the_pr_step_and_reports_nothing(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    tmp_path: Path,
) -> None:
    branch = linear_server.workspace.find_issue("ENG-1")["branchName"]
    other = tmp_path / "someone-else"
    run_git(tmp_path, "clone", "-q", str(project.remote), str(other))
    run_git(other, "checkout", "-q", "-b", branch)
    (other / "theirs.txt").write_text("theirs\n")
    run_git(other, "add", "-A")
    run_git(other, "-c", "user.name=o", "-c", "user.email=o@x", "commit", "-q", "-m", "theirs")
    run_git(other, "push", "-q", "origin", branch)
    run_id = quick_fix(project, "--test-command", "true")
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed" and summary["current_step"] == "pr"
    assert f"push of branch {branch} to origin was rejected" in summary["error"]
    assert github.pulls == [] and linear_server.workspace.comments_on("ENG-1") == []


def test_github_422_fails_then_resume_opens_the_pr_once(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    github.fail_next_422 = "No commits between main and the head branch"
    run_id = quick_fix(project, "--test-command", "true")
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed" and summary["current_step"] == "pr"
    assert "HTTP 422" in summary["error"]
    assert "No commits between main and the head branch" in summary["error"]
    assert github.token not in agenttui("log", run_id).stdout
    assert linear_server.workspace.comments_on("ENG-1") == []

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded"
    (pull,) = github.pulls
    comments = linear_server.workspace.comments_on("ENG-1")
    assert [c for c in comments if pull["html_url"] in c] == comments and len(comments) == 1
    assert len(prompts_received(Path(summary["worktree"]))) == 1  # implement was not redone


def test_failing_tests_go_back_to_the_implementer(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    # Passes only once the agent has implemented twice: the first run of the tests fails.
    count = "$(grep -c change DEMO_CHANGES.md)"
    check = f'echo "changes: {count}"; test "{count}" -ge 2'
    run_id = quick_fix(project, "--test-command", check)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    prompts = prompts_received(Path(summary["worktree"]))
    assert len(prompts) == 2
    assert "exited with code 1" in prompts[1] and "changes: 1" in prompts[1]
    attempts = [(a.step_id, a.role, a.status) for a in RunStore().attempts(run_id)]
    assert attempts == [
        ("implement", "step", "succeeded"),
        ("test", "step", "failed"),
        ("implement", "remedy", "succeeded"),
        ("test", "step", "succeeded"),
        ("pr", "step", "succeeded"),
        ("report", "step", "succeeded"),
    ]


def test_cancel_stops_the_run_and_its_agents(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project
) -> None:
    agent = slow_demo_profile(30.0)
    run_id = start_run(
        "quick-fix",
        "--issues",
        "ENG-1",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        agent,
        "--github-repo",
        "acme/widgets",
    )
    wait_until(lambda: RunStore().deliveries(run_id), timeout=60, message="a prompt to be sent")
    second = quick_fix(project)  # same issue, same branch: refused while the first runs
    busy = wait_for_end(second, timeout=60)
    assert busy["status"] == "failed" and f"is in use by run {run_id}" in busy["error"]
    agenttui("cancel", run_id)
    summary = wait_for_end(run_id, timeout=60)
    assert summary["status"] == "cancelled"

    def agent_gone() -> bool:
        names = tmux_server.cmd("list-panes", "-a", "-F", "#{@agenttui_name}").split()
        return f"{run_id}-main" not in names

    wait_until(agent_gone, timeout=30, message="the agent pane to be killed")
    assert run_summary(run_id)["status"] == "cancelled"


LOOP_WORKFLOW = """
name = "loop"
agent = "demo"

[[steps]]
id = "helper"
kind = "spawn"
session = "second"

[[steps]]
id = "implement"
prompt = "Implement {issue_ids}."
retry_prompt = "Implement again, round {round}. The reviewer said:\\n{failure}"
output = ".agenttui/implement.md"

[[steps]]
id = "review"
session = "second"
prompt = "Review the change; say SHIP IT when it is perfect."
output = ".agenttui/review.md"
until = "SHIP IT"
on_fail = "implement"
max_rounds = 2
exhausted = "continue"

[[steps]]
id = "preview"
kind = "preview"
run = "echo building; echo 'preview ready at http://127.0.0.1:9/preview/'{issue_ids}"
comment = "Preview for QA: {preview_url}"
"""


def test_review_loop_runs_out_of_rounds_then_continues_and_preview_is_reported(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    definition = tmp_path / "loop.toml"
    definition.write_text(LOOP_WORKFLOW)
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    attempts = [(a.step_id, a.role, a.status) for a in RunStore().attempts(run_id)]
    assert attempts == [
        ("helper", "step", "succeeded"),
        ("implement", "step", "succeeded"),
        ("review", "step", "failed"),
        ("implement", "remedy", "succeeded"),
        ("review", "step", "failed"),
        ("preview", "step", "succeeded"),
    ]
    prompts = prompts_received(Path(summary["worktree"]))
    assert len(prompts) == 4
    assert prompts[2].startswith("Implement again, round 1. The reviewer said:\n# Answer")
    # The reviewer is the pane the spawn step started, not the implementer.
    deliveries = RunStore().deliveries(run_id)
    assert [d.agent_name.rsplit("-", 1)[1] for d in deliveries] == [
        "main",
        "second",
        "main",
        "second",
    ]
    assert "still not passing after 2 round(s); continuing" in agenttui("log", run_id).stdout
    assert linear_server.workspace.comments_on("ENG-1") == [
        "Preview for QA: http://127.0.0.1:9/preview/ENG-1"
    ]


def test_review_workflow_reviews_an_existing_branch_and_posts_the_verdict(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    other = tmp_path / "author"
    run_git(tmp_path, "clone", "-q", str(project.remote), str(other))
    run_git(other, "checkout", "-q", "-b", "feature-x")
    (other / "feature.py").write_text("print('x')\n")
    run_git(other, "add", "-A")
    run_git(other, "-c", "user.name=o", "-c", "user.email=o@x", "commit", "-q", "-m", "x")
    run_git(other, "push", "-q", "origin", "feature-x")
    run_git(project.repo, "fetch", "-q", "origin")

    missing = start_run(
        "review",
        "--issues",
        "ENG-1",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        "demo",
        "--branch",
        "no-such-branch",
    )
    summary = wait_for_end(missing, timeout=60)
    assert summary["status"] == "failed"
    assert "branch 'no-such-branch' does not exist" in summary["error"]

    run_id = start_run(
        "review",
        "--issues",
        "ENG-1",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        "demo",
        "--branch",
        "feature-x",
    )
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert (Path(summary["worktree"]) / "feature.py").exists()
    (prompt,) = prompts_received(Path(summary["worktree"]))
    assert "Review the branch feature-x" in prompt
    (comment,) = linear_server.workspace.comments_on("ENG-1")
    assert (
        comment.startswith("Review of branch feature-x by agenttui:") and "VERDICT: PASS" in comment
    )


def test_missing_github_token_fails_before_anything_is_pushed(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    run_id = quick_fix(project, "--test-command", "true")
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed" and summary["current_step"] == "pr"
    assert "GITHUB_TOKEN is not set" in summary["error"]
    branch = linear_server.workspace.find_issue("ENG-1")["branchName"]
    assert run_git(project.remote, "branch", "--list", branch) == ""  # nothing pushed

    monkeypatch.setenv("GITHUB_TOKEN", github.token)  # the user fixes it, then resumes
    agenttui("resume", run_id)
    assert wait_for_end(run_id)["status"] == "succeeded"
    assert [p["head"]["ref"] for p in github.pulls] == [branch]


def test_tests_failing_every_round_fail_the_run_and_resume_tries_again(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    run_id = quick_fix(project, "--test-command", "echo 'no ALLOWED file'; test -f ALLOWED")
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed" and summary["current_step"] == "test"
    assert "step 'test' did not pass after 3 round(s)" in summary["error"]
    store = RunStore()
    roles = [(a.step_id, a.role, a.status) for a in store.attempts(run_id)]
    assert roles == [("implement", "step", "succeeded")] + [
        ("test", "step", "failed"),
        ("implement", "remedy", "succeeded"),
    ] * 2 + [("test", "step", "failed")]
    worktree = Path(summary["worktree"])
    assert len(prompts_received(worktree)) == 3  # implement + two remedies

    (worktree / "ALLOWED").write_text("a person fixed it\n")
    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert [a.status for a in store.attempts(run_id)][-3:] == ["succeeded"] * 3
    assert len(prompts_received(worktree)) == 3  # no agent step ran again
    assert len(github.pulls) == 1


APPROVAL_WORKFLOW = """
name = "needs-approval"
agent = "demo"

[[steps]]
id = "touch"
prompt = "Please run command `touch approved.txt` for {issue_ids}."
output = ".agenttui/touch.md"
"""


def test_a_run_waiting_for_an_approval_says_so_and_goes_on_once_approved(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    definition = tmp_path / "approval.toml"
    definition.write_text(APPROVAL_WORKFLOW)
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    waiting = wait_until(
        lambda: run_summary(run_id).get("attention"),
        timeout=60,
        message="the run to report the approval it waits for",
    )
    assert waiting.startswith(f"{run_id}-main (%")
    assert waiting.endswith("is awaiting_approval: touch approved.txt")  # and on what
    assert f"[waiting: {waiting}]" in agenttui("runs").stdout
    agenttui("approve", f"{run_id}-main")
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded" and summary["attention"] is None
    assert (Path(summary["worktree"]) / "approved.txt").exists()


FORGETFUL_WORKFLOW = """
name = "forgetful"
agent = "demo"

[[steps]]
id = "notes"
prompt = "Keep your notes for {issue_ids} in {output} please."
output = ".agenttui/notes.md"
"""


def test_an_agent_that_forgets_its_output_file_is_reminded_once(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    definition = tmp_path / "forgetful.toml"
    definition.write_text(FORGETFUL_WORKFLOW)  # the demo agent only obeys "Write your answer…"
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    summary = wait_for_end(run_id, timeout=180)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    worktree = Path(summary["worktree"])
    first, reminder = prompts_received(worktree)
    assert first.startswith("Keep your notes for ENG-1 in ")
    assert reminder.startswith("You have not written your answer to the file yet.")
    assert (worktree / ".agenttui" / "notes.md").exists()
    assert len(RunStore().deliveries(run_id)) == 2
    assert (
        "finished without writing .agenttui/notes.md; reminding it"
        in agenttui("log", run_id).stdout
    )


SILENT_FAILURES = """
name = "gate"
worktree = false

[[steps]]
id = "quiet"
run = "{test_command}"
"""


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("exit 3", "`exit 3` exited with code 3 and printed nothing."),
        (
            "echo first; echo boom; exit 4",
            "`echo first; echo boom; exit 4` exited with code 4. … boom",
        ),
    ],
)
def test_a_failed_command_says_how_it_ended_never_a_dangling_heading(
    tmux_server: TmuxServer, project: Project, command: str, reason: str
) -> None:
    from workflows.base.paths import config_dir

    (config_dir() / "workflows").mkdir(parents=True)
    (config_dir() / "workflows" / "gate.toml").write_text(SILENT_FAILURES)
    result = agenttui(
        "run", "gate", "--issues", "PCL-101", "--source", "local", "--repo", str(project.repo),
        "--test-command", command, "--wait", "--timeout", "120", check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().endswith(f"did not pass after 1 round(s): {reason}")
    assert "Its output (last part):" not in result.stderr
