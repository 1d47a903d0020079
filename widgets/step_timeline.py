"""StepTimeline: a run's steps in order, each with its state, rounds and time taken.

A step that ran more than once (a loop's rounds, a remedy for another step) gets a row per
attempt under it. Highlighting a row posts ``Picked`` with the step and the attempt (None:
the latest), which the run detail shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workflows.base.untrusted import inert
from workflows.runs.detail import StepView

STATUS_MARKS = {
    "done": ("✓", "green"),
    "running": ("●", "bold cyan"),
    "waiting": ("⏸", "bold black on yellow"),
    "failed": ("✗", "bold red"),
    "skipped": ("–", "dim"),
    "pending": ("·", "dim"),
    "cancelled": ("⊘", "dim"),
}


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def status_mark(status: str) -> Text:
    mark, style = STATUS_MARKS.get(status, ("?", ""))
    return Text(mark, style=style)


def row_text(label: str, status: str, seconds: float | None, width: int = 30) -> Text:
    """`✓ refine-1 ×2      1m05s` fitted to ``width`` cells."""
    text = Text.assemble(status_mark(status), " ", inert(label))
    if status == "waiting":
        text.append(" waiting", style="yellow")
    took = duration_text(seconds)
    text.truncate(max(1, width - len(took) - 1), overflow="ellipsis")
    text.pad_right(max(0, width - text.cell_len - len(took)))
    text.append(took, style="dim")
    return text


class StepTimeline(OptionList):
    """Option ids: ``step-id`` (its latest attempt) or ``step-id#seq`` (one attempt)."""

    DEFAULT_CSS = """
    StepTimeline {
        width: 30%;
        min-width: 24;
        max-width: 36;
        height: 1fr;
        border: none;
        border-right: vkey $panel-lighten-1;
        padding: 0;
    }
    StepTimeline:focus {
        border: none;
        border-right: vkey $accent;
    }
    """

    class Picked(Message):
        def __init__(self, step_id: str, seq: int | None) -> None:
            super().__init__()
            self.step_id = step_id
            self.seq = seq

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self._shown: list[tuple[str, Text]] = []

    def show(self, steps: list[StepView]) -> None:
        """Rebuild the rows only when they changed; the highlighted row stays put."""
        now = self.clock()
        width = max(20, self.content_size.width or 32)
        rows: list[tuple[str, Text]] = []
        for step in steps:
            label = step.id + (f" ×{step.rounds}" if step.rounds > 1 else "")
            rows.append((step.id, row_text(label, step.status, step.duration(now), width)))
            if len(step.attempts) > 1:
                for attempt in step.attempts:
                    what = "fix" if attempt.role == "remedy" else "round"
                    label = f"  {what} {attempt.round}"
                    text = row_text(label, attempt.status, attempt.duration(now), width)
                    rows.append((f"{step.id}#{attempt.seq}", text))
        if [(key, text.plain) for key, text in rows] == [
            (key, text.plain) for key, text in self._shown
        ]:
            return
        highlighted = self.highlighted_id
        self._shown = rows
        self.clear_options()
        self.add_options([Option(text, id=key) for key, text in rows])
        keys = [key for key, _ in rows]
        if highlighted in keys:
            self.highlighted = keys.index(highlighted)
        elif rows:
            self.highlighted = self._default_row(steps, keys)

    @staticmethod
    def _default_row(steps: list[StepView], keys: list[str]) -> int:
        """The step that matters now: the one running or waiting, else the last that ran."""
        for wanted in (("running", "waiting", "failed"), ("done", "skipped", "cancelled")):
            for step in reversed(steps) if "done" in wanted else steps:
                if step.status in wanted:
                    return keys.index(step.id)
        return 0

    @property
    def highlighted_id(self) -> str | None:
        if self.highlighted is None or not self.option_count:
            return None
        return self.get_option_at_index(self.highlighted).id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        key = event.option.id or ""
        step_id, _, seq = key.partition("#")
        self.post_message(self.Picked(step_id, int(seq) if seq else None))
