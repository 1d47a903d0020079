"""Ask before something goes: the question, then every thing that will go, one per line."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.key_bar import KeyBar


class ConfirmScreen(ModalScreen[bool]):
    """y or Enter: True; n or Escape: False. Lines are shown as plain text, never markup
    (they carry agent names, paths and branch names)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, lines: list[str], *, confirm: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Text(self.title_text, style="bold"), id="confirm-title")
            with VerticalScroll(id="confirm-lines"):
                yield Static(Text("\n".join(self.lines)))
            yield Static(
                Text.assemble(("y", "bold"), f"/Enter: {self.confirm}    ", ("n", "bold"),
                              "/Escape: keep everything"),
                id="confirm-keys",
            )  # fmt: skip
        yield KeyBar()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
