"""Shared pieces of the workflow-run tests: a project, a GitHub stand-in, CLI calls, waits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.git_repos import Project, make_project
from tests.support.github_server import GitHubServer
from tests.support.waiting import wait_until

FINAL = ("succeeded", "failed", "cancelled")


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


from tests.support.cli import agenttui  # noqa: E402


def run_summary(run_id: str) -> dict[str, Any]:
    runs = json.loads(agenttui("runs", "--json").stdout)
    return next(run for run in runs if run["id"] == run_id)


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
