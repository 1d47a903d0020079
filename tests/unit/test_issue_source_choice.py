"""`[issues] source` picks the issue source whatever keys are set (the demo's config relies on
it: a Linear key inherited from a tmux server must not turn the demo's runs to Linear)."""

from __future__ import annotations

import pytest

from workflows.base.config import load_config
from workflows.base.paths import config_file
from workflows.issues import open_source


@pytest.mark.parametrize(("configured", "expected"), [("local", "local"), (None, "linear")])
def test_configured_source_wins_over_a_linear_key(
    monkeypatch: pytest.MonkeyPatch, configured: str | None, expected: str
) -> None:
    monkeypatch.setenv("LINEAR_API_KEY", "lin_api_not_a_real_key")
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(f'[issues]\nsource = "{configured}"\n' if configured else "")
    load_config.cache_clear()
    try:
        assert open_source().name == expected
    finally:
        load_config.cache_clear()
