"""A run agent's identity: the tmux server's, how an exit reads, a server change logged."""

from __future__ import annotations

import signal
import subprocess

import pytest

from workflows.base.errors import AgentTuiError
from workflows.runs.run_agents import exit_text, note_server
from workflows.runs.run_store import RunStore
from workflows.tmux.server import ServerIdentity


def test_a_server_is_its_pid_and_start_time() -> None:
    server = ServerIdentity.parse("4242\t1796419986\t/tmp/tmux-0/x")
    assert server == ServerIdentity(4242, 1796419986, "/tmp/tmux-0/x")
    assert server.hook_key == "/tmp/tmux-0/x,4242"  # as hooks record $TMUX
    assert ServerIdentity.from_json(server.as_json()) == server
    assert server.same_server(ServerIdentity(4242, 1796419986, "/elsewhere"))
    assert not server.same_server(ServerIdentity(4242, 1796419987, "/tmp/tmux-0/x"))  # pid reused
    with pytest.raises(AgentTuiError, match="did not say which server"):
        ServerIdentity.parse("")


def test_exits_read_as_a_person_says_them() -> None:
    assert exit_text(None, int(signal.SIGKILL)) == "killed by SIGKILL"
    assert exit_text(None, 99) == "killed by signal 99"
    assert exit_text(1, None) == "exit status 1"
    assert exit_text(None, None) == "exit status unknown"


def test_a_run_logs_when_its_tmux_server_is_not_the_one_it_worked_with() -> None:
    runs = RunStore()
    run = runs.create("feedback", {"steps": []}, ["ENG-1"], {})
    first, again = ServerIdentity(10, 1000, "/s"), ServerIdentity(10, 1000, "/s")
    note_server(runs, runs.get(run.id), first)
    note_server(runs, runs.get(run.id), again)
    assert [e["kind"] for e in runs.events(run.id)] == ["created"]
    restarted = ServerIdentity(11, 2000, "/s")
    note_server(runs, runs.get(run.id), restarted)
    (event,) = [e for e in runs.events(run.id) if e["kind"] == "tmux-restart"]
    assert "the tmux server was restarted since this run last ran" in event["message"]
    assert event["data"] == {"before": first.as_json(), "now": restarted.as_json()}
    assert runs.get(run.id).context["tmux_server"] == restarted.as_json()


def test_a_run_without_its_runner_says_whether_its_tmux_server_went_too() -> None:
    runs = RunStore()
    run = runs.create("feedback", {"steps": []}, ["ENG-1"], {})
    runs.update(run.id, status="running", current_step="plan")
    alone = runs.get(run.id).summary().error
    assert alone.startswith("the runner stopped unexpectedly during plan")
    gone = ServerIdentity(_reaped_pid(), 1000, "/tmp/tmux-0/x")
    runs.update_context(run.id, tmux_server=gone.as_json())
    said = runs.get(run.id).summary().error
    assert said.startswith(f"during plan: the tmux server the run worked in ({gone}) is gone")
    assert f"`agenttui resume {run.id}` starts the step again" in said


def _reaped_pid() -> int:
    """A pid nothing runs as any more."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
