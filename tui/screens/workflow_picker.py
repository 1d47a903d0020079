"""Pick the workflow to launch (built-in and user workflows); returns its name or None."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.services import WorkflowChoice

DEFAULT_WORKFLOW = "feedback"


class WorkflowPicker(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(self, choices: list[WorkflowChoice], groups: int) -> None:
        super().__init__()
        self.choices = choices
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            plural = "s" if self.groups != 1 else ""
            yield Static(f"Launch which workflow? ({self.groups} run{plural})", classes="title")
            options = [
                Option(
                    f"{choice.name}  [dim]{choice.description} · {choice.source}[/]", id=choice.name
                )
                for choice in self.choices
            ]
            yield OptionList(*options, id="workflows")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        names = [choice.name for choice in self.choices]
        option_list.highlighted = names.index(DEFAULT_WORKFLOW) if DEFAULT_WORKFLOW in names else 0
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
