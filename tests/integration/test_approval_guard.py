"""The policy answering a hook-less agent's dialog with keys (`agenttui guard`, real tmux).

The demo agent shows an approval dialog like Codex does (no permission hook): the guard
approves what a rule allows (the command really runs), denies a deny-list command (it never
runs) and leaves a request no rule decides to a person; every decision is audited.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.waiting import wait_until
from workflows.agents.delivery import send_text
from workflows.agents.observe import read_state
from workflows.approvals.audit import entries
from workflows.base.paths import agenttui_argv, config_dir
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver


@pytest.fixture
def guard_process(demo_worker: tuple[TmuxDriver, Path]) -> Iterator[subprocess.Popen[str]]:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(touch:*)", "Bash(git push:*)"]\n')
    process = subprocess.Popen(
        [*agenttui_argv(), "guard"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and "answering" in process.stdout.readline()
    yield process
    process.terminate()
    process.wait(timeout=10)


def state_of(driver: TmuxDriver) -> str:
    return read_state(driver, driver.resolve("worker")).state.value


def decisions() -> list[tuple[str, str, str]]:
    return [(e.summary, e.decision, e.decided_by) for e in reversed(entries(Store()))]


def test_guard_answers_by_policy(
    demo_worker: tuple[TmuxDriver, Path], guard_process: subprocess.Popen[str]
) -> None:
    driver, workdir = demo_worker
    send_text(driver, "worker", "please run command `touch guarded-g1.txt`")
    wait_until((workdir / "guarded-g1.txt").exists, timeout=30, message="the allowed command ran")
    wait_until(lambda: state_of(driver) == "idle", timeout=30, message="idle again")

    send_text(driver, "worker", "now run command `git push --force origin main`")
    wait_until(lambda: len(decisions()) == 2, timeout=30, message="the force push judged")
    wait_until(lambda: state_of(driver) == "idle", timeout=30, message="idle after the denial")
    assert "✗ Command denied: git push --force origin main" in "\n".join(
        driver.capture(driver.resolve("worker").pane_id)
    )

    send_text(driver, "worker", "and run command `make deploy`")
    wait_until(lambda: len(decisions()) == 3, timeout=30, message="the unknown command judged")
    assert state_of(driver) == "awaiting_approval"  # left for a person: no key was pressed
    assert decisions() == [
        ("touch guarded-g1.txt", "allow", "rule:Bash(touch:*)"),
        ("git push --force origin main", "deny", "deny-list:force-push"),
        ("make deploy", "ask", "default"),
    ]


def test_guard_leaves_a_delete_it_cannot_judge_to_a_person(
    demo_worker: tuple[TmuxDriver, Path], guard_process: subprocess.Popen[str]
) -> None:
    driver, _workdir = demo_worker
    (config_dir() / "policy.toml").write_text('allow = ["Bash(rm:*)"]\n')  # not enough
    send_text(driver, "worker", 'please run command `rm -rf "$BUILD_DIR"`')
    wait_until(lambda: len(decisions()) == 1, timeout=30, message="the delete judged")
    assert state_of(driver) == "awaiting_approval"  # no key pressed: a person decides
    [(summary, decision, decided_by)] = decisions()
    assert (summary, decision, decided_by) == (
        'rm -rf "$BUILD_DIR"',
        "ask",
        "deny-list-ask:recursive-delete",
    )
    assert "$BUILD_DIR" in entries(Store())[0].reason


def test_a_person_answer_is_audited(demo_worker: tuple[TmuxDriver, Path]) -> None:
    driver, workdir = demo_worker
    send_text(driver, "worker", "please run command `touch by-hand.txt`")
    wait_until(lambda: state_of(driver) == "awaiting_approval", timeout=30, message="dialog")
    done = subprocess.run(
        [*agenttui_argv(), "approve", "worker"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    wait_until((workdir / "by-hand.txt").exists, timeout=30, message="the approved command ran")
    assert decisions() == [("touch by-hand.txt", "allow", "person")]


def test_approve_always_shows_then_saves_exactly_that_rule(
    demo_worker: tuple[TmuxDriver, Path],
) -> None:
    import json

    from workflows.approvals.policy import learned_policy_file

    driver, workdir = demo_worker

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*agenttui_argv(), *args], capture_output=True, text=True, check=False
        )

    send_text(driver, "worker", "please run command `rm -rf ~`")
    wait_until(lambda: state_of(driver) == "awaiting_approval", timeout=30, message="dialog")
    refused = cli("approve-always", "worker", "--yes")
    assert refused.returncode == 1 and "deny-list" in refused.stderr
    assert not learned_policy_file().exists()
    assert state_of(driver) == "awaiting_approval"  # nothing was pressed
    cli("deny", "worker")
    wait_until(lambda: state_of(driver) == "idle", timeout=30, message="idle after deny")

    send_text(driver, "worker", "please run command `touch always-a1.txt`")
    wait_until(lambda: state_of(driver) == "awaiting_approval", timeout=30, message="dialog")
    shown = json.loads(cli("approve-always", "worker", "--json").stdout)
    assert shown["rule"] == "Bash(touch:*)" and shown["saved"] is None
    assert not learned_policy_file().exists()
    saved = json.loads(cli("approve-always", "worker", "--yes", "--json").stdout)
    assert saved["rule"] == shown["rule"] and saved["saved"]
    wait_until((workdir / "always-a1.txt").exists, timeout=30, message="approved once")
    learned = learned_policy_file().read_text()
    assert learned.count("\n[[rules]]") == 1 and 'rule = "Bash(touch:*)"' in learned
    check = json.loads(cli("approvals-check", "Bash", "touch later.txt", "--json").stdout)
    assert check["decided_by"] == "rule:Bash(touch:*)"
