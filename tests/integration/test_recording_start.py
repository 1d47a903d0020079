"""A run's panes start being recorded together: one batch of tmux commands opens every new
pane's pipe, one wake-up takes every handoff waiting, and a pane that goes between the
listing and the batch is reported while the others are recorded exactly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.tmux import TmuxServer, spawn_demo
from tests.support.waiting import wait_until
from workflows.runs.recording.asciicast import read_cast
from workflows.runs.recording.files import cast_path
from workflows.runs.recording.handoff import Handoff
from workflows.runs.recording.recorder import RunRecorder, _Pane
from workflows.runs.recording.replay import final_screen
from workflows.tmux.driver import TmuxDriver


def screen_of(driver: TmuxDriver, pane_id: str) -> list[str]:
    return [line.rstrip() for line in driver.capture(pane_id)]


def test_one_wake_up_takes_every_handoff_waiting() -> None:
    """What ``pipe-pane`` runs, three times before the recorder looks: all three pipes are
    taken at once, in order, each the very pipe the helper was given."""
    handoff = Handoff()
    pipes = [os.pipe() for _ in range(3)]
    try:
        for number, (read_end, _) in enumerate(pipes):
            command = handoff.command(f"%{number}", 7)
            subprocess.run(["sh", "-c", command], stdin=read_end, check=True, timeout=30)
        handed = handoff.accept_waiting()
        assert [(each.pane_id, each.generation) for each in handed] == [
            ("%0", 7),
            ("%1", 7),
            ("%2", 7),
        ]
        for each, (_, write_end) in zip(handed, pipes, strict=True):
            os.write(write_end, f"to {each.pane_id}".encode())
            assert os.read(each.fd, 64) == f"to {each.pane_id}".encode()
            os.close(each.fd)
        assert handoff.accept_waiting() == []
    finally:
        handoff.close()
        for read_end, write_end in pipes:
            os.close(read_end)
            os.close(write_end)


def test_panes_starting_together_are_recorded_together_and_one_gone_is_reported(
    tmux_server: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = TmuxDriver(tmux_server.target)
    panes = [
        spawn_demo(
            driver,
            tmp_path / f"w{number}",
            name=f"many-{number}",
            prompt=f"Say hi {number} [work 2s]",
            work=None,
        ).pane_id
        for number in range(5)
    ]
    for pane in panes:
        driver.command("set-option", "-p", "-t", pane, "@agenttui_run", "many")
    gone = panes[2]
    reports: list[tuple[str, str]] = []
    recorder = RunRecorder(
        "many",
        TmuxDriver(tmux_server.target),
        report=lambda pane, text: reports.append((pane, text)),
    )
    listing = recorder._panes

    def listed_then_one_pane_goes() -> list[_Pane]:
        listed = listing()
        driver.command("kill-pane", "-t", gone)  # between the listing and the batch
        return listed

    with monkeypatch.context() as patched:
        patched.setattr(recorder, "_panes", listed_then_one_pane_goes)
        recorder.poll()  # every pane's first screen and pipe, in one batch
    assert len(reports) == 1 and reports[0][0] == gone, reports
    assert reports[0][1].startswith("many-2 is not recorded: ") and gone in reports[0][1]

    kept = sorted(pane for pane in panes if pane != gone)
    recorder.start()
    wait_until(lambda: recorder.recording == kept, timeout=30, message="the four recording")
    done = lambda pane: "Done" in "\n".join(screen_of(driver, pane))  # noqa: E731
    wait_until(lambda: all(done(pane) for pane in kept), timeout=60, message="their work")
    recorder.stop()
    for number, pane in enumerate(panes):
        if pane == gone:
            assert not cast_path("many", f"many-{number}").exists()
            continue
        header, events = read_cast(cast_path("many", f"many-{number}"))
        assert final_screen(header, events) == screen_of(driver, pane), pane
    driver.close()


def test_a_pane_whose_agent_exits_stops_being_recorded(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    """Agent panes stay on exit (remain-on-exit) and tmux keeps their pipe open: the poll's
    own listing sees the pane dead and ends its recording, keeping what it printed."""
    driver = TmuxDriver(tmux_server.target)
    pane = driver.spawn(
        ["sh", "-c", "sleep 1.5; echo the-last-words; sleep 0.5"],
        name="dies-main",
        cwd=str(tmp_path),
        run_id="dies",
    ).pane_id
    driver.command("set-option", "-p", "-t", pane, "@agenttui_run", "dies")
    recorder = RunRecorder("dies", TmuxDriver(tmux_server.target)).start()
    wait_until(lambda: recorder.recording == [pane], timeout=30, message="recording")
    wait_until(lambda: recorder.recording == [], timeout=30, message="the dead pane let go")
    assert any(pane.dead for pane in driver.panes() if pane.name == "dies-main")
    recorder.stop()  # (its thread may still be closing the file)
    _, events = read_cast(cast_path("dies", "dies-main"))
    assert "the-last-words" in "".join(event.data for event in events)
    driver.close()
