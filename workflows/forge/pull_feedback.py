"""A pull request after it opened, read from GitHub's REST API: reviews, review comments,
check runs (with their logs) and commit statuses (older CI reports through those), whether it
conflicts with its base; merging it.

Polling is cheap: every GET is conditional (``If-None-Match`` with the ETag of the last
answer), so an unchanged pull request costs ``304 Not Modified`` answers, which GitHub does
not count against the rate limit. ``gh`` is not needed. The token comes from
``GITHUB_TOKEN`` and never appears in a message (``github.rest_client``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from workflows.forge.github import GitHubError, rest_client, send

PURPOSE = "cannot watch the pull request"
PASSED = frozenset({"success", "neutral", "skipped"})
DECISIVE = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
LOG_TAIL_CHARS = 4000


@dataclass(frozen=True)
class Review:
    id: int
    user: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    body: str

    @property
    def key(self) -> str:  # GitHub numbers each kind on its own: the kind keeps ids apart
        return f"review:{self.id}"


@dataclass(frozen=True)
class ReviewComment:
    id: int
    user: str
    body: str
    path: str
    line: int | None

    @property
    def key(self) -> str:
        return f"comment:{self.id}"


@dataclass(frozen=True)
class CheckRun:
    id: int
    name: str
    status: str  # queued, in_progress, completed
    conclusion: str | None  # success, failure, cancelled, timed_out, neutral, skipped…
    summary: str = ""  # the check run's output title and summary, or a status's description
    source: str = "check"  # "check" (a check run) or "status" (a commit status)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.id}"

    @property
    def failed(self) -> bool:
        return self.status == "completed" and (self.conclusion or "") not in PASSED


@dataclass(frozen=True)
class PullSnapshot:
    number: int
    state: str  # open, closed
    merged: bool
    head_sha: str
    mergeable: bool | None  # None: GitHub is still computing it
    reviews: tuple[Review, ...] = ()
    comments: tuple[ReviewComment, ...] = ()
    checks: tuple[CheckRun, ...] = ()
    mergeable_state: str = ""  # GitHub's: clean, blocked, behind, dirty, unstable, unknown…

    @property
    def approved(self) -> bool:
        """At least one reviewer's latest decisive review approves, and none asks for changes."""
        latest: dict[str, str] = {}
        for review in self.reviews:  # GitHub lists them oldest first
            if review.state in DECISIVE:
                latest[review.user] = review.state
        states = set(latest.values())
        return "APPROVED" in states and "CHANGES_REQUESTED" not in states

    def checks_state(self, *, required: bool = True) -> str:
        """``green``, ``red`` (one failed), ``pending`` (one still running, or none yet when
        checks are required) for the head commit."""
        if any(run.failed for run in self.checks):
            return "red"
        if any(run.status != "completed" for run in self.checks):
            return "pending"
        if not self.checks and required:
            return "pending"
        return "green"

    @property
    def conflict(self) -> bool:
        return self.mergeable is False

    @property
    def blocked(self) -> bool:
        """The base branch's protection does not allow the merge yet (reviews it requires,
        a code owner's among them, or checks it requires), as GitHub computes it."""
        return self.mergeable_state == "blocked"

    @property
    def behind(self) -> bool:
        """The base branch's protection wants the branch up to date with it, and it is not."""
        return self.mergeable_state == "behind"


@dataclass
class PullRequestApi:
    """One pull request of ``repo`` (OWNER/NAME), polled with conditional requests."""

    repo: str
    number: int
    etags: dict[str, tuple[str, Any]] = field(default_factory=dict)
    not_modified: int = 0  # answers that were 304: what polling cost nothing

    def snapshot(self) -> PullSnapshot:
        with rest_client(PURPOSE) as client:
            base = f"/repos/{self.repo}/pulls/{self.number}"
            pull = self._get(client, base)
            reviews = self._get(client, f"{base}/reviews", per_page=100)
            comments = self._get(client, f"{base}/comments", per_page=100)
            try:
                sha = str(pull["head"]["sha"])
                snapshot = PullSnapshot(
                    number=self.number,
                    state=str(pull["state"]),
                    merged=bool(pull.get("merged")),
                    head_sha=sha,
                    mergeable=pull.get("mergeable"),
                    mergeable_state=str(pull.get("mergeable_state") or ""),
                    reviews=tuple(
                        Review(int(r["id"]), _login(r), str(r["state"]), str(r.get("body") or ""))
                        for r in reviews
                    ),
                    comments=tuple(
                        ReviewComment(
                            int(c["id"]),
                            _login(c),
                            str(c.get("body") or ""),
                            str(c.get("path") or ""),
                            _line(c),
                        )
                        for c in comments
                    ),
                )
            except (KeyError, TypeError, ValueError) as error:
                raise GitHubError(f"GitHub's answer about {base} lacks {error}") from None
            if snapshot.merged or not sha:  # done: its checks no longer matter
                return snapshot
            runs = self._get(client, f"/repos/{self.repo}/commits/{sha}/check-runs", per_page=100)
            combined = self._get(client, f"/repos/{self.repo}/commits/{sha}/status", per_page=100)
            try:
                checks = tuple(_check_run(run) for run in runs["check_runs"])
                checks += tuple(_status(status) for status in combined["statuses"])
            except (KeyError, TypeError, ValueError) as error:
                raise GitHubError(f"GitHub's checks for {sha[:10]} lack {error}") from None
        return replace(snapshot, checks=checks)

    def log_tail(self, run: CheckRun, chars: int = LOG_TAIL_CHARS) -> str:
        """The end of a check run's log (GitHub Actions: the job of the same id); for a
        commit status, or a check run of another CI without one, what it reported."""
        if run.source != "check":
            return run.summary
        with rest_client(PURPOSE) as client:
            try:
                response = send(client, "GET", f"/repos/{self.repo}/actions/jobs/{run.id}/logs")
            except GitHubError as error:
                return run.summary or f"(no log: {error})"
        text = response.text
        return text[-chars:] if len(text) > chars else text

    def merge(self, *, method: str, sha: str, title: str) -> str:
        """Merge at ``sha`` (GitHub refuses with 409 if the head moved since); the merge
        commit."""
        with rest_client("cannot merge the pull request") as client:
            response = send(
                client,
                "PUT",
                f"/repos/{self.repo}/pulls/{self.number}/merge",
                json={"merge_method": method, "sha": sha, "commit_title": title},
            )
        try:
            return str(response.json()["sha"])
        except (ValueError, KeyError, TypeError):
            return ""

    def delete_branch(self, branch: str) -> bool:
        """Delete the head branch; False when it was already gone."""
        with rest_client("cannot delete the branch") as client:
            try:
                send(client, "DELETE", f"/repos/{self.repo}/git/refs/heads/{branch}")
            except GitHubError as error:
                if "HTTP 422" in str(error) or "HTTP 404" in str(error):
                    return False
                raise
        return True

    def _get(self, client: httpx.Client, path: str, **params: Any) -> Any:
        key = path + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        cached = self.etags.get(key)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = send(client, "GET", path, params=params or None, headers=headers)
        if response.status_code == 304 and cached is not None:
            self.not_modified += 1
            return cached[1]
        try:
            data = response.json()
        except ValueError:
            raise GitHubError(
                f"GitHub answered GET {path} with HTTP {response.status_code} but not JSON"
            ) from None
        if etag := response.headers.get("ETag"):
            self.etags[key] = (etag, data)
        return data


def _check_run(run: dict[str, Any]) -> CheckRun:
    given = run.get("output")
    output: dict[str, Any] = given if isinstance(given, dict) else {}
    summary = "\n".join(str(output[k]) for k in ("title", "summary") if output.get(k))
    return CheckRun(
        int(run["id"]), str(run["name"]), str(run["status"]), run.get("conclusion"), summary
    )


STATUS_CONCLUSIONS = {"success": "success", "failure": "failure", "error": "error"}


def _status(status: dict[str, Any]) -> CheckRun:
    """A commit status as a check: ``pending`` still runs; ``error`` and ``failure`` failed."""
    state = str(status["state"])
    conclusion = STATUS_CONCLUSIONS.get(state)
    said = " ".join(str(status[k]) for k in ("description", "target_url") if status.get(k))
    return CheckRun(
        int(status["id"]),
        str(status.get("context") or "status"),
        "completed" if conclusion else "in_progress",
        conclusion,
        said,
        source="status",
    )


def _login(item: dict[str, Any]) -> str:
    user = item.get("user")
    return str(user.get("login")) if isinstance(user, dict) else "someone"


def _line(comment: dict[str, Any]) -> int | None:
    line = comment.get("line") or comment.get("original_line")
    return int(line) if isinstance(line, int) else None
