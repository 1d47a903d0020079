"""KeyBar: the keys that apply right now, in one line.

A light stand-in for Textual's Footer: the Footer rebuilds a widget per key whenever the
bindings change (every focus move on the agents screen), which costs a layout pass; this
renders one Text instead.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Any) -> None:
        self.refresh()

    def render(self) -> Text:
        """The screen's keys first. When the line is too short, the app's own (switch
        screens, quit) give way, then the palette hint, then keys that do not apply now;
        help, which lists everything, stays."""
        items: list[tuple[str, str, bool, bool]] = []  # key, description, enabled, droppable
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            droppable = active.node is self.app and binding.action != "help"
            key = self.app.get_key_display(binding)
            items.append((key, binding.description, active.enabled, droppable))
        tail = " ^p palette"
        width = self.size.width or 80

        def line() -> Text:
            text = Text(no_wrap=True, overflow="ellipsis")
            for key, what, enabled, _droppable in items:
                text.append(f" {key} ", style="bold" if enabled else "dim")
                text.append(f"{what} ", style="" if enabled else "dim")
            text.append(tail, style="dim")
            return text

        while line().cell_len > width and any(item[3] for item in items):
            items.remove(next(item for item in items if item[3]))
        if line().cell_len > width:
            tail = ""  # the palette is listed under ? too
        while line().cell_len > width and any(not item[2] for item in items):
            items.remove(next(item for item in items if not item[2]))  # keys that do not apply
        text = line()
        return text
