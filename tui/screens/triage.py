"""The issues screen: filter, select, group, launch one workflow run per group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.host import host
from tui.issue_filter import IssueFilter
from tui.launching import BUSY
from tui.screens.confirm import ConfirmScreen
from tui.screens.workflow_picker import WorkflowPicker
from widgets.filter_input import FilterInput
from widgets.glance_bar import GlanceBar
from widgets.issue_detail import IssueDetail, IssueView
from widgets.issue_table import IssueTable
from widgets.key_bar import KeyBar
from workflows.issues.model import Issue
from workflows.runs.records import RunSummary

DETAIL_DELAY_S = 0.25
ISSUE_POLL_S = 15.0
"""How often the list is brought up to date while it is shown (Linear: only what changed)."""
DONE_STATE_TYPES = ("completed", "canceled")


def launchable(issue: Issue, runs: list[RunSummary] | None) -> bool:
    """Worth suggesting for a run: not done, not in review, and no run already working on it
    or with a pull request for it."""
    if issue.state_type in DONE_STATE_TYPES or issue.state.casefold() == "in review":
        return False
    return not any(run.status in BUSY or run.pr_url for run in runs or [])


@dataclass
class IssueGroup:
    issues: list[str]
    reasons: list[str]


class TriageScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="triage.filter"),
        Binding("g", "group", "Group", id="triage.group"),
        Binding("s", "suggest", "Suggest groups", id="triage.suggest"),
        Binding("G", "accept_suggestions", "Accept suggested", id="triage.accept"),
        Binding("enter", "launch", "Launch", id="triage.launch"),
        Binding("escape", "clear", "Clear", show=False, id="triage.clear"),
        Binding("r", "refresh_issues", "Refresh", id="triage.refresh"),
        Binding("i", "toggle_detail", "Detail", id="triage.detail"),
    ]

    class IssuesLoaded(Message):
        def __init__(self, issues: list[Issue], *, cached: bool, skipped: list[str]) -> None:
            super().__init__()
            self.issues = issues
            self.cached = cached
            self.skipped = skipped  # issue files the source could not read: path:line: why

    class DetailLoaded(Message):
        def __init__(self, view: IssueView) -> None:
            super().__init__()
            self.view = view

    class Suggested(Message):
        def __init__(self, groups: list[IssueGroup]) -> None:
            super().__init__()
            self.groups = groups

    def __init__(self) -> None:
        super().__init__(id="triage")
        self.all_issues: list[Issue] = []
        self.groups: list[IssueGroup] = []
        self.suggestions: list[IssueGroup] = []
        self.query_text = ""
        self.loaded = False  # a listing came from the source (not only the cache)
        self._filter = IssueFilter()
        self._detail_timer: Timer | None = None
        self._detail_for = ""
        self.skipped_files: list[str] = []

    def compose(self) -> ComposeResult:
        yield GlanceBar()
        with Horizontal():
            with Vertical(id="issues-main"):
                with Horizontal(id="filter-row"):
                    yield FilterInput(
                        self.apply_filter,
                        placeholder="/ filter: id, title, state, label, project",
                        id="filter",
                    )
                    yield Static("", id="issue-count")
                yield IssueTable(id="issues")
            with Vertical(id="issues-side"):
                yield IssueDetail(id="issue-detail")
                with VerticalScroll(id="groups-side"):
                    yield Static("", id="groups")
                    yield Static("", id="suggestions")
        yield KeyBar()

    @property
    def table(self) -> IssueTable:
        return self.query_one(IssueTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.load_issues("cached")
        self._show_groups()
        self.set_interval(ISSUE_POLL_S, self._poll)

    def on_screen_resume(self) -> None:
        self._poll()  # states may have moved while another screen was shown

    # -- loading ---------------------------------------------------------------------
    def _poll(self) -> None:
        """The list keeps itself current (runs move issues' states) while it is seen."""
        if self.is_current:
            self.load_issues("poll")

    @work(thread=True, group="issues", exclusive=True)
    def load_issues(self, mode: str) -> None:
        """``cached``: the last list at once, then ``full``; ``poll``: what changed."""
        services = host(self).services
        load = {
            "cached": services.cached_issues,
            "full": services.refresh_issues,
            "poll": services.poll_issues,
        }[mode]
        try:
            issues = load()
        except Exception as error:
            if mode != "poll":  # a failed background refresh is retried by the next one
                self.app.call_from_thread(self.notify, f"issues: {error}", severity="error")
            issues = None
        if issues is not None:
            skipped = [] if mode == "cached" else services.skipped_issue_files()
            self.post_message(self.IssuesLoaded(issues, cached=mode == "cached", skipped=skipped))
        if mode == "cached":  # the cached list first, then the fresh one
            self.app.call_from_thread(self.load_issues, "full")

    def on_triage_screen_issues_loaded(self, message: IssuesLoaded) -> None:
        if message.cached and message.issues == [] and self.all_issues:
            return
        if not message.cached or not self.all_issues:
            self.loaded = True
        if not message.cached:
            self._report_skipped(message.skipped)
        self.all_issues = message.issues
        self._filter.reset(self.all_issues)
        self.apply_filter(self.query_text)

    def _report_skipped(self, skipped: list[str]) -> None:
        """Issue files the source skipped are said once each time the set changes (a poll
        every few seconds must not say it again), and counted beside the list."""
        if skipped == self.skipped_files:
            return
        self.skipped_files = skipped
        if skipped:
            more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
            shown = "; ".join(skipped[:3]) + more
            self.notify(f"skipped {len(skipped)} issue file(s): {shown}", severity="warning")

    def _status(self, text: str) -> None:
        if self.skipped_files:
            text += f" · {len(self.skipped_files)} file(s) skipped"
        self.query_one("#issue-count", Static).update(text)

    # -- filtering -------------------------------------------------------------------
    @on(Input.Submitted, "#filter")
    def on_filter_submitted(self) -> None:
        self.table.focus()

    def apply_filter(self, query: str) -> None:
        """Show the issues matching ``query`` (called by the filter as each key is typed)."""
        if not self.is_mounted:
            return
        self.query_text = query
        shown = self._filter.apply(query)
        had_issues = bool(self.table.issues)
        self.table.show(shown)
        total = len(self.all_issues)
        self._status(f"{len(shown)} of {total}" if query else f"{total} issues")
        if not shown and query:
            self.table.set_empty_text(f"no match for “{query}” (esc clears)")
        else:
            self.table.set_empty_text("" if total or not self.loaded else "no issues")
        if bool(shown) != had_issues:  # Enter (launch) applies only with an issue under it
            self.refresh_bindings()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    # -- grouping --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "group":
            return bool(self.table.selected)
        if action == "accept_suggestions":
            return bool(self.suggestions)
        if action == "launch":
            return bool(self.groups or self.table.selected or self.table.current)
        return True

    def on_issue_table_selection_changed(self) -> None:
        self.refresh_bindings()
        self._show_groups()

    def _grouped(self) -> set[str]:
        return {issue for group in self.groups for issue in group.issues}

    def _add_group(self, group: IssueGroup) -> None:
        """An issue belongs to one group: the newest takes it from older ones."""
        taken = set(group.issues)
        for old in self.groups:
            old.issues = [issue for issue in old.issues if issue not in taken]
        self.groups = [old for old in self.groups if old.issues] + [group]

    def action_group(self) -> None:
        ids = list(self.table.selected)
        if not ids:
            return
        self._add_group(IssueGroup(ids, ["grouped by hand"]))
        self.table.clear_selection()
        self._show_groups()

    def action_suggest(self) -> None:
        grouped = self._grouped()
        issues = list(self.table.selected.values()) or list(self.table.issues)
        self.suggest([issue for issue in issues if issue.identifier not in grouped])

    @work(thread=True, exclusive=True, group="suggest")
    def suggest(self, issues: list[Issue]) -> None:
        services = host(self).services
        try:
            runs = services.runs_by_issue()
            candidates = [
                issue for issue in issues if launchable(issue, runs.get(issue.identifier))
            ]
            raw = services.suggest_groups(candidates)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"grouping: {error}", severity="error")
            return
        self.post_message(self.Suggested([IssueGroup(ids, reasons) for ids, reasons in raw]))

    def on_triage_screen_suggested(self, message: Suggested) -> None:
        self.suggestions = message.groups
        self._show_groups()
        self.refresh_bindings()

    def action_accept_suggestions(self) -> None:
        for suggestion in self.suggestions:  # what is grouped already stays where it is
            grouped = self._grouped()
            rest = [issue for issue in suggestion.issues if issue not in grouped]
            if rest:
                self.groups.append(IssueGroup(rest, suggestion.reasons))
        self.suggestions = []
        self.table.clear_selection()
        self._show_groups()
        self.refresh_bindings()

    def action_clear(self) -> None:
        """Escape undoes the most recent kind of thing first: the selection, the filter,
        the suggestions, then the groups."""
        if self.table.selected:
            self.table.clear_selection()
        elif self.query_text:
            self.query_one("#filter", Input).value = ""  # applies the empty filter
            self.table.focus()
        elif self.suggestions:
            self.suggestions = []
        else:
            self.groups = []
        self._show_groups()
        self.refresh_bindings()

    def _show_groups(self) -> None:
        text = Text("Groups to launch\n", style="bold")
        if not self.groups:
            text.append("none yet: space selects, g groups\n", style="dim")
        for number, group in enumerate(self.groups, 1):
            text.append(f"{number}. {', '.join(group.issues)}\n")
            text.append(f"   {'; '.join(group.reasons)}\n", style="dim")
        if self.table.selected:
            text.append(f"\nselected: {', '.join(self.table.selected)}\n", style="yellow")
        self.query_one("#groups", Static).update(text)
        tips = Text("Suggested (s; G accepts)\n", style="bold")
        for group in self.suggestions:
            tips.append(f"• {', '.join(group.issues)}\n")
            tips.append(f"  {'; '.join(group.reasons)}\n", style="dim")
        self.query_one("#suggestions", Static).update(tips)

    # -- launching -------------------------------------------------------------------
    def _groups_to_launch(self) -> list[IssueGroup]:
        if self.groups:
            return list(self.groups)
        if self.table.selected:
            return [IssueGroup(list(self.table.selected), ["selection"])]
        current = self.table.current
        return [IssueGroup([current.identifier], ["highlighted"])] if current else []

    def action_launch(self) -> None:
        groups = self._groups_to_launch()
        if groups:
            self.pick_and_launch(groups)

    @work(group="launch")
    async def pick_and_launch(self, groups: list[IssueGroup]) -> None:
        services = host(self).services
        choices = await self._in_thread(services.workflows)
        issue_ids = [issue for group in groups for issue in group.issues]
        warnings = await self._in_thread(lambda: services.launch_warnings(issue_ids))
        titles = {issue.identifier: issue.title for issue in self.all_issues}
        runs = [[(issue, titles.get(issue, "")) for issue in group.issues] for group in groups]
        picker = WorkflowPicker(choices, runs, warnings=warnings, note=self._launch_note())
        workflow = await self.app.push_screen_wait(picker)
        if workflow is None:
            return
        if warnings:
            question = f"Launch {workflow} anyway? Runs or pull requests exist for these issues:"
            lines = [f"• {warning}" for warning in warnings]
            if not await self.app.push_screen_wait(
                ConfirmScreen(question, lines, confirm="Launch anyway")
            ):
                return
        self.launch(workflow, groups)
        self.groups = []
        self.table.clear_selection()
        self._show_groups()

    def _launch_note(self) -> str:
        if self.groups:
            return "the groups"
        return "the selection" if self.table.selected else "the highlighted issue (none selected)"

    async def _in_thread(self, call: Any) -> Any:
        worker = self.run_worker(call, thread=True, group="launch-info")
        return await worker.wait()

    @work(thread=True, group="launch-runs")
    def launch(self, workflow: str, groups: list[IssueGroup]) -> None:
        services = host(self).services
        for group in groups:
            try:
                run_id = services.launch(workflow, group.issues)
            except Exception as error:
                self.app.call_from_thread(
                    self.notify, f"{', '.join(group.issues)}: {error}", severity="error"
                )
                continue
            self.app.call_from_thread(
                self.notify, f"run {run_id}: {workflow} on {', '.join(group.issues)}"
            )

    # -- the highlighted issue in full, beside the list ------------------------------
    def on_issue_table_highlighted(self, message: IssueTable.Highlighted) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        issue = message.issue
        if issue is None:
            self.query_one(IssueDetail).show(None)
            return
        if self._detail_for != issue.identifier:  # the list's copy at once, then in full
            self.query_one(IssueDetail).show(IssueView(issue, []))
        # Moving through the list fetches only where the cursor rests.
        self._detail_timer = self.set_timer(DETAIL_DELAY_S, lambda: self.load_detail(issue))

    @work(thread=True, exclusive=True, group="issue-detail")
    def load_detail(self, issue: Issue) -> None:
        view = host(self).services.issue_view(issue)
        self.post_message(self.DetailLoaded(view))

    def on_triage_screen_detail_loaded(self, message: DetailLoaded) -> None:
        current = self.table.current
        if current is not None and current.identifier == message.view.issue.identifier:
            self._detail_for = current.identifier
            self.query_one(IssueDetail).show(message.view)

    def action_toggle_detail(self) -> None:
        detail = self.query_one(IssueDetail)
        detail.display = not detail.display

    def action_refresh_issues(self) -> None:
        self._status("refreshing…")
        self.load_issues("full")
