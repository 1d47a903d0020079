"""StepOutput: one step attempt — what it is, how it went, why it failed, what it wrote.

An agent's notes (refine, plan, review verdict) are Markdown; a command's output is shown
as a code block. All of it is untrusted text: control characters are made visible and no
markup is read (workflows/base/untrusted.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from widgets.step_timeline import duration_text, status_mark
from workflows.base.untrusted import inert
from workflows.runs.detail import AttemptView, StepView

MARKDOWN_KINDS = ("agent", "workers", "")
FENCE = "`" * 3


def output_markdown(kind: str, output: str) -> str:
    """The attempt's output as Markdown: notes as they are, command output fenced."""
    text = inert(output)
    if kind in MARKDOWN_KINDS:
        return text
    fence = FENCE
    while fence in text:  # a fence the output cannot close
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"


class StepOutput(VerticalScroll):
    DEFAULT_CSS = """
    StepOutput {
        height: 1fr;
        padding: 0 1;
    }
    StepOutput > #step-head {
        margin-bottom: 1;
    }
    StepOutput > #step-error {
        color: $error;
        margin-bottom: 1;
    }
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self._shown: tuple[str, str, str] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="step-head")
        yield Static("", id="step-error")
        yield Markdown("", id="step-body")

    def show(self, step: StepView | None, attempt: AttemptView | None) -> None:
        head, error, body = self._texts(step, attempt)
        if (head.plain, error, body) == self._shown:
            return
        self._shown = (head.plain, error, body)
        self.query_one("#step-head", Static).update(head)
        error_box = self.query_one("#step-error", Static)
        error_box.update(Text(error))
        error_box.display = bool(error)
        self.query_one("#step-body", Markdown).update(body)

    def _texts(self, step: StepView | None, attempt: AttemptView | None) -> tuple[Text, str, str]:
        if step is None:
            return Text("no step selected", style="dim"), "", ""
        attempt = attempt or (step.attempts[-1] if step.attempts else None)
        head = Text.assemble(status_mark(step.status if attempt is None else attempt.status), " ")
        head.append(step.id, style="bold")
        head.append(f"  {step.kind or 'agent'} step", style="dim")
        if step.description:
            head.append(f" — {inert(step.description)}")
        if attempt is None:
            head.append("\nnot run yet" if step.status == "pending" else f"\n{step.status}")
            return head, "", ""
        took = duration_text(attempt.duration(self.clock()))
        if attempt.role == "remedy":
            what = f"round {attempt.round}, run to fix a step that did not pass"
        elif step.loops:
            what = f"round {attempt.round} of {step.max_rounds}"
        else:
            what = "attempt" if attempt.round == 1 else f"attempt {attempt.round}"
        head.append(f"\n{what} · {attempt.status} · {took}", style="dim")
        if step.output_file:
            head.append(f"\nwrites {step.output_file}", style="dim")
        error = inert(attempt.error or "")
        if attempt.output:
            body = output_markdown(step.kind, attempt.output)
        elif attempt.status in ("running", "waiting"):
            body = "*nothing written yet*"
        else:
            body = "*no output*"
        return head, error, body
