"""Hangs and duplicates on slow services (issue 18 item 7), against the local GraphQL server
(tests/support/linear_server.py: trickled answers, answers lost after the mutation took effect)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.cli import agenttui
from tests.support.linear_server import LinearServer
from workflows.base.config import load_config
from workflows.base.paths import config_file
from workflows.forge import github
from workflows.forge.github import GitHubError, create_pull_request
from workflows.issues.linear import LinearSource
from workflows.issues.linear_http import ApiKey, LinearUnavailable


def source_for(server: LinearServer, **options: Any) -> LinearSource:
    options = {"timeout": 1.0, "backoff": 0.01, **options}
    return LinearSource(ApiKey(server.api_key), url=server.url, **options)


def test_a_trickling_linear_is_bounded_per_request(linear_server: LinearServer) -> None:
    linear_server.trickle(0.2, times=3)  # ~1 KB at 5 bytes a second: minutes per answer
    source = source_for(linear_server)
    started = time.monotonic()
    with pytest.raises(LinearUnavailable, match=r"did not answer within 1s"):
        source.list_issues()
    assert time.monotonic() - started < 5  # 3 attempts of 1 s, not minutes
    assert len(source.list_issues()) == 12  # the next request gets a fresh connection


def test_poll_rounds_are_bounded_and_never_hold_the_lock(linear_server: LinearServer) -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text("[linear]\ntimeout = 1.5\n\n[watch]\nround_timeout = 2\n")
    load_config.cache_clear()
    linear_server.trickle(0.5, times=10)
    started = time.monotonic()
    first = agenttui("poll", "--dry-run", "--json", check=False)
    assert time.monotonic() - started < 15
    round_one = json.loads(first.stdout)
    assert first.returncode == 1 and round_one["status"] == "error"
    assert "did not answer within" in round_one["error"] or "round limit" in round_one["error"]
    second = json.loads(agenttui("poll", "--dry-run", "--json", check=False).stdout)
    assert second["status"] != "skipped"  # the lock went with the first round


@pytest.mark.parametrize("comment_ids", ["idempotent", "refused", "ignored"])
def test_a_comment_whose_answer_was_lost_is_posted_once(
    linear_server: LinearServer, comment_ids: str
) -> None:
    linear_server.workspace.comment_ids = comment_ids
    linear_server.lose_answer(3.0, operation="commentCreate")
    source = source_for(linear_server)
    source.comment("ENG-1", "PR: https://example.test/pull/1")  # no error: it was posted
    assert linear_server.workspace.comments_on("ENG-1") == ["PR: https://example.test/pull/1"]
    assert len(linear_server.mutations("commentCreate")) == 1  # looked, did not re-post


def test_a_lost_answer_with_no_retry_left_is_looked_up_before_failing(
    linear_server: LinearServer,
) -> None:
    """The create went through, its answer was lost and no retry is allowed: the comment is
    looked up, found, and the call succeeds instead of reporting an error."""
    linear_server.workspace.comment_ids = "refused"
    linear_server.lose_answer(3.0, operation="commentCreate")
    source = source_for(linear_server, max_retries=0)  # no look before retrying: the fallback
    source.comment("ENG-2", "once")
    assert linear_server.workspace.comments_on("ENG-2") == ["once"]


def test_a_comment_is_not_posted_again_when_linear_cannot_say(
    linear_server: LinearServer,
) -> None:
    linear_server.lose_answer(3.0, operation="commentCreate")
    linear_server.trickle(0.5, times=10, operation="comment")  # the look-up hangs too
    with pytest.raises(LinearUnavailable):
        source_for(linear_server).comment("ENG-3", "maybe")
    assert linear_server.workspace.comments_on("ENG-3") == ["maybe"]
    assert len(linear_server.mutations("commentCreate")) == 1


class _TricklingPulls(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"[]" + b" " * 200
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def trickling_github(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TricklingPulls)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    monkeypatch.setattr(github, "TIMEOUT_S", 1.0)
    yield
    server.shutdown()
    server.server_close()


def test_a_trickling_github_is_bounded(trickling_github: None) -> None:
    started = time.monotonic()
    with pytest.raises(GitHubError, match=r"GitHub did not answer GET .* within 1s"):
        create_pull_request("acme/app", head="fix", base="main", title="t", body="b")
    assert time.monotonic() - started < 3
