"""Fixtures for the real-CLI tests: the scripted model servers (driver: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer
from tests.support.tmux import TmuxServer


@pytest.fixture
def anthropic() -> Iterator[AnthropicServer]:
    with AnthropicServer() as server:
        yield server


@pytest.fixture
def openai() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def gemini_server() -> Iterator[GeminiServer]:
    with GeminiServer() as server:
        yield server


@pytest.fixture
def new_user(isolated_env: Path, tmux_server: TmuxServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AGENTTUI_* locations: agenttui's defaults under the tmp HOME, as for a new user."""
    for name in ("AGENTTUI_STATE_DIR", "AGENTTUI_CONFIG_DIR", "AGENTTUI_CONFIG"):
        monkeypatch.delenv(name)
    return isolated_env
