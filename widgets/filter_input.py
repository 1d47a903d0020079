"""FilterInput: a one-line Input whose typing repaints itself, not the whole screen's layout.

Textual's Input sets its ``virtual_size`` to the text's width on every change, and
``virtual_size`` is a layout reactive: each keystroke lays out the whole screen (~7–10 ms
with the triage screen on this machine, then every widget repaints). Here the same value
only repaints the input; the horizontal scroll is kept within the text as a layout would.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterInput(Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0))
    """The text's width (only scrolling uses it); no layout when it changes."""

    def watch_virtual_size(self) -> None:
        self.scroll_x = self.validate_scroll_x(self.scroll_x)
