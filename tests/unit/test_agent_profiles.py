"""Built-in agent profiles load, carry what the verbs need, and users can add or override."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.agents.profiles import list_profiles
from workflows.agents.settings import load_profile
from workflows.base.errors import AgentTuiError


def test_builtin_profiles_load_with_keys_and_rules() -> None:
    assert {"claude", "codex", "gemini", "aider", "shell", "demo"} <= set(list_profiles())
    for name in ("claude", "codex", "gemini", "aider", "demo"):
        profile = load_profile(name)
        assert profile.keys["approve"] and profile.keys["deny"] and profile.keys["interrupt"]
        states = {rule.state for rule in profile.rules}
        assert {"awaiting_approval", "working", "idle"} <= states, name
    assert load_profile("claude").hooks == "claude-settings"
    assert load_profile("codex").hooks == "codex-notify"
    for name in ("claude", "codex", "gemini"):
        assert load_profile(name).trust_answer is not None, name


def test_user_profile_adds_and_overrides(tmp_path: Path) -> None:
    user_dir = tmp_path / "config" / "profiles"
    user_dir.mkdir(parents=True)
    (user_dir / "mine.toml").write_text('command = ["my-agent"]\n[keys]\ninterrupt = ["C-c"]\n')
    (user_dir / "claude.toml").write_text('command = ["claude", "--model", "x"]\n')
    assert "mine" in list_profiles()
    assert load_profile("mine").keys["interrupt"] == ["C-c"]
    assert load_profile("claude").command == ["claude", "--model", "x"]


def test_bad_user_profile_names_the_file(tmp_path: Path) -> None:
    user_dir = tmp_path / "config" / "profiles"
    user_dir.mkdir(parents=True)
    (user_dir / "broken.toml").write_text(
        'command = ["x"]\n[[rules]]\nstate = "idle"\nscreen = "("\n'
    )
    with pytest.raises(AgentTuiError, match=r"broken\.toml.*bad regex"):
        load_profile("broken")
