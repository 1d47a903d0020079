"""Budgets: ``[budget] max_cost_per_run`` and ``max_cost_per_day`` (US dollars) stop work.

Checked whenever a run's tokens are read (after each step attempt, every ``check_every_s``
while one waits): a run at its own budget, or any run once today's spending (local day, every run's
tokens recorded since midnight) reached the day's, stops: its agents are interrupted and the
run fails with the reason (``agenttui resume`` after raising the budget, or tomorrow). While
the day's budget is spent no new run starts (``agenttui run``, the app, the watcher: refused
with the reason). Tokens of a model with no price cost nothing known: the budget says so in
the run's log instead of guessing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.base.config import table
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.store import Store
from workflows.runs.usage import Usage, run_usage, total, usage_rows_since

if TYPE_CHECKING:
    from workflows.base.target import TmuxTarget
    from workflows.runs.run_store import RunStore


class BudgetReached(AgentTuiError):
    """A run or today's spending reached its budget: the run stops with this reason."""


@dataclass(frozen=True)
class Budget:
    max_cost_per_run: float | None = None
    max_cost_per_day: float | None = None
    check_every_s: float = 30.0  # while a step waits, tokens are read (and budgets checked)


def budget() -> Budget:
    config = table("budget")
    config.check_known(("max_cost_per_run", "max_cost_per_day", "check_every_s"))
    run_max, day_max = (
        config.get_float(key, 0.0, minimum=0) if key in config else None
        for key in ("max_cost_per_run", "max_cost_per_day")
    )
    every = config.get_float("check_every_s", Budget.check_every_s, minimum=1)
    return Budget(run_max, day_max, every)


def start_of_day(now: float | None = None) -> float:
    moment = time.localtime(time.time() if now is None else now)
    return time.mktime((moment.tm_year, moment.tm_mon, moment.tm_mday, 0, 0, 0, 0, 0, -1))


def spent_today(store: Store, now: float | None = None) -> Usage:
    return total(usage_rows_since(store, start_of_day(now)))


def _day_reason(limits: Budget, today: Usage) -> str | None:
    cost = today.cost
    if limits.max_cost_per_day is None or cost is None or cost < limits.max_cost_per_day:
        return None
    return (
        f"today's spending ${cost:.2f} reached [budget] max_cost_per_day "
        f"${limits.max_cost_per_day:.2f}"
    )


def over_budget(store: Store, run_id: str) -> str | None:
    """Why the run must stop now, or None."""
    limits = budget()
    if limits.max_cost_per_run is not None:
        cost = run_usage(store, run_id).cost
        if cost is not None and cost >= limits.max_cost_per_run:
            return (
                f"run {run_id} cost ${cost:.2f}, reaching [budget] max_cost_per_run "
                f"${limits.max_cost_per_run:.2f}"
            )
    return _day_reason(limits, spent_today(store))


def refuse_new_run(store: Store | None = None) -> None:
    """No run starts once today's budget is spent (UsageError with the reason)."""
    reason = _day_reason(budget(), spent_today(store or Store()))
    if reason is not None:
        raise UsageError(f"no run started: {reason}; new runs start again tomorrow")


def stop_for_budget(runs: RunStore, run_id: str, reason: str, target: TmuxTarget) -> None:
    """Interrupt the run's working agents (they would go on spending), then raise."""
    from workflows.agents.actions import perform
    from workflows.runs.run_agents import records, still_ours
    from workflows.tmux.driver import TmuxDriver

    mine = {record.pane_id: record for record in records(runs, run_id, None)}
    driver = TmuxDriver(target)
    try:
        for pane in driver.panes():
            record = mine.get(pane.pane_id)
            if record is not None and not pane.dead and still_ours(pane, record):
                try:
                    perform(driver, pane, "interrupt", store=runs.store)
                except AgentTuiError as error:
                    runs.event(run_id, "budget", f"{pane.name} not interrupted: {error}")
    except AgentTuiError:
        pass  # no tmux server any more: no agent left to spend
    finally:
        driver.close()
    runs.event(run_id, "budget", f"stopped: {reason}")
    raise BudgetReached(f"budget reached: {reason}")
