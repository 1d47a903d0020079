"""A run, told as Linear agent activities: pure functions over what the store recorded.

- thought: a step starts (with its purpose), a loop goes round again;
- action: a tool the agent ran (its hook), an approval decided (the audit), a test or other
  command with its result, the pull request opened, a review's verdict;
- elicitation: an agent waits for a person (the question, or the command to approve);
- response: the run ended well (the PR and a summary) or was stopped as asked;
- error: the run failed, with the step and the reason.

Each activity comes from one source row (``ev:<run event>``, ``tool:<agent event>``,
``appr:<audit row>``) and reading the same rows again gives the same activities, so a
resumed runner re-reads from the start and the outbox keeps each source once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workflows.base.untrusted import inert
from workflows.definitions.model import Step, Workflow
from workflows.runs.records import Attempt

BODY_LIMIT = 4000
PURPOSE = {
    "agent": "the agent works on it",
    "shell": "running `{run}`",
    "preview": "deploying a preview",
    "pull_request": "opening the pull request",
    "linear": "reporting back on the issue",
    "spawn": "starting an agent",
    "workers": "workers split the task",
    "pr_feedback": "watching the pull request's reviews and checks",
    "merge": "merging the pull request",
}
STARTED = re.compile(r"^started \((\w+) step, round (\d+)(?: \(remedy\))?\)")
EXIT_CODE = re.compile(r"^exit code (-?\d+)")


@dataclass(frozen=True)
class Planned:
    """One activity due: where it came from, and its content payload."""

    source: str
    at: float
    content: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.content["type"])


def _text(value: str, limit: int = BODY_LIMIT) -> str:
    text = inert(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def purpose(step: Step) -> str:
    if step.description:
        return step.description
    command = str(step.run or "")
    if step.kind == "shell" and (step.on_fail or "{" in command):
        return "running the tests" if step.on_fail else "running a command"
    return PURPOSE.get(step.kind, step.kind).replace("{run}", command)


class Translator:
    """Turns the run's events into activities, in the order they happened; keeps what a
    later event needs from an earlier one (the command a shell step runs)."""

    def __init__(self, workflow: Workflow) -> None:
        self.steps = {step.id: step for step in workflow.steps}
        self.commands: dict[str, str] = {}

    def run_event(self, event: dict[str, Any]) -> Planned | None:
        kind, message = str(event["kind"]), str(event["message"])
        step_id = event.get("step_id") or ""
        content = self._content(kind, message, step_id, event.get("data") or {})
        if content is None:
            return None
        source = f"ev:{event['id']}"
        if kind == "step":  # a resumed runner starts the same attempt again: told once
            source = f"step:{step_id}:{message}"
        return Planned(source, float(event["at"]), content)

    def _content(
        self, kind: str, message: str, step_id: str, data: dict[str, Any]
    ) -> dict[str, Any] | None:
        step = self.steps.get(step_id)
        if kind == "step" and step is not None and (started := STARTED.match(message)):
            round_ = int(started.group(2))
            again = f" (round {round_})" if round_ > 1 else ""
            return thought(f"**{step.id}**{again}: {purpose(step)}")
        if kind in ("loop", "pr_feedback", "merge"):  # rounds, what the PR waits for, merges
            return thought(f"**{step_id}**: {message}")
        if kind == "shell" and message.startswith("running: "):
            self.commands[step_id] = message.removeprefix("running: ")
            return None
        if kind == "shell" and (code := EXIT_CODE.match(message)):
            command = self.commands.get(step_id, step_id)
            result = "passed" if code.group(1) == "0" else f"failed (exit code {code.group(1)})"
            return action("Ran tests" if step_id == "test" else "Ran", command, result)
        if kind == "skipped":
            return thought(message)
        if kind == "attention":
            return {
                "type": "elicitation",
                "body": _text(message)
                + "\n\nReply **approve** or **deny**, or write the answer to its question.",
            }
        if kind == "pull_request":
            return action("Opened pull request", str(data.get("url") or message))
        if kind == "verdict":
            return action("Review", step_id, message)
        if kind == "linear-prompt":
            return action("Your message", message)
        if kind == "succeeded":
            return None  # the final response is made with the run's outcome (final())
        return None

    @staticmethod
    def tool_event(event: dict[str, Any]) -> Planned | None:
        from workflows.approvals.audit import summarize

        payload = event.get("payload") or {}
        tool = str(payload.get("tool_name") or "")
        if not tool:
            return None
        raw = payload.get("tool_input")
        tool_input: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return Planned(
            f"tool:{event['id']}", float(event["at"]), action(tool, summarize(tool, tool_input))
        )

    @staticmethod
    def approval(entry: Any) -> Planned:
        who = "a person" if entry.decided_by == "person" else f"the {entry.decided_by}"
        result = f"{entry.decision} by {who}" + (f": {entry.reason}" if entry.reason else "")
        return Planned(
            f"appr:{entry.id}",
            float(entry.at),
            action(f"Approval ({entry.tool})", entry.summary, result),
        )


def thought(body: str) -> dict[str, Any]:
    return {"type": "thought", "body": _text(body)}


def action(name: str, parameter: str, result: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": "action",
        "action": _text(name, 200),
        "parameter": _text(parameter, 1000) or "-",
    }
    if result:
        content["result"] = _text(result, 1000)
    return content


def final(status: str, *, error: str | None, pr_url: str | None, summary: str) -> dict[str, Any]:
    """The run's last word in the session."""
    if status == "succeeded":
        head = f"Pull request: {pr_url}" if pr_url else "Done (no pull request was opened)."
        return {"type": "response", "body": _text(f"{head}\n\n{summary}")}
    if status == "cancelled":
        return {
            "type": "response",
            "body": "Stopped as asked: the run was cancelled and its agents closed; "
            "nothing more is done on this issue.",
        }
    return {"type": "error", "body": _text(f"The run failed: {error or 'no reason recorded'}")}


def summary(workflow: Workflow, attempts: Iterable[Attempt]) -> str:
    done = {a.step_id for a in attempts if a.status == "succeeded"}
    lines = [f"- {step.id}: {purpose(step)}" for step in workflow.steps if step.id in done]
    return "Steps done:\n" + "\n".join(lines) if lines else ""


def plan(workflow: Workflow, attempts: list[Attempt], run_status: str) -> list[dict[str, str]]:
    """The workflow's steps as Linear plan items with their status."""
    latest: dict[str, str] = {}
    for attempt in attempts:
        latest[attempt.step_id] = attempt.status
    ended = run_status in ("succeeded", "failed", "cancelled")
    items = []
    for step in workflow.steps:
        status = latest.get(step.id)
        if status == "succeeded":
            state = "completed"
        elif ended:
            state = "canceled"
        elif status in ("running", "failed"):
            state = "inProgress"
        else:
            state = "pending"
        items.append({"content": f"{step.id}: {purpose(step)}", "status": state})
    return items
