"""Never silent: a dialog no rule recognises is reported as needing a person, with its text.

Two kinds of unknown dialog: a small program that draws one (its profile knows only its input
box), and the demo agent under a profile whose rules lack its approval dialog (as a profile
written before a CLI release added a dialog). ``agenttui wait/read/ls`` report ``blocked``
within 10 s with the screen's last lines; a run logs it once and ``agenttui runs`` shows who
waits; answering the dialog lets the run go on.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.profiles import demo_without_its_dialog_rule, write_profile
from tests.support.runs import run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.run_store import RunStore

DIALOG = r"""
import sys, time
print("acme agent 1.0")
print("──────────────────────────────")
print("❯ " + " ".join(sys.argv[1:]), flush=True)  # the prompt it was started with
time.sleep(0.5)
print("\x1b[2J\x1b[Hacme agent 1.0")  # redrawn: the dialog takes the input box's place
print("╭────────────────────────────────────────╮")
print("│ Frobnicate the repository first?       │")
print("│ ❯ 1. Yes, frobnicate                   │")
print("│   2. Not now                           │")
print("╰────────────────────────────────────────╯", flush=True)
while True:  # a dialog waiting for its answer (keys that are not one change nothing)
    sys.stdin.readline()
"""


def dialog_program_profile(tmp_path: Path) -> str:
    script = tmp_path / "acme.py"
    script.write_text(DIALOG)
    return write_profile(
        "acme",
        f"""name = "acme"
command = [{json.dumps(sys.executable)}, {json.dumps(str(script))}]
prompt = "argv"
ready = '^❯'
blocked_after_s = 3.0

[input_box]
screen = '^─{{10,}}\\n❯'
""",
    )


def test_a_program_drawing_an_unknown_dialog_is_blocked_with_its_text(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    agent = dialog_program_profile(tmp_path)
    spawned = agenttui(
        "--json", "spawn", "--agent", agent, "--name", "acme-1", "--cwd", str(tmp_path),
        "--prompt", "hello",
    )  # fmt: skip
    assert json.loads(spawned.stdout.splitlines()[-1])["state"] != "blocked"
    started = time.monotonic()
    waited = agenttui(
        "--json", "wait", "acme-1", "--state", "blocked", "--timeout", "10", timeout=30
    )
    took = time.monotonic() - started
    reading = json.loads(waited.stdout)
    assert reading["state"] == "blocked" and took < 10, (reading, took)
    assert reading["detail"]["reason"] == "unrecognised"
    assert "│ Frobnicate the repository first?       │" in reading["detail"]["lines"]
    read = json.loads(agenttui("--json", "read", "acme-1").stdout)
    assert read["state"] == "blocked" and read["detail"] == reading["detail"]
    listed = agenttui("ls").stdout
    assert "acme-1" in listed and "blocked" in listed


def test_a_run_whose_agent_shows_an_unknown_dialog_says_a_person_is_needed(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    tmp_path: Path,
) -> None:
    agent = demo_without_its_dialog_rule()
    workflow = tmp_path / "dialog.toml"
    workflow.write_text(
        'name = "dialog"\n\n[[steps]]\nid = "implement"\n'
        'prompt = "please run command `touch frob.txt` [work 0.1s]"\n'
        'output = ".agenttui/implement.md"\n'
    )
    run_id = start_run(
        str(workflow), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear",
        "--agent", agent,
    )  # fmt: skip

    def waiting() -> str | None:
        return run_summary(run_id).get("attention")

    attention = wait_until(waiting, timeout=30, message="the run waiting for a person")
    assert "is blocked: (unrecognised) Esc to cancel" in attention
    assert f"[waiting: {attention}]" in agenttui("runs").stdout
    log = agenttui("log", run_id).stdout
    assert log.count("a person is needed") == 1, log
    assert "|  Run command `touch frob.txt`?" in log  # the dialog's own text
    # A person answers the dialog (keys, as they would in the pane): the run goes on.
    (delivery,) = RunStore().deliveries(run_id)
    agenttui("keys", delivery.pane_id, "1")
    summary = wait_for_end(run_id, timeout=60)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert agenttui("log", run_id).stdout.count("a person is needed") == 1
