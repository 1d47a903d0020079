"""Benchmark watching a pull request: what one poll of a ``pr_feedback`` step costs.

    python bench/pr_poll.py [--polls N] [--comments K]

Starts the offline forge on 127.0.0.1 over a real bare repository with a pull request that
has K review comments, a review and a check run, then polls it N times unchanged and N times
with a new review comment before each poll. Prints, per poll: the requests made, how many
were answered 304 (not counted by GitHub's rate limit), the bytes of JSON received, and the
median / p90 wall time. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflows.forge.github import create_pull_request  # noqa: E402
from workflows.forge.offline import Forge  # noqa: E402
from workflows.forge.pull_feedback import PullRequestApi  # noqa: E402


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def project(root: Path) -> Path:
    remote, work = root / "remote.git", root / "work"
    git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "init", "-q", "-b", "main", str(work))
    for key, value in (("user.name", "b"), ("user.email", "b@b")):
        git(work, "config", key, value)
    (work / "a.txt").write_text("a\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "base")
    git(work, "push", "-q", str(remote), "main")
    git(work, "checkout", "-qb", "feature")
    (work / "b.txt").write_text("b\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "feature")
    git(work, "push", "-q", str(remote), "feature")
    return remote


def measure(api: PullRequestApi, forge: Forge, polls: int, change: Any) -> dict[str, Any]:
    times, requests, not_modified = [], 0, 0
    for _ in range(polls):
        change()
        before_requests, before_304 = len(forge.requests), forge.not_modified
        started = time.perf_counter()
        api.snapshot()
        times.append((time.perf_counter() - started) * 1000)
        requests += len(forge.requests) - before_requests
        not_modified += forge.not_modified - before_304
    times.sort()
    return {
        "requests_per_poll": requests / polls,
        "answered_304_per_poll": not_modified / polls,
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=50)
    parser.add_argument("--comments", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pr-poll-") as scratch:
        forge = Forge(remote=project(Path(scratch))).start()
        os.environ["GITHUB_API_URL"], os.environ["GITHUB_TOKEN"] = forge.url, forge.token
        try:
            number = create_pull_request(
                "acme/widgets", head="feature", base="main", title="t", body="b"
            ).number
            forge.feedback.review(number, "COMMENTED", "first look")
            for n in range(args.comments):
                forge.feedback.comment(number, "b.txt", 1, f"comment {n}")
            forge.feedback.check(number, "ci", "success")
            api = PullRequestApi("acme/widgets", number)
            api.snapshot()  # the first poll fills the ETags
            unchanged = measure(api, forge, args.polls, lambda: None)
            counter = iter(range(10**6))
            changed = measure(
                api,
                forge,
                args.polls,
                lambda: forge.feedback.comment(number, "b.txt", 1, f"new {next(counter)}"),
            )
        finally:
            forge.stop()
    for name, figures in (("unchanged", unchanged), ("a new comment each time", changed)):
        print(
            f"{name:>24}: {figures['requests_per_poll']:.0f} requests/poll, "
            f"{figures['answered_304_per_poll']:.1f} answered 304, "
            f"median {figures['median_ms']} ms, p90 {figures['p90_ms']} ms"
        )
    print(json.dumps({"polls": args.polls, "unchanged": unchanged, "changed": changed}))


if __name__ == "__main__":
    main()
