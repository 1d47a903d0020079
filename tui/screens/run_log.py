"""A run's log, followed live (Escape or q closes it)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.followed_log import FollowedLog
from widgets.key_bar import KeyBar


class RunLogScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="log.close"),
    ]

    def __init__(self, run_id: str, path: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.path = path

    def compose(self) -> ComposeResult:
        yield Static(f"run {self.run_id} — {self.path}", classes="title")
        yield FollowedLog(self.path, id="log")
        yield KeyBar()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
