"""Every tmux verb through the real CLI: --json output and stable exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import agenttui_json, in_a_terminal
from tests.support.tmux import TmuxServer, demo_prompts
from tests.support.waiting import wait_until


@pytest.fixture
def demo(tmux_server: TmuxServer, tmp_path: Path) -> Iterator[Path]:
    code, spawned = agenttui_json(
        "spawn", "--agent", "demo", "--name", "d1", "--cwd", str(tmp_path),
        "--env", "DEMO_VAR=1", "--json", "--", "--work", "0.2",
    )  # fmt: skip
    assert code == 0, spawned
    assert spawned["pane"].startswith("%") and spawned["name"] == "d1"
    assert spawned["agent"] == "demo" and spawned["state"] in ("starting", "idle")
    code, idle = agenttui_json("wait", "d1", "--state", "idle", "--timeout", "30", "--json")
    assert (code, idle["state"]) == (0, "idle")
    yield tmp_path


def test_spawn_with_a_prompt_and_send_every_way(tmux_server: TmuxServer, tmp_path: Path) -> None:
    code, spawned = agenttui_json(
        "spawn", "--agent", "demo", "--cwd", str(tmp_path), "--prompt", "first;", "--json",
        "--", "--work", "0.1",
    )  # fmt: skip
    assert code == 0, spawned
    assert spawned["name"] == "demo-1" and spawned["prompt"]["submitted"] is True
    code, sent = agenttui_json("send", "demo-1", "-leading dash", "--json")
    assert (code, sent["delivered"], sent["submitted"], sent["attempts"]) == (0, True, True, 1)
    assert [step["step"] for step in sent["steps"]][-1] == "confirm"
    (tmp_path / "prompt.txt").write_text("from a file\nsecond line\n", encoding="utf-8")
    assert agenttui_json("send", "demo-1", "--file", str(tmp_path / "prompt.txt"), "--json")[0] == 0
    assert agenttui_json("send", spawned["pane"], "-", "--json", stdin="from stdin $(x)\n")[0] == 0
    wait_until(lambda: len(demo_prompts(tmp_path)) == 4, timeout=30, message="4 prompts")
    assert demo_prompts(tmp_path) == [
        "first;", "-leading dash", "from a file\nsecond line", "from stdin $(x)",
    ]  # fmt: skip


def test_send_errors_have_stable_exit_codes(demo: Path, tmux_server: TmuxServer) -> None:
    code, missing = agenttui_json("send", "nobody", "hi", "--json")
    assert code == 2 and "no agent named 'nobody'" in missing["error"]
    assert agenttui_json("send", "d1", "--json")[0] == 2  # no text at all
    assert agenttui_json("send", "d1", "text", "--file", "x", "--json")[0] == 2  # two texts
    assert agenttui_json("send", "d1", "busy [work 8s]", "--json")[0] == 0
    code, busy = agenttui_json("send", "d1", "too early", "--timeout", "0.5", "--json")
    assert code == 4 and busy["delivered"] is False and busy["steps"][0]["step"] == "preflight"
    code, drafted = agenttui_json("send", "d1", "draft", "--no-submit", "--timeout", "30", "--json")
    assert (code, drafted["delivered"], drafted["submitted"]) == (0, True, False)
    code, dead = agenttui_json(
        "spawn", "--agent", "shell", "--name", "gone", "--no-wait", "--json", "--", "-c", "exit 5"
    )
    assert code == 0, dead
    wait_until(lambda: agenttui_json("read", "gone", "--json")[1]["state"] == "exited")
    code, failed = agenttui_json("send", "gone", "hi", "--json")
    assert code == 4 and "exited (status 5" in failed["error"]
    assert demo_prompts(demo) == ["busy [work 8s]"]


def test_read_wait_keys_interrupt_ls_kill(demo: Path, tmux_server: TmuxServer) -> None:
    code, read = agenttui_json("read", "d1", "--json")
    assert code == 0 and read["state"] == "idle" and any(line == "❯" for line in read["lines"])
    assert agenttui_json("read", "d1", "--history", "100", "--json")[0] == 0
    assert agenttui_json("wait", "d1", "--state", "sleeping", "--json")[0] == 2
    assert agenttui_json("send", "d1", "please run command `echo ran > ran.txt`", "--json")[0] == 0
    code, asked = agenttui_json(
        "wait", "d1", "--state", "awaiting_approval", "--timeout", "30", "--json"
    )
    assert code == 0 and asked["detail"]["command"] == "echo ran > ran.txt"
    tmux_server.cmd("copy-mode", "-t", asked["pane"])  # keys must still reach the agent
    code, keys = agenttui_json("keys", "d1", "1", "--json")
    assert (code, keys["keys"]) == (0, ["1"])
    wait_until((demo / "ran.txt").exists, message="approved command ran")
    assert agenttui_json("wait", "d1", "--state", "idle", "--timeout", "30", "--json")[0] == 0
    assert agenttui_json("send", "d1", "long job [work 30s]", "--json")[0] == 0
    assert agenttui_json("wait", "d1", "--state", "idle", "--timeout", "0.5", "--json")[0] == 3
    code, interrupted = agenttui_json("interrupt", "d1", "--json")
    assert (code, interrupted["keys"]) == (0, ["Escape"])
    assert agenttui_json("wait", "d1", "--state", "idle", "--timeout", "30", "--json")[0] == 0
    code, listed = agenttui_json("ls", "--json")
    assert code == 0 and [row["name"] for row in listed] == ["d1"]
    assert listed[0]["state"] == "idle" and listed[0]["cwd"] == str(demo)
    code, text = agenttui_json("ls")
    assert code == 0 and "d1" in text and "idle" in text
    code, killed = agenttui_json("kill", "d1", "--json")
    assert (code, killed["killed"]) == (0, True)
    assert agenttui_json("ls", "--json")[1] == []
    assert agenttui_json("kill", "d1", "--json")[0] == 2


def _client_panes(server: TmuxServer) -> list[str]:
    return server.cmd("list-clients", "-F", "#{pane_id}").split()


def test_attach_outside_and_inside_tmux(demo: Path, tmux_server: TmuxServer) -> None:
    pane = agenttui_json("read", "d1", "--json")[1]["pane"]
    # Outside tmux: a real terminal client attaches straight to the agent's pane.
    outside = in_a_terminal(f"{sys.executable} -m tui attach d1")
    try:
        wait_until(lambda: _client_panes(tmux_server) == [pane], timeout=30, message="attached")
        # Inside tmux: from another pane, `attach` switches that client instead.
        code, other = agenttui_json("spawn", "--agent", "shell", "--name", "caller", "--json")
        assert code == 0
        tmux_server.cmd("switch-client", "-t", other["pane"])
        wait_until(lambda: _client_panes(tmux_server) == [other["pane"]])
        inner = f"{sys.executable} -m tui attach d1 --json > {demo}/attach.json"
        tmux_server.cmd("send-keys", "-t", other["pane"], "-l", inner)
        tmux_server.cmd("send-keys", "-t", other["pane"], "Enter")
        wait_until(lambda: _client_panes(tmux_server) == [pane], timeout=30, message="switched")
        wait_until(lambda: (demo / "attach.json").exists() and (demo / "attach.json").read_text())
        assert json.loads((demo / "attach.json").read_text())["how"] == "switch-client"
        tmux_server.cmd("detach-client", "-a")
        tmux_server.cmd("detach-client")
        assert outside.wait(timeout=30) == 0
    finally:
        if outside.poll() is None:
            outside.kill()
            outside.wait()


def test_hostile_prompts_through_the_cli_argv(demo: Path) -> None:
    from tests.support.hostile import HOSTILE_PROMPTS

    for prompt in [*HOSTILE_PROMPTS, "-x", "--json"]:
        code, sent = agenttui_json("send", "--json", "--timeout", "60", "d1", "--", prompt)
        assert (code, sent["submitted"], sent["attempts"]) == (0, True, 1), prompt
    wait_until(lambda: len(demo_prompts(demo)) >= len(HOSTILE_PROMPTS) + 2, timeout=60)
    assert demo_prompts(demo) == [*HOSTILE_PROMPTS, "-x", "--json"]


def test_spawn_reports_its_pane_when_the_prompt_is_not_submitted(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    # This demo agent takes every Enter after a paste as a newline: never submitted.
    code, spawned = agenttui_json(
        "spawn", "--agent", "demo", "--cwd", str(tmp_path), "--prompt", "hello", "--json",
        "--", "--swallow-enters", "9",
    )  # fmt: skip
    # Provably never submitted: not delivered (exit 4), and the box was cleared again.
    assert code == 4 and spawned["pane"].startswith("%")
    assert spawned["prompt"]["delivered"] is False and spawned["prompt"]["cleared"] is True
    steps = [step["step"] for step in spawned["prompt"]["steps"]]
    assert steps.count("enter") == 3  # one Enter and two bounded retries
    assert demo_prompts(tmp_path) == []


def test_unknown_key_names_are_refused_and_type_nothing(demo: Path) -> None:
    before = agenttui_json("read", "d1", "--json")[1]["lines"]
    code, refused = agenttui_json("keys", "d1", "NotAKey", "--json")
    assert code == 2 and "not a key name: 'NotAKey'" in refused["error"]
    assert "agenttui send" in refused["error"]
    assert agenttui_json("keys", "d1", "Escape", "Nope", "--json")[0] == 2  # none of them is sent
    assert agenttui_json("read", "d1", "--json")[1]["lines"] == before  # nothing was typed
    assert (
        agenttui_json("keys", "d1", "Escape", "C-u", "c-S-Up", "^c", "F12", "KPEnter", "BSpace")[0]
        == 0
    )
    assert demo_prompts(demo) == []


def test_reading_creates_nothing_and_says_where_it_looked(tmux_server: TmuxServer) -> None:
    from tests.support.tmux_guard import server_alive

    socket = Path(os.environ["TMUX_TMPDIR"]) / f"tmux-{os.getuid()}" / tmux_server.socket
    code, text = agenttui_json("ls")
    assert (code, text) == (0, f"no tmux session 'agenttui' on {socket}")
    assert agenttui_json("ls", "--json") == (0, [])
    assert agenttui_json("read", "worker") == (2, None)
    done = subprocess.run(
        [sys.executable, "-m", "tui", "read", "worker"], capture_output=True, text=True, check=False
    )
    assert f"no agent 'worker': there is no tmux session 'agenttui' on {socket}" in done.stderr
    assert agenttui_json("wait", "worker", "--state", "idle", "--timeout", "1")[0] == 2
    assert agenttui_json("kill", "worker")[0] == 2
    assert not server_alive(socket) and not socket.exists()  # no server was started
    tmux_server.cmd("new-session", "-d", "-s", "other")  # a server, without our session
    code, text = agenttui_json("ls")
    assert (code, text) == (0, f"no tmux session 'agenttui' on {socket}")
    assert tmux_server.cmd("list-sessions", "-F", "#{session_name}").split() == ["other"]
    tmux_server.cmd("new-session", "-d", "-s", "agenttui")
    code, text = agenttui_json("ls")
    assert (code, text) == (0, f"no agents in tmux session 'agenttui' on {socket}")


def human(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout


def test_human_output_is_text_not_dicts(tmux_server: TmuxServer, tmp_path: Path) -> None:
    code, spawned = human(
        "spawn", "--agent", "demo", "--name", "h1", "--cwd", str(tmp_path),
        "--prompt", "please run command `true`", "--", "--work", "0.1",
    )  # fmt: skip
    assert code == 0, spawned
    first, where, prompt = spawned.splitlines()
    assert first.startswith("started h1 (%") and ", demo): " in first
    assert (where, prompt) == (f"in {tmp_path}", "prompt submitted")
    code, waited = human("wait", "h1", "--state", "awaiting_approval", "--timeout", "30")
    assert code == 0 and waited.strip().endswith("): awaiting_approval — command: true")
    code, read = human("read", "h1")
    state, blank, *screen = read.splitlines()
    assert state == waited.strip() and blank == ""
    assert any("true" in line for line in screen)  # the dialog itself, below its state
    code, listed = human("workflows")
    assert code == 0 and listed.splitlines()[0].split()[0] in ("feedback", "quick-fix", "review")
    assert any(line.startswith("feedback ") and "Refine" in line for line in listed.splitlines())
    code, checked = human("workflows", "--check", "feedback")
    assert code == 0 and ": ok, workflow feedback: claim → refine-1 → " in checked
    for text in (spawned, waited, read, listed, checked):
        assert "{'" not in text and '{"' not in text and "[{" not in text
