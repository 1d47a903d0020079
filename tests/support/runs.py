"""Shared pieces of the workflow-run tests: a project, a GitHub stand-in, CLI calls, waits."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project, make_project
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.crashpoints import ENV as STOP_AT
from workflows.base.crashpoints import HOLD_ENV as HOLD_AT
from workflows.base.paths import state_dir
from workflows.runs.run_store import RunStore

FINAL = ("succeeded", "failed", "cancelled", "stopped")


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    server = GitHubServer().start()
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    monkeypatch.setenv("GITHUB_TOKEN", server.token)
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path: Path, github: GitHubServer) -> Project:
    """A repo whose tests pass once the demo agent has implemented something."""
    made = make_project(tmp_path, test_script="test -f DEMO_CHANGES.md\n")
    github.remote = made.remote
    return made


class PullRequestWorld(NamedTuple):
    """What a run through a pull request needs: tmux, Linear, the forge, a project."""

    tmp: Path
    linear: LinearServer
    github: GitHubServer
    project: Project

    def start(self, workflow: str, issue: str = "ENG-1") -> str:
        return start_workflow(workflow, self.tmp, self.project, issue)


def start_workflow(workflow: str, folder: Path, project: Project, issue: str = "ENG-1") -> str:
    """A run of the ``workflow`` text (written in ``folder``) on ``issue`` from Linear, in
    ``project``, its pull request on acme/widgets; the run's id."""
    definition = folder / "workflow.toml"
    definition.write_text(workflow, encoding="utf-8")
    return start_run(
        str(definition), "--issues", issue, "--repo", str(project.repo),
        "--source", "linear", "--github-repo", "acme/widgets",
    )  # fmt: skip


@pytest.fixture
def pr_world(
    tmp_path: Path,
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
) -> PullRequestWorld:
    return PullRequestWorld(tmp_path, linear_server, github, project)


def run_summary(run_id: str) -> dict[str, Any]:
    runs = json.loads(agenttui("runs", "--json").stdout)
    return next(run for run in runs if run["id"] == run_id)


def wait_for_attention(run_id: str, timeout: float = 60) -> str:
    """What the run asks of a person (``runs``' attention) once it says something; fails at
    once, with the run's log, when the run ended instead."""

    def said() -> dict[str, Any] | None:
        summary = run_summary(run_id)
        return summary if summary.get("attention") or summary["status"] in FINAL else None

    summary = wait_until(said, timeout=timeout, message=f"run {run_id} to ask a person")
    assert summary.get("attention"), (summary, agenttui("log", run_id).stdout)
    return str(summary["attention"])


def wait_for_end(run_id: str, timeout: float = 300) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        summary = run_summary(run_id)
        return summary if summary["status"] in FINAL else None

    return wait_until(ended, timeout=timeout, interval=0.5, message=f"run {run_id} to end")


def start_run(*args: str) -> str:
    result = agenttui("run", *args, "--json")
    return str(json.loads(result.stdout)["run"])


def prompts_received(worktree: Path) -> list[str]:
    """Every prompt the demo agents in this worktree received, in order."""
    log = worktree / ".demo-agent" / "prompts.jsonl"
    if not log.exists():
        return []
    return [json.loads(line)["text"] for line in log.read_text().splitlines() if line.strip()]


def quick_fix(project: Project, *extra: str, issue: str = "ENG-1") -> str:
    return start_run(
        "quick-fix",
        "--issues",
        issue,
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        "demo",
        "--github-repo",
        "acme/widgets",
        *extra,
    )


def start_and_kill_at(
    point: str, definition: Path, project: Project, monkey: pytest.MonkeyPatch, *extra: str
) -> str:
    """Start a run on ENG-1 that holds its runner at ``point``; SIGKILL it there."""
    monkey.setenv(STOP_AT, point)
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear",
        *extra,
    )  # fmt: skip
    kill_at(point, run_id, monkey)
    return run_id


def kill_at(point: str, run_id: str, monkey: pytest.MonkeyPatch) -> None:
    """SIGKILL the run's runner once it holds at ``point``; later runners go through."""
    pid = runner_at(point)
    assert pid == RunStore().get(run_id).worker_pid
    os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="the dead runner"
    )
    monkey.delenv(STOP_AT)


@contextlib.contextmanager
def hold_at(point: str, monkey: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """Runners started inside hold at ``point`` (``AGENTTUI_HOLD_AT``) until the block ends;
    the block gets a function waiting for the runner held there, which returns its pid."""
    marker = f"{point}.held"
    monkey.setenv(HOLD_AT, point)
    try:
        yield lambda: runner_at(marker)
    finally:
        monkey.delenv(HOLD_AT)
        (state_dir() / "crashpoints" / marker).unlink(missing_ok=True)  # it goes on


def runner_at(marker: str) -> int:
    """The pid a runner wrote to ``crashpoints/MARKER`` once it reached that point."""
    path = state_dir() / "crashpoints" / marker

    def written() -> int | None:
        text = path.read_text() if path.exists() else ""
        return int(text) if text else None

    return wait_until(written, timeout=120, interval=0.05, message=f"a runner at {marker}")


# The first run of the step hangs, and takes 2 s to stop when told (a test runner cleaning
# up); the second one passes at once. Each leaves a line with its pid and the time.
SLOW_TO_STOP = """\
trace={trace}
if [ -f "$trace" ]; then echo "start $$ $(date +%s.%N)" >> "$trace"; exit 0; fi
echo "start $$ $(date +%s.%N)" >> "$trace"
trap 'sleep 2; echo "end $$ $(date +%s.%N)" >> "$trace"; exit 143' TERM
sleep 600
"""


def one_shell_step(folder: Path, script: str, host: str = "") -> Path:
    """A workflow of one shell step running ``script`` (on ``host`` when given)."""
    (folder / "step.sh").write_text(script)
    definition = folder / "shell-only.toml"
    where = f'host = "{host}"\n' if host else ""
    definition.write_text(
        f'name = "shell-only"\nagent = "demo"\n{where}\n'
        f'[[steps]]\nid = "test"\nrun = "sh {folder}/step.sh"\n'
    )
    return definition


def trace_lines(trace: Path) -> list[list[str]]:
    return [line.split() for line in trace.read_text().splitlines()] if trace.exists() else []
