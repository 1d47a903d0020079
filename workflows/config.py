"""The user's config file (TOML), read once per process; each domain reads its own table.

The file is hand-written by the user, so it is only ever read here, never rewritten
(tomli-w would drop its comments); generated files live under the state dir.
"""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from workflows.errors import AgentTuiError
from workflows.paths import config_file


@cache
def load_config() -> dict[str, Any]:
    path = config_file()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise AgentTuiError(f"{path}: {error}") from error


def section(name: str) -> dict[str, Any]:
    """One top-level table of the config (``[linear]``, ``[tui]``…), empty when absent."""
    value = load_config().get(name, {})
    if not isinstance(value, dict):
        raise AgentTuiError(f"{config_file()}: [{name}] must be a table")
    return value
