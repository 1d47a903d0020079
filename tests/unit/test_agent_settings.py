"""``[agents.NAME]`` in config.toml layers env, env_from, args and permission_mode over the
profile file (built-in or a user's), never its screen rules; errors name file:line; and
``profiles show`` says where each key came from."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.support.environment import write_config
from tui.commands.profiles import describe
from workflows.agents.profiles import BUILTIN_DIR, load_profile_file
from workflows.agents.settings import effective_profile, load_profile
from workflows.base.config import ConfigError
from workflows.base.paths import config_dir

GATEWAY = """\
[linear]
timeout = 10

[agents.claude]
env = { ANTHROPIC_BASE_URL = "https://gateway.example" }
env_from = ["ANTHROPIC_API_KEY"]
args = ["--model", "opus"]
permission_mode = "acceptEdits"
"""


def test_config_layers_over_the_builtin_profile_and_keeps_its_rules() -> None:
    builtin = load_profile_file("claude")
    assert builtin.permission_mode == "default"
    assert builtin.launch_argv() == ["claude", "--permission-mode", "default"]
    write_config(GATEWAY)
    profile = load_profile("claude")
    assert profile.env == {"ANTHROPIC_BASE_URL": "https://gateway.example"}
    assert profile.env_from == ["ANTHROPIC_API_KEY"]
    assert profile.launch_argv("hi", extra=["--settings", "f.json"]) == [
        "claude", "--permission-mode", "acceptEdits", "--model", "opus",
        "--settings", "f.json", "--", "hi",
    ]  # fmt: skip
    assert profile.rules == builtin.rules and profile.trust_answer == builtin.trust_answer
    assert profile.source == BUILTIN_DIR / "claude.toml"


def test_a_user_profile_file_still_replaces_the_builtin_and_config_layers_over_it() -> None:
    profiles = config_dir() / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "claude.toml").write_text('command = ["my-claude"]\nargs = ["--verbose"]\n')
    path = write_config(GATEWAY)
    with pytest.raises(ConfigError, match="does not say how to pass one"):
        load_profile("claude")  # the user's file has no permission_args
    write_config(GATEWAY.replace('permission_mode = "acceptEdits"\n', ""))
    effective = effective_profile("claude")
    assert effective.profile.command == ["my-claude"]
    assert effective.profile.rules == []  # the user file is the whole profile
    assert effective.profile.args == ["--verbose", "--model", "opus"]
    assert effective.origins["command"] == f"user file {profiles / 'claude.toml'}"
    assert effective.origins["args"] == f"{path}:7"


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        ('permission_mode = "bogus"', 6, "permission_mode: 'bogus' is not one of default, "),
        ('command = ["x"]', 6, "[agents.claude] has an unknown key 'command'; known: args, "),
        ('env = "ANTHROPIC_BASE_URL=x"', 6, "[agents.claude] env must be a table of strings"),
        ('args = "--model opus"', 6, "[agents.claude] args must be a list of strings"),
        ("env_from = [1]", 6, "[agents.claude] env_from must be a list of strings"),
    ],
)
def test_bad_agent_settings_name_the_file_and_line(section: str, line: int, message: str) -> None:
    path = write_config(f"# agents\n\n[tui]\nbell = false\n[agents.claude]\n{section}\n")
    with pytest.raises(ConfigError) as raised:
        load_profile("claude")
    assert str(raised.value).startswith(f"{path}:{line}: ")
    assert message in str(raised.value)


def test_a_misspelt_agent_and_a_mode_the_command_already_sets_are_refused() -> None:
    path = write_config("[agents.claud]\nargs = []\n")
    with pytest.raises(ConfigError, match=r"config\.toml:1: \[agents\.claud\] names no agent"):
        load_profile("codex")
    profiles = config_dir() / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "claude.toml").write_text(
        (BUILTIN_DIR / "claude.toml")
        .read_text()
        .replace('command = ["claude"]', 'command = ["claude", "--permission-mode", "plan"]')
    )
    assert load_profile_file("claude").launch_argv() == ["claude", "--permission-mode", "plan"]
    write_config('[agents.claude]\npermission_mode = "auto"\n')
    with pytest.raises(ConfigError) as raised:
        load_profile("claude")
    assert f"{path}:2: " in str(raised.value) and "in its command; remove it there" in str(
        raised.value
    )


def test_profiles_show_gives_each_key_its_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(GATEWAY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-never-printed")
    shown = describe("claude")
    keys = shown["keys"]
    assert keys["command"] == {
        "value": ["claude"],
        "from": f"built-in {BUILTIN_DIR / 'claude.toml'}",
    }
    assert keys["permission_mode"] == {"value": "acceptEdits", "from": f"{path}:8"}
    assert keys["args"]["from"] == f"{path}:7"
    assert keys["env.ANTHROPIC_BASE_URL"] == {
        "value": "https://gateway.example",
        "from": f"{path}:5",
    }
    assert keys["env_from.ANTHROPIC_API_KEY"]["from"] == f"{path}:6"
    assert "sk-ant-never-printed" not in str(shown)
    assert keys["launch"]["value"] == [
        "claude", "--permission-mode", "acceptEdits", "--model", "opus",
    ]  # fmt: skip


def test_the_readme_config_examples_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    from workflows.definitions.loader import load_workflow
    from workflows.runs.agent_choice import choose_agents

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = [part.split("```", 1)[0] for part in readme.split("```toml\n")[1:]]
    agents = next(block for block in blocks if block.startswith("[agents.claude]"))
    steps = next(block for block in blocks if block.startswith("[workflows.agents]"))
    write_config(agents + "\n" + steps)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    assert load_profile("claude").launch_argv()[:3] == [
        "claude",
        "--permission-mode",
        "acceptEdits",
    ]
    assert load_profile("codex").permission_mode == "on-request"
    assert choose_agents(load_workflow("feedback"))["review"].agent == "codex"


def test_profiles_lists_a_broken_user_profile_instead_of_failing() -> None:
    from tui.commands.profiles import run_profiles

    profiles = config_dir() / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "broken.toml").write_text('command = ["x"]\n[[rules]]\nstate = "nope"\n')
    rows = {row["name"]: row for row in run_profiles(argparse.Namespace(profiles_verb=None))}
    assert rows["broken"]["description"].startswith("(invalid: ")
    assert "unknown state 'nope'" in rows["broken"]["description"]
    assert rows["claude"]["description"] == "Claude Code"
