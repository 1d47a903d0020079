"""An offline forge: GitHub's REST pull-request endpoints on 127.0.0.1, for the demo and tests.

It answers what ``workflows.forge.github`` calls (``GET /repos/{owner}/{repo}/pulls?head=…&state=…``
and ``POST /repos/{owner}/{repo}/pulls``) the way GitHub does: the bearer token is checked,
and 422 comes back for a head branch missing on the remote, a duplicate open pull request, or
on demand (``fail_next_422``). ``GET /{owner}/{repo}/pull/{n}`` (a pull request's
``html_url``) shows a small HTML page with the diff, read from the bare ``remote``.
With ``state_file`` the pull requests survive a restart (the demo's forge window).
What follows the opening (reviews, check runs, merges, conflicts) is
``workflows.forge.offline_feedback``. Every JSON answer to a GET carries an ``ETag``; a GET
with that ``If-None-Match`` is answered ``304 Not Modified`` with no body, as GitHub does
(and does not count against its rate limit): ``not_modified`` counts those answers.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from workflows.forge.offline_feedback import Answer, Feedback

PULLS = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls$")
PULL_PAGE = re.compile(r"^/([^/]+)/([^/]+)/pull/(\d+)/?$")
DOCS_URL = "https://docs.github.com/rest/pulls/pulls"


@dataclass
class Forge:
    token: str = "ghp_test_token_never_logged"
    remote: Path | None = None  # bare repository standing in for the GitHub side
    state_file: Path | None = None
    port: int = 0
    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next_422: str | None = None
    not_modified: int = 0
    _feedback: Feedback | None = None
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None, "the forge is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def bind(self) -> Forge:
        """Listen on 127.0.0.1 (``port`` 0: a free one) and load saved pull requests."""
        if self.state_file is not None and self.state_file.exists():
            self.pulls = list(json.loads(self.state_file.read_text(encoding="utf-8")))
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                forge._handle(self, "GET")

            def do_POST(self) -> None:
                forge._handle(self, "POST")

            def do_PUT(self) -> None:
                forge._handle(self, "PUT")

            def do_DELETE(self) -> None:
                forge._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        return self

    def start(self) -> Forge:
        """Serve from a daemon thread (tests); ``serve_forever`` blocks (the demo's window)."""
        self.bind()
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def serve_forever(self) -> None:
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._server.serve_forever()

    @property
    def feedback(self) -> Feedback:
        """Reviews, comments, check runs and merges of the pull requests (tests, the demo)."""
        if self._feedback is None:
            self._feedback = Feedback(self.pulls, self.remote, self.url)
        self._feedback.pulls, self._feedback.remote = self.pulls, self.remote
        return self._feedback

    @contextmanager
    def changing(self) -> Iterator[Feedback]:
        """Change reviews and check runs from another thread (the demo's reviewer) while
        requests are served; saved afterwards."""
        with self._lock:
            yield self.feedback
            self._save()

    def saved(self) -> None:
        """Write the state file after a change made through ``feedback``."""
        with self._lock:
            self._save()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- request handling ----------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"null") if length else None
        authorized = self._authorized(handler)
        self.requests.append(
            {"method": method, "path": parsed.path, "body": body, "authorization_ok": authorized}
        )
        page = PULL_PAGE.match(parsed.path)
        if method == "GET" and (page or parsed.path == "/"):
            return self._page(handler, page)
        if method == "GET" and parsed.path.startswith("/_logs/"):  # a log's redirect target
            return self._answer(handler, self.feedback.route(method, parsed.path, None))
        match = PULLS.match(parsed.path)
        if not authorized:
            return reply(handler, 401, {"message": "Bad credentials"})
        if match is None:
            with self._lock:
                answer = self.feedback.route(method, parsed.path, body)
                if answer is not None and method != "GET":
                    self._save()
            return self._answer(handler, answer)
        owner, repo = match.groups()
        if method == "GET":
            query = parse_qs(parsed.query)
            head, state = query.get("head", [""])[0], query.get("state", ["open"])[0]
            found = [
                pull
                for pull in self.pulls
                if pull["repo"] == f"{owner}/{repo}"
                and (not head or f"{owner}:{pull['head']['ref']}" == head)
                and pull["state"] == state
            ]
            return self._answer(handler, Answer(200, found))
        with self._lock:
            return self._create(handler, owner, repo, body or {})

    def _create(
        self, handler: BaseHTTPRequestHandler, owner: str, repo: str, body: dict[str, Any]
    ) -> None:
        missing = [key for key in ("title", "head", "base") if not body.get(key)]
        if missing:
            return unprocessable(handler, [{"field": k, "code": "missing_field"} for k in missing])
        if self.fail_next_422 is not None:
            message, self.fail_next_422 = self.fail_next_422, None
            return unprocessable(handler, [{"message": message}])
        if self.remote is not None and not branch_on_remote(self.remote, body["head"]):
            return unprocessable(
                handler, [{"field": "head", "code": "invalid", "resource": "PullRequest"}]
            )
        if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in self.pulls):
            message = f"A pull request already exists for {owner}:{body['head']}."
            return unprocessable(handler, [{"message": message}])
        number = len(self.pulls) + 1
        pull = {
            "number": number,
            "state": "open",
            "repo": f"{owner}/{repo}",
            "html_url": f"{self.url}/{owner}/{repo}/pull/{number}",
            "title": body["title"],
            "body": body.get("body", ""),
            "draft": bool(body.get("draft")),
            "head": {"ref": body["head"]},
            "base": {"ref": body["base"]},
        }
        self.pulls.append(pull)
        self._save()
        return reply(handler, 201, pull)

    def _answer(self, handler: BaseHTTPRequestHandler, answer: Answer | None) -> None:
        """Send a route's answer; a GET's JSON with its ETag, or 304 when it still matches."""
        if answer is None:
            return reply(handler, 404, {"message": "Not Found"})
        if answer.location is not None:
            handler.send_response(answer.status)
            handler.send_header("Location", answer.location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if answer.text is not None:
            return _send(handler, answer.status, "text/plain; charset=utf-8", answer.text.encode())
        if answer.status == 204:
            handler.send_response(204)
            handler.end_headers()
            return None
        data = json.dumps(answer.payload).encode()
        if handler.command != "GET" or answer.status != 200:
            return _send(handler, answer.status, "application/json", data)
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        if handler.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return None
        return _send(handler, 200, "application/json", data, etag=etag)

    def _save(self) -> None:
        if self.state_file is not None:
            temporary = self.state_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.pulls, indent=1), encoding="utf-8")
            temporary.replace(self.state_file)

    def _authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        given = handler.headers.get("Authorization")
        return given in (f"Bearer {self.token}", f"token {self.token}")

    def _page(self, handler: BaseHTTPRequestHandler, page: re.Match[str] | None) -> None:
        """A pull request as HTML (its html_url), or the list of them at ``/``."""
        if page is None:
            items = "".join(
                f'<li><a href="{html.escape(p["html_url"])}">#{p["number"]} '
                f"{html.escape(p['title'])}</a> ({p['head']['ref']})</li>"
                for p in self.pulls
            )
            return reply_html(handler, 200, "agenttui demo forge", f"<ul>{items}</ul>")
        owner, repo, number = page.groups()
        pull = next(
            (
                p
                for p in self.pulls
                if p["repo"] == f"{owner}/{repo}" and p["number"] == int(number)
            ),
            None,
        )
        if pull is None:
            return reply_html(handler, 404, "Not Found", "<p>No such pull request.</p>")
        diff = self._diff(pull["base"]["ref"], pull["head"]["ref"])
        text = (
            f"<p>{owner}/{repo} · {html.escape(pull['state'])} · "
            f"{html.escape(pull['head']['ref'])} → {html.escape(pull['base']['ref'])}</p>"
            f"<pre>{html.escape(pull['body'])}</pre><h2>Diff</h2><pre>{html.escape(diff)}</pre>"
        )
        return reply_html(handler, 200, f"#{number} {pull['title']}", text)

    def _diff(self, base: str, head: str) -> str:
        if self.remote is None:
            return "(no remote)"
        result = subprocess.run(
            ["git", "--git-dir", str(self.remote), "diff", f"{base}...{head}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout if result.returncode == 0 else result.stderr.strip()


def branch_on_remote(remote: Path, branch: str) -> bool:
    result = subprocess.run(
        ["git", "--git-dir", str(remote), "rev-parse", "--verify", "--quiet",
         f"refs/heads/{branch}"],
        capture_output=True,
        check=False,
    )  # fmt: skip
    return result.returncode == 0


def unprocessable(handler: BaseHTTPRequestHandler, errors: list[dict[str, Any]]) -> None:
    payload = {"message": "Validation Failed", "errors": errors, "documentation_url": DOCS_URL}
    reply(handler, 422, payload)


def reply(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    _send(handler, status, "application/json", json.dumps(payload).encode())


def reply_html(handler: BaseHTTPRequestHandler, status: int, title: str, body: str) -> None:
    page = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}"
    _send(handler, status, "text/html; charset=utf-8", page.encode())


def _send(
    handler: BaseHTTPRequestHandler, status: int, kind: str, data: bytes, etag: str | None = None
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    if etag is not None:
        handler.send_header("ETag", etag)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def serve(
    port_file: Path,
    *,
    state_file: Path | None,
    remote: Path | None,
    port: int = 0,
    helper: Callable[[Forge], None] | None = None,
) -> None:
    """Body of ``agenttui demo-forge``: the token comes from ``GITHUB_TOKEN`` (never argv);
    the port it listens on is written to ``port_file`` once it accepts connections.
    ``helper`` runs beside the server in a daemon thread (the demo's reviewer)."""
    import os

    token = os.environ.get("GITHUB_TOKEN") or ""
    if not token:
        raise SystemExit("demo-forge: GITHUB_TOKEN is not set")
    forge = Forge(token=token, remote=remote, state_file=state_file, port=port)
    try:
        forge.bind()
    except OSError:  # the port of last time is taken: any free one will do
        forge.port = 0
        forge.bind()
    temporary = port_file.with_suffix(".tmp")
    temporary.write_text(forge.url.rsplit(":", 1)[1] + "\n", encoding="utf-8")
    temporary.replace(port_file)
    print(f"agenttui demo forge at {forge.url} (pull requests: {forge.url}/)", flush=True)
    if helper is not None:
        threading.Thread(target=helper, args=(forge,), daemon=True).start()
    forge.serve_forever()
