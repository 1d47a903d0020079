"""How the Linear client behaves when Linear misbehaves: auth, rate limits, 5xx, errors[],
timeouts, and that the API key never shows up anywhere a person could see it."""

from __future__ import annotations

import logging
import re
import time

import pytest

from tests.support.linear_server import LinearServer
from workflows.issues.linear import LinearSource
from workflows.issues.linear_http import (
    ApiKey,
    LinearAuthError,
    LinearError,
    LinearRateLimited,
    LinearUnavailable,
)
from workflows.issues.model import IssueFilters


def make_source(server: LinearServer, key: str | None = None, **options: object) -> LinearSource:
    options = {"timeout": 5.0, "backoff": 0.01, **options}
    return LinearSource(ApiKey(key or server.api_key), url=server.url, **options)  # type: ignore[arg-type]


def test_wrong_key_is_rejected_with_linear_message(linear_server: LinearServer) -> None:
    secret = "lin_api_WRONGwrongWRONGwrong1234567890"
    source = make_source(linear_server, secret)
    with pytest.raises(LinearAuthError) as caught:
        source.list_issues()
    message = str(caught.value)
    assert "Linear rejected the API key" in message
    assert "HTTP 401" in message and "Authentication required" in message
    assert secret not in message and secret not in repr(caught.value)
    assert len(linear_server.received) == 1  # auth errors are not retried


def test_forbidden_is_an_auth_error_too(
    linear_server: LinearServer, linear_source: LinearSource
) -> None:
    linear_server.fail(403, "You do not have access to this team")
    with pytest.raises(LinearAuthError, match=r"HTTP 403: You do not have access"):
        linear_source.list_issues()


def test_429_waits_for_the_reset_then_succeeds(linear_server: LinearServer) -> None:
    statuses: list[str] = []
    seen_while_waiting: list[float | None] = []

    def sleep(seconds: float) -> None:
        seen_while_waiting.append(source.client.rate_limited_until)
        time.sleep(seconds)

    source = make_source(linear_server, on_status=statuses.append, sleep=sleep)
    linear_server.rate_limit(reset_in=0.4)
    started = time.monotonic()
    issues = source.list_issues(IssueFilters(team="OPS"))
    assert [issue.identifier for issue in issues] == ["OPS-2", "OPS-1"]
    assert time.monotonic() - started >= 0.3  # honoured the reset header
    assert len(statuses) == 1
    assert re.search(r"rate limited until \d\d:\d\d:\d\d", statuses[0])
    assert [r.status for r in linear_server.received] == [429, 200]
    assert seen_while_waiting and seen_while_waiting[0] is not None  # visible while waiting
    assert source.client.rate_limited_until is None


def test_ratelimited_inside_400_is_recognised(linear_server: LinearServer) -> None:
    source = make_source(linear_server, max_rate_wait=0.0)
    linear_server.rate_limit(reset_in=120, status=400)
    with pytest.raises(LinearRateLimited) as caught:
        source.list_issues()
    assert re.search(r"Linear rate limited until \d\d:\d\d:\d\d", str(caught.value))
    assert caught.value.reset_at > time.time() + 100


def test_500_is_retried_then_succeeds(
    linear_server: LinearServer, linear_source: LinearSource
) -> None:
    linear_server.fail(500, times=2)
    assert len(linear_source.list_issues(IssueFilters(team="ENG"))) == 10
    assert [r.status for r in linear_server.received][:3] == [500, 500, 200]


def test_500_retries_are_bounded(linear_server: LinearServer, linear_source: LinearSource) -> None:
    linear_server.fail(503, "upstream connect error", times=10)
    with pytest.raises(LinearUnavailable, match=r"HTTP 503: upstream connect error"):
        linear_source.list_issues()
    assert len(linear_server.received) == 3  # first try + 2 retries


def test_errors_inside_http_200_raise_with_linear_message(
    linear_server: LinearServer, linear_source: LinearSource
) -> None:
    linear_server.graphql_error(
        "Argument Validation Error - first must be <= 250", code="INVALID_INPUT"
    )
    with pytest.raises(LinearError) as caught:
        linear_source.list_issues()
    assert "Argument Validation Error - first must be <= 250" in str(caught.value)
    assert caught.value.status == 200 and caught.value.code == "INVALID_INPUT"


def test_entity_not_found_comes_back_as_an_error(linear_source: LinearSource) -> None:
    with pytest.raises(LinearError, match="Entity not found: Issue"):
        linear_source.get_issue("ENG-999")


def test_slow_server_hits_the_timeout_with_bounded_retries(linear_server: LinearServer) -> None:
    source = make_source(linear_server, timeout=0.3, max_retries=1)
    linear_server.delay(3.0, times=2)
    started = time.monotonic()
    with pytest.raises(LinearUnavailable, match=r"did not answer within 0.3s"):
        source.list_issues()
    assert time.monotonic() - started < 2.5
    assert len(linear_server.received) == 2


def test_key_never_in_repr_logs_or_errors(
    linear_server: LinearServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = make_source(linear_server, timeout=0.3, max_retries=0)
    key = linear_server.api_key
    linear_server.delay(2.0)
    with pytest.raises(LinearError) as caught:
        source.list_issues()
    # A success too, so httpx logs a normal request (with the default timeout: 0.3 s is a
    # miss for the local server's schema check on a loaded machine).
    answered = make_source(linear_server)
    answered.list_issues()
    visible = [
        repr(ApiKey(key)),
        str(ApiKey(key)),
        repr(source),
        repr(source.client),
        repr(answered),
        str(caught.value),
        repr(caught.value),
        caplog.text,
    ]
    assert caplog.records  # httpx did log
    assert all(key not in text for text in visible)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
