"""Check-ins: scheduled in the store, delivered on time by `agenttui timer` into a real pane."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import agenttui_result
from tests.support.tmux import TmuxServer, demo_prompt_records
from tests.support.waiting import wait_until
from workflows.autonomy.checkins import get, list_checkins, parse_duration, schedule
from workflows.base.paths import agenttui_argv
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver


@pytest.fixture
def timer_process(demo_worker: tuple[TmuxDriver, Path]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [*agenttui_argv(), "timer"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert "delivering check-ins" in process.stdout.readline()  # bound and listening
    yield process
    process.terminate()
    process.wait(timeout=10)


def test_checkin_delivered_within_a_second_of_its_time(
    demo_worker: tuple[TmuxDriver, Path], timer_process: subprocess.Popen[str]
) -> None:
    _driver, workdir = demo_worker
    store = Store()
    # A far check-in first: the timer sleeps towards it and must be woken by the new one.
    later = schedule(store, "worker", due=time.time() + 3600, note="much later", sender="lead")
    result = agenttui_result(
        "checkin",
        "worker",
        "--in",
        "2s",
        "--note",
        "status please",
        "--from",
        "orchestrator",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    [scheduled] = json.loads(result.stdout)
    assert scheduled["status"] == "pending"

    [prompt] = wait_until(
        lambda: demo_prompt_records(workdir), timeout=30, message="the check-in prompt"
    )
    message = f"[check-in #{scheduled['id']} from orchestrator] status please"
    assert prompt["text"] == message
    done = wait_until(
        lambda: get(store, scheduled["id"]).delivered_at and get(store, scheduled["id"]),
        message="delivery recorded",
    )
    assert done.status == "delivered" and done.started_at is not None
    # The timer wakes on time, and the verified send (paste, visible, 100 ms settle, Enter)
    # submits the note within the second too (measured: woke ~3 ms, submitted ~130 ms late).
    woke = done.started_at - scheduled["due"]
    submitted = float(prompt["time"]) - scheduled["due"]  # type: ignore[arg-type]
    assert 0 <= woke < 1.0, f"the timer started {woke:.3f}s after the due time"
    assert woke <= submitted < 1.0, f"submitted {submitted:.3f}s after the due time"
    assert [c.id for c in list_checkins(store)] == [later.id]  # the far one still pending


def test_cancelled_checkin_is_never_delivered(
    demo_worker: tuple[TmuxDriver, Path], timer_process: subprocess.Popen[str]
) -> None:
    _driver, workdir = demo_worker
    first = json.loads(
        agenttui_result(
            "checkin", "worker", "--in", "1s", "--note", "cancelled one", "--json"
        ).stdout
    )[0]
    cancelled = agenttui_result("checkin-cancel", str(first["id"]), "--json")
    assert json.loads(cancelled.stdout)[0]["status"] == "cancelled"
    second = json.loads(
        agenttui_result("checkin", "worker", "--in", "2s", "--note", "kept one", "--json").stdout
    )[0]
    wait_until(
        lambda: get(Store(), second["id"]).status == "delivered",
        timeout=30,
        message="the kept check-in delivered",
    )
    assert [p["text"] for p in demo_prompt_records(workdir)] == [
        f"[check-in #{second['id']} from agenttui] kept one"
    ]
    listing = agenttui_result("checkins", "--all", "--json")
    assert {(row["id"], row["status"]) for row in json.loads(listing.stdout)} == {
        (first["id"], "cancelled"),
        (second["id"], "delivered"),
    }
    assert agenttui_result("checkin-cancel", str(second["id"])).returncode == 2


def test_checkin_to_a_missing_agent_fails_with_a_reason(
    demo_worker: tuple[TmuxDriver, Path], timer_process: subprocess.Popen[str]
) -> None:
    missing = schedule(Store(), "nobody", due=time.time(), note="hello", sender="lead")
    failed = wait_until(
        lambda: get(Store(), missing.id).status == "failed" and get(Store(), missing.id),
        timeout=30,
        message="the failure recorded",
    )
    assert "no agent named 'nobody'" in failed.detail


def test_one_timer_per_state_dir(timer_process: subprocess.Popen[str]) -> None:
    second = agenttui_result("timer")
    assert second.returncode == 1
    assert "already running" in second.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("90", 90),
        ("1.5s", 1.5),
        ("2d", 172800),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10x", "1h-5m", "m"])
def test_bad_durations_are_refused(text: str) -> None:
    result = agenttui_result("checkin", "worker", "--in", text or "''", "--note", "x")
    assert result.returncode == 2
    assert "bad duration" in result.stderr


def test_self_needs_a_pane() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TMUX_PANE"}
    result = subprocess.run(
        [sys.executable, "-m", "tui", "checkin", "self", "--in", "1m", "--note", "x"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2 and "TMUX_PANE" in result.stderr


def spawn_demo(driver: TmuxDriver, name: str, workdir: Path) -> str:
    workdir.mkdir()
    pane = driver.spawn([*agenttui_argv(), "demo-agent"], name=name, agent="demo", cwd=str(workdir))
    wait_until(
        lambda: any(line.startswith("❯") for line in driver.capture(pane.pane_id)),
        timeout=30,
        message=f"{name}'s input box",
    )
    return pane.pane_id


def test_a_checkin_for_a_pane_id_never_reaches_another_agent_after_a_tmux_restart(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    """`agenttui checkin self` (or %N) names a pane of one tmux server; after a restart the
    id may be any other agent's: the check-in fails saying so, and that agent gets nothing."""
    driver = TmuxDriver(tmux_server.target)
    pane = spawn_demo(driver, "first", tmp_path / "first")
    [scheduled] = json.loads(
        agenttui_result(
            "checkin", pane, "--in", "3s", "--note", "for the first one", "--json"
        ).stdout
    )
    tmux_server.cmd("kill-server")
    other_dir = tmp_path / "other"
    assert spawn_demo(driver, "other", other_dir) == pane  # a new server: ids from %0 again
    timer = subprocess.Popen(
        [*agenttui_argv(), "timer"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        checkin = scheduled["id"]
        failed = wait_until(
            lambda: get(Store(), checkin).status == "failed" and get(Store(), checkin),
            timeout=30,
            message="the check-in refused",
        )
    finally:
        timer.terminate()
        timer.wait(timeout=10)
        driver.close()
    assert f"pane {pane} is no longer the agent it was for" in failed.detail
    assert "the tmux server was restarted since the check-in was scheduled" in failed.detail
    assert demo_prompt_records(other_dir) == []
