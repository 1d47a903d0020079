"""How many runs may work at once, and the queue the others wait in, oldest launch first.

``[runs] max_running`` bounds every run together, ``max_running_per_repo`` each repository,
and ``[runs.max_running_per_agent]`` each agent profile (``claude = 3``: a run counts for
every profile its agent steps use). A launch is stored ``queued``; :func:`admit` then picks,
in one store transaction, the queued runs that fit, marks them ``pending`` and returns them
for the caller to start their runners. No daemon: whoever may have freed a slot admits — the
launching process, a runner as it ends, a cancel, the watcher's round and the app (which
notice a runner that died: its lock is gone, so it holds no slot).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workflows.agents.usage_limits import limited_profiles
from workflows.base.config import table
from workflows.runs.records import (
    RUNNER_START_GRACE_S,
    STARTED,
    RunRecord,
    RunStatus,
    run_from_row,
    worker_alive,
)
from workflows.runs.run_store import RunStore


@dataclass(frozen=True)
class Limits:
    """``[runs]`` of config.toml; None (the default) is no limit."""

    total: int | None = None
    per_repo: int | None = None
    per_agent: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_config(cls) -> Limits:
        runs = table("runs")
        per_agent = runs.sub("max_running_per_agent")
        return cls(
            total=_limit(runs.get_int("max_running", 0, minimum=0)),
            per_repo=_limit(runs.get_int("max_running_per_repo", 0, minimum=0)),
            per_agent={name: per_agent.get_int(name, 0, minimum=1) for name in per_agent.values},
        )

    def blocked(self, record: RunRecord, working: list[RunRecord]) -> str | None:
        """Why ``record`` cannot start beside the ``working`` runs (None: it can)."""
        working = sorted(working, key=lambda run: (run.created_at, run.id))  # a stable text
        busy = ", ".join(run.id for run in working)
        if self.total is not None and len(working) >= self.total:
            return f"max_running {self.total} reached ({busy} working)"
        repo = record.params.get("repo")
        same_repo = [run.id for run in working if run.params.get("repo") == repo]
        if self.per_repo is not None and len(same_repo) >= self.per_repo:
            return (
                f"max_running_per_repo {self.per_repo} reached in {repo} "
                f"({', '.join(same_repo)} working)"
            )
        using = Counter(name for run in working for name in agents_of(run))
        for name in sorted(agents_of(record)):
            limit = self.per_agent.get(name)
            if limit is not None and using[name] >= limit:
                return f"max_running_per_agent {name} = {limit} reached ({using[name]} working)"
        return None


def _limit(value: int) -> int | None:
    return value or None  # 0 (the default) is no limit


def agents_of(record: RunRecord) -> set[str]:
    """The agent profiles a run's steps use (decided at launch)."""
    return {str(name) for name in record.params.get("agents", {}).values()}


def holds_slot(record: RunRecord, now: float) -> bool:
    """A run whose runner works (holds its lock), or was just started and may still be
    starting. A runner that died holds nothing: its slot is free for the queue."""
    if record.status not in STARTED:
        return False
    if worker_alive(record.id):
        return True
    return record.status == RunStatus.PENDING and now - record.updated_at < RUNNER_START_GRACE_S


def queued_order(record: RunRecord) -> tuple[float, float, str]:
    """Launch order (a resumed run queues again, behind the runs already waiting)."""
    return (float(record.context.get("queued_at", record.created_at)), record.created_at, record.id)


@dataclass(frozen=True)
class Admission:
    run_id: str
    target: dict[str, Any]  # the tmux target the run was launched for (params["tmux"])


def admit(runs: RunStore, limits: Limits | None = None) -> list[Admission]:
    """Mark the queued runs that fit ``pending`` (oldest first) and return them; each waiting
    run keeps why it waits (``queued_for``), which ``agenttui runs`` and the app show.

    A run whose agent profile is at its usage limit comes after the others: started, it only
    waits in its runner for the reset, so it takes a slot no other queued run could use (it
    is never kept queued for the limit: nothing would admit it when the limit lifts).

    One IMMEDIATE transaction: two processes admitting at once see each other's choices, so
    the limits hold however many launch, end or cancel together. Each change is recorded as an
    event in the same transaction, so the log's order is the order slots were taken in."""
    waiting = runs.store.connection().execute(
        "SELECT 1 FROM runs WHERE status=? LIMIT 1", (RunStatus.QUEUED.value,)
    )
    if waiting.fetchone() is None:
        return []  # (a read: the app and the watcher ask often, rarely with a queue)
    limits = limits or Limits.from_config()
    now = time.time()
    at_limit = limited_profiles(runs.store, now)
    admitted: list[Admission] = []
    lines: list[tuple[str, str]] = []
    with runs.store.transaction() as conn:
        rows = conn.execute(
            "SELECT * FROM runs WHERE status IN (?, ?, ?)",
            (RunStatus.QUEUED.value, *(status.value for status in STARTED)),
        ).fetchall()
        records = [run_from_row(row) for row in rows]
        working = [record for record in records if holds_slot(record, now)]
        queued = sorted(
            (r for r in records if r.status == RunStatus.QUEUED),
            key=lambda record: (bool(agents_of(record) & at_limit), queued_order(record)),
        )  # a run whose profile is at its usage limit only waits once started: last
        for record in queued:
            reason = limits.blocked(record, working)
            if reason is None:
                working.append(record)
                admitted.append(Admission(record.id, dict(record.params.get("tmux") or {})))
                message = f"a slot is free: starting ({_counts(limits, working)})"
                conn.execute(
                    "UPDATE runs SET status=?, updated_at=? WHERE id=?",
                    (RunStatus.PENDING.value, now, record.id),
                )
                lines.append(runs.insert_event(conn, record.id, "admitted", message, at=now))
            elif (before := record.context.get("queued_for")) != reason:
                context = {**record.context, "queued_for": reason}
                conn.execute(
                    "UPDATE runs SET context=? WHERE id=?", (json.dumps(context), record.id)
                )
                if _limit_named(before) != _limit_named(reason):  # not at every slot change
                    lines.append(runs.insert_event(conn, record.id, "queued", f"waits: {reason}"))
    runs.write_log_lines(lines)
    return admitted


def _limit_named(reason: str | None) -> str:
    """Which limit a wait reason names (``max_running 2 reached``), without the runs."""
    return (reason or "").split(" (", 1)[0]


def _counts(limits: Limits, working: Iterable[RunRecord]) -> str:
    count = len(list(working))
    return f"{count} of max_running {limits.total} working" if limits.total else f"{count} working"
