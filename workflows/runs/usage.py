"""Tokens and cost per run, step, agent and issue, from the agents' own transcripts.

After each step attempt (and every ``[budget] check_every_s`` while one waits) the run's agents'
transcripts are read again (``agents.transcripts``: the figures the model API reported) and
what grew since the earlier attempts is recorded for this attempt: one row per attempt,
transcript and model in ``run_usage``. So a run's rows sum to its agents' transcripts, a
step's rows say what it used, and reading twice never counts twice. Cost is computed when
shown, from the price table of the moment (``agents.prices``: a corrected price applies
to past runs too).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.agents.prices import cost_of
from workflows.agents.transcripts import (
    CLAUDE,
    HOOKS_TRANSCRIPTS,
    Tokens,
    UsageByModel,
    claude_transcripts,
    codex_home,
    codex_transcripts,
    process_environ,
    read_usage,
)
from workflows.base.errors import AgentTuiError
from workflows.base.store import Store

if TYPE_CHECKING:
    from workflows.base.target import TmuxTarget
    from workflows.runs.run_agents import AgentRecord
    from workflows.runs.run_store import RunStore

DDL = """
CREATE TABLE IF NOT EXISTS run_usage (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- the step attempt the tokens were used in
    step_id TEXT NOT NULL,
    agent_token TEXT NOT NULL,     -- run_agents.token
    agent_name TEXT NOT NULL,
    profile TEXT NOT NULL,
    transcript TEXT NOT NULL,      -- the file the figures come from
    model TEXT NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    at REAL NOT NULL,              -- last updated
    PRIMARY KEY (run_id, seq, transcript, model)
);
CREATE INDEX IF NOT EXISTS run_usage_by_time ON run_usage(at);
"""


def open_usage(store: Store) -> Store:
    store.ensure("run-usage", DDL)
    return store


@dataclass(frozen=True)
class Usage:
    """Tokens per model and what they cost (None when a model has no price)."""

    by_model: UsageByModel = field(default_factory=dict)

    @property
    def tokens(self) -> Tokens:
        total = Tokens()
        for tokens in self.by_model.values():
            total += tokens
        return total

    @property
    def cost(self) -> float | None:
        return cost_of(self.by_model)[0]

    @property
    def unpriced(self) -> list[str]:
        return cost_of(self.by_model)[1]

    def __add__(self, other: Usage) -> Usage:
        merged = dict(self.by_model)
        for model, tokens in other.by_model.items():
            merged[model] = merged.get(model, Tokens()) + tokens
        return Usage(merged)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.tokens.as_json(),
            "cost_usd": None if self.cost is None else round(self.cost, 6),
            "unpriced_models": self.unpriced,
            "models": sorted(self.by_model),
        }

    def cost_text(self) -> str:
        """``$0.42``, or ``?`` naming the models without a price."""
        cost = self.cost
        if cost is None:
            return f"? (no price for {', '.join(self.unpriced)})"
        return f"${cost:.2f}"

    def short(self) -> str:
        """``12.3k tok $0.42`` for a tile or a table cell ("" before any token)."""
        total = self.tokens.total
        if not total:
            return ""
        cost = self.cost
        return f"{human_tokens(total)} tok " + (f"${cost:.2f}" if cost is not None else "$?")


def human_tokens(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 1_000:
        return f"{count / 1_000:.1f}k"
    return str(count)


# -- reading the transcripts ---------------------------------------------------------------

_codex_homes: dict[str, Path] = {}  # launch token → the agent's CODEX_HOME (from its process)


def _transcripts(
    runs: RunStore, record: AgentRecord, kind: str, target: TmuxTarget | None
) -> list[Path]:
    from workflows.agents.hooks import payloads_since

    payloads = payloads_since(
        runs.store,
        pane_id=record.pane_id,
        server=record.server.hook_key,
        since=record.created_at,
    )
    if kind == CLAUDE:
        found = claude_transcripts(payloads)
    else:
        home = _codex_homes.get(record.token) or _codex_home_of(record, target)
        found = codex_transcripts(payloads, home) if home is not None else []
    known = [Path(p) for p in _recorded_transcripts(runs.store, record.token)]
    return list(dict.fromkeys([*known, *found]))


def _codex_home_of(record: AgentRecord, target: TmuxTarget | None) -> Path | None:
    """CODEX_HOME as the agent was launched: its process's environment (its pane alive)."""
    if target is None or not record.pane_id:
        return None
    from workflows.runs.run_agents import still_ours
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(target)
    try:
        pane = next((p for p in driver.panes() if p.pane_id == record.pane_id), None)
    except AgentTuiError:
        return None
    finally:
        driver.close()
    if pane is None or pane.pid is None or not still_ours(pane, record):
        return None
    environ = process_environ(pane.pid)
    if environ is None:
        return None
    _codex_homes[record.token] = home = codex_home(environ)
    return home


def _recorded_transcripts(store: Store, token: str) -> list[str]:
    rows = (
        open_usage(store)
        .connection()
        .execute("SELECT DISTINCT transcript FROM run_usage WHERE agent_token = ?", (token,))
    )
    return [str(row["transcript"]) for row in rows]


def record_usage(
    runs: RunStore, run_id: str, seq: int, step_id: str, target: TmuxTarget | None
) -> None:
    """Read the run's agents' transcripts; record for attempt ``seq`` what grew since the
    other attempts' rows."""
    from workflows.agents.settings import load_profile
    from workflows.runs.run_agents import records

    for record in records(runs, run_id, None):
        try:
            hooks = load_profile(record.profile).hooks
        except AgentTuiError:  # a profile deleted since: nothing says how to read its agent
            continue
        kind = HOOKS_TRANSCRIPTS.get(hooks)
        if kind is None or not record.pane_id:
            continue
        for path in _transcripts(runs, record, kind, target):
            _record_growth(
                runs.store,
                run_id=run_id,
                seq=seq,
                step_id=step_id,
                record=record,
                path=path,
                usage=read_usage(kind, path),
            )


def _record_growth(
    store: Store,
    *,
    run_id: str,
    seq: int,
    step_id: str,
    record: AgentRecord,
    path: Path,
    usage: UsageByModel,
) -> None:
    open_usage(store)
    with store.transaction() as conn:
        for model, tokens in usage.items():
            earlier = conn.execute(
                "SELECT COALESCE(SUM(input), 0) AS input, COALESCE(SUM(output), 0) AS output,"
                " COALESCE(SUM(cache_read), 0) AS cache_read,"
                " COALESCE(SUM(cache_write), 0) AS cache_write FROM run_usage"
                " WHERE run_id = ? AND transcript = ? AND model = ? AND seq != ?",
                (run_id, str(path), model, seq),
            ).fetchone()
            grown = tokens - Tokens(
                earlier["input"], earlier["output"], earlier["cache_read"], earlier["cache_write"]
            )
            if not any(grown.as_json().values()):
                continue
            conn.execute(
                "INSERT OR REPLACE INTO run_usage (run_id, seq, step_id, agent_token, agent_name,"
                " profile, transcript, model, input, output, cache_read, cache_write, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    seq,
                    step_id,
                    record.token,
                    record.name,
                    record.profile,
                    str(path),
                    model,
                    grown.input,
                    grown.output,
                    grown.cache_read,
                    grown.cache_write,
                    time.time(),
                ),
            )


# -- reading what was recorded -------------------------------------------------------------


@dataclass(frozen=True)
class UsageRow:
    run_id: str
    seq: int
    step_id: str
    agent_name: str
    profile: str
    model: str
    tokens: Tokens
    at: float


def usage_rows(store: Store, run_ids: Iterable[str] | None = None) -> list[UsageRow]:
    """The recorded rows, of ``run_ids`` (None: every run), oldest first."""
    query = "SELECT * FROM run_usage"
    params: list[Any] = []
    if run_ids is not None:
        ids = list(run_ids)
        query += f" WHERE run_id IN ({','.join('?' * len(ids))})"
        params = ids
    rows = open_usage(store).connection().execute(query + " ORDER BY at, seq", params)
    return [_row(row) for row in rows]


def usage_rows_since(store: Store, since: float) -> list[UsageRow]:
    """Every run's rows last updated at or after ``since`` (a day's spending)."""
    rows = (
        open_usage(store)
        .connection()
        .execute("SELECT * FROM run_usage WHERE at >= ? ORDER BY at, seq", (since,))
    )
    return [_row(row) for row in rows]


def _row(row: Any) -> UsageRow:
    return UsageRow(
        run_id=row["run_id"],
        seq=row["seq"],
        step_id=row["step_id"],
        agent_name=row["agent_name"],
        profile=row["profile"],
        model=row["model"],
        tokens=Tokens(row["input"], row["output"], row["cache_read"], row["cache_write"]),
        at=row["at"],
    )


def total(rows: Iterable[UsageRow]) -> Usage:
    usage = Usage()
    for row in rows:
        usage += Usage({row.model: row.tokens})
    return usage


def run_usage(store: Store, run_id: str) -> Usage:
    return total(usage_rows(store, [run_id]))


def grouped(rows: Iterable[UsageRow], key: str) -> dict[str, Usage]:
    """Usage per step id, agent name or model (``key``: a UsageRow field)."""
    groups: dict[str, Usage] = {}
    for row in rows:
        name = str(getattr(row, key))
        groups[name] = groups.get(name, Usage()) + Usage({row.model: row.tokens})
    return groups


def agent_usage_texts(store: Store, run_ids: Iterable[str]) -> dict[str, str]:
    """Agent name → ``12.3k tok $0.42`` for the agents of ``run_ids`` (their tiles)."""
    by_agent = grouped(usage_rows(store, sorted(run_ids)), "agent_name")
    return {name: usage.short() for name, usage in by_agent.items()}
