"""Pick the workflow to launch (built-in and user workflows); returns its name or None."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.run_services import WorkflowChoice

DEFAULT_WORKFLOW = "feedback"


class WorkflowPicker(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(
        self,
        choices: list[WorkflowChoice],
        runs: list[list[tuple[str, str]]],
        *,
        warnings: Sequence[str] = (),
        note: str = "",
    ) -> None:
        """``runs``: per run to launch, its issues as (identifier, title)."""
        super().__init__()
        self.choices = choices
        self.runs = runs
        self.warnings = list(warnings)
        self.note = note

    def _what(self) -> Text:
        """Exactly which runs start, on which issues, and what they would run into."""
        count = len(self.runs)
        text = Text(f"{count} run{'s' if count != 1 else ''}", style="bold")
        text.append(f", from {self.note}:" if self.note else ":")
        for number, issues in enumerate(self.runs, 1):
            text.append(f"\n{number}. ", style="bold")
            text.append("; ".join(f"{identifier} {title}".strip() for identifier, title in issues))
        for warning in self.warnings:
            text.append(f"\n⚠ {warning}", style="yellow")
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Launch which workflow?", classes="title")
            yield Static(self._what(), id="launch-what")
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
