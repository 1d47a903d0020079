"""The README's command examples, as a new user types them after `bash tests/bootstrap.sh`.

Every `agenttui …` line of its ```sh blocks must parse with the real command line (options
that exist, values that fit). The ones that need nothing but a clean clone (the built-in
sample issues, a fresh HOME, tmux) run exactly as written, in the README's order, and must
succeed; those of the agent section run against an offline demo agent named `worker`
(the README spawns Claude Code, which needs a model). Lines that need a repository of the
reader's, a run id or a person at a terminal are only parsed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from tui.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
RUN_AS_WRITTEN = [
    "agenttui issues --mine --state-type started --label bug --since -P7D",
    "agenttui issue PCL-101",
    "agenttui groups --label billing",
    'echo "Looked into it" | agenttui comment PCL-101 -',
    'agenttui issue-state PCL-101 "In Review"',
    'agenttui issue-link PCL-101 https://github.com/acme/app/pull/7 --title "PR #7"',
    "agenttui runs",
    "agenttui cost",
    "agenttui cost --by day",
    "agenttui workflows --check feedback",
    'agenttui send worker "Fix the flaky test"',
    "agenttui send worker --file prompt.md",
    "agenttui read worker",
    "agenttui wait worker --state idle,awaiting_approval,asking,blocked --timeout 600",
    "agenttui keys worker Escape",
    "agenttui interrupt worker",
    "agenttui ls",
    "agenttui wait worker --state idle,awaiting_approval,asking,blocked --json",
    "agenttui read worker --json",
    "agenttui skill",
    "agenttui approvals --stats",
    "agenttui approvals-check Bash 'git commit -m x'",
    "agenttui approvals-learn Bash 'git commit -m x'",
    "agenttui kill worker",
]


def readme_commands() -> list[str]:
    """Each `agenttui` command line of the ```sh blocks, without its comment."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            command = " ".join(shlex.split(line, comments=True))
            if "agenttui " in f"{command} " and not command.startswith("bash "):
                lines.append(line.split("  #")[0].strip())
    return lines


def test_every_readme_command_parses() -> None:
    commands = readme_commands()
    assert len(commands) > 30
    for line in commands:
        words = shlex.split(line.split("|")[-1], comments=True)
        assert words[0] == "agenttui", line
        try:
            build_parser().parse_args(words[1:])
        except SystemExit as stop:
            pytest.fail(f"README command does not parse ({stop.code}): {line}")


def test_the_readme_commands_run_as_written(tmux_server: TmuxServer, tmp_path: Path) -> None:
    written = readme_commands()
    missing = [line for line in RUN_AS_WRITTEN if line not in written]
    assert not missing, f"no longer in the README: {missing}"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def run(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip

    spawned = run("agenttui spawn --agent demo --name worker --cwd .")  # the README's, offline
    assert spawned.returncode == 0, spawned.stderr
    (tmp_path / "prompt.md").write_text("Then tidy the imports\n", encoding="utf-8")
    for line in RUN_AS_WRITTEN:
        if line.startswith("agenttui send"):  # one prompt at a time, as a person would
            wait_until(lambda: run("agenttui wait worker --state idle").returncode == 0)
        done = run(line)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, line
