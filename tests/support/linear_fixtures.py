"""Pytest fixtures for the local Linear server (tests/support/linear_server.py documents its API).

``linear_server``: a started :class:`LinearServer` over the standard workspace, with
``LINEAR_API_URL`` and ``LINEAR_API_KEY`` set so ``workflows.issues.open_source()`` uses it.
At teardown the test fails if the server received any query invalid against Linear's schema
(set ``server.allow_invalid = True`` in a test that sends one on purpose).
``linear_source``: a LinearSource on that server with short timeouts and fast retries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.linear_server import LinearServer
from workflows.issues.linear import LinearSource
from workflows.issues.linear_http import ApiKey


@pytest.fixture
def linear_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LinearServer]:
    server = LinearServer().start()
    monkeypatch.setenv("LINEAR_API_URL", server.url)
    monkeypatch.setenv("LINEAR_API_KEY", server.api_key)
    try:
        yield server
    finally:
        server.stop()
    server.assert_all_valid()


@pytest.fixture
def linear_source(linear_server: LinearServer) -> Iterator[LinearSource]:
    source = LinearSource(
        ApiKey(linear_server.api_key), url=linear_server.url, timeout=5.0, backoff=0.01, page_size=5
    )
    yield source
    source.close()
