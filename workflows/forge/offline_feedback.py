"""What happens to a pull request after it opens, on the offline forge: reviews, review
comments, check runs with their logs, commit statuses, merging, conflicts with the base.

The routes answer like GitHub's REST API (the same paths, fields and statuses agenttui reads):
``GET …/pulls/{n}`` (``head.sha``, ``mergeable``, ``mergeable_state``, ``merged``),
``…/pulls/{n}/reviews``, ``…/pulls/{n}/comments``, ``…/commits/{sha}/check-runs``,
``…/commits/{sha}/status`` (the combined commit status), ``…/actions/jobs/{id}/logs`` (a
redirect to the plain-text log, as GitHub does), ``PUT …/pulls/{n}/merge`` and
``DELETE …/git/refs/heads/{branch}``. Another process (the demo's reviewer or CI stand-in)
writes feedback the way GitHub takes it: ``POST …/pulls/{n}/reviews`` (``event`` APPROVE,
REQUEST_CHANGES or COMMENT, ``body``, ``comments`` with ``path``, ``line``, ``body``),
``POST …/check-runs`` (``name``, ``head_sha``, ``status``, ``conclusion``; the log is
``output.text``) and ``POST …/statuses/{sha}`` (``state``, ``context``, ``description``).
The head commit and the conflicts are read from the bare ``remote`` with real git; a merge
writes real commits there. A base branch's protection (:class:`Protection`: approving reviews
and checks it requires) shows as ``mergeable_state: "blocked"`` until met, and a merge before
that is refused with GitHub's 405 and its words; with ``strict``, a branch without the base's
head shows as ``behind`` and is refused too. Tests play the reviewer and the CI through
:class:`Feedback`.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PULL = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls/(\d+)(/reviews|/comments|/merge)?$")
CHECK_RUNS = re.compile(r"^/repos/([^/]+)/([^/]+)/commits/([^/]+)/check-runs$")
JOB_LOG = re.compile(r"^/repos/([^/]+)/([^/]+)/actions/jobs/(\d+)/logs$")
COMBINED_STATUS = re.compile(r"^/repos/([^/]+)/([^/]+)/commits/([^/]+)/status$")
NEW_STATUS = re.compile(r"^/repos/([^/]+)/([^/]+)/statuses/([0-9a-f]{40})$")
STATUS_STATES = ("pending", "success", "failure", "error")
NEW_CHECK_RUN = re.compile(r"^/repos/([^/]+)/([^/]+)/check-runs$")
REVIEW_EVENTS = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
RAW_LOG = re.compile(r"^/_logs/(\d+)$")
BRANCH_REF = re.compile(r"^/repos/([^/]+)/([^/]+)/git/refs/heads/(.+)$")
MERGE_METHODS = ("merge", "squash", "rebase")
IDENTITY = {
    "GIT_AUTHOR_NAME": "forge",
    "GIT_AUTHOR_EMAIL": "forge@localhost",
    "GIT_COMMITTER_NAME": "forge",
    "GIT_COMMITTER_EMAIL": "forge@localhost",
}


@dataclass(frozen=True)
class Answer:
    """A route's answer: a status and a JSON payload, or a redirect, or plain text."""

    status: int
    payload: Any = None
    location: str | None = None
    text: str | None = None


def git(remote: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **IDENTITY, "LC_ALL": "C"}
    result = subprocess.run(
        ["git", "--git-dir", str(remote), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"git {args[0]}: {result.stderr.strip()}")
    return result


def branch_sha(remote: Path, branch: str) -> str | None:
    result = git(remote, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
    return result.stdout.strip() or None


def conflicts(remote: Path, base: str, head: str) -> bool:
    """Whether merging ``head`` into ``base`` conflicts (``git merge-tree --write-tree``)."""
    result = git(remote, "merge-tree", "--write-tree", base, head, check=False)
    return result.returncode == 1


@dataclass(frozen=True)
class Protection:
    """What the base branch's protection requires before a merge: approving reviews (each
    reviewer's latest decisive review counts) and checks passed on the head commit (a check
    run's name or a commit status's context), and with ``strict`` the base's head in the branch."""

    approvals: int = 0
    checks: tuple[str, ...] = ()
    strict: bool = False  # the branch must hold the base's head ("up to date before merging")


class Feedback:
    """The after-opening state of the forge's pull requests (kept in the pull dicts, so the
    state file keeps it) and the routes that read and change it."""

    def __init__(self, pulls: list[dict[str, Any]], remote: Path | None, url: str) -> None:
        self.pulls = pulls
        self.remote = remote
        self.url = url
        self.undecided_until = 0.0
        """Until this time (``time.time()``), ``mergeable`` is null: GitHub computes it in the
        background after a push, and answers null meanwhile."""
        self.protection = Protection()
        """The base branch's protection (tests set it; none by default)."""
        self.next_id = 1000 + sum(
            len(p.get("reviews", [])) + len(p.get("comments", [])) + len(p.get("check_runs", []))
            for p in pulls
        )

    # -- what the reviewer and the CI do (tests, the demo) ----------------------------
    def pull(self, number: int) -> dict[str, Any]:
        return next(p for p in self.pulls if p["number"] == number)

    def head_sha(self, pull: dict[str, Any]) -> str:
        if self.remote is None:
            return str(pull.get("head_sha") or "0" * 40)
        return branch_sha(self.remote, pull["head"]["ref"]) or str(pull.get("head_sha") or "")

    def review(self, number: int, state: str, body: str = "", user: str = "reviewer") -> int:
        """A review: ``APPROVED``, ``CHANGES_REQUESTED`` or ``COMMENTED``, on the head commit."""
        return self._add(number, "reviews", user, body, state=state, submitted_at=_now())

    def comment(self, number: int, path: str, line: int, body: str, user: str = "reviewer") -> int:
        """A review comment on ``path`` at ``line`` of the head commit."""
        return self._add(number, "comments", user, body, path=path, line=line, created_at=_now())

    def _add(self, number: int, kind: str, user: str, body: str, **fields: Any) -> int:
        pull = self.pull(number)
        item_id = self._id()
        item = {"id": item_id, "user": {"login": user}, "body": body, **fields}
        pull.setdefault(kind, []).append({**item, "commit_id": self.head_sha(pull)})
        return item_id

    def check(
        self,
        number: int,
        name: str,
        conclusion: str | None,
        log: str = "",
        sha: str | None = None,
    ) -> int:
        """A check run on the head commit (or ``sha``): ``conclusion`` None is still running."""
        pull = self.pull(number)
        run_id = self._id()
        run = {
            "id": run_id,
            "name": name,
            "head_sha": sha or self.head_sha(pull),
            "status": "completed" if conclusion else "in_progress",
            "conclusion": conclusion,
            "details_url": f"{self.url}/_logs/{run_id}",
            "log": log,
        }
        pull.setdefault("check_runs", []).append(run)
        return run_id

    def status(
        self, number: int, context: str, state: str, description: str = "", sha: str | None = None
    ) -> int:
        """A commit status (the older CI API): ``pending``, ``success``, ``failure``, ``error``."""
        pull = self.pull(number)
        status_id = self._id()
        pull.setdefault("statuses", []).append(
            {
                "id": status_id,
                "context": context,
                "state": state,
                "description": description,
                "target_url": f"{self.url}/ci/{status_id}",
                "sha": sha or self.head_sha(pull),
                "created_at": _now(),
            }
        )
        return status_id

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- the REST routes --------------------------------------------------------------
    def route(self, method: str, path: str, body: Any) -> Answer | None:
        """The answer to a feedback route, or None when ``path`` is none of them."""
        if match := PULL.match(path):
            owner, repo, number, tail = match.groups()
            pull = next(
                (
                    p
                    for p in self.pulls
                    if p["repo"] == f"{owner}/{repo}" and p["number"] == int(number)
                ),
                None,
            )
            if pull is None:
                return Answer(404, {"message": "Not Found"})
            if method == "GET" and not tail:
                return Answer(200, self._shown(pull))
            if method == "GET" and tail in ("/reviews", "/comments"):
                return Answer(200, list(pull.get(tail[1:], [])))
            if method == "POST" and tail == "/reviews":
                return self._post_review(pull, body if isinstance(body, dict) else {})
            if method == "PUT" and tail == "/merge":
                return self._merge(pull, body if isinstance(body, dict) else {})
            return Answer(404, {"message": "Not Found"})
        if method == "GET" and (match := CHECK_RUNS.match(path)):
            runs = [
                _shown_run(run)
                for pull in self.pulls
                if pull["repo"] == f"{match.group(1)}/{match.group(2)}"
                for run in pull.get("check_runs", [])
                if run["head_sha"] == match.group(3)
            ]
            return Answer(200, {"total_count": len(runs), "check_runs": runs})
        if method == "GET" and (match := COMBINED_STATUS.match(path)):
            return Answer(200, self._combined(f"{match.group(1)}/{match.group(2)}", match.group(3)))
        if method == "POST" and (match := NEW_STATUS.match(path)):
            return self._post_status(f"{match.group(1)}/{match.group(2)}", match.group(3), body)
        if method == "POST" and (match := NEW_CHECK_RUN.match(path)):
            return self._post_check_run(f"{match.group(1)}/{match.group(2)}", body)
        if method == "GET" and (match := JOB_LOG.match(path)):
            if self._run(int(match.group(3))) is None:
                return Answer(404, {"message": "Not Found"})
            return Answer(302, location=f"{self.url}/_logs/{match.group(3)}")
        if method == "GET" and (match := RAW_LOG.match(path)):
            run = self._run(int(match.group(1)))
            return (
                Answer(404, {"message": "Not Found"})
                if run is None
                else Answer(200, text=run["log"])
            )
        if method == "DELETE" and (match := BRANCH_REF.match(path)):
            return self._delete_branch(match.group(3))
        return None

    def _post_review(self, pull: dict[str, Any], body: dict[str, Any]) -> Answer:
        state = REVIEW_EVENTS.get(str(body.get("event")))
        if state is None:
            return Answer(422, {"message": f"Invalid event {body.get('event')!r}"})
        number = int(pull["number"])
        for comment in body.get("comments") or []:
            if not isinstance(comment, dict) or not comment.get("path"):
                return Answer(422, {"message": "A review comment needs a path"})
            line = int(comment.get("line") or 0)
            self.comment(number, str(comment["path"]), line, str(comment.get("body") or ""))
        review_id = self.review(number, state, str(body.get("body") or ""))
        return Answer(200, next(r for r in pull["reviews"] if r["id"] == review_id))

    def _combined(self, repo: str, sha: str) -> dict[str, Any]:
        latest: dict[str, dict[str, Any]] = {}  # GitHub shows the latest status per context
        for pull in self.pulls:
            for status in pull.get("statuses", []) if pull["repo"] == repo else []:
                if status["sha"] == sha:
                    latest[status["context"]] = status
        states = {status["state"] for status in latest.values()}
        overall = (
            "failure" if states & {"failure", "error"}
            else "pending" if "pending" in states or not states
            else "success"
        )  # fmt: skip
        shown = [{k: v for k, v in status.items() if k != "sha"} for status in latest.values()]
        return {"state": overall, "sha": sha, "total_count": len(shown), "statuses": shown}

    def _post_status(self, repo: str, sha: str, body: Any) -> Answer:
        state = body.get("state") if isinstance(body, dict) else None
        if state not in STATUS_STATES:
            return Answer(422, {"message": f"Invalid state {state!r}"})
        pull = next((p for p in self.pulls if p["repo"] == repo and self.head_sha(p) == sha), None)
        if pull is None:
            return Answer(422, {"message": "No commit found for SHA: " + sha})
        status_id = self.status(
            int(pull["number"]), str(body.get("context") or "default"), str(state),
            str(body.get("description") or ""), sha,
        )  # fmt: skip
        shown = next(s for s in pull["statuses"] if s["id"] == status_id)
        return Answer(201, {k: v for k, v in shown.items() if k != "sha"})

    def _post_check_run(self, repo: str, body: Any) -> Answer:
        if not isinstance(body, dict) or not body.get("name") or not body.get("head_sha"):
            return Answer(422, {"message": "A check run needs a name and a head_sha"})
        pull = next(
            (p for p in self.pulls if p["repo"] == repo and self.head_sha(p) == body["head_sha"]),
            None,
        )
        if pull is None:
            return Answer(422, {"message": "No pull request has that head_sha"})
        given = body.get("output")
        output: dict[str, Any] = given if isinstance(given, dict) else {}
        conclusion = body.get("conclusion") if body.get("status") == "completed" else None
        run_id = self.check(
            int(pull["number"]), str(body["name"]), conclusion, log=str(output.get("text") or ""),
            sha=str(body["head_sha"]),
        )  # fmt: skip
        return Answer(201, _shown_run(self._run(run_id) or {}))

    def _run(self, run_id: int) -> dict[str, Any] | None:
        return next(
            (run for p in self.pulls for run in p.get("check_runs", []) if run["id"] == run_id),
            None,
        )

    def _shown(self, pull: dict[str, Any]) -> dict[str, Any]:
        shown = dict(pull)
        for key in ("reviews", "comments", "check_runs"):
            shown.pop(key, None)
        sha = self.head_sha(pull)
        shown["head"] = {**pull["head"], "sha": sha}
        shown["merged"] = bool(pull.get("merged"))
        if pull["state"] != "open" or self.remote is None or time.time() < self.undecided_until:
            shown["mergeable"], shown["mergeable_state"] = None, "unknown"
        elif conflicts(self.remote, pull["base"]["ref"], pull["head"]["ref"]):
            shown["mergeable"], shown["mergeable_state"] = False, "dirty"
        else:
            blocked = bool(self._protection_refusal(pull))
            state = "blocked" if blocked else "behind" if self._behind(pull) else "clean"
            shown["mergeable"], shown["mergeable_state"] = True, state
        return shown

    def _behind(self, pull: dict[str, Any]) -> bool:
        """The base's protection wants the branch up to date and it is not."""
        if not self.protection.strict or self.remote is None:
            return False
        base, head = f"refs/heads/{pull['base']['ref']}", f"refs/heads/{pull['head']['ref']}"
        contained = git(self.remote, "merge-base", "--is-ancestor", base, head, check=False)
        return contained.returncode != 0

    def _protection_refusal(self, pull: dict[str, Any]) -> str:
        """GitHub's words refusing a merge the base's protection does not allow yet; empty
        when it allows it."""
        latest: dict[str, str] = {}
        for review in pull.get("reviews", []):
            if review["state"] in ("APPROVED", "CHANGES_REQUESTED"):
                latest[review["user"]["login"]] = review["state"]
        needed = self.protection.approvals
        if list(latest.values()).count("APPROVED") < needed:
            plural = "review is" if needed == 1 else "reviews are"
            return f"At least {needed} approving {plural} required by reviewers with write access."
        sha = self.head_sha(pull)
        passed = {
            run["name"]
            for run in pull.get("check_runs", [])
            if run["head_sha"] == sha and run["conclusion"] == "success"
        }
        statuses = self._combined(str(pull["repo"]), sha)["statuses"]
        passed |= {status["context"] for status in statuses if status["state"] == "success"}
        for name in self.protection.checks:
            if name not in passed:
                return f'Required status check "{name}" is expected.'
        return ""

    def _merge(self, pull: dict[str, Any], body: dict[str, Any]) -> Answer:
        method = str(body.get("merge_method") or "merge")
        if method not in MERGE_METHODS:
            return Answer(422, {"message": f"Invalid merge_method {method!r}"})
        if pull.get("merged"):
            return Answer(405, {"message": "Pull Request is not mergeable"})
        if pull["state"] != "open":
            return Answer(405, {"message": "Pull Request is not mergeable"})
        if self.remote is None:
            return Answer(405, {"message": "Pull Request is not mergeable"})
        base, head = pull["base"]["ref"], pull["head"]["ref"]
        head_sha = branch_sha(self.remote, head)
        if body.get("sha") and body["sha"] != head_sha:
            return Answer(
                409, {"message": "Head branch was modified. Review and try the merge again."}
            )
        if conflicts(self.remote, base, head):
            return Answer(405, {"message": "Pull Request is not mergeable"})
        if refusal := self._protection_refusal(pull):
            return Answer(405, {"message": refusal})
        if self._behind(pull):
            return Answer(405, {"message": "Head branch is out of date"})
        message = (
            f"Merge pull request #{pull['number']} from {head}\n\n{pull['title']}"
            if method == "merge"
            else f"{pull['title']} (#{pull['number']})"
        )
        sha = _merge_in(self.remote, base, head, method, message)
        pull.update(
            state="closed", merged=True, merge_method=method, merge_commit_sha=sha,
            head_sha=head_sha,  # GitHub keeps showing it after the branch is deleted
        )  # fmt: skip
        return Answer(
            200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    def _delete_branch(self, branch: str) -> Answer:
        if self.remote is None or branch_sha(self.remote, branch) is None:
            return Answer(422, {"message": "Reference does not exist"})
        git(self.remote, "update-ref", "-d", f"refs/heads/{branch}")
        return Answer(204)


def _merge_in(remote: Path, base: str, head: str, method: str, message: str) -> str:
    """Write the merge into the bare remote the way GitHub's merge methods do."""
    base_sha = branch_sha(remote, base) or ""
    if method == "rebase":
        with tempfile.TemporaryDirectory(prefix="forge-rebase-") as scratch:
            work = Path(scratch) / "w"
            git(remote, "worktree", "add", "--detach", str(work), head)
            try:
                env = {**os.environ, **IDENTITY}
                subprocess.run(
                    ["git", "rebase", "-q", base_sha], cwd=work, env=env, check=True,
                    capture_output=True,
                )  # fmt: skip
                sha = subprocess.run(
                    ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True,
                    check=True,
                ).stdout.strip()  # fmt: skip
            finally:
                git(remote, "worktree", "remove", "--force", str(work), check=False)
    else:
        tree = git(remote, "merge-tree", "--write-tree", base, head).stdout.split()[0]
        parents = ["-p", base_sha] + (["-p", head] if method == "merge" else [])
        sha = git(remote, "commit-tree", tree, *parents, "-m", message).stdout.strip()
    git(remote, "update-ref", f"refs/heads/{base}", sha, base_sha)
    return sha


def _shown_run(run: dict[str, Any]) -> dict[str, Any]:
    """A check run as GitHub lists it (its log is only served through the job's logs)."""
    return {key: value for key, value in run.items() if key != "log"}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
