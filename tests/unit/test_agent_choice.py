"""Which agent each step of a run uses: command line over config, a per-step choice over an
all-steps one, a session's steps share one agent, and mistakes are named."""

from __future__ import annotations

import pytest

from workflows.base.config import load_config
from workflows.base.errors import UsageError
from workflows.base.paths import config_file
from workflows.definitions.loader import load_workflow
from workflows.runs.agent_choice import choose_agents

FEEDBACK_AGENT_STEPS = ("refine-1", "refine-2", "refine-3", "plan", "implement", "review")


def config(text: str) -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(text, encoding="utf-8")
    load_config.cache_clear()


def agents(cli: list[str] | None = None) -> dict[str, str]:
    chosen = choose_agents(load_workflow("feedback"), cli)
    assert tuple(chosen) == FEEDBACK_AGENT_STEPS
    return {step: choice.agent for step, choice in chosen.items()}


def test_the_workflow_decides_when_nobody_else_does() -> None:
    assert set(agents().values()) == {"claude"}


def test_one_step_from_the_command_line_and_everything_else_as_before() -> None:
    chosen = agents(["review=codex"])
    assert chosen["review"] == "codex" and chosen["implement"] == "claude"
    assert agents(["reviewer=gemini"])["review"] == "gemini"  # by session name


def test_command_line_over_config_and_per_step_over_all_steps() -> None:
    config('[workflows]\nagent = "demo"\n\n[workflows.agents]\nreview = "codex"\n')
    assert agents() == {**dict.fromkeys(FEEDBACK_AGENT_STEPS, "demo"), "review": "codex"}
    assert set(agents(["shell"]).values()) == {"shell"}  # --agent NAME: every step
    assert agents(["shell", "review=gemini"])["review"] == "gemini"
    why = choose_agents(load_workflow("feedback"))["review"].why
    assert why.startswith(f"{config_file()}:5 [workflows.agents] review")


def test_mistakes_are_named() -> None:
    with pytest.raises(UsageError, match=r"no agent step or session 'reveiw'; its agent steps: "):
        agents(["reveiw=codex"])
    with pytest.raises(UsageError, match=r"--agent review=codx: no agent profile 'codx'"):
        agents(["review=codx"])
    with pytest.raises(UsageError, match=r"share session 'main' \(one agent pane\)"):
        agents(["implement=codex"])  # refine-1…plan would still be claude in that pane
    assert set(agents(["main=codex"]).values()) == {"codex", "claude"}
    config('[workflows.agents]\nreview = "nobody"\n')
    with pytest.raises(UsageError, match=r"config\.toml:2 \[workflows\.agents\] review: no agent"):
        agents()
    with pytest.raises(UsageError, match="NAME or STEP=NAME"):
        agents(["=codex"])
