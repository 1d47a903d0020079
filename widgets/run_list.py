"""RunList: workflow runs with their step, state, duration, pull request and why a run
failed (or who it waits for)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from workflows.runs.records import RunSummary

STATUS_STYLES = {
    "queued": "yellow",
    "pending": "dim",
    "running": "bold cyan",
    "succeeded": "green",
    "failed": "bold red",
    "cancelled": "dim",
    "stopped": "yellow",
}
COLUMNS = ("run", "workflow", "issues", "step", "state", "time", "PR", "why / waiting")
NOTE_WIDTH = 60


def pr_label(url: str | None) -> str:
    """``#42`` for a pull request URL (the whole link is under the list), else the URL."""
    if not url:
        return ""
    number = url.rstrip("/").rsplit("/", 1)[-1]
    return f"#{number}" if number.isdigit() else url


def note(run: RunSummary) -> str:
    """Why a run failed, or who it waits for, cut to fit a column."""
    why = run.error or run.attention or run.paused_reason
    text = " ".join(str(why or (f"waiting for {run.qa_waiting}" if run.qa_waiting else "")).split())
    return text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1] + "…"


def duration_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class RunList(DataTable[Any]):
    """Rows keyed by run id; ``show`` updates in place so the cursor stays put."""

    DEFAULT_CSS = """
    RunList {
        height: 1fr;
    }
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.clock = clock
        self.runs: dict[str, RunSummary] = {}

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def _cells(self, run: RunSummary) -> tuple[Any, ...]:
        end = run.finished_at or self.clock()
        started = run.created_at or end
        status = str(run.status)
        return (
            run.id,
            run.workflow,
            ", ".join(run.issues or []),
            run.current_step or "",
            Text(run.status_text, style=STATUS_STYLES.get(status, ""))
            + Text(" cleaned" if run.cleaned else "", style="dim"),
            duration_text(end - started),
            pr_label(run.pr_url),
            Text(note(run), style="red" if status == "failed" else "yellow"),
        )

    def show(self, runs: list[RunSummary]) -> None:
        wanted = {run.id: run for run in runs}
        for key in list(self.rows):
            if key.value not in wanted:
                self.remove_row(key)
        for run_id, run in wanted.items():
            cells = self._cells(run)
            if run_id in self.runs and any(row.value == run_id for row in self.rows):
                for column, value in zip(COLUMNS, cells, strict=True):
                    self.update_cell(run_id, column, value)
            else:
                self.add_row(*cells, key=run_id)
        self.runs = wanted

    @property
    def current(self) -> RunSummary | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return self.runs.get(str(key.value))
