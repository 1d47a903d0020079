"""Agent state on a real tmux server with the demo agent: read/wait/ls/approve/deny verbs,
the event-driven watcher, and exit status. (The real CLIs: tests/e2e.)"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from tests.support.cli import agenttui_json
from tests.support.tmux import spawn_demo
from tests.support.waiting import wait_until
from workflows.agents.actions import perform
from workflows.agents.delivery import send_text
from workflows.agents.observe import read_state
from workflows.agents.state import StateReading
from workflows.agents.watch import StateWatcher
from workflows.base.errors import AgentTuiError
from workflows.tmux.driver import PaneInfo, TmuxDriver


def state_of(driver: TmuxDriver, pane: PaneInfo) -> StateReading:
    return read_state(driver, driver.resolve(pane.pane_id))


def test_demo_agent_approval_through_the_verbs(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path / "d1", name="d1", work=None)
    wait_until(lambda: state_of(driver, pane).state == "idle", timeout=30)
    code, refused = agenttui_json("--json", "approve", "d1")
    assert code == 1 and "not awaiting approval" in str(refused)

    send_text(driver, pane, "please run command `touch made-by-demo.txt` [work 0.1s]")
    code, waited = agenttui_json(
        "--json", "wait", "d1", "--state", "awaiting_approval", "--timeout", "60"
    )
    assert code == 0, waited
    code, listed = agenttui_json("--json", "ls")
    assert code == 0
    [entry] = [item for item in listed if item.get("name") == "d1"]  # type: ignore[union-attr]
    assert entry["state"] == "awaiting_approval"
    assert entry["detail"]["command"] == "touch made-by-demo.txt"

    code, approved = agenttui_json("--json", "approve", "d1")
    assert code == 0, approved
    wait_until((tmp_path / "d1" / "made-by-demo.txt").exists, timeout=30)
    wait_until(lambda: state_of(driver, pane).state == "idle", timeout=30)


def test_deny_leaves_the_command_unrun(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path / "d2", name="d2", work=None)
    wait_until(lambda: state_of(driver, pane).state == "idle", timeout=30)
    send_text(driver, pane, "please run command `touch never.txt` [work 0.1s]")
    wait_until(lambda: state_of(driver, pane).state == "awaiting_approval", timeout=30)
    result = perform(driver, "d2", "deny")
    assert result.before["detail"]["command"] == "touch never.txt"
    wait_until(lambda: state_of(driver, pane).state == "idle", timeout=30)
    assert not (tmp_path / "d2" / "never.txt").exists()
    with pytest.raises(AgentTuiError, match="not awaiting approval"):
        perform(driver, "d2", "approve")


def test_watcher_reports_each_change_once(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path / "d3", name="d3", work=None)
    wait_until(lambda: state_of(driver, pane).state == "idle", timeout=30)
    seen: list[str] = []
    changed = threading.Event()

    def on_change(_pane: PaneInfo, reading: StateReading) -> None:
        seen.append(reading.state.value)
        changed.set()

    watcher = StateWatcher(driver, on_change=on_change, panes={pane.pane_id}).start()
    try:
        wait_until(lambda: seen[-1:] == ["idle"], timeout=30)
        send_text(driver, pane, "please run command `true` [work 0.1s]")
        wait_until(lambda: "awaiting_approval" in seen, timeout=30)
        perform(driver, pane.pane_id, "approve")
        wait_until(lambda: seen[-1:] == ["idle"] and len(seen) >= 3, timeout=30)
    finally:
        watcher.close()
    assert all(a != b for a, b in itertools.pairwise(seen)), seen


def test_exit_status_is_reported(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = driver.spawn(["sh", "-c", "exit 7"], name="quitter", agent="shell")
    reading = wait_until(lambda: (r := state_of(driver, pane)).state == "exited" and r, timeout=30)
    assert reading.detail == {"status": 7, "signal": None}
    code, read = agenttui_json("--json", "read", "quitter")
    assert code == 0 and read["state"] == "exited"  # type: ignore[index]


def test_approve_never_types_into_a_screen_without_dialog(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """A permission hook the policy already answered must not make `approve` press keys."""
    from workflows.agents.hooks import record_event
    from workflows.agents.observe import default_store, server_for

    pane = spawn_demo(driver, tmp_path / "d4", name="d4", work=None)
    wait_until(lambda: state_of(driver, pane).state == "idle", timeout=30)
    before = driver.capture(pane.pane_id)
    record_event(
        default_store(), agent="d4", kind="permission",
        payload={"tool_name": "Bash", "tool_input": {"command": "true"}},
        pane_id=pane.pane_id, server=server_for(driver, pane.pane_id),
    )  # fmt: skip
    # The screen shows no dialog, so the state is not awaiting_approval whatever the hook.
    assert state_of(driver, pane).state == "idle"
    with pytest.raises(AgentTuiError, match="not awaiting approval"):
        perform(driver, "d4", "approve")
    assert driver.capture(pane.pane_id) == before
