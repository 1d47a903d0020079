"""Every agent pane of a run recorded (asciicast v2, from tmux's pipe of the pane's output):
a demo run's recordings parse, and playing them — as the reader does and as `agenttui
replay` writes them to a terminal — ends on the very screen tmux shows for each pane."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.environment import append_config
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.pilot import project_with_workflows
from tests.support.recordings import RECORDING, WORKFLOWS, replayed
from tests.support.runs import quick_fix, wait_for_end
from tests.support.screens import played
from tests.support.tmux import TmuxServer, spawn_demo
from tests.support.waiting import wait_until
from workflows.runs.recording.asciicast import read_cast
from workflows.runs.recording.files import RecordingLimits, cast_path, run_casts, run_folder
from workflows.runs.recording.recorder import RunRecorder
from workflows.runs.recording.replay import RESTORE, final_screen
from workflows.runs.run_store import RunStore
from workflows.runs.runner import launch_run
from workflows.tmux.driver import TmuxDriver


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmux_server: TmuxServer) -> Path:
    project = project_with_workflows(tmp_path, monkeypatch, WORKFLOWS)
    config = Path(os.environ["AGENTTUI_CONFIG"])
    config.write_text(RECORDING + "[workflows]\nkeep_agents = true\n")  # panes stay to compare
    return project


def screen_of(driver: TmuxDriver, pane_id: str) -> list[str]:
    return [line.rstrip() for line in driver.capture(pane_id)]


def test_a_demo_runs_recordings_replay_to_each_panes_final_screen(
    repo: Path, driver: TmuxDriver
) -> None:
    run_id = launch_run("recorded", ["PCL-101"], target=driver.target)
    wait_until(
        lambda: RunStore().get(run_id).status in ("succeeded", "failed"),
        timeout=180,
        message="the run to end",
    )
    assert RunStore().get(run_id).status == "succeeded", agenttui("log", run_id).stdout
    casts = run_casts(run_id)
    assert [path.stem for path in casts] == [f"{run_id}-main", f"{run_id}-reviewer"]
    assert stat.S_IMODE(run_folder(run_id).stat().st_mode) == 0o700
    panes = {pane.name: pane for pane in driver.panes()}
    for path in casts:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        header, events = read_cast(path)  # asciicast v2, or BadCast with file:line
        first = json.loads(path.read_text().splitlines()[0])
        assert first["version"] == 2
        assert (first["width"], first["height"]) == (header.width, header.height)
        assert {event.code for event in events} <= {"o", "r"}
        assert [event.time for event in events] == sorted(event.time for event in events)
        pane = panes[path.stem]
        expected = screen_of(driver, pane.pane_id)
        assert "Write your answer" in "\n".join(expected)  # the agent's own work is there
        assert final_screen(header, events) == expected, path.stem

        # `agenttui replay` writes what ends on the same screen.
        shown = replayed(run_id, path.stem, "--speed", "1000", "--idle", "0.001")
        assert shown.endswith(RESTORE)  # the terminal put back (and a line for the prompt)
        assert played(shown.removesuffix(RESTORE), header.width, header.height) == expected

    listed = json.loads(agenttui("replay", run_id, "--list", "--json").stdout)
    assert [item["agent"] for item in listed] == [f"{run_id}-main", f"{run_id}-reviewer"]
    kinds = {event["kind"] for event in RunStore().events(run_id)}
    assert "recording" not in kinds  # nothing went wrong with them: nothing to say


def test_resize_resume_and_the_size_limit(tmux_server: TmuxServer, tmp_path: Path) -> None:
    driver = TmuxDriver(tmux_server.target)
    pane = spawn_demo(
        driver, tmp_path / "work", name="rx-main", prompt="Say hello [work 1s]", work=None
    ).pane_id
    driver.command("set-option", "-p", "-t", pane, "@agenttui_run", "rx")
    reports: list[str] = []
    recorder = RunRecorder("rx", TmuxDriver(tmux_server.target)).start()
    wait_until(lambda: recorder.recording == [pane], message="recording")
    wait_until(lambda: "Done" in "\n".join(screen_of(driver, pane)), timeout=30, message="work")
    driver.command("resize-window", "-t", pane, "-x", "90", "-y", "20")
    wait_until(lambda: b'"r", "90x20"' in cast_path("rx", "rx-main").read_bytes(), timeout=10)
    recorder.stop()

    # A runner that resumes the run appends to the same recording.
    tmux_server.cmd("send-keys", "-t", pane, "-l", "Again [work 1s]")
    tmux_server.cmd("send-keys", "-t", pane, "Enter")
    wait_until(lambda: "Done #2" in "\n".join(screen_of(driver, pane)), timeout=30)
    again = RunRecorder("rx", TmuxDriver(tmux_server.target)).start()
    wait_until(lambda: again.recording == [pane], message="recording again")
    time.sleep(0.3)
    again.stop()
    header, events = read_cast(cast_path("rx", "rx-main"))
    assert final_screen(header, events) == screen_of(driver, pane)

    # Past the size limit: a marker, a report, and nothing more is written.
    small = RecordingLimits(max_bytes=cast_path("rx", "rx-main").stat().st_size + 200)
    limited = RunRecorder(
        "rx",
        TmuxDriver(tmux_server.target),
        limits=small,
        report=lambda _pane, text: reports.append(text),
    ).start()
    wait_until(lambda: limited.recording == [pane], message="recording a third time")
    tmux_server.cmd("send-keys", "-t", pane, "-l", "Once more with a long answer [work 1s]")
    tmux_server.cmd("send-keys", "-t", pane, "Enter")
    wait_until(lambda: reports, timeout=30, message="the size limit")
    size = cast_path("rx", "rx-main").stat().st_size
    limit = f"{small.max_bytes / (1 << 20):g} MiB"
    assert reports == [f"recording of rx-main stopped: the size limit ({limit}) was reached"]
    _, events = read_cast(cast_path("rx", "rx-main"))
    assert events[-1].code == "m" and "size limit" in events[-1].data
    wait_until(lambda: "Done #3" in "\n".join(screen_of(driver, pane)), timeout=30)
    limited.stop()
    assert cast_path("rx", "rx-main").stat().st_size == size
    driver.close()


def test_replay_errors_say_what_is_there(repo: Path, driver: TmuxDriver) -> None:
    record = RunStore().create("recorded", {}, ["PCL-101"], {})
    none = agenttui("replay", record.id, check=False)
    assert none.returncode == 1
    assert f"run {record.id} has no recordings" in none.stderr
    folder = run_folder(record.id)
    folder.mkdir(parents=True)
    (folder / f"{record.id}-main.cast").write_text('{"version": 2, "width": 80, "height": 24}\n')
    wrong = agenttui("replay", record.id, "critic", check=False)
    assert wrong.returncode == 2
    assert f"no recording of 'critic' (it has: {record.id}-main)" in wrong.stderr
    (folder / f"{record.id}-main.cast").write_text('{"version": 1}\n')
    bad = agenttui("replay", record.id, "main", check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"{record.id}-main.cast:1: not an asciicast v2 header" in bad.stderr


def test_clean_removes_a_runs_recordings(repo: Path, driver: TmuxDriver) -> None:
    record = RunStore().create("recorded", {}, ["PCL-101"], {})
    RunStore().finish(record.id, "failed", "for the test")
    folder = run_folder(record.id)
    folder.mkdir(parents=True)
    (folder / "x-main.cast").write_text('{"version": 2, "width": 80, "height": 24}\n')
    result = json.loads(agenttui("clean", record.id, "--json").stdout)
    assert result["recordings_removed"] == [str(folder / "x-main.cast")]
    assert not folder.exists()


def test_a_pipe_not_yet_handed_over_when_the_run_ends_keeps_what_the_pane_printed(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    """A pane that starts just before its run ends, on a busy machine: tmux has opened its
    pipe, but the helper that hands it over has not been taken yet when the runner stops
    the recorder. What the pane printed meanwhile is in that pipe, and is kept."""
    driver = TmuxDriver(tmux_server.target)
    pane = spawn_demo(
        driver, tmp_path / "work", name="late-main", prompt="Say hello [work 3s]", work=None
    ).pane_id
    driver.command("set-option", "-p", "-t", pane, "@agenttui_run", "late")
    recorder = RunRecorder("late", TmuxDriver(tmux_server.target))
    recorder.poll()  # the first screen, and the pipe opened; no loop takes the handoff
    assert "Done" not in "\n".join(screen_of(driver, pane))
    wait_until(lambda: "Done" in "\n".join(screen_of(driver, pane)), timeout=30, message="work")
    recorder.stop()
    header, events = read_cast(cast_path("late", "late-main"))
    assert final_screen(header, events) == screen_of(driver, pane)
    driver.close()


def test_recordings_attached_to_the_pull_request_as_proof_of_work(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    """[recordings] attach_to_pr: the run's recordings are pushed on a ref of their own (the
    PR's branch holds only the work) and the PR body links each agent's file there."""
    append_config("[recordings]\nenabled = true\nattach_to_pr = true\n")
    run_id = quick_fix(project, "--test-command", "sh run_tests.sh")
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    ref = f"refs/agenttui/recordings/{run_id}"
    commit = run_git(project.remote, "rev-parse", ref)
    names = run_git(project.remote, "ls-tree", "--name-only", commit).split()
    assert names and all(name.endswith(".cast") for name in names)
    for name in names:  # what was pushed is the recording as it was: asciicast v2
        pushed = run_git(project.remote, "show", f"{commit}:{name}")
        assert json.loads(pushed.splitlines()[0])["version"] == 2
        assert len(pushed.splitlines()) > 1  # the agent's output, not only a header
    branch_files = run_git(project.remote, "ls-tree", "-r", "--name-only", summary["branch"])
    assert not any(name.endswith(".cast") for name in branch_files.split())
    (pull,) = github.pulls
    for name in names:
        assert f"https://github.com/acme/widgets/blob/{commit}/{name}" in pull["body"]
    assert f"recordings pushed to {ref}" in agenttui("log", run_id).stdout
