"""Fixtures for the real-CLI tests: a driver on the private tmux server, scripted servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import TmuxServer
from tests.e2e.model_server import AnthropicServer, OpenAIServer
from workflows.tmux.driver import TmuxDriver


@pytest.fixture
def driver(tmux_server: TmuxServer) -> Iterator[TmuxDriver]:
    tmux = TmuxDriver(socket=tmux_server.socket, session=tmux_server.session)
    tmux.ensure_session()
    yield tmux
    tmux.close()


@pytest.fixture
def anthropic() -> Iterator[AnthropicServer]:
    with AnthropicServer() as server:
        yield server


@pytest.fixture
def openai() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server
