"""A local stand-in for GitHub's REST pull-request endpoints, on 127.0.0.1 only.

Records every pull request it is asked to open, checks the bearer token, answers 422 like
GitHub does (head branch missing on the remote, duplicate pull request, or on demand with
``fail_next_422``), and serves ``GET /repos/{owner}/{repo}/pulls?head=…&state=open``.
Point agenttui at it with ``GITHUB_API_URL=server.url`` and ``GITHUB_TOKEN=server.token``.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

PULLS = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls$")


@dataclass
class GitHubServer:
    token: str = "ghp_test_token_never_logged"
    remote: Path | None = None  # bare repository standing in for the GitHub side
    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next_422: str | None = None
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GitHubServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer._handle(self, "GET")

            def do_POST(self) -> None:
                outer._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- request handling ----------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"null") if length else None
        self.requests.append(
            {
                "method": method,
                "path": parsed.path,
                "body": body,
                "authorization_ok": self._authorized(handler),
            }
        )
        match = PULLS.match(parsed.path)
        if not self._authorized(handler):
            return _reply(handler, 401, {"message": "Bad credentials"})
        if match is None:
            return _reply(handler, 404, {"message": "Not Found"})
        owner, repo = match.groups()
        if method == "GET":
            query = parse_qs(parsed.query)
            head = query.get("head", [""])[0]
            found = [
                p
                for p in self.pulls
                if p["repo"] == f"{owner}/{repo}"
                and (not head or f"{owner}:{p['head']['ref']}" == head)
                and p["state"] == query.get("state", ["open"])[0]
            ]
            return _reply(handler, 200, found)
        return self._create(handler, owner, repo, body or {})

    def _create(
        self, handler: BaseHTTPRequestHandler, owner: str, repo: str, body: dict[str, Any]
    ) -> None:
        missing = [k for k in ("title", "head", "base") if not body.get(k)]
        if missing:
            return _unprocessable(handler, [{"field": k, "code": "missing_field"} for k in missing])
        if self.fail_next_422 is not None:
            message, self.fail_next_422 = self.fail_next_422, None
            return _unprocessable(handler, [{"message": message}])
        if self.remote is not None and not _branch_on_remote(self.remote, body["head"]):
            return _unprocessable(
                handler, [{"field": "head", "code": "invalid", "resource": "PullRequest"}]
            )
        if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in self.pulls):
            return _unprocessable(
                handler, [{"message": f"A pull request already exists for {owner}:{body['head']}."}]
            )
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
        return _reply(handler, 201, pull)

    def _authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        return handler.headers.get("Authorization") in (
            f"Bearer {self.token}",
            f"token {self.token}",
        )


def _branch_on_remote(remote: Path, branch: str) -> bool:
    result = subprocess.run(
        [
            "git",
            "--git-dir",
            str(remote),
            "rev-parse",
            "--verify",
            "--quiet",
            f"refs/heads/{branch}",
        ],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _unprocessable(handler: BaseHTTPRequestHandler, errors: list[dict[str, Any]]) -> None:
    _reply(
        handler,
        422,
        {
            "message": "Validation Failed",
            "errors": errors,
            "documentation_url": "https://docs.github.com/rest/pulls/pulls",
        },
    )


def _reply(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
