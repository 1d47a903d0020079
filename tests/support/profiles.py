"""Agent profiles tests write into the config dir (variants of the built-in demo agent)."""

from __future__ import annotations

from workflows.agents.profiles import BUILTIN_DIR
from workflows.base.paths import config_dir


def write_profile(name: str, text: str) -> str:
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / f"{name}.toml").write_text(text)
    return name


def slow_demo_profile(seconds: float) -> str:
    """The demo agent, taking ``seconds`` per prompt: time to kill the runner mid-turn."""
    text = (BUILTIN_DIR / "demo.toml").read_text()
    text = text.replace(
        'command = ["{agenttui}", "demo-agent"]',
        f'command = ["{{agenttui}}", "demo-agent", "--work", "{seconds}"]',
    )
    text = text.replace('name = "demo"', 'name = "slowdemo"')
    assert "--work" in text
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / "slowdemo.toml").write_text(text)
    return "slowdemo"


def demo_without_its_dialog_rule() -> str:
    """The demo agent's profile minus its approval rule: its dialog is an unknown one."""
    text = (BUILTIN_DIR / "demo.toml").read_text()
    rule = '[[rules]]\nstate = "awaiting_approval"\n'
    start = text.index(rule)
    end = text.index("[[rules]]", start + len(rule))
    text = text[:start] + text[end:]
    return write_profile("ruleless", text.replace('name = "demo"', 'name = "ruleless"'))
