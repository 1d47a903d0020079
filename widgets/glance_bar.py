"""GlanceBar: the top line of every screen — where you are, and what needs you.

Counts of working / waiting / idle agents and running / failed runs, always visible. The
app owns the counts (a ``Glance``) and fires its ``glance_signal`` when they change; the
bar only renders them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from workflows.agents.state import AgentState
from workflows.runs.records import RunSummary

MODES = (("triage", "1", "Issues"), ("agents", "2", "Agents"), ("runs", "3", "Runs"))
WIDE = 100


@dataclass(frozen=True)
class Glance:
    working: int = 0
    waiting: int = 0
    idle: int = 0
    running_runs: int = 0
    failed_runs: int = 0

    @classmethod
    def of(cls, states: Iterable[AgentState], runs: Iterable[RunSummary]) -> Glance:
        """Count agent states (waiting: approval, a question or a trust dialog) and runs
        (failed ones a person has not cleaned yet)."""
        counts = {"working": 0, "waiting": 0, "idle": 0}
        for state in states:
            if state in ("awaiting_approval", "asking", "trust"):
                counts["waiting"] += 1
            elif state in ("working", "starting"):
                counts["working"] += 1
            elif state == "idle":
                counts["idle"] += 1
        running = failed = 0
        for run in runs:
            running += run.status in ("pending", "running")
            failed += run.status == "failed" and not run.cleaned
        return cls(running_runs=running, failed_runs=failed, **counts)

    def with_agents(self, states: Iterable[AgentState]) -> Glance:
        agents = Glance.of(states, [])
        return Glance(
            agents.working, agents.waiting, agents.idle, self.running_runs, self.failed_runs
        )

    def with_runs(self, runs: Iterable[RunSummary]) -> Glance:
        counted = Glance.of([], runs)
        return Glance(
            self.working, self.waiting, self.idle, counted.running_runs, counted.failed_runs
        )


class GlanceBar(Widget):
    DEFAULT_CSS = """
    GlanceBar {
        dock: top;
        height: 1;
        background: $panel;
    }
    """

    def on_mount(self) -> None:
        signal = getattr(self.app, "glance_signal", None)
        if signal is not None:
            signal.subscribe(self, self._glance_changed)

    def on_unmount(self) -> None:
        signal = getattr(self.app, "glance_signal", None)
        if signal is not None:
            signal.unsubscribe(self)

    def _glance_changed(self, _glance: Glance) -> None:
        self.refresh()

    def render(self) -> Text:
        glance: Glance = getattr(self.app, "glance", Glance())
        wide = self.size.width >= WIDE
        text = Text(no_wrap=True, overflow="ellipsis")
        mode = getattr(self.app, "current_mode", "")
        for name, key, label in MODES:
            if name == mode:
                text.append(f" {key} {label} ", style="bold reverse")
            elif wide:
                text.append(f" {key} {label} ", style="dim")
        text.append("  agents ", style="dim")
        text.append(f"{glance.working} working", style="bold" if glance.working else "")
        text.append(" · ", style="dim")
        waiting_style = "bold black on yellow" if glance.waiting else ""
        text.append(f"{glance.waiting} waiting", style=waiting_style)
        text.append(" · ", style="dim")
        text.append(f"{glance.idle} idle")
        text.append("   runs ", style="dim")
        text.append(f"{glance.running_runs} running", style="bold" if glance.running_runs else "")
        text.append(" · ", style="dim")
        text.append(f"{glance.failed_runs} failed", style="bold red" if glance.failed_runs else "")
        return text
