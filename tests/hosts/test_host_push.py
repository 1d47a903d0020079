"""A run that works on a host pushes its branch from the host (real sshd): the host's clone,
its ``origin``, its credentials; the pull request is opened for what the host pushed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import agenttui
from tests.support.environment import append_config
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import run_summary, start_workflow, wait_for_end
from tests.support.slots import QaStandIn, deploys, slot_config
from tests.support.sshd import SshdHost
from tests.support.waiting import wait_until
from workflows.runs.host_worktree import remote_worktree
from workflows.runs.recording.files import cast_path
from workflows.runs.recording.proof import publish

DEFINITION = """\
name = "host-push"
agent = "demo"

[[steps]]
id = "implement"
host = "remote"
prompt = "Implement {issue_ids}. Write your answer to the file: {output}"
output = ".agenttui/implement.md"

[[steps]]
id = "pr"
kind = "pull_request"
title = "{group}"
"""
# The origin's pre-receive hook: who pushed what, as the pushing side's environment says.
RECORDING_HOOK = """\
#!/bin/sh
while read old new ref; do
  echo "$ref $new HOME=$HOME token=${{GITHUB_TOKEN:+present}}" >> {log}
done
"""
REJECTING_HOOK = """\
#!/bin/sh
echo "branches into this origin need a signed-off review (test hook)" >&2
exit 1
"""


def host_with_its_own_origin(ssh_host: SshdHost, project: Project, hook: str) -> Path:
    """A bare origin under the host's HOME (``hook`` as its pre-receive), the host's clone
    of it at ``[hosts.remote] repo``; this machine's clone keeps its own origin and cannot
    push anywhere (its push URL leads nowhere). The origin's path."""
    origin = ssh_host.home / "origin.git"
    run_git(ssh_host.home, "clone", "-q", "--bare", str(project.remote), str(origin))
    pre_receive = origin / "hooks" / "pre-receive"
    pre_receive.write_text(hook)
    pre_receive.chmod(0o755)
    ssh_host.repo.rmdir()
    run_git(ssh_host.home, "clone", "-q", str(origin), str(ssh_host.repo))
    run_git(project.repo, "remote", "set-url", "--push", "origin", "/nonexistent/no-push.git")
    return origin


@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_run_on_a_host_opens_its_pr_for_the_branch_the_host_pushed(
    ssh_host: SshdHost, github: GitHubServer, project: Project, tmp_path: Path
) -> None:
    pushes = tmp_path / "pushes.log"
    origin = host_with_its_own_origin(ssh_host, project, RECORDING_HOOK.format(log=pushes))
    github.remote = origin  # the forge's repository is the host's origin

    run_id = start_workflow(DEFINITION, tmp_path, project)
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    branch = summary["branch"]
    pushed = run_git(origin, "rev-parse", f"refs/heads/{branch}")
    # The host pushed it, once, from its HOME, without this machine's GitHub token.
    assert pushes.read_text().splitlines() == [
        f"refs/heads/{branch} {pushed} HOME={ssh_host.home} token="
    ]
    assert f"pushed {branch} from host 'remote' to its origin" in log
    # The PR is for that branch; this machine's origin never got it.
    (pull,) = github.pulls
    assert pull["head"]["ref"] == branch
    assert branch not in run_git(project.remote, "branch", "--list")
    # What came back here is that same commit (for the run's diff, review and detail).
    there = Path(remote_worktree(ssh_host.host, run_id))
    assert run_git(there, "rev-parse", "HEAD") == pushed
    assert run_git(Path(summary["worktree"]), "rev-parse", "HEAD") == pushed
    assert "DEMO_CHANGES.md" in run_git(origin, "show", "--name-only", pushed)


@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_push_the_hosts_origin_rejects_fails_the_run_with_gits_reason(
    ssh_host: SshdHost, github: GitHubServer, project: Project, tmp_path: Path
) -> None:
    github.remote = host_with_its_own_origin(ssh_host, project, REJECTING_HOOK)

    run_id = start_workflow(DEFINITION, tmp_path, project)
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed"
    error = summary["error"]
    branch = summary["branch"]
    assert f"push of branch {branch} from host 'remote' to origin was rejected" in error
    assert "pre-receive hook declined" in error
    assert "branches into this origin need a signed-off review (test hook)" in error
    listing = agenttui("runs").stdout
    assert "pre-receive hook declined" in listing
    log = agenttui("log", run_id).stdout
    assert "signed-off review" in log and "Traceback" not in log + listing
    assert github.pulls == []
    assert run_summary(run_id)["current_step"] == "pr"


def test_recordings_attached_to_the_pull_request_are_pushed_from_the_host(
    ssh_host: SshdHost, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recordings of a run that worked on a host go there on git's stdin and are pushed
    by the host's git (agents on a host are not recorded yet: this calls publish itself)."""
    pushes = tmp_path / "pushes.log"
    origin = host_with_its_own_origin(ssh_host, project, RECORDING_HOOK.format(log=pushes))
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_this_machine_only")
    cast = cast_path("r0000001", "r0000001-main")
    cast.parent.mkdir(parents=True)
    cast.write_text('{"version": 2, "width": 80, "height": 24}\n[0.5, "o", "hello é"]\n')

    published = publish(Path(ssh_host.repo), "r0000001", "acme/widgets", host=ssh_host.host)
    assert published is not None
    ref = "refs/agenttui/recordings/r0000001"
    assert run_git(origin, "rev-parse", ref) == published.commit
    assert pushes.read_text().splitlines() == [
        f"{ref} {published.commit} HOME={ssh_host.home} token="
    ]
    shown = run_git(origin, "show", f"{published.commit}:r0000001-main.cast")
    assert shown == cast.read_text().rstrip("\n")
    assert published.links == [
        (
            "r0000001-main",
            f"https://github.com/acme/widgets/blob/{published.commit}/r0000001-main.cast",
        )
    ]


@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_fix_round_after_review_is_pushed_from_the_host_too(
    ssh_host: SshdHost, github: GitHubServer, project: Project, tmp_path: Path
) -> None:
    pushes = tmp_path / "pushes.log"
    origin = host_with_its_own_origin(ssh_host, project, RECORDING_HOOK.format(log=pushes))
    github.remote = origin
    feedback = (
        '\n[[steps]]\nid = "feedback"\nkind = "pr_feedback"\n'
        'on_fail = "implement"\nmax_rounds = 2\npoll = 0.3\n'
    )
    run_id = start_workflow(DEFINITION + feedback, tmp_path, project)
    wait_until(lambda: github.pulls, timeout=120, message="the pull request")
    number, branch = int(github.pulls[0]["number"]), str(github.pulls[0]["head"]["ref"])
    first = run_git(origin, "rev-parse", branch)
    github.feedback.review(number, "CHANGES_REQUESTED", "Once more, please.")

    def pushed_again() -> str | None:
        head = run_git(origin, "rev-parse", branch)
        return head if head != first else None

    fixed = wait_until(pushed_again, timeout=120, message="the fix round's push")
    github.feedback.review(number, "APPROVED", "Good.")
    github.feedback.check(number, "ci", "success")
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    # Both pushes were the host's; this machine's origin never saw the branch.
    assert pushes.read_text().splitlines() == [
        f"refs/heads/{branch} {first} HOME={ssh_host.home} token=",
        f"refs/heads/{branch} {fixed} HOME={ssh_host.home} token=",
    ]
    assert branch not in run_git(project.remote, "branch", "--list")
    assert f"from host 'remote': pull request #{number} updated" in log
    assert run_git(Path(summary["worktree"]), "rev-parse", "HEAD") == fixed  # came back
    assert run_git(origin, "show", f"{fixed}:DEMO_CHANGES.md").count("- change for prompt") == 2


def succeeded_with_qa(
    linear_server: LinearServer, run_id: str, verdict: Callable[[str, int], str | None]
) -> tuple[dict[str, Any], str]:
    """The run's end with a QA stand-in answering ``verdict``; it succeeded: its summary, log."""
    qa = QaStandIn(linear_server, verdict)
    qa.start()
    try:
        summary = wait_for_end(run_id)
    finally:
        qa.stop()
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    return summary, log


@pytest.mark.usefixtures("tmux_server")
def test_the_slot_steps_push_after_a_qa_fix_round_is_the_hosts(
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    linear_server: LinearServer,
    tmp_path: Path,
) -> None:
    pushes = tmp_path / "pushes.log"
    origin = host_with_its_own_origin(ssh_host, project, RECORDING_HOOK.format(log=pushes))
    github.remote = origin
    deploy_log = tmp_path / "deploys.log"
    append_config(slot_config(deploy_log))
    qa = (
        '\n[[steps]]\nid = "qa"\nkind = "slot"\nslot = "staging"\n'
        'on_fail = "implement"\nmax_rounds = 2\n'
    )
    run_id = start_workflow(DEFINITION + qa, tmp_path, project)
    summary, _log = succeeded_with_qa(
        linear_server, run_id, lambda key, before: "QA pass" if before else "QA fail: no"
    )
    branch = summary["branch"]
    (first, fixed) = [commit for _, _, commit in deploys(deploy_log)]
    # The PR step's push and, after QA's fix round, the slot step's: both the host's.
    assert pushes.read_text().splitlines() == [
        f"refs/heads/{branch} {first} HOME={ssh_host.home} token=",
        f"refs/heads/{branch} {fixed} HOME={ssh_host.home} token=",
    ]
    assert branch not in run_git(project.remote, "branch", "--list")
    assert run_git(Path(summary["worktree"]), "rev-parse", "HEAD") == fixed  # came back


def hold_step(go: Path) -> str:
    """A local step that holds the run until ``go`` exists (the test stops the host meanwhile)."""
    waits = f"while [ ! -e {go} ]; do sleep 0.1; done"
    return f'\n[[steps]]\nid = "hold"\nkind = "shell"\nrun = "{waits}"\n'


def host_down_after_hold(ssh_host: SshdHost, run_id: str, go: Path, step: str) -> None:
    """Once the run holds: the host goes down and the run goes on to ``step``, which waits
    for the host (``runs`` says so with ssh's reason, the run's log too); the host is back."""
    wait_until(lambda: run_summary(run_id)["current_step"] == "hold", timeout=120,
               message="the step before the host's")  # fmt: skip
    ssh_host.stop()
    go.touch()

    def waiting() -> str | None:
        summary = run_summary(run_id)
        assert summary["status"] == "running", summary  # (the old code failed it at once)
        attention = summary.get("attention") or ""
        return attention if "host 'remote' unreachable" in attention else None

    said = wait_until(waiting, timeout=30, message="the run waiting for the host")
    assert "Connection refused" in said, said  # ssh's own reason
    log = agenttui("log", run_id).stdout
    assert f"[{step}] host 'remote' unreachable, waiting for it: " in log, log
    ssh_host.start()


@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_push_waits_for_its_host_to_come_back_and_pushes_once(
    ssh_host: SshdHost, github: GitHubServer, project: Project, tmp_path: Path
) -> None:
    """The host is down right before the pull request step moves the work there and pushes:
    the run waits for it (said in ``runs`` and the log, with ssh's reason) and, once it is
    back, pushes once and opens the pull request."""
    pushes = tmp_path / "pushes.log"
    origin = host_with_its_own_origin(ssh_host, project, RECORDING_HOOK.format(log=pushes))
    github.remote = origin
    go, marker = tmp_path / "go", '\n[[steps]]\nid = "pr"'
    text = DEFINITION.replace(marker, hold_step(go) + marker)
    run_id = start_workflow(text, tmp_path, project)
    host_down_after_hold(ssh_host, run_id, go, "pr")

    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    branch = summary["branch"]
    pushed = run_git(origin, "rev-parse", f"refs/heads/{branch}")
    assert pushes.read_text().splitlines() == [  # once, by the host
        f"refs/heads/{branch} {pushed} HOME={ssh_host.home} token="
    ]
    (pull,) = github.pulls
    assert pull["head"]["ref"] == branch
    assert "host 'remote' back after" in log
    assert run_summary(run_id).get("attention") in (None, "")


@pytest.mark.usefixtures("tmux_server")
def test_the_slot_steps_push_waits_for_its_host_and_goes_on(
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    linear_server: LinearServer,
    tmp_path: Path,
) -> None:
    """The run's branch is pushed from the host by the slot step too: the host down right
    before it is waited for, then the step deploys what the host has pushed."""
    pushes = tmp_path / "pushes.log"
    origin = host_with_its_own_origin(ssh_host, project, RECORDING_HOOK.format(log=pushes))
    github.remote = origin
    deploy_log = tmp_path / "deploys.log"
    append_config(slot_config(deploy_log))
    go = tmp_path / "go"
    slot = '\n[[steps]]\nid = "qa"\nkind = "slot"\nslot = "staging"\n'
    run_id = start_workflow(DEFINITION + hold_step(go) + slot, tmp_path, project)
    host_down_after_hold(ssh_host, run_id, go, "qa")
    summary, log = succeeded_with_qa(linear_server, run_id, lambda key, before: "QA pass")
    branch = summary["branch"]
    pushed = run_git(origin, "rev-parse", f"refs/heads/{branch}")
    assert pushes.read_text().splitlines() == [  # the PR step's push, once; up to date after
        f"refs/heads/{branch} {pushed} HOME={ssh_host.home} token="
    ]
    assert [commit for _, _, commit in deploys(deploy_log)] == [pushed]
    assert "host 'remote' back after" in log
