"""Pull requests on GitHub: the REST API over httpx, or the ``gh`` CLI when it is installed.

``GITHUB_API_URL`` points the REST client at another server (GitHub Enterprise, or the
local test server); with that override the REST path is always used. The token comes from
``GITHUB_TOKEN`` and never appears in a message, log or exception.
Creating a pull request is idempotent: an open one for the same head branch is reused, so a
resumed run never opens a second one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import httpx

from workflows.base.errors import AgentTuiError
from workflows.base.http_deadline import request_within

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_S = 30.0
CREATED_MAYBE = (
    "; the pull request may have been opened: a resumed run looks for it before opening one"
)


class GitHubError(AgentTuiError):
    """GitHub refused or could not be reached; carries the HTTP status and GitHub's message."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # None: no answer (or no token to ask with)

    @property
    def lasting(self) -> bool:
        """Asking again will not help: no token, bad credentials, no such repository or pull
        request (a rate limit, a 5xx or no answer may pass)."""
        return self.status in (401, 404) or str(self).startswith("GITHUB_TOKEN is not set")


@dataclass(frozen=True)
class PullRequest:
    url: str
    number: int
    created: bool  # False when an open pull request for the branch already existed


def check_credentials() -> None:
    """Fail before pushing anything when no pull request could be opened afterwards."""
    uses_rest = bool(os.environ.get("GITHUB_API_URL")) or not shutil.which("gh")
    if uses_rest and not os.environ.get("GITHUB_TOKEN"):
        raise GitHubError(
            "GITHUB_TOKEN is not set (and the gh CLI is not installed): cannot open a pull request"
        )


def create_pull_request(
    repo: str, *, head: str, base: str, title: str, body: str, draft: bool = False
) -> PullRequest:
    if "/" not in repo:
        raise GitHubError(f"GitHub repository must be OWNER/NAME, got {repo!r}")
    api_url = os.environ.get("GITHUB_API_URL")
    if not api_url and shutil.which("gh"):
        return _with_gh(repo, head=head, base=base, title=title, body=body, draft=draft)
    with rest_client("cannot open a pull request") as client:
        owner = repo.split("/", 1)[0]
        path = f"/repos/{repo}/pulls"
        existing = _request(
            client, "GET", path, params={"head": f"{owner}:{head}", "state": "open"}
        )
        if isinstance(existing, list) and existing:
            return _pull_request(existing[0], "GET", path, created=False)
        created = _request(
            client,
            "POST",
            path,
            json={"title": title, "head": head, "base": base, "body": body, "draft": draft},
        )
        return _pull_request(created, "POST", path, created=True)


def rest_client(purpose: str) -> httpx.Client:
    """An httpx client for GitHub's REST API (``GITHUB_API_URL``, else api.github.com) with
    ``GITHUB_TOKEN``; redirects followed (job logs answer with one)."""
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise GitHubError(f"GITHUB_TOKEN is not set (and the gh CLI is not installed): {purpose}")
    return httpx.Client(
        base_url=(os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        timeout=TIMEOUT_S,
        follow_redirects=True,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )


def _pull_request(data: Any, method: str, path: str, *, created: bool) -> PullRequest:
    try:
        return PullRequest(str(data["html_url"]), int(data["number"]), created)
    except (KeyError, TypeError, ValueError):
        raise GitHubError(
            f"GitHub's answer to {method} {path} has no pull request url and number"
            + (CREATED_MAYBE if created else "")
        ) from None


def send(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request within the deadline; a refusal (HTTP ≥ 400) or no answer raises
    GitHubError with the status and GitHub's message."""
    try:
        response = request_within(client, TIMEOUT_S, method, path, **kwargs)
    except httpx.TimeoutException:
        raise GitHubError(
            f"GitHub did not answer {method} {path} within {TIMEOUT_S:g}s ({client.base_url})"
            + (CREATED_MAYBE if method == "POST" else "")
        ) from None
    except httpx.HTTPError as error:
        # httpx messages name the URL, never the headers: no token can leak here.
        raise GitHubError(f"cannot reach the GitHub API at {client.base_url}: {error}") from None
    if response.status_code >= 400:
        raise GitHubError(
            f"GitHub refused {method} {path} (HTTP {response.status_code}): "
            f"{_github_message(response)}",
            response.status_code,
        )
    return response


def _request(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    response = send(client, method, path, **kwargs)
    try:
        return response.json()
    except ValueError:
        snippet = response.text.strip()[:120] or "an empty body"
        raise GitHubError(
            f"GitHub answered {method} {path} with HTTP {response.status_code} but not JSON "
            f"({snippet!r})" + (CREATED_MAYBE if method == "POST" else "")
        ) from None


def _github_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    message = str(data.get("message", "")) if isinstance(data, dict) else ""
    details = []
    for item in data.get("errors", []) if isinstance(data, dict) else []:
        if isinstance(item, dict):
            details.append(str(item.get("message") or f"{item.get('field')} {item.get('code')}"))
        else:
            details.append(str(item))
    return ": ".join(part for part in (message, "; ".join(details)) if part) or "no message"


def _with_gh(repo: str, *, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
    listed = _gh(
        "pr", "list", "--repo", repo, "--head", head, "--state", "open", "--json", "url,number"
    )
    found = json.loads(listed or "[]")
    if found:
        return PullRequest(str(found[0]["url"]), int(found[0]["number"]), False)
    args = [
        "pr",
        "create",
        "--repo",
        repo,
        "--head",
        head,
        "--base",
        base,
        "--title",
        title,
        "--body-file",
        "-",
    ]
    url = _gh(*args, *(["--draft"] if draft else []), stdin=body).strip().splitlines()[-1]
    return PullRequest(url, int(url.rstrip("/").rsplit("/", 1)[-1]), True)


def _gh(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["gh", *args], input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitHubError(f"gh {args[0]} {args[1]} failed: {result.stderr.strip()}")
    return result.stdout
