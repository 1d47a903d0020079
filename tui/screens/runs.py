"""The runs screen: every workflow run with its step, state, duration and PR; Enter opens a
run's detail; resume, cancel, clean."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from tui.screens.clean_runs import confirm_clean
from widgets.glance_bar import GlanceBar
from widgets.key_bar import KeyBar
from widgets.run_list import RunList

POLL_S = 2.0
RESUMABLE = ("failed",)
CANCELLABLE = ("pending", "running")
FINISHED = ("succeeded", "failed", "cancelled")


class RunsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "resume", "Resume", id="runs.resume"),
        Binding("C", "cancel_run", "Cancel run", id="runs.cancel"),
        # priority: the run list (a DataTable) would take Enter for itself
        Binding("enter", "open_detail", "Details", id="runs.detail", priority=True),
        Binding("L", "open_log", "Log", id="runs.log"),
        Binding("x", "clean", "Clean", id="runs.clean"),
        Binding("X", "clean_finished", "Clean all finished", id="runs.clean_finished"),
    ]

    class Loaded(Message):
        def __init__(self, runs: list[dict[str, Any]]) -> None:
            super().__init__()
            self.runs = runs

    def __init__(self) -> None:
        super().__init__(id="runs")

    def compose(self) -> ComposeResult:
        yield GlanceBar()
        yield RunList(clock=self.app.clock, id="run-list")  # type: ignore[attr-defined]
        yield KeyBar()

    @property
    def run_list(self) -> RunList:
        return self.query_one(RunList)

    def on_mount(self) -> None:
        self.run_list.focus()
        self.load_runs()
        self.set_interval(POLL_S, self.load_runs)

    @work(thread=True, exclusive=True, group="runs")
    def load_runs(self) -> None:
        try:
            runs = self.app.services.runs()  # type: ignore[attr-defined]
        except Exception as error:
            self.app.call_from_thread(self.notify, f"runs: {error}", severity="error")
            return
        self.post_message(self.Loaded(runs))

    def on_runs_screen_loaded(self, message: Loaded) -> None:
        self.run_list.show(message.runs)
        self.refresh_bindings()

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clean_finished":
            runs = self.run_list.runs.values() if self.is_mounted else ()
            return any(self._cleanable(run) for run in runs)
        if action not in ("resume", "cancel_run", "open_log", "open_detail", "clean"):
            return True
        if not self.is_mounted:
            return True
        run = self.run_list.current
        if run is None:
            return False
        if action == "clean":
            return self._cleanable(run)
        if action == "resume":
            return run.get("status") in RESUMABLE
        if action == "cancel_run":
            return run.get("status") in CANCELLABLE
        return True

    def action_resume(self) -> None:
        run = self.run_list.current
        if run is not None:
            self.run_action_on(run["id"], "resume")

    def action_cancel_run(self) -> None:
        run = self.run_list.current
        if run is not None:
            self.run_action_on(run["id"], "cancel")

    @work(thread=True, group="run-actions")
    def run_action_on(self, run_id: str, what: str) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        try:
            if what == "resume":
                services.resume_run(run_id)
            else:
                services.cancel_run(run_id)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"run {run_id}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"run {run_id}: {what} requested")
        self.app.call_from_thread(self.load_runs)

    @staticmethod
    def _cleanable(run: dict[str, Any]) -> bool:
        return run.get("status") in FINISHED and not run.get("cleaned")

    def action_open_detail(self) -> None:
        run = self.run_list.current
        if run is not None:
            self.app.open_run_detail(run["id"])  # type: ignore[attr-defined]

    def on_data_table_row_selected(self) -> None:  # a click on the highlighted row
        self.action_open_detail()

    def action_clean(self) -> None:
        run = self.run_list.current
        if run is not None:
            confirm_clean(self, [run["id"]], after=self.load_runs)

    def action_clean_finished(self) -> None:
        ids = [run_id for run_id, run in self.run_list.runs.items() if self._cleanable(run)]
        if ids:
            confirm_clean(self, ids, after=self.load_runs)

    def action_open_log(self) -> None:
        run = self.run_list.current
        if run is not None:
            self.app.open_run_log(run["id"])  # type: ignore[attr-defined]
