"""FilterInput: a one-line Input for filter-as-you-type that costs one frame per keystroke.

Two things Textual's Input does would cost a keystroke time:
- it sets its ``virtual_size`` to the text's width on every change, and ``virtual_size``
  is a layout reactive: each keystroke would lay out the whole screen (~7–10 ms with the
  triage screen on this machine, then every widget repaints). Here the same value only
  repaints the input; the horizontal scroll is kept within the text as a layout would.
- it reports changes with a message, handled after the key's own repaint has been
  scheduled: the input's frame goes out at once and the filtered list waits for the next
  frame slot (one or two frame intervals). ``on_change`` is called with the new value
  in the same step as the key, so the list and the input share one frame.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterInput(Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0))
    """The text's width (only scrolling uses it); no layout when it changes."""

    def __init__(
        self,
        on_change: Callable[[str], object] | None = None,
        *,
        placeholder: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self._on_change = on_change

    def watch_virtual_size(self) -> None:
        self.scroll_x = self.validate_scroll_x(self.scroll_x)

    def watch_value(self, value: str) -> None:
        if self._on_change is not None:
            self._on_change(value)
