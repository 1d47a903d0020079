"""Confirm a rule learned from "always": the person sees exactly what would be saved."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.screens.confirm import ConfirmScreen


class LearnRuleScreen(ConfirmScreen):
    """Shows the proposed rule; y/Enter saves it (and approves once), n/Escape does not."""

    DEFAULT_CSS = """
    LearnRuleScreen #rule { text-style: bold; margin: 1 0; }
    """

    def __init__(self, proposal: Any, *, agent: str) -> None:
        super().__init__(f"Always allow this for {agent}? agenttui would add the rule", [])
        self.proposal = proposal
        self.agent = agent

    def compose(self) -> ComposeResult:
        scope = self.proposal.project or "every project"
        with Vertical(id="confirm"):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(f"{self.proposal.behavior} {self.proposal.rule}", id="rule", markup=False)
            yield Static(f"{self.proposal.why}; applies to {scope}.", markup=False)
            yield Static(f"Learned from: {self.proposal.learned_from}", markup=False)
            yield Static("y/Enter: save it and approve once    n/Escape: cancel", id="keys")
