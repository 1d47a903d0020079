"""A run's detail: its steps as a timeline beside what the chosen step wrote, the run's
agents as live tiles, the worktree's diff against its base, and the run's log.

Opened with Enter on the runs screen. Everything is read in workers: the store every two
seconds while the run is active, git when the diff tab is shown.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from tui.host import host
from tui.screens.confirm import ConfirmScreen
from tui.screens.qa_verdict import ask_verdict
from tui.screens.tile_screen import TileScreen
from widgets.diff_view import DiffView, highlight_diff
from widgets.followed_log import FollowedLog
from widgets.glance_bar import GlanceBar
from widgets.key_bar import KeyBar
from widgets.pane_tile import TileInfo
from widgets.step_output import StepOutput
from widgets.step_timeline import StepTimeline, duration_text
from widgets.tile_grid import TileGrid
from workflows.base.untrusted import inert
from workflows.runs.detail import RunDetail

POLL_S = 2.0
DIFF_REFRESH_S = 5.0
RESUMABLE = ("failed", "stopped")
CANCELLABLE = ("queued", "pending", "running")
FINISHED = ("succeeded", "failed", "cancelled", "stopped")
TABS = {"output": "Output (S)", "agents": "Agents (T)", "diff": "Diff (D)", "log": "Log (L)"}


def summary_text(detail: RunDetail, now: float) -> Text:
    """Line 1: run, workflow, issues, status, time; then the PR, the failure or who waits."""
    run = detail.summary
    status = str(run.status)
    took = duration_text((run.finished_at or now) - (run.created_at or now))
    text = Text.assemble(
        ("run ", "dim"), (detail.run_id, "bold"), ("  ", ""), (str(run.workflow), ""),
        ("  ", ""), (", ".join(run.issues or []), "bold"), ("  ", ""),
        (run.status_text, {"failed": "bold red", "succeeded": "green", "running": "bold cyan"}
         .get(status, "dim")),
        (f"  {took}", "dim"),
    )  # fmt: skip
    if run.branch:
        text.append(f"  branch {run.branch}", style="dim")
    if run.pr_url:
        text.append("\nPR ", style="dim")
        text.append(str(run.pr_url), style="underline")
        text.append("  o open · y copy", style="dim")
    if detail.usage.tokens.total:
        steps = " · ".join(
            f"{step} {usage.short()}" for step, usage in detail.usage_by_step.items()
        )
        text.append(f"\nusage {detail.usage.short()}", style="bold")
        text.append(f"  ({steps})" if len(detail.usage_by_step) > 1 else "", style="dim")
    if run.attention:
        text.append(f"\n⏸ waiting for you: {inert(str(run.attention))}", style="yellow")
    if run.qa_waiting:
        text.append(f"\n⏸ waiting for {inert(run.qa_waiting)}  p pass · f fail", style="yellow")
    if run.paused_reason:
        text.append(f"\n⏸ {inert(run.paused_reason)}; resumes by itself", style="yellow")
    if status == "failed" and run.error:
        text.append(f"\n✗ {inert(str(run.error))}", style="bold red")
    return text


class RunDetailScreen(TileScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="run.back"),
        Binding("o", "open_pr", "Open PR", id="run.open_pr"),
        Binding("y", "copy_pr", "Copy PR URL", id="run.copy_pr"),
        Binding("R", "resume", "Resume", id="run.resume"),
        Binding("C", "cancel_run", "Cancel run", id="run.cancel"),
        Binding("X", "clean", "Clean", id="run.clean"),
        Binding("p", "qa_verdict(True)", "QA pass", id="run.qa_pass"),
        Binding("f", "qa_verdict(False)", "QA fail", id="run.qa_fail"),
        Binding("P", "replay", "Replay", show=False, id="run.replay"),
        Binding("S", "tab('output')", "Output", show=False, id="run.tab_output"),
        Binding("T", "tab('agents')", "Agents", show=False, id="run.tab_agents"),
        Binding("D", "tab('diff')", "Diff", show=False, id="run.tab_diff"),
        Binding("L", "tab('log')", "Log", show=False, id="run.tab_log"),
    ]

    class Loaded(Message):
        def __init__(self, detail: RunDetail) -> None:
            super().__init__()
            self.detail = detail

    class DiffLoaded(Message):
        def __init__(self, lines: list[Text], error: str = "") -> None:
            super().__init__()
            self.lines = lines
            self.error = error

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.detail: RunDetail | None = None
        self._picked: tuple[str, int | None] | None = None
        self._diff_key: tuple[str, str] | None = None
        self._diff_at = 0.0

    def compose(self) -> ComposeResult:
        clock = host(self).clock
        yield GlanceBar()
        yield Static(Text(f"run {self.run_id}", style="bold"), id="run-summary")
        with Horizontal(id="run-body"):
            yield StepTimeline(clock=clock, id="timeline")
            with TabbedContent(id="run-tabs"):
                with TabPane(TABS["output"], id="output"):
                    yield StepOutput(clock=clock, id="step-output")
                with TabPane(TABS["agents"], id="agents"):
                    yield Static("This run has no agent panes now.", id="no-agents")
                    yield TileGrid(id="run-tiles")
                with TabPane(TABS["diff"], id="diff"):
                    yield DiffView(id="diff-view")
                with TabPane(TABS["log"], id="log"):
                    yield FollowedLog(host(self).services.run_log(self.run_id), id="run-log")
        yield KeyBar()

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    def on_mount(self) -> None:
        self.query_one(StepTimeline).focus()
        self.load()
        self.set_interval(POLL_S, self._poll)
        self.follow_tiles()

    # -- loading -----------------------------------------------------------------------
    def _poll(self) -> None:
        if self.detail is None or self.detail.active:
            self.load()

    @work(thread=True, exclusive=True, group="run-detail")
    def load(self) -> None:
        try:
            detail = host(self).services.run_detail(self.run_id)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"run {self.run_id}: {error}", severity="error")
            return
        self.post_message(self.Loaded(detail))

    def on_run_detail_screen_loaded(self, message: Loaded) -> None:
        self.detail = message.detail
        now = host(self).clock()
        self.query_one("#run-summary", Static).update(summary_text(message.detail, now))
        self.query_one(StepTimeline).show(message.detail.steps)
        self._show_step()
        if self.tabs.active == "diff" and message.detail.active:
            self._load_diff_once()  # the agents are changing it: follow along
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="run-diff")
    def load_diff(self, worktree: str, base: str) -> None:
        """git diff and its highlighting, both off the UI loop."""
        try:
            diff = host(self).services.run_diff(worktree, base)
        except Exception as error:
            self.post_message(self.DiffLoaded([], f"cannot read the diff: {error}"))
            return
        self.post_message(self.DiffLoaded(highlight_diff(diff)))

    def on_run_detail_screen_diff_loaded(self, message: DiffLoaded) -> None:
        view = self.query_one(DiffView)
        if message.error:
            view.show([], empty=message.error)
        else:
            view.show(message.lines)

    # -- the timeline and the chosen step ----------------------------------------------
    def on_step_timeline_picked(self, message: StepTimeline.Picked) -> None:
        self._picked = (message.step_id, message.seq)
        self._show_step()

    def _show_step(self) -> None:
        if self.detail is None or self._picked is None:
            return
        step_id, seq = self._picked
        step = next((each for each in self.detail.steps if each.id == step_id), None)
        attempt = None
        if step is not None and seq is not None:
            attempt = next((each for each in step.attempts if each.seq == seq), None)
        self.query_one(StepOutput).show(step, attempt)

    # -- tabs ------------------------------------------------------------------------
    def action_tab(self, name: str) -> None:
        self.tabs.active = name

    @on(TabbedContent.TabActivated)
    def tab_shown(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane == "diff":
            self._load_diff_once()
        if pane == "agents" and self.grid.tiles:
            self._focus_first()
            self.grid.focus()
        self._update_visible()
        self.refresh_bindings()

    def _load_diff_once(self) -> None:
        if self.detail is None:
            return
        worktree = str(self.detail.summary.worktree or "")
        key = (worktree, self.detail.base)
        if not worktree:
            self.query_one(DiffView).show([], empty="this run has no worktree")
            return
        now = host(self).clock()
        stale = self.detail.active and now - self._diff_at >= DIFF_REFRESH_S
        if key != self._diff_key or stale:  # an active run's diff changes
            self._diff_key, self._diff_at = key, now
            self.load_diff(worktree, self.detail.base)

    # -- tiles: only this run's agents, only while the agents tab shows -------------------
    def wants(self, info: TileInfo) -> bool:
        return info.run_id == self.run_id

    def tiles_shown(self) -> bool:
        return self.is_mounted and self.tabs.active == "agents"

    def tiles_changed(self, infos: list[TileInfo]) -> None:
        self.query_one("#no-agents").display = not infos

    # -- keys ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.detail is None:
            return action not in (
                "open_pr", "copy_pr", "resume", "cancel_run", "clean", "qa_verdict"
            ) and super().check_action(action, parameters)  # fmt: skip
        run = self.detail.summary
        if action == "qa_verdict":
            return run.qa_waiting is not None
        if action in ("open_pr", "copy_pr"):
            return bool(run.pr_url)
        if action == "resume":
            return run.status in RESUMABLE
        if action == "cancel_run":
            return run.status in CANCELLABLE
        if action == "clean":
            return run.status in FINISHED and not run.cleaned
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_open_pr(self) -> None:
        url = self.detail.summary.pr_url if self.detail else None
        if url and self.app.is_web:  # served (agenttui serve): the person's browser opens it
            self.app.open_url(str(url))
        elif url:
            self.open_pr(str(url))

    @work(thread=True, group="open-pr")
    def open_pr(self, url: str) -> None:
        """A browser may take a while to start: never on the UI loop."""
        from tui.browser import open_or_copy

        open_or_copy(self.app, url)

    def action_replay(self) -> None:
        from tui.screens.replay import ReplayScreen
        from workflows.runs.recording.files import run_casts, run_folder

        casts = run_casts(self.run_id)
        if not casts:
            self.notify(f"run {self.run_id} has no recordings (in {run_folder(self.run_id)})")
            return
        self.app.push_screen(ReplayScreen(self.run_id, casts))

    def action_copy_pr(self) -> None:
        url = self.detail.summary.pr_url if self.detail else None
        if url:
            self.app.copy_to_clipboard(str(url))  # OSC 52: works over ssh and inside tmux
            self.notify(f"copied {url}")

    def action_resume(self) -> None:
        self.change_run("resume")

    @work(group="qa-ask")
    async def action_qa_verdict(self, passed: bool) -> None:
        run = self.detail.summary if self.detail else None
        if run is not None and run.qa_waiting is not None:
            await ask_verdict(self, run, passed, after=self.load)

    def action_cancel_run(self) -> None:
        self.app.push_screen(
            ConfirmScreen(
                f"Cancel run {self.run_id}?",
                ["Its runner stops at the next check and its agents are closed.",
                 "The worktree and the branch stay; `R` cannot resume a cancelled run."],
                confirm="Cancel the run",
            ),
            self._cancel_answered,
        )  # fmt: skip

    def _cancel_answered(self, yes: bool | None) -> None:
        if yes:
            self.change_run("cancel")

    def action_clean(self) -> None:
        from tui.screens.clean_runs import confirm_clean

        confirm_clean(self, [self.run_id], after=self.load)

    @work(thread=True, group="run-actions")
    def change_run(self, what: str) -> None:
        services = host(self).services
        try:
            if what == "resume":
                services.resume_run(self.run_id)
            else:
                services.cancel_run(self.run_id)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"run {self.run_id}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"run {self.run_id}: {what} requested")
        self.app.call_from_thread(self.load)
