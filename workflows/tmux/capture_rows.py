"""Which rows of a pane the mirror captures: those its view shows, not the whole pane.

A view (a tile) shows :meth:`PaneModel.view_rows` of its height: the pane up to its last
non-blank row, blank runs folded. Which rows those are depends only on the rows from the
first shown down to the bottom when that row shows something, else from the one above it
(which decides whether a blank row opens the view), so capturing from there
(``capture-pane -S``) keeps the view exact; the rows above keep what they had. Should the
view move up past what was captured (the agent cleared its screen), the pane is captured
whole at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workflows.tmux.mirror_screen import PaneModel


class CaptureRows:
    def __init__(self) -> None:
        self.heights: dict[str, int] = {}
        """Pane → how many rows its view shows; absent: the pane is captured whole."""
        self._tops: dict[str, tuple[tuple[int, int], int]] = {}  # (version, height) → top

    def set(self, heights: Mapping[str, int], panes: Iterable[str]) -> set[str]:
        """New view heights; the panes of ``panes`` whose height changed (capture them:
        a taller view shows rows above what was captured)."""
        heights = {pane_id: count for pane_id, count in heights.items() if count > 0}
        changed = {p for p in panes if heights.get(p) != self.heights.get(p)}
        self.heights = heights
        return changed

    def first(self, pane_id: str, model: PaneModel | None, size: tuple[int, int] | None) -> int:
        """The first row to capture: the first row the view depends on; 0 (everything)
        without a height, or when the model is not of the pane's ``size`` (columns,
        rows) yet."""
        top = self.top(pane_id, model, size)
        return top if top and model is not None and model.content[top] else max(0, top - 1)

    def moved_up(
        self, pane_id: str, model: PaneModel, size: tuple[int, int] | None, first: int
    ) -> bool:
        """After a capture from ``first``: does the view now depend on rows above it?"""
        return first > 0 and self.first(pane_id, model, size) < first

    def top(self, pane_id: str, model: PaneModel | None, size: tuple[int, int] | None) -> int:
        """The first row the pane's view shows (0 without a height or a fitting model)."""
        height = self.heights.get(pane_id)
        if not height or model is None or model.size != size:
            return 0
        key = (model.version, height)
        cached = self._tops.get(pane_id)
        if cached is None or cached[0] != key:
            rows = model.view_rows(height)
            cached = self._tops[pane_id] = (key, rows[0] if rows else 0)
        return cached[1]

    def forget(self, pane_id: str) -> None:
        self._tops.pop(pane_id, None)
