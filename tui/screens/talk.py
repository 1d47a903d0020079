"""Talk to an agent without attaching: one message, delivered by the verified send."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from widgets.key_bar import KeyBar


class TalkScreen(ModalScreen[str | None]):
    """Enter sends the text (dismissed with it); Escape sends nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="talk.cancel"),
    ]

    def __init__(
        self,
        agent: str,
        *,
        title: str = "",
        placeholder: str = "what to tell the agent; Enter sends it once",
        hint: str = "Pasted into the agent's input box and submitted exactly once, or the reason "
        "it was not shows on its tile.",
    ) -> None:
        super().__init__()
        self.agent = agent
        self.title_text = title or f"Message to {agent}"
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="talk"):
            yield Static(Text(self.title_text, style="bold"))
            yield Input(placeholder=self.placeholder, id="talk-input")
            yield Static(self.hint, classes="hint", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def send(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
