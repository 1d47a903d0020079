"""Workflow runs with a step on the test's host (``ssh_host``): the built-in quick-fix with
its implement step there, started in the host's clone of the project."""

from __future__ import annotations

from pathlib import Path

from tests.support.git_repos import Project, run_git
from tests.support.profiles import slow_demo_profile
from tests.support.runs import start_run
from tests.support.sshd import SshdHost
from tests.support.waiting import wait_until
from workflows.definitions.loader import find_definition
from workflows.runs.run_store import RunStore


def remote_quick_fix(folder: Path) -> Path:
    """The built-in quick-fix with its implement step on the host ``remote``."""
    text = find_definition("quick-fix").read_text(encoding="utf-8")
    marker = 'output = ".agenttui/implement.md"\n'
    assert marker in text
    definition = folder / "remote-fix.toml"
    prompts = find_definition("quick-fix").parent / "prompts"
    text = text.replace(marker, marker + 'host = "remote"\n', 1)
    text = text.replace('prompt_file = "prompts/', f'prompt_file = "{prompts}/')
    definition.write_text(text.replace('name = "quick-fix"', 'name = "remote-fix"'))
    return definition


def start_on_host(ssh_host: SshdHost, project: Project, tmp_path: Path, seconds: float) -> str:
    """A run of ENG-1 with its implement step on the host, in the host's clone of the
    project (the demo agent taking ``seconds`` a prompt); its id."""
    ssh_host.repo.rmdir()
    run_git(ssh_host.home, "clone", "-q", str(project.remote), str(ssh_host.repo))
    return start_run(
        str(remote_quick_fix(tmp_path)), "--issues", "ENG-1", "--repo", str(project.repo),
        "--source", "linear", "--agent", slow_demo_profile(seconds), "--github-repo",
        "acme/widgets", "--test-command", "sh run_tests.sh",
    )  # fmt: skip


def submitted(store: RunStore, run_id: str) -> None:
    wait_until(
        lambda: any(d.status == "submitted" for d in store.deliveries(run_id)),
        timeout=120,
        interval=0.05,
        message="the implement prompt submitted on the host",
    )
