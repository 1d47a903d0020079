"""`agenttui --help` as a new user reads it: what the verbs are, what TARGET means, examples."""

from __future__ import annotations

import re
import subprocess
import sys


def agenttui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_the_verbs_a_person_uses_and_hides_internal_ones() -> None:
    done = agenttui("--help")
    assert done.returncode == 0
    listed = set(re.findall(r"^    ([a-z][a-z-]+)\s", done.stdout, re.MULTILINE))
    assert {"spawn", "send", "read", "issues", "run", "runs", "demo", "app"} <= listed
    assert not listed & {"run-worker", "hook", "demo-agent", "demo-forge"}
    assert agenttui("run-worker", "--help").returncode == 0  # still there for agenttui itself


def test_help_says_no_verb_opens_the_app_explains_target_and_has_examples() -> None:
    text = agenttui("--help").stdout
    usage = text.splitlines()[0]
    assert usage == (
        "usage: agenttui [--socket NAME] [--session NAME] [--host NAME] [--json] [VERB [ARGS ...]]"
    )
    assert "With no VERB, open the app" in text
    assert "TARGET (send, read, wait, keys, approve…) is an agent's name" in text
    assert "examples:" in text and "agenttui issues --state-type started" in text
    read = agenttui("read", "--help").stdout
    assert read.startswith("usage: agenttui read ")
    assert re.search(r"TARGET\s+agent name \(as in `agenttui ls`\) or tmux pane id like %3", read)


def test_repo_default_says_the_config_wins() -> None:
    text = " ".join(agenttui("run", "--help").stdout.split())
    assert "(default: [workflows] repo in config.toml, else the current directory)" in text
