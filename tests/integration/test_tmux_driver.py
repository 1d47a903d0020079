"""The tmux driver on a real server: spawn without a shell, exit status, names, capture, keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.errors import UsageError
from workflows.tmux.driver import TmuxDriver

ARGV_PRINTER = "import json, os, sys; open(sys.argv[1], 'w').write(json.dumps([sys.argv[2:], os.getcwd(), os.environ.get('AGENT_VAR')]))"  # noqa: E501
HOSTILE_WORDS = [
    "a;",
    "\\;",
    "#{pane_id}",
    "$(echo no)",
    "`no`",
    "{",
    "}",
    "-t",
    "Enter",
    "it's",
    "~",
    "two\nlines",
    "中文 🎉",
]


@pytest.mark.parametrize(
    "words",
    [HOSTILE_WORDS, [word for word in HOSTILE_WORDS if "\n" not in word]],
    ids=["with-newline", "without-newline"],
)
def test_spawn_execs_argv_verbatim_without_a_shell(
    driver: TmuxDriver, tmp_path: Path, words: list[str]
) -> None:
    out = tmp_path / "argv.json"
    work = tmp_path / "dir with space #1"
    work.mkdir()
    pane = driver.spawn(
        [sys.executable, "-c", ARGV_PRINTER, str(out), *words],
        name="printer",
        agent="shell",
        cwd=str(work),
        env={"AGENT_VAR": "x; $HOME #{pane_id}"},
        run_id="run-7",
    )
    wait_until(lambda: out.exists() and out.read_text(), message="argv file")
    argv, cwd, env = json.loads(out.read_text())
    assert argv == words
    assert cwd == str(work)
    assert env == "x; $HOME #{pane_id}"
    info = driver.resolve("printer")
    assert (info.pane_id, info.name, info.agent, info.run_id) == (
        pane.pane_id,
        "printer",
        "shell",
        "run-7",
    )
    assert info.window_name == "printer" and (info.width, info.height) == (120, 40)


def test_exit_status_and_signal_stay_readable(driver: TmuxDriver, tmp_path: Path) -> None:
    quick = driver.spawn(["sh", "-c", "exit 3"], name="quick", cwd=str(tmp_path))
    killed = driver.spawn(["sh", "-c", "kill -TERM $$"], name="killed", cwd=str(tmp_path))
    single = driver.spawn(["true"], name="single", cwd=str(tmp_path))  # one word: no sh -c
    wait_until(lambda: all(driver.resolve(p.pane_id).dead for p in (quick, killed, single)))
    assert driver.resolve("quick").dead_status == 3
    assert driver.resolve("killed").dead_signal == 15
    assert driver.resolve("single").dead_status == 0


def test_names_resolve_and_duplicates_are_refused(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = driver.spawn(["cat"], name="alpha", cwd=str(tmp_path))
    assert driver.resolve("alpha").pane_id == pane.pane_id
    assert driver.resolve(pane.pane_id).name == "alpha"
    with pytest.raises(UsageError, match="already running"):
        driver.spawn(["cat"], name="alpha", cwd=str(tmp_path))
    with pytest.raises(UsageError, match="does not exist"):
        driver.spawn(["cat"], name="nowhere", cwd=str(tmp_path / "missing"))
    other = driver.spawn(["cat"], name="gamma", window="shared #{pane_id};", cwd=str(tmp_path))
    assert driver.resolve("gamma").window_name == "shared #{pane_id};"
    assert other.window_id != pane.window_id  # one window per pane
    with pytest.raises(UsageError, match="bad agent name"):
        driver.spawn(["cat"], name="no spaces", cwd=str(tmp_path))
    with pytest.raises(UsageError, match="no agent named 'beta'"):
        driver.resolve("beta")
    with pytest.raises(UsageError, match="no pane %4242"):
        driver.resolve("%4242")
    names = {p.name for p in driver.panes()}
    assert "alpha" in names and "" in names  # the session's home window has no agent


def test_capture_history_keys_and_kill(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = driver.spawn(["bash", "--norc", "--noprofile", "-i"], name="sh", cwd=str(tmp_path),
                        env={"PS1": "$ "})  # fmt: skip
    wait_until(lambda: any(line.startswith("$") for line in driver.capture(pane.pane_id)))
    driver.command("send-keys", "-t", pane.pane_id, "-l", "seq 1 100; echo END-MARK")
    driver.send_keys(pane.pane_id, "Enter")
    wait_until(lambda: "END-MARK" in driver.capture(pane.pane_id))
    assert "1" not in driver.capture(pane.pane_id)  # scrolled off the 40 visible rows
    assert "1" in driver.capture(pane.pane_id, history=200)
    colored = driver.capture(pane.pane_id, escapes=True)
    assert any("END-MARK" in line for line in colored)
    driver.kill(pane.pane_id)
    assert pane.pane_id not in {p.pane_id for p in driver.panes()}


def test_escape_is_sent_alone(driver: TmuxDriver, tmp_path: Path) -> None:
    log = tmp_path / "keys.log"
    reader = Path(__file__).parents[1] / "support" / "raw_reader.py"
    pane = driver.spawn([sys.executable, str(reader), str(log), "--no-echo"], name="keys",
                        cwd=str(tmp_path))  # fmt: skip
    wait_until(lambda: any(">" in line for line in driver.capture(pane.pane_id)))
    driver.send_keys(pane.pane_id, "Escape", "x")
    wait_until(lambda: log.exists() and log.read_bytes() == b"\x1bx", message="ESC then x")


def test_ensure_session_is_idempotent(driver: TmuxDriver, tmux_server: TmuxServer) -> None:
    driver.ensure_session()
    driver.ensure_session()
    sessions = tmux_server.cmd("list-sessions", "-F", "#{session_name}").split()
    assert sessions == [tmux_server.session]


def test_commands_survive_a_server_restart(
    driver: TmuxDriver, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    driver.spawn(["cat"], name="before", cwd=str(tmp_path))
    tmux_server.cmd("kill-server")
    after = driver.spawn(["cat"], name="after", cwd=str(tmp_path))
    assert [p.name for p in driver.panes() if p.name] == ["after"]
    assert after.pane_id.startswith("%")
