"""Cleaning finished runs from the app: say exactly what goes, ask, then clean.

Used by the runs screen (one run, or every finished one) and a run's detail. The plan is
read in a worker (tmux panes, git status); windows and worktrees go only after a yes, and a
run that cannot be cleaned (still active, uncommitted changes) is named with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.screen import Screen

from tui.host import host
from tui.screens.confirm import ConfirmScreen


def confirm_clean(screen: Screen[Any], run_ids: list[str], *, after: Callable[[], Any]) -> None:
    """Read what cleaning ``run_ids`` takes away, ask, and clean the runs that can be."""
    app = screen.app

    def plan() -> None:  # worker thread
        try:
            plans = host(screen).services.clean_plans(run_ids)
        except Exception as error:
            app.call_from_thread(screen.notify, f"clean: {error}", severity="error")
            return
        app.call_from_thread(_ask, screen, plans, after)

    screen.run_worker(plan, thread=True, group="clean-runs")


def _ask(screen: Screen[Any], plans: list[Any], after: Callable[[], Any]) -> None:
    cleanable = [plan.run_id for plan in plans if not plan.refused]
    lines = [line for plan in plans for line in plan.lines()]
    if not cleanable:
        screen.notify("\n".join(lines) or "no finished runs to clean", severity="warning")
        return
    lines.append("Kept: the runs' records and logs, and their branches.")
    one = len(plans) == 1
    title = f"Clean run {cleanable[0]}?" if one else f"Clean {len(cleanable)} finished runs?"

    def answered(yes: bool | None) -> None:
        if yes:
            clean = partial(_clean, screen, cleanable, after)
            screen.run_worker(clean, thread=True, group="clean-runs")

    screen.app.push_screen(ConfirmScreen(title, lines, confirm="Clean"), answered)


def _clean(screen: Screen[Any], run_ids: list[str], after: Callable[[], Any]) -> None:
    """Worker thread: clean each run; one notification says what happened to all."""
    app, agenttui = screen.app, host(screen)
    done, failed = [], []
    for run_id in run_ids:
        try:
            agenttui.services.clean_run(run_id)
            done.append(run_id)
        except Exception as error:
            failed.append(f"{run_id}: {error}")
    if done:
        app.call_from_thread(screen.notify, f"cleaned {', '.join(done)}")
    for failure in failed:
        app.call_from_thread(screen.notify, f"not cleaned — {failure}", severity="error")
    app.call_from_thread(after)
    app.call_from_thread(agenttui.load_tiles)
    app.call_from_thread(agenttui.count_runs)
