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
        text = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            text.append(f" {key} ", style="bold" if active.enabled else "dim")
            text.append(f"{binding.description} ", style="" if active.enabled else "dim")
        text.append(" ^p palette", style="dim")
        return text
