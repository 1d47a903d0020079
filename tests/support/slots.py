"""Slot tests' shared pieces: the history check run at every change, a deploy script that
records what it deployed, and a QA stand-in answering on the local Linear server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.linear_server import LinearServer
from workflows.issues.linear import ApiKey, LinearSource
from workflows.runs.steps.slot import qa_heading

QA_LINK = qa_heading("staging")
IMPLEMENT_PR_QA = """
name = "implement-pr-qa"
agent = "demo"

[[steps]]
id = "implement"
prompt = "Implement {issues}. Write your answer to the file: {output}"
retry_prompt_file = "prompts/fix.md"
output = ".agenttui/implement.md"

[[steps]]
id = "pr"
kind = "pull_request"

[[steps]]
id = "qa"
kind = "slot"
slot = "staging"
on_fail = "implement"
max_rounds = 3
"""
"""A run that implements, opens the PR, then waits for QA on staging (fails go back to the
implementing agent)."""
QA_ONLY = """
name = "qa-only"

[[steps]]
id = "qa"
kind = "slot"
slot = "staging"
"""
"""A run that only waits for QA on staging."""
DEPLOY_SCRIPT = """#!/bin/sh
# $1: branch, $2: commit. Records the deploy; staging is "in use" only by one holder at a time.
printf '%s %s %s\\n' "$AGENTTUI_RUN_ID" "$1" "$2" >> "{log}"
echo "deployed $2 to http://127.0.0.1:9/staging/"
"""


def check_every_change(
    log: list[dict[str, Any]], max_holders: int = 1, *, priority: bool = False
) -> list[str]:
    """Replay a slot's history (``SlotBook.log``): at every change the holders it records
    are the ones the changes so far leave, never more than ``max_holders``, and each
    acquirer was first in the queue (or handed the slot) — by arrival, or with ``priority``
    by the priority it queued with, then arrival. Returns who held it, in order."""
    holders: set[str] = set()
    queue: list[str] = []
    ranks: dict[str, int] = {}
    order: list[str] = []
    for row in log:
        run, change = row["run_id"], row["change"]
        if change == "queued":
            queue.append(run)
            if priority:  # a stable sort: arrival order within one priority
                ranks[run] = int(str(row["detail"]).split()[-1])
                queue.sort(key=lambda queued: ranks[queued])
        elif change == "acquired":
            if row["detail"] != "handed over by hand":
                assert queue and queue[0] == run, f"{run} jumped the queue {queue} at {row}"
            queue.remove(run)
            holders.add(run)
            order.append(run)
        elif change in ("released", "expired", "handed"):
            holders.discard(run)
        elif change == "dropped":
            queue.remove(run)
        assert len(holders) == row["holders"] <= max_holders, f"at {row}: holders {holders}"
    return order


def slot_config(deploy_log: Path, *, lease: float = 30, extra: str = "") -> str:
    """A ``[slots.staging]`` whose deploy appends ``run branch commit`` to ``deploy_log``."""
    script = deploy_log.with_suffix(".sh")
    script.write_text(DEPLOY_SCRIPT.format(log=deploy_log), encoding="utf-8")
    return (
        f'[slots.staging]\ndeploy = "sh {script} {{branch}} {{commit}}"\n'
        f"lease = {lease}\npoll = 0.3\n{extra}"
    )


def deploys(deploy_log: Path) -> list[tuple[str, str, str]]:
    if not deploy_log.exists():
        return []
    rows = [line.split(" ") for line in deploy_log.read_text().splitlines() if line]
    return [(run, branch, commit) for run, branch, commit in rows]


@dataclass
class QaStandIn:
    """A QA person on Linear: answers each new QA link on an issue with what ``answer``
    returns for (issue, how many links it answered before), through Linear's API."""

    server: LinearServer
    answer: Callable[[str, int], str | None]
    answered: dict[str, int] = field(default_factory=dict)
    said: list[tuple[str, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> QaStandIn:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        source = LinearSource(ApiKey(self.server.api_key), url=self.server.url)
        try:
            while not self._stop.wait(0.2):
                for key in sorted({issue["identifier"] for issue in self._issues()}):
                    links = [c for c in self.server.workspace.comments_on(key) if QA_LINK in c]
                    done = self.answered.get(key, 0)
                    if len(links) > done:
                        self.answered[key] = done + 1
                        text = self.answer(key, done)
                        if text is not None:
                            time.sleep(0.3)  # a person reads the link first
                            source.comment(key, text)
                            self.said.append((key, text))
        finally:
            source.close()

    def _issues(self) -> list[dict[str, Any]]:
        return list(self.server.workspace.issues.values())
