"""IssueTable: a virtual list of issues (only visible rows are drawn), with multi-select.

Columns fit the width: the title takes what is left after identifier, state, labels and
project; narrow terminals drop project, then labels. Thousands of issues cost nothing
until they scroll into view, so filtering redraws in well under a frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workflows.issues.model import Issue

STATE_STYLES = {
    "started": "yellow",
    "unstarted": "",
    "backlog": "dim",
    "triage": "magenta",
    "completed": "green",
    "canceled": "dim strike",
}


def _fit(text: str, width: int) -> str:
    """``text`` in a column ``width`` wide, the last cell kept as a gap."""
    if width <= 0:
        return ""
    room = width - 1
    if len(text) > room:
        return text[: max(0, room - 1)] + "… "
    return text.ljust(width)


@lru_cache(maxsize=64)
def _state_style(state_type: str) -> Style:
    return Style.parse(STATE_STYLES.get(state_type, "") or "none")


@lru_cache(maxsize=64)
def column_widths(width: int) -> dict[str, int]:
    """Widths of mark, identifier, title, state, labels, project for a table ``width`` wide."""
    cols = {"mark": 2, "identifier": 10, "state": 13, "labels": 20, "project": 16}
    for drop in ("project", "labels"):
        if width - sum(cols.values()) >= 30:
            break
        cols[drop] = 0
    cols["title"] = max(10, width - sum(cols.values()))
    return cols


class IssueTable(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="issues.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="issues.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="issues.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="issues.page_down"),
        Binding("home", "jump(0)", "First", show=False, id="issues.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="issues.last"),
        Binding("space", "toggle_selected", "Select", id="issues.select"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "issue-table--cursor",
        "issue-table--selected",
        "issue-table--header",
    }

    DEFAULT_CSS = """
    IssueTable {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    IssueTable > .issue-table--cursor {
        background: $accent 40%;
    }
    IssueTable:focus > .issue-table--cursor {
        background: $accent 70%;
    }
    IssueTable > .issue-table--selected {
        color: $warning;
        text-style: bold;
    }
    IssueTable > .issue-table--header {
        color: $text-muted;
        text-style: bold;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    """Index of the highlighted row in the shown (filtered) issues."""

    class Highlighted(Message):
        def __init__(self, table: IssueTable, issue: Issue | None) -> None:
            super().__init__()
            self.table = table
            self.issue = issue

        @property
        def control(self) -> IssueTable:
            return self.table

    class SelectionChanged(Message):
        def __init__(self, table: IssueTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> IssueTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.issues: list[Issue] = []
        self.selected: dict[str, Issue] = {}
        self.empty_text = ""
        """Shown where the rows go when there are none (e.g. why: a filter matched nothing)."""
        self._row_cache: dict[tuple[int, int, bool, bool], tuple[Issue, Strip]] = {}
        self._style_cache: dict[str, Style] = {}

    # -- data ------------------------------------------------------------------------
    def show(self, issues: Sequence[Issue]) -> None:
        """Show these issues (already filtered); keeps the cursor on the same issue."""
        current = self.current
        self.issues = list(issues)
        self._set_virtual_height(len(self.issues) + 1)
        index = 0
        if current is not None:
            for i, issue in enumerate(self.issues):
                if issue.identifier == current.identifier:
                    index = i
                    break
        self.cursor = min(index, max(0, len(self.issues) - 1))
        self.refresh()

    def _set_virtual_height(self, height: int) -> None:
        """Resize the scrollable area without a layout of the whole screen (assigning
        ``virtual_size`` costs one, ~10 ms with the triage screen, on every keystroke of the
        filter); the scrollbars are updated as a resize would (a layout only when one
        appears or goes)."""
        size = Size(self.row_width, height)
        if size != self.virtual_size:
            self.set_reactive(IssueTable.virtual_size, size)
            self._scroll_update(size)

    @property
    def current(self) -> Issue | None:
        if 0 <= self.cursor < len(self.issues):
            return self.issues[self.cursor]
        return None

    def clear_selection(self) -> None:
        self.selected.clear()
        self.refresh()
        self.post_message(self.SelectionChanged(self))

    # -- rendering -------------------------------------------------------------------
    @property
    def row_width(self) -> int:
        """Cells a row has: the width less the vertical scrollbar (rows never scroll
        sideways, so they are never wider than what shows)."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        width = self.row_width
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.issues):
            if index == 0 and self.empty_text:
                text = _fit(f"  {self.empty_text}", width)
                return Strip([Segment(text, self._styles()["header"])]).crop_extend(0, width, None)
            return Strip.blank(width, self._styles()["base"])
        issue = self.issues[index]
        key = (id(issue), width, index == self.cursor, issue.identifier in self.selected)
        cached = self._row_cache.get(key)
        if cached is None or cached[0] is not issue:
            if len(self._row_cache) > 4096:
                self._row_cache.clear()
            cached = self._row_cache[key] = (issue, self._row(issue, key[2], key[3], width))
        return cached[1]

    def _styles(self) -> dict[str, Style]:
        """Component styles, looked up once per theme/CSS change rather than per row
        (``rich_style`` walks the ancestors: ~75 µs a call)."""
        if not self._style_cache:
            base = self.rich_style
            self._row_cache.clear()
            cursor = self.get_component_rich_style("issue-table--cursor")
            selected = self.get_component_rich_style("issue-table--selected")
            self._style_cache = {
                "base": base,
                "cursor": base + cursor,
                "selected": base + selected,
                "cursor_selected": base + cursor + selected,
                "header": self.get_component_rich_style("issue-table--header"),
            }
        return self._style_cache

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache = {}
        self._row_cache.clear()

    def _header(self, width: int) -> Strip:
        cols = column_widths(width)
        style = self._styles()["header"]
        parts = [" " * cols["mark"], _fit("ID", cols["identifier"]), _fit("Title", cols["title"])]
        parts += [_fit("State", cols["state"])]
        if cols["labels"]:
            parts.append(_fit("Labels", cols["labels"]))
        if cols["project"]:
            parts.append(_fit("Project", cols["project"]))
        return Strip([Segment("".join(parts), style)]).crop_extend(0, width, style)

    def set_empty_text(self, text: str) -> None:
        """What the table says when it shows no issue (repaints that line only)."""
        if text != self.empty_text:
            self.empty_text = text
            self.refresh(Region(0, 1, self.row_width, 1))

    def _row(self, issue: Issue, is_cursor: bool, selected: bool, width: int) -> Strip:
        cols = column_widths(width)
        styles = self._styles()
        base = styles["cursor"] if is_cursor else styles["base"]
        mark_style = styles["cursor_selected"] if is_cursor else styles["selected"]
        segments = [
            Segment("● " if selected else "  ", mark_style),
            Segment(_fit(issue.identifier, cols["identifier"]), mark_style if selected else base),
            Segment(_fit(issue.title, cols["title"]), base),
            Segment(_fit(issue.state, cols["state"]), base + _state_style(issue.state_type)),
        ]
        if cols["labels"]:
            segments.append(Segment(_fit(", ".join(issue.labels), cols["labels"]), base + _DIM))
        if cols["project"]:
            segments.append(Segment(_fit(issue.project or "", cols["project"]), base + _DIM))
        return Strip(segments).crop_extend(0, width, base)

    # -- cursor and selection --------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_cursor_into_view()
        self.post_message(self.Highlighted(self, self.current))

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        if self.issues:
            self.cursor = min(max(self.cursor + delta, 0), len(self.issues) - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 2))

    def action_jump(self, where: int) -> None:
        if self.issues:
            self.cursor = where if where >= 0 else len(self.issues) - 1

    def action_toggle_selected(self) -> None:
        issue = self.current
        if issue is None:
            return
        if issue.identifier in self.selected:
            del self.selected[issue.identifier]
        else:
            self.selected[issue.identifier] = issue
        self.refresh()  # the cursor stays on the issue: space again unselects it
        self.post_message(self.SelectionChanged(self))


_DIM = Style(dim=True)
