"""A run's log, followed live (Escape or q closes it)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Log, Static

from widgets.key_bar import KeyBar

FOLLOW_S = 1.0


class RunLogScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="log.close"),
    ]

    def __init__(self, run_id: str, path: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.path = Path(path)
        self._offset = 0

    def compose(self) -> ComposeResult:
        yield Static(f"run {self.run_id} — {self.path}", classes="title")
        yield Log(id="log", highlight=False, auto_scroll=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.follow()
        self.set_interval(FOLLOW_S, self.follow)

    def follow(self) -> None:
        log = self.query_one(Log)
        try:
            with self.path.open("r", encoding="utf-8", errors="replace") as handle:
                handle.seek(self._offset)
                text = handle.read()
                self._offset = handle.tell()
        except FileNotFoundError:
            if self._offset == 0 and not log.line_count:
                log.write_line("(no log yet)")
            return
        if text:
            log.write(text)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
