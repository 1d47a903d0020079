"""The one start-up against a trust dialog recorded from Claude Code 2.1.332, where the cursor
starts on "No, exit" (tests/support/trust_dialog.py replays it and, like Claude, drops keys sent in
the first 0.4 s and quits on Enter there): the start-up picks "Yes" and the agent lives; a
dialog it cannot read is reported as waiting for a person, with the reason, everywhere."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import tomli_w

from tests.support.cli import agenttui
from tests.support.git_repos import make_project
from tests.support.runs import run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.agents.observe import read_state
from workflows.agents.profiles import BUILTIN_DIR, Profile
from workflows.agents.settings import load_profile
from workflows.agents.startup import (
    StartupReport,
    StartupTimeout,
    start_agent,
    wait_until_ready,
)
from workflows.agents.state import AgentState
from workflows.base.paths import config_dir
from workflows.base.store import Store
from workflows.base.target import TmuxTarget
from workflows.tmux.driver import TmuxDriver

TESTS = Path(__file__).resolve().parent.parent
DIALOG = TESTS / "support" / "trust_dialog.py"
RECORDED = TESTS / "fixtures" / "trust" / "claude-2.1.332.txt"


def dialog_command(*, deaf: float = 0.4) -> list[str]:
    return [
        sys.executable, str(DIALOG), str(RECORDED), "--marker", "❯",
        "--yes", "Yes, I trust this folder", "--no", "No, exit", "--deaf", str(deaf),
    ]  # fmt: skip


def claude_on_the_recorded_dialog(*, deaf: float = 0.4) -> Profile:
    """The built-in claude profile (its trust answer, its rules), on the replayed dialog."""
    return replace(load_profile("claude"), command=dialog_command(deaf=deaf), hooks="none")


class StateWatch:
    """Another process's view of the pane (as `agenttui read` or a tile): its states, every
    20 ms, from its own tmux connection."""

    def __init__(self, driver: TmuxDriver, pane_id: str, profile: Profile) -> None:
        self.states: list[str] = []
        self._stop = threading.Event()
        self._driver = driver
        self._thread = threading.Thread(target=self._run, args=(pane_id, profile), daemon=True)
        self._thread.start()

    def _run(self, pane_id: str, profile: Profile) -> None:
        while not self._stop.is_set():
            reading = read_state(self._driver, self._driver.resolve(pane_id), profile=profile)
            if not self.states or self.states[-1] != reading.state.value:
                self.states.append(reading.state.value)
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._driver.close()


def watch_states(pane_id: str, profile: Profile) -> StateWatch:
    socket = os.environ["AGENTTUI_TMUX_SOCKET"]
    session = os.environ["AGENTTUI_SESSION"]
    return StateWatch(TmuxDriver(TmuxTarget(socket, session)), pane_id, profile)


class Told:
    """A StartupReport that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.waiting: list[str | None] = []

    def report(self) -> StartupReport:
        return StartupReport(
            event=lambda kind, text: self.events.append((kind, text)),
            waiting=self.waiting.append,
        )


@pytest.mark.parametrize("deaf", [0.4, 1.5])
def test_startup_picks_yes_when_no_exit_is_selected_first(
    driver: TmuxDriver, tmp_path: Path, deaf: float
) -> None:
    """Enter alone (the old start-up) quits this agent; the start-up moves to "Yes" first, and
    keys the dialog drops (deaf 1.5 s, longer than the profile's settle time) are sent again."""
    profile = claude_on_the_recorded_dialog(deaf=deaf)
    told = Told()
    pane = start_agent(driver, profile, name="t1", cwd=str(tmp_path))
    seen = watch_states(pane.pane_id, profile)
    reading = wait_until_ready(driver, pane, profile=profile, timeout=30, report=told.report())
    seen.stop()
    assert reading.state is AgentState.IDLE
    # What read/wait/the tiles said meanwhile: never that a person is needed.
    assert "starting" in seen.states and "trust" not in seen.states, seen.states
    assert (tmp_path / "trusted").read_text() == "yes\n"  # it chose "Yes, I trust this folder"
    assert not driver.resolve(pane.pane_id).dead
    kinds = [event["kind"] for event in events_for_agent(Store(), "t1")]
    assert kinds == ["trust_watching", "trust_answering", "trust_answered"]
    keys = events_for_agent(Store(), "t1", kind="trust_answered")[0]["payload"]["keys"]
    assert keys[-1] == "Enter" and set(keys[:-1]) == {"Down"}
    assert (len(keys) == 2) is (deaf < 0.5)  # a dropped Down was sent again
    assert told.events == [("trust", f"answered the trust dialog of t1 (keys: {' '.join(keys)})")]
    assert told.waiting == []  # nobody was called


def test_an_agent_that_restarts_after_trust_is_ready_only_once_restarted(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """Gemini 0.61 draws its old (untrusted) UI without the dialog for a moment before it
    restarts to apply the answer, and loses keys sent then (a prompt sent on that screen
    never arrived, 2 runs in 21 under load): ready is told only after the restart."""
    fixtures = TESTS / "fixtures"
    command = [
        sys.executable, str(DIALOG), str(fixtures / "trust" / "gemini-0.61.0.txt"),
        "--marker", "●", "--yes", "Trust folder (", "--no", "Don't trust",
        "--restart", "2.0",
        "--ready", str(fixtures / "screens" / "gemini" / "0.61.0" / "idle-fresh.txt"),
    ]  # fmt: skip
    profile = replace(load_profile("gemini"), command=command)
    pane = start_agent(driver, profile, name="t5", cwd=str(tmp_path))
    reading = wait_until_ready(driver, pane, profile=profile, timeout=30)
    assert reading.state is AgentState.IDLE
    assert (tmp_path / "trusted").exists()
    assert (tmp_path / "restarted").exists()  # not the old process's screen


def test_a_dialog_it_cannot_answer_waits_for_a_person_with_the_reason(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """A release that renamed the trusting option: no key is pressed, the agent is `trust`
    with the reason in read, and the start-up's timeout says what it was stuck on."""
    claude = claude_on_the_recorded_dialog()
    assert claude.trust_answer is not None
    answer = replace(claude.trust_answer, option=re.compile("Trust forever"))
    profile = replace(claude, trust_answer=answer)
    told = Told()
    pane = start_agent(driver, profile, name="t2", cwd=str(tmp_path))
    with pytest.raises(StartupTimeout) as raised:
        wait_until_ready(driver, pane, profile=profile, timeout=5, report=told.report())
    message = str(raised.value)
    assert "t2 was not ready after 5s: stuck on trust (agenttui could not answer it: no " in message
    assert "trust.option 'Trust forever'" in message and "❯ No, exit" in message
    assert told.waiting and "t2 (" in str(told.waiting[0]) and "is trust:" in str(told.waiting[0])
    reading = read_state(driver, driver.resolve(pane.pane_id), profile=profile)
    assert reading.state is AgentState.TRUST and reading.state.needs_person
    assert "Trust forever" in reading.detail["reason"]
    assert not driver.resolve(pane.pane_id).dead and not (tmp_path / "trusted").exists()
    stuck = events_for_agent(Store(), "t2", kind="trust_stuck")
    assert stuck and stuck[0]["payload"]["keys"] == []


def write_profile(name: str, *, option: str) -> None:
    """A user profile file: the built-in claude profile's rules on the replayed dialog."""
    data = tomllib.loads((BUILTIN_DIR / "claude.toml").read_text(encoding="utf-8"))
    data.update(name=name, command=dialog_command(), hooks="none")
    data["trust"]["option"] = option
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / f"{name}.toml").write_text(tomli_w.dumps(data))


def test_spawn_answers_trust_and_read_wait_show_a_dialog_left_to_a_person(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    write_profile("replayed", option="Yes, I trust this folder")
    write_profile("renamed", option="Trust forever")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    done = agenttui("spawn", "--agent", "replayed", "--name", "ok", "--cwd", str(tmp_path / "a"),
                    "--json")  # fmt: skip
    assert json.loads(done.stdout)["state"] == "idle"
    assert (tmp_path / "a" / "trusted").exists()
    stuck = agenttui("spawn", "--agent", "renamed", "--name", "stuck", "--cwd",
                     str(tmp_path / "b"), "--timeout", "4", "--json", check=False)  # fmt: skip
    assert stuck.returncode == 3
    assert "stuck was not ready after 4s: stuck on trust (agenttui could not answer" in stuck.stderr
    read = json.loads(agenttui("read", "stuck", "--json").stdout)
    assert read["state"] == "trust" and "Trust forever" in read["detail"]["reason"]
    waited = json.loads(agenttui("wait", "stuck", "--state", "trust", "--json").stdout)
    assert waited["state"] == "trust"


def test_spawn_no_wait_leaves_trust_to_a_person_who_approves_it(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    write_profile("replayed", option="Yes, I trust this folder")
    agenttui("spawn", "--agent", "replayed", "--name", "later", "--cwd", str(tmp_path),
             "--no-wait")  # fmt: skip
    read = wait_until(
        lambda: (
            (r := json.loads(agenttui("read", "later", "--json").stdout))["state"] == "trust" and r
        ),
        timeout=20,
        message="trust",
    )
    assert read["detail"] == {"reason": "no agenttui start-up is answering it"}
    approved = json.loads(agenttui("approve", "later", "--json").stdout)
    assert approved["keys"] == ["Down", "Enter"] and approved["after"]["state"] != "trust"
    assert (tmp_path / "trusted").exists()
    assert json.loads(agenttui("wait", "later", "--state", "idle", "--json").stdout)


WORKFLOW = """
name = "one-agent"
agent = "renamed"

[[steps]]
id = "refine"
prompt = "Refine {issue_ids}"
output = ".agenttui/refine.md"
timeout = 12
"""


def test_a_run_stuck_on_trust_shows_who_waits_and_fails_saying_why(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    write_profile("renamed", option="Trust forever")
    project = make_project(tmp_path)
    definition = tmp_path / "one-agent.toml"
    definition.write_text(WORKFLOW)
    run_id = start_run(str(definition), "--issues", "PCL-101", "--repo", str(project.repo))
    waiting = wait_until(
        lambda: run_summary(run_id).get("attention"), timeout=60, message="attention"
    )
    assert f"{run_id}-main" in waiting and "is trust: agenttui could not answer it" in waiting
    summary = wait_for_end(run_id, timeout=60)
    assert summary["status"] == "failed"
    assert "not ready after 12s: stuck on trust (agenttui could not answer it" in summary["error"]
    log = agenttui("log", run_id).stdout
    assert "attention" in log and "Trust forever" in log
