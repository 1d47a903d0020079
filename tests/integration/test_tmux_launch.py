"""Launching agents through workflows.tmux.launch: secrets and multi-line words never on a
command line, yet the agent gets both intact; exit status and signals stay the agent's."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.paths import state_dir
from workflows.tmux.driver import TmuxDriver

SECRET = "sk-test-" + "7f3a9c1e5b" * 3  # long and unique: any leak is unmistakable
PRINTER = (
    "import json, os, sys; open(sys.argv[1], 'w').write(json.dumps("
    "[sys.argv[2:], os.environ.get('SECRET_KEY'), os.getcwd()]))"
)


class ProcessListWatch:
    """Samples ``ps -eo args`` as fast as it can until stopped."""

    def __init__(self) -> None:
        self.samples = 0
        self.leaks: list[str] = []
        self.multiline_seen = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
            out = ps.stdout
            self.samples += 1
            self.leaks += [line for line in out.splitlines() if SECRET in line]
            self.multiline_seen |= "second line of the prompt" in out

    def __enter__(self) -> ProcessListWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def test_secret_env_never_in_a_process_list(
    driver: TmuxDriver, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    outputs = [tmp_path / f"out{index}.json" for index in range(6)]
    prompt = "first line\nsecond line of the prompt\n\tthird; $HOME #{pane_id}"
    with ProcessListWatch() as watch:
        for index, out in enumerate(outputs):
            words = [prompt] if index % 2 else ["one-line"]  # both kinds of argv
            driver.spawn(
                [sys.executable, "-c", PRINTER, str(out), *words],
                name=f"secret{index}",
                cwd=str(tmp_path),
                env={"SECRET_KEY": SECRET},
            )
        wait_until(
            lambda: all(out.exists() and out.stat().st_size for out in outputs),
            timeout=60,
            message="every agent wrote what it received",
        )
    assert watch.samples >= 3, "ps was sampled during the spawns"
    assert watch.leaks == []
    assert not watch.multiline_seen  # a multi-line word is no command-line word either
    for index, out in enumerate(outputs):
        argv, secret, cwd = json.loads(out.read_text())
        assert secret == SECRET and cwd == str(tmp_path)
        assert argv == ([prompt] if index % 2 else ["one-line"])
    # Nor does tmux keep it: not in start commands, not in any environment it holds.
    start_commands = tmux_server.cmd("list-panes", "-a", "-F", "#{pane_start_command}")
    assert SECRET not in start_commands and "second line" not in start_commands
    assert SECRET not in tmux_server.cmd("show-environment", "-g")
    assert SECRET not in tmux_server.cmd("show-environment", "-t", tmux_server.session)
    assert list((state_dir() / "launch").iterdir()) == []  # each launch file read and deleted


def test_multi_line_word_reaches_the_agent_intact(driver: TmuxDriver, tmp_path: Path) -> None:
    out = tmp_path / "argv.json"
    words = ["line one\nline two\n", "\n", "trailing;", "tab\there", "中文\n🎉"]
    driver.spawn([sys.executable, "-c", PRINTER, str(out), *words], name="ml", cwd=str(tmp_path))
    wait_until(lambda: out.exists() and out.stat().st_size, message="argv file")
    assert json.loads(out.read_text())[0] == words


def test_launch_keeps_status_signal_and_default_sigpipe(driver: TmuxDriver, tmp_path: Path) -> None:
    status = tmp_path / "status"
    pipe = driver.spawn(
        ["sh", "-c", f"grep SigIgn /proc/self/status > '{status}'; exit 5"],
        name="pipe",
        cwd=str(tmp_path),
    )
    killed = driver.spawn(["sh", "-c", "kill -KILL $$"], name="killed", cwd=str(tmp_path))
    missing = driver.spawn(["no-such-agent-binary-xyz"], name="missing", cwd=str(tmp_path))
    panes = (pipe, killed, missing)
    wait_until(lambda: all(driver.resolve(p.pane_id).dead for p in panes), timeout=30)
    assert driver.resolve("pipe").dead_status == 5
    assert driver.resolve("killed").dead_signal == 9
    assert driver.resolve("missing").dead_status == 127
    ignored = int(status.read_text().split()[1], 16)
    assert not ignored & (1 << 12), "SIGPIPE (13) must not stay ignored in the agent"
