"""Never silent, with the real Claude Code (current release, jailed): its auto mode through a
gateway stops on "Auto mode can't check actions in this session", a dialog no hook reports.

Under a profile without the rule for it (as every profile was before this release), the
dialog is reported as needing a person (``blocked``, its text as detail) within 10 s of being
drawn; with the built-in rule it is ``blocked`` for ``auto_mode_unavailable`` at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.tmux import TmuxServer
from workflows.agents.profiles import BUILTIN_DIR
from workflows.base.paths import config_dir
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
DIALOG = "Auto mode can't check actions in this session"


def profile_without_the_auto_mode_rule() -> None:
    """A user profile named claude: the built-in one minus that rule (config dir override)."""
    text = (BUILTIN_DIR / "claude.toml").read_text()
    start = text.index("[[rules]]\n# 2.1.3xx in its default")
    end = text.index("[[rules]]", start + 10)
    assert 'reason = "auto_mode_unavailable"' in text[start:end]
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / "claude.toml").write_text(text[:start] + text[end:])


def wait_cli(name: str, state: str, timeout: float) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--json", "wait", name, "--state", state,
         "--timeout", str(timeout)],
        capture_output=True, text=True, timeout=timeout + 30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("rules", ["without-its-rule", "built-in"])
def test_the_auto_mode_dialog_is_reported_with_its_text(
    driver: TmuxDriver,
    anthropic: AnthropicServer,
    tmp_path: Path,
    tmux_server: TmuxServer,
    rules: str,
) -> None:
    if rules == "without-its-rule":
        profile_without_the_auto_mode_rule()
    anthropic.script(Reply.bash("git push origin main"), Reply.text("Pushed."))
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="a1", permission_mode=None)
    agent.wait_screen("auto mode on")
    assert agent.send("push it").submitted
    agent.wait_screen(DIALOG, timeout=60)
    drawn = time.monotonic()
    reading = wait_cli("a1", "blocked", timeout=10)
    assert time.monotonic() - drawn < 10
    detail = reading["detail"]
    assert isinstance(detail, dict)
    if rules == "built-in":
        assert detail["reason"] == "auto_mode_unavailable"
        assert detail["message"] == DIALOG
    else:
        assert detail["reason"] == "unrecognised"
        assert any(DIALOG in line for line in detail["lines"])  # the dialog's own text
        assert detail["message"].startswith("Enter to stay in auto mode")
