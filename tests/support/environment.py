"""Every test's own HOME, config and state: no test reads or writes the person's.

HOME and the XDG folders point into the test's tmp_path; agenttui's config and state
variables too; secrets and CI markers are unset.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workflows.base.config import load_config
from workflows.base.paths import config_file


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("AGENTTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AGENTTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AGENTTUI_CONFIG", str(tmp_path / "config" / "config.toml"))
    for var in ("LINEAR_API_KEY", "GITHUB_TOKEN"):  # tmux's variables: tests/support/tmux_guard.py
        monkeypatch.delenv(var, raising=False)
    # CI=true (set by the CI runner) makes agent CLIs such as Gemini's run headless; the
    # tmux servers started by tests must give agents the environment of a person's terminal.
    for var in [name for name in os.environ if name.startswith("CI_")]:
        monkeypatch.delenv(var)
    for var in ("CI", "CONTINUOUS_INTEGRATION"):
        monkeypatch.delenv(var, raising=False)
    from workflows.base.config import load_config

    load_config.cache_clear()
    return home


def write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    load_config.cache_clear()
    return path


def append_config(text: str) -> Path:
    """``text`` added at the end of config.toml (made if missing), after what is there."""
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text)
    load_config.cache_clear()
    return path
