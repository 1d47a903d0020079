"""Fuzz (issue 18, Must show): hostile issue texts through the CLI and a demo run.

Seeded and bounded; ``python bench/fuzz_hostile.py`` runs the same checks longer and prints
counts. Every verb ends with exit 0 or 1 (never a traceback), nothing it prints for a person
holds a control character, its JSON is exact, and the canary file that any interpretation
of the texts by a shell or tmux would create never appears.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.hostile_issues import (
    check_terminal_text,
    hostile_issues,
    hostile_text,
    write_issue_folder,
)
from tests.support.linear_server import LinearServer
from tests.support.runs import prompts_received, quick_fix, wait_for_end
from tests.support.tmux import TmuxServer
from workflows.base.config import load_config
from workflows.base.paths import config_file

SEED = 18


def use_folder(folder: Path) -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(f"[local]\npath = {json.dumps(str(folder))}\n")
    load_config.cache_clear()


def check_verb(*verb: str) -> str:
    """Run a verb; assert it ended cleanly and printed nothing a terminal would act on."""
    result = agenttui(*verb, check=False, timeout=120)
    assert result.returncode in (0, 1), (verb, result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, (verb, result.stderr[-2000:])
    assert not check_terminal_text(result.stdout + result.stderr), verb
    return result.stdout


def test_hostile_local_issues_through_the_cli(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    issues = hostile_issues(SEED, 24, canary, huge_bytes=2_000_000)
    folder = tmp_path / "issues"
    write_issue_folder(folder, issues)
    use_folder(folder)
    listed = json.loads(check_verb("issues", "--json"))
    shown = {issue["identifier"] for issue in listed}
    assert len(shown) >= 12  # random bytes and surrogate bytes are skipped, the rest listed
    check_verb("issues")
    check_verb("groups", "--all")
    check_verb("groups", "--all", "--json")
    for issue in issues:
        if issue.identifier in shown:
            detail = json.loads(check_verb("issue", issue.identifier, "--json"))
            assert detail["identifier"] == issue.identifier
            human = check_verb("issue", issue.identifier)
            assert human.startswith(f"{issue.identifier}: ")
    huge = json.loads(check_verb("issue", "FZ-1", "--json"))
    assert len(huge["description"]) > 1_000_000  # a 2 MB body is listed whole, not cut
    assert not canary.exists()


def test_hostile_linear_issues_through_the_cli(linear_server: LinearServer, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    rng = random.Random(SEED)
    for _ in range(10):
        linear_server.workspace.add_issue(
            hostile_text(rng, canary, 40, surrogates=True).replace("\n", " "),
            description=hostile_text(rng, canary, 600, surrogates=True),
            team="OPS",
        )
    listed = json.loads(check_verb("issues", "--source", "linear", "--team", "OPS", "--json"))
    assert len(listed) == 12
    check_verb("issues", "--source", "linear", "--team", "OPS")
    for issue in listed:
        check_verb("issue", issue["identifier"], "--source", "linear")
    assert not canary.exists()


def test_a_demo_run_on_hostile_issues(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    canary = project.repo.parent / "CANARY"
    rng = random.Random(SEED)
    keys = [
        linear_server.workspace.add_issue(
            hostile_text(rng, canary, 60, surrogates=True).replace("\n", " "),
            description=hostile_text(rng, canary, 3000, surrogates=True),
        )["identifier"]
        for _ in range(3)
    ]
    run_id = quick_fix(project, "--test-command", "sh run_tests.sh", issue=",".join(keys))
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    (prompt,) = prompts_received(Path(summary["worktree"]))  # one prompt, pasted once
    assert not check_terminal_text(prompt)
    assert "␛" in prompt  # the control sequences arrived as visible text
    log = check_verb("log", run_id)
    assert "Traceback" not in log
    check_verb("runs")
    assert not canary.exists()
    assert github.pulls and not check_terminal_text(github.pulls[0]["title"])
