"""The agent panes of a host step recorded too (issue 17): on the host, tmux's pipe of the
pane into a stamping Python writing a 0600 file there, fetched over the host's shared ssh
connection into the run's recording here, through the host dropping mid-step."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.environment import append_config
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.host_runs import start_on_host, submitted
from tests.support.recordings import replayed
from tests.support.runs import wait_for_attention, wait_for_end
from tests.support.screens import played
from tests.support.sshd import SshdHost
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.recording.asciicast import read_cast, sizes
from workflows.runs.recording.files import RecordingLimits, cast_path, run_casts, run_folder
from workflows.runs.recording.host_recorder import HostRecorder
from workflows.runs.recording.replay import RESTORE, final_screen
from workflows.runs.run_store import RunStore
from workflows.tmux.driver import TmuxDriver


@pytest.mark.usefixtures("linear_server")
def test_a_host_steps_agent_is_recorded_here_through_the_host_dropping_and_replays_its_screen(
    tmux_server: TmuxServer,
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    tmp_path: Path,
) -> None:
    append_config("[workflows]\nkeep_agents = true\n")  # the pane stays there to compare
    run_id = start_on_host(ssh_host, project, tmp_path, 6.0)
    submitted(RunStore(), run_id)
    ssh_host.stop()  # down mid-turn: the pane's output goes on into the file there
    wait_for_attention(run_id)  # the host missed
    ssh_host.start()

    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    agent = f"{run_id}-main"
    assert [path.stem for path in run_casts(run_id)] == [agent]  # here, as a local one
    path = run_folder(run_id) / f"{agent}.cast"
    assert stat.S_IMODE(run_folder(run_id).stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header, events = read_cast(path)  # asciicast v2, or BadCast naming file:line
    assert json.loads(path.read_text().splitlines()[0])["version"] == 2
    assert {event.code for event in events} <= {"o", "r"}
    assert [event.time for event in events] == sorted(event.time for event in events)

    # Its replay ends on the very screen the host's tmux shows for that pane.
    socket = tmux_server.socket
    listed = ssh_host.ssh(f"tmux -L {socket} list-panes -a -F '#{{pane_id}} #{{@agenttui_name}}'")
    (pane_id,) = [line.split()[0] for line in listed.stdout.splitlines() if line.endswith(agent)]
    shown_there = ssh_host.ssh(f"tmux -L {socket} capture-pane -p -t {pane_id}").stdout
    width, height = list(sizes(header, events))[-1]  # (a resize is followed too)
    expected = [line.rstrip() for line in shown_there.split("\n")[:height]]
    assert "Done #1 in" in "\n".join(expected)  # the agent's own work is there
    assert final_screen(header, events) == expected
    assert "wrote DEMO_CHANGES.md" in "".join(event.data for event in events)
    shown = replayed(run_id, agent, "--speed", "1000", "--idle", "0.001")
    assert shown.endswith(RESTORE)
    assert played(shown.removesuffix(RESTORE), width, height) == expected

    # Everything was fetched once: nothing left there, nothing pending here.
    leftovers = ssh_host.ssh('find "$HOME/.cache/agenttui/recordings" -type f').stdout
    assert leftovers.split() == []
    assert list(run_folder(run_id).glob(".*")) == []
    said = [event["message"] for event in RunStore().events(run_id) if event["kind"] == "recording"]
    assert all("recording on host 'remote' waits for it: " in text for text in said), said


def test_a_host_panes_resize_a_killed_runners_rest_and_the_size_limit(
    ssh_host: SshdHost, tmux_server: TmuxServer
) -> None:
    del tmux_server  # (this machine's, for the tmux guard; the pane is the host's)
    driver = TmuxDriver(ssh_host.target())
    pane = driver.spawn(["sh", "-i"], name="rh-main", cwd=str(ssh_host.home), env={"PS1": "$ "})
    driver.command("set-option", "-p", "-t", pane.pane_id, "@agenttui_run", "rh")
    path = cast_path("rh", "rh-main")
    reports: list[str] = []

    def screen() -> list[str]:
        return [line.rstrip() for line in driver.capture(pane.pane_id)]

    def echo(mark: str) -> None:  # a shell redraws nothing: each line printed once
        driver.command("send-keys", "-t", pane.pane_id, "-l", f"echo {mark}")
        driver.command("send-keys", "-t", pane.pane_id, "Enter")
        wait_until(lambda: mark in screen(), timeout=30, message=mark)

    def recorder(limits: RecordingLimits | None = None) -> HostRecorder:
        def report(_pane: str, text: str) -> None:
            reports.append(text)

        return HostRecorder(
            "rh", ssh_host.target(), lambda: {"remote"}, limits=limits, report=report
        )

    def printed(mark: str) -> int:
        """How often the pane's stream (its screens left out) printed ``mark`` as a line."""
        stream = [event.data for event in read_cast(path)[1] if "\x1b[2J" not in event.data]
        return "".join(stream).count(f"\r\n{mark}\r\n")

    wait_until(lambda: screen()[0] == "$", timeout=30, message="the shell's prompt")
    first = recorder()
    first.poll()  # (a runner's thread polls each second; here one poll at a time)
    assert first.recording == ["remote rh-main"]
    echo("mark-1")
    driver.command("resize-window", "-t", pane.pane_id, "-x", "90", "-y", "20")
    first.poll()  # a new pipe, the screen as tmux re-laid it
    assert b'"r", "90x20"' in path.read_bytes()
    echo("mark-2")
    wait_until(lambda: first.poll(fetch=True) or printed("mark-2"), message="mark-2 fetched")
    first.poll(fetch=True)  # once more: nothing fetched twice
    assert printed("mark-1") == printed("mark-2") == 1
    # That runner is killed here (never stopped): its pipe and its file there go on.
    echo("mark-3")
    assert printed("mark-3") == 0

    resumed = recorder().start()  # the rest of that pipe's file first, then its own pipe
    wait_until(lambda: resumed.recording, timeout=30, message="the resumed runner recording")
    echo("mark-4")
    resumed.stop()
    header, events = read_cast(path)
    assert [printed(f"mark-{n}") for n in (1, 2, 3, 4)] == [1, 1, 1, 1]  # each once
    assert final_screen(header, events) == screen()
    assert list(run_folder("rh").glob(".*")) == []  # nothing left to fetch
    assert reports == []

    small = RecordingLimits(max_bytes=path.stat().st_size + 1000)
    limited = recorder(small)
    limited.poll()
    driver.command("send-keys", "-t", pane.pane_id, "-l", "seq 1000 1400")
    driver.command("send-keys", "-t", pane.pane_id, "Enter")
    wait_until(lambda: limited.poll(fetch=True) or reports, timeout=30, message="the limit")
    size = path.stat().st_size
    limit = f"{small.max_bytes / (1 << 20):g} MiB"
    assert reports == [f"recording of rh-main stopped: the size limit ({limit}) was reached"]
    assert read_cast(path)[1][-1].code == "m"
    echo("mark-5")
    limited.stop()
    assert path.stat().st_size == size  # nothing more after the marker
    driver.close()
