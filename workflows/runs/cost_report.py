"""What runs cost, grouped by run, issue, day or workflow (``agenttui cost``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from workflows.base.errors import UsageError
from workflows.base.store import Store
from workflows.runs.run_store import RunRecord, list_runs
from workflows.runs.usage import Usage, UsageRow, usage_rows

GROUPINGS = ("run", "issue", "day", "workflow", "step", "agent", "model")


def _key(by: str, row: UsageRow, run: RunRecord | None) -> str:
    if by == "day":  # the local day the tokens were recorded
        return time.strftime("%Y-%m-%d", time.localtime(row.at))
    if by == "step":  # a step of a run (its attempts together)
        return f"{row.run_id} {row.step_id}"
    if by == "agent":  # agent names carry their run's id (r1a2b3c-main)
        return row.agent_name
    if by == "model":
        return row.model
    if run is None:
        return f"(run {row.run_id} deleted)" if by != "run" else row.run_id
    if by == "issue":  # a run on a group of issues counts once, under the group
        return ",".join(run.issues)
    if by == "workflow":
        return run.workflow
    return run.id


def cost_report(
    store: Store | None = None, *, by: str = "run", rows: Iterable[UsageRow] | None = None
) -> dict[str, Any]:
    """``{"by": …, "groups": [{"key", "runs", tokens…, "cost_usd"}…], "total": {…}}``."""
    if by not in GROUPINGS:
        raise UsageError(f"cost --by takes {', '.join(GROUPINGS)}, not {by!r}")
    store = store or Store()
    runs = {run.id: run for run in list_runs(store)}
    groups: dict[str, tuple[Usage, dict[str, None]]] = {}
    total = Usage()
    for row in usage_rows(store) if rows is None else rows:
        key = _key(by, row, runs.get(row.run_id))
        usage, run_ids = groups.get(key, (Usage(), {}))
        line = Usage({row.model: row.tokens})
        groups[key] = (usage + line, {**run_ids, row.run_id: None})
        total += line
    return {
        "by": by,
        "groups": [
            {"key": key, "runs": list(run_ids), **usage.as_json()}
            for key, (usage, run_ids) in sorted(groups.items())
        ],
        "total": total.as_json(),
    }


def format_cost(report: dict[str, Any]) -> str:
    """A table: one row per group, then the total."""
    if not report["groups"]:
        return "no tokens recorded yet (Claude Code and Codex agents of runs are counted)"
    first = "RUN" if report["by"] == "run" else report["by"].upper()
    header = (first, "INPUT", "OUTPUT", "CACHE-READ", "CACHE-WRITE", "COST")
    lines = [*[_cells(group["key"], group) for group in report["groups"]]]
    lines.append(_cells("TOTAL", report["total"]))
    width = max(len(header[0]), *(len(line[0]) for line in lines))
    out = [_row(header, width)]
    out.extend(_row(line, width) for line in lines)
    unpriced = report["total"]["unpriced_models"]
    if unpriced:
        out.append(f'? = no price for {", ".join(unpriced)}: add [prices."MODEL"] to config.toml')
    return "\n".join(out)


def _cells(key: str, usage: dict[str, Any]) -> tuple[str, ...]:
    cost = usage["cost_usd"]
    money = "?" if cost is None else f"${cost:,.4f}"
    figures = (usage[name] for name in ("input", "output", "cache_read", "cache_write"))
    return (key, *(f"{value:,}" for value in figures), money)


def _row(cells: tuple[str, ...], width: int) -> str:
    return f"{cells[0]:<{width}}  " + "  ".join(f"{cell:>11}" for cell in cells[1:])
