"""Confirm a rule learned from "always": the person sees exactly what would be saved."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class LearnRuleScreen(ModalScreen[bool]):
    """Shows the proposed rule; y/Enter saves it (and approves once), n/Escape does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Save rule", id="learn.save"),
        Binding("n,escape", "answer(False)", "Cancel", id="learn.cancel"),
    ]
    DEFAULT_CSS = """
    LearnRuleScreen { align: center middle; }
    LearnRuleScreen > Vertical {
        width: 80; height: auto; border: thick $accent; padding: 1 2; background: $surface;
    }
    LearnRuleScreen #rule { text-style: bold; margin: 1 0; }
    """

    def __init__(self, proposal: Any, *, agent: str) -> None:
        super().__init__()
        self.proposal = proposal
        self.agent = agent

    def compose(self) -> ComposeResult:
        scope = self.proposal.project or "every project"
        with Vertical():
            yield Static(f"Always allow this for {self.agent}? agenttui would add the rule")
            yield Static(f"{self.proposal.behavior} {self.proposal.rule}", id="rule")
            yield Static(f"{self.proposal.why}; applies to {scope}.")
            yield Static(f"Learned from: {self.proposal.learned_from}")
            yield Static("y/Enter: save it and approve once    n/Escape: cancel", id="keys")

    def action_answer(self, save: bool) -> None:
        self.dismiss(save)
