"""Where agenttui keeps its files, and how child processes call agenttui back.

Every location can be redirected by an environment variable so tests and power users never
touch the real ones: ``AGENTTUI_CONFIG`` (the config file), ``AGENTTUI_CONFIG_DIR``,
``AGENTTUI_STATE_DIR`` (store, logs, generated settings files).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "agenttui"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    """User configuration: config.toml, user workflows, user agent profiles."""
    override = os.environ.get("AGENTTUI_CONFIG_DIR")
    return Path(override) if override else _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME


def config_file() -> Path:
    override = os.environ.get("AGENTTUI_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


def state_dir() -> Path:
    """Store, run logs and generated per-pane files; created on first use."""
    override = os.environ.get("AGENTTUI_STATE_DIR")
    path = Path(override) if override else _xdg("XDG_STATE_HOME", ".local/state") / APP_NAME
    path.mkdir(parents=True, exist_ok=True)
    return path


def agenttui_argv() -> list[str]:
    """The command line that runs this same agenttui (for hooks, runner windows, demo agents).

    Uses the running interpreter so a pane or hook calls back into the same installation,
    whatever PATH the agent has.
    """
    return [sys.executable, "-m", "tui"]
