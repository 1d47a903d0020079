"""The runs screen: every workflow run with its step, state, duration and PR; Enter opens a
run's detail; resume, cancel, clean.

Below the list, the highlighted run in words: why it failed, who it waits for, its whole PR
link (the list shows only the PR's number, so it fits 80 columns); `o` opens the PR in a
browser, `y` copies its URL. Under it, the shared environments (``[slots.NAME]``) when any
is configured: who holds each, its queue and ETAs; `S` releases the slot the highlighted run
holds, `H` hands a slot over to the highlighted run waiting for it. A run waiting for QA's
verdict on its deploy gets `p` (QA pass) and `f` (QA fail, with its words): screens.qa_verdict.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tui.host import host
from tui.screens.clean_runs import confirm_clean
from tui.screens.confirm import ConfirmScreen
from tui.screens.qa_verdict import ask_verdict
from tui.slots_text import slot_of, slots_text
from widgets.glance_bar import GlanceBar
from widgets.key_bar import KeyBar
from widgets.run_list import RunList
from workflows.runs.records import RunSummary

POLL_S = 2.0
RESUMABLE = ("failed", "stopped")
CANCELLABLE = ("queued", "pending", "running")
FINISHED = ("succeeded", "failed", "cancelled", "stopped")


class RunsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "resume", "Resume", id="runs.resume"),
        Binding("C", "cancel_run", "Cancel run", id="runs.cancel"),
        # priority: the run list (a DataTable) would take Enter for itself
        Binding("enter", "open_detail", "Details", id="runs.detail", priority=True),
        Binding("L", "open_log", "Log", id="runs.log"),
        Binding("x", "clean", "Clean", id="runs.clean"),
        Binding("X", "clean_finished", "Clean all finished", id="runs.clean_finished"),
        Binding("o", "open_pr", "Open PR", id="runs.open_pr"),
        Binding("y", "copy_pr", "Copy PR", id="runs.copy_pr"),
        Binding("S", "release_slot", "Release slot", id="runs.release_slot"),
        Binding("H", "hand_over_slot", "Hand slot over", id="runs.hand_over_slot"),
        Binding("p", "qa_verdict(True)", "QA pass", id="runs.qa_pass"),
        Binding("f", "qa_verdict(False)", "QA fail", id="runs.qa_fail"),
    ]

    class Loaded(Message):
        def __init__(self, runs: list[RunSummary], slots: list[dict[str, Any]]) -> None:
            super().__init__()
            self.runs = runs
            self.slots = slots

    def __init__(self) -> None:
        super().__init__(id="runs")
        self.slots: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield GlanceBar()
        yield RunList(clock=host(self).clock, id="run-list")
        yield Static("", id="runs-summary")
        slots = Static("", id="runs-slots")
        slots.display = False
        yield slots
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
            runs = host(self).services.runs()
        except Exception as error:
            self.app.call_from_thread(self.notify, f"runs: {error}", severity="error")
            return
        try:
            slots = host(self).services.slots()
        except Exception as error:  # a bad [slots] table: said, the runs still shown
            self.app.call_from_thread(self.notify, f"slots: {error}", severity="error")
            slots = []
        self.post_message(self.Loaded(runs, slots))

    def on_runs_screen_loaded(self, message: Loaded) -> None:
        self.run_list.show(message.runs)
        self.slots = message.slots
        panel = self.query_one("#runs-slots", Static)
        panel.display = bool(message.slots)
        panel.update(Text("shared environments\n", style="bold") + Text(slots_text(self.slots)))
        self._show_summary()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self) -> None:
        self._show_summary()
        self.refresh_bindings()

    def _show_summary(self) -> None:
        self.query_one("#runs-summary", Static).update(run_summary(self.run_list.current))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clean_finished":
            runs = self.run_list.runs.values() if self.is_mounted else ()
            return any(self._cleanable(run) for run in runs)
        if action == "qa_verdict":
            run = self.run_list.current if self.is_mounted else None
            return run is not None and run.qa_waiting is not None
        if action in ("release_slot", "hand_over_slot"):
            run = self.run_list.current if self.is_mounted else None
            role = "holders" if action == "release_slot" else "queue"
            return run is not None and slot_of(self.slots, run.id, role) is not None
        if action not in (
            "resume",
            "cancel_run",
            "open_log",
            "open_detail",
            "clean",
            "open_pr",
            "copy_pr",
        ):
            return True
        if not self.is_mounted:
            return True
        run = self.run_list.current
        if run is None:
            return False
        if action == "clean":
            return self._cleanable(run)
        if action == "resume":
            return run.status in RESUMABLE
        if action == "cancel_run":
            return run.status in CANCELLABLE
        if action in ("open_pr", "copy_pr"):
            return bool(run.pr_url)
        return True

    def action_resume(self) -> None:
        run = self.run_list.current
        if run is not None:
            self.run_action_on(run.id, "resume")

    @work(group="confirm-cancel")
    async def action_cancel_run(self) -> None:
        """Ask first, naming what stops and what stays."""
        run = self.run_list.current
        if run is None:
            return
        agents = [info.name for info in host(self).tile_infos if info.run_id == run.id]
        question = f"Cancel run {run.id} ({run.workflow} on {', '.join(run.issues)})?"
        lines = [
            f"Its runner stops at step {run.current_step or '(not started)'} and its "
            f"agent windows close ({', '.join(agents) or 'no agent running'}).",
            "Issues it moved (e.g. to In Progress) go back to their earlier state.",
            "Its worktree and branch stay (`agenttui clean` removes them).",
        ]
        if await self.app.push_screen_wait(ConfirmScreen(question, lines, confirm="Cancel it")):
            self.run_action_on(run.id, "cancel")

    @work(thread=True, group="run-actions")
    def run_action_on(self, run_id: str, what: str) -> None:
        services = host(self).services
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

    @work(group="qa-ask")
    async def action_qa_verdict(self, passed: bool) -> None:
        run = self.run_list.current
        if run is not None and run.qa_waiting is not None:
            await ask_verdict(self, run, passed, after=self.load_runs)

    @work(group="confirm-slot")
    async def action_release_slot(self) -> None:
        run = self.run_list.current
        slot = slot_of(self.slots, run.id, "holders") if run is not None else None
        if run is None or slot is None:
            return
        question = f"Release {slot}, held by run {run.id}?"
        lines = [
            "The next run in its queue gets it; this run queues again and re-deploys when "
            "its turn comes."
        ]
        if await self.app.push_screen_wait(ConfirmScreen(question, lines, confirm="Release")):
            self.slot_action(slot, run.id, "release")

    @work(group="confirm-slot")
    async def action_hand_over_slot(self) -> None:
        run = self.run_list.current
        slot = slot_of(self.slots, run.id, "queue") if run is not None else None
        if run is None or slot is None:
            return
        question = f"Give {slot} to run {run.id} now?"
        lines = ["Its holder loses it and queues again; this run deploys at once."]
        if await self.app.push_screen_wait(ConfirmScreen(question, lines, confirm="Hand over")):
            self.slot_action(slot, run.id, "hand-over")

    @work(thread=True, group="slot-actions")
    def slot_action(self, slot: str, run_id: str, what: str) -> None:
        services = host(self).services
        try:
            if what == "release":
                services.release_slot(slot, run_id)
            else:
                services.hand_over_slot(slot, run_id)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{slot}: {error}", severity="error")
            return
        done = "released" if what == "release" else f"handed over to {run_id}"
        self.app.call_from_thread(self.notify, f"{slot}: {done}")
        self.app.call_from_thread(self.load_runs)

    @staticmethod
    def _cleanable(run: RunSummary) -> bool:
        return run.status in FINISHED and not run.cleaned

    def action_open_detail(self) -> None:
        run = self.run_list.current
        if run is not None:
            host(self).open_run_detail(run.id)

    def on_data_table_row_selected(self) -> None:  # a click on the highlighted row
        self.action_open_detail()

    def action_clean(self) -> None:
        run = self.run_list.current
        if run is not None:
            confirm_clean(self, [run.id], after=self.load_runs)

    def action_clean_finished(self) -> None:
        ids = [run_id for run_id, run in self.run_list.runs.items() if self._cleanable(run)]
        if ids:
            confirm_clean(self, ids, after=self.load_runs)

    def action_open_log(self) -> None:
        run = self.run_list.current
        if run is not None:
            host(self).open_run_log(run.id)

    def action_open_pr(self) -> None:
        run = self.run_list.current
        if run is not None and run.pr_url:
            self.open_pr(str(run.pr_url))

    @work(thread=True, group="open-pr")
    def open_pr(self, url: str) -> None:
        """A browser may take a while to start: never on the UI loop."""
        from tui.browser import open_or_copy

        open_or_copy(self.app, url)

    def action_copy_pr(self) -> None:
        run = self.run_list.current
        if run is not None and run.pr_url:
            self.app.copy_to_clipboard(run.pr_url)
            self.notify(f"copied {run.pr_url}")


def run_summary(run: RunSummary | None) -> Text:
    """The highlighted run in words: what, where it is, and why it stopped or waits."""
    if run is None:
        return Text("No runs yet: select issues on the issues screen (1) and press enter.")
    status = str(run.status)
    text = Text(f"{run.id} ", style="bold")
    text.append(f"{run.workflow} on {', '.join(run.issues or [])}: ")
    text.append(run.status_text, style="bold red" if status == "failed" else "bold")
    if run.current_step:
        text.append(f" at {run.current_step}")
    if run.error:
        text.append("\nwhy: ", style="bold")
        text.append(str(run.error))
    if run.attention:
        text.append(f"\nwaiting for you: {run.attention}", style="yellow")
    if run.qa_waiting:
        text.append(f"\nwaiting for {run.qa_waiting}  (p pass · f fail)", style="yellow")
    if run.paused_reason:
        text.append(f"\n{run.paused_reason}; resumes by itself", style="yellow")
    if run.pr_url:
        text.append(f"\nPR: {run.pr_url}  (o opens, y copies)")
    return text
