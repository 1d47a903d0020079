"""The watcher: fetch issues by a saved filter, group the new ones, launch one run per group.

One *round* (``agenttui poll``; ``agenttui watch`` repeats it every ``--every``):
1. take ``state_dir()/watch.lock`` (flock, non-blocking) — a concurrent round is recorded as
   skipped and launches nothing;
2. list issues with the filter ``[watch.filters.NAME]`` of config.toml; when the source fails
   (Linear down, 5xx, rate limited) the error is recorded and the round ends cleanly: the
   next round simply tries again;
3. an issue is a candidate when no run ever covered it (runs launched by hand count too), or
   when it changed since its last launch in a way ``[watch] retrigger`` names:
   ``labels_added`` (any new label), ``label:NAME`` (that label added), ``reopened`` (back
   from completed/canceled), ``updated`` (any edit). An issue with an active run is never a
   candidate;
4. candidates are grouped (:func:`workflows.issues.grouping.suggest_groups`) and each group
   gets one run of the workflow (``--workflow``/``[watch] workflow``, default feedback).
Every round and every decision (launched, skipped, would-launch, failed) is stored with its
reason: ``agenttui watch-log`` shows them.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from workflows.base.config import ConfigTable, table
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.paths import state_dir
from workflows.base.store import Store
from workflows.base.target import TmuxTarget
from workflows.issues.model import Issue, IssueFilters

DDL = """
CREATE TABLE IF NOT EXISTS watch_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    finished REAL,
    filter TEXT NOT NULL,
    workflow TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    status TEXT NOT NULL,        -- running | ok | error | skipped
    fetched INTEGER NOT NULL DEFAULT 0,
    launched INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS watch_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL,
    issues TEXT NOT NULL,        -- identifiers, comma separated
    action TEXT NOT NULL,        -- launched | would-launch | skipped | failed
    reason TEXT NOT NULL,
    run_id TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS watch_issues (
    identifier TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,   -- what the issue looked like at its last launch (JSON)
    run_id TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL
);
"""
RETRIGGERS = ("labels_added", "reopened", "updated")
CLOSED_STATES = ("completed", "canceled")
INTERNAL_OPTIONS = ("dry_run",)  # set by the CLI, never by config


@dataclass
class WatchOptions:
    filter: str = "default"
    workflow: str = "feedback"
    dry_run: bool = False
    repo: str | None = None
    source: str | None = None
    retrigger: list[str] = field(default_factory=lambda: ["labels_added"])
    wip_every: str | None = None  # e.g. "15m": WIP snapshots of active runs (off by default)
    round_timeout: float = 300.0
    """Seconds a round may spend listing issues (every request and retry included): a
    Linear that hangs or trickles ends the round with an error and frees the lock."""
    host: str | None = None
    """A ``[hosts.NAME]`` (or pool) its runs' agent and shell steps work on (``--host``)."""
    failed_cooldown_hours: float = 6.0
    """An issue whose last run failed this recently is not launched again, whatever changed:
    it would most likely fail the same way (a runaway retry otherwise)."""

    @classmethod
    def from_config(cls, **overrides: Any) -> WatchOptions:
        """``[watch]`` of config.toml, then explicit (non-None) overrides from the CLI."""
        watch = table("watch")
        config = {k: v for k, v in watch.values.items() if k not in ("filters", "every")}
        options = cls(**ConfigTable(watch.names, config).fill(cls, exclude=INTERNAL_OPTIONS))
        for key, value in overrides.items():
            if value is not None:
                setattr(options, key, value)
        for trigger in options.retrigger:
            if trigger not in RETRIGGERS and not trigger.startswith("label:"):
                raise UsageError(
                    f"[watch] retrigger {trigger!r}: use {', '.join(RETRIGGERS)} or label:NAME"
                )
        return options


def saved_filter(name: str) -> IssueFilters:
    """``[watch.filters.NAME]`` as issue filters; unknown keys are named in the error."""
    filters = table("watch", "filters").values
    if name not in filters:
        if name == "default" and not filters:
            return IssueFilters(assignee_me=True, state_types=["unstarted", "started"])
        known = ", ".join(sorted(filters)) or "none"
        raise UsageError(f"no saved filter [watch.filters.{name}] in config.toml (known: {known})")
    return IssueFilters(**table("watch", "filters", name).fill(IssueFilters))


def fingerprint(issue: Issue) -> dict[str, Any]:
    return {
        "labels": sorted(issue.labels),
        "state_type": issue.state_type,
        "title": issue.title,
        "updated_at": issue.updated_at,
    }


def retrigger_reason(before: dict[str, Any], now: dict[str, Any], triggers: list[str]) -> str:
    """Why the change from ``before`` to ``now`` re-triggers a launch ("" when it does not)."""
    added = sorted(set(now["labels"]) - set(before.get("labels", [])))
    for trigger in triggers:
        if trigger == "labels_added" and added:
            return f"label(s) added: {', '.join(added)}"
        if trigger.startswith("label:") and trigger[6:] in added:
            return f"label added: {trigger[6:]}"
        if (
            trigger == "reopened"
            and before.get("state_type") in CLOSED_STATES
            and (now["state_type"] not in CLOSED_STATES)
        ):
            return f"reopened ({before.get('state_type')} → {now['state_type']})"
        if trigger == "updated" and now["updated_at"] != before.get("updated_at"):
            return f"updated at {now['updated_at']}"
    return ""


@contextmanager
def round_lock() -> Iterator[bool]:
    """True when this process holds the watch lock for the round, False when another does."""
    with (state_dir() / "watch.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open(store: Store) -> Store:
    store.ensure("watch", DDL)
    return store


@dataclass
class RoundResult:
    round_id: int
    status: str  # ok | error | skipped
    fetched: int = 0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def launched(self) -> list[dict[str, Any]]:
        return [d for d in self.decisions if d["action"] in ("launched", "queued", "would-launch")]

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round_id,
            "status": self.status,
            "fetched": self.fetched,
            "decisions": self.decisions,
            "error": self.error,
        }


class Watcher:
    """Runs rounds with fixed options; see the module docstring for what a round does."""

    def __init__(
        self, options: WatchOptions, target: TmuxTarget, store: Store | None = None
    ) -> None:
        self.options = options
        self.target = target  # where its runs' windows go
        self.store = _open(store or Store())
        self.source_name: str | None = options.source

    def run_round(self) -> RoundResult:
        filters = saved_filter(self.options.filter)  # a bad filter is a usage error, no round
        round_id = self._start_round()
        with round_lock() as held:
            if not held:
                return self._finish(
                    RoundResult(round_id, "skipped", error="another round is running")
                )
            try:
                issues = self._fetch(filters, time.monotonic() + self.options.round_timeout)
            except AgentTuiError as error:
                return self._finish(RoundResult(round_id, "error", error=str(error)))
            result = RoundResult(round_id, "ok", fetched=len(issues))
            self._follow_runs(result)
            self._admit_queued()
            candidates = self._candidates(result, issues)
            self._launch_groups(result, issues, candidates)
            return self._finish(result)

    # -- steps of a round ----------------------------------------------------------------
    def _fetch(self, filters: IssueFilters, deadline: float) -> list[Issue]:
        from workflows.issues import open_source

        source = open_source(self.options.source)
        self.source_name = source.name
        client = getattr(source, "client", None)
        if client is not None and hasattr(client, "deadline"):
            client.deadline = deadline  # bounds every request and retry of this round
        try:
            return source.list_issues(filters)
        except OSError as error:  # network errors the client did not translate
            raise AgentTuiError(f"issue source {source.name} unreachable: {error}") from error
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()

    def _candidates(self, result: RoundResult, issues: list[Issue]) -> dict[str, str]:
        """identifier → why it is launched; every skipped issue is recorded with its reason."""
        runs = runs_by_issue(self.store)
        known = self._known()
        candidates: dict[str, str] = {}
        for issue in issues:
            key = issue.identifier
            now = fingerprint(issue)
            issue_runs = runs.get(key.upper(), [])
            active = [
                f"{run_id} ({status})"
                for run_id, status in issue_runs
                if status in ("queued", "pending", "running")
            ]
            last = ", ".join(f"{run_id} ({status})" for run_id, status in issue_runs[-1:])
            if active:
                self._decide(result, [key], "skipped", f"run {', '.join(active)} is active")
            elif issue_runs and issue_runs[-1][1] == "stopped":
                self._decide(
                    result, [key], "skipped", f"run {last}: resumes when the issue is back at work"
                )
            elif not issue_runs and key not in known:
                candidates[key] = "new issue"
            elif key not in known:
                # A run started by hand: remember the issue as it is now, as the baseline.
                self._remember([issue], issue_runs[-1][0])
                self._decide(result, [key], "skipped", f"already has run {last}")
            elif reason := retrigger_reason(known[key], now, self.options.retrigger):
                if held := failed_recently(self.store, issue_runs, self.options):
                    self._decide(result, [key], "skipped", f"{reason}, but {held}")
                else:
                    candidates[key] = f"changed since run {last or '(none)'}: {reason}"
            else:
                self._decide(
                    result,
                    [key],
                    "skipped",
                    f"unchanged since its run {last or known_run(known[key])}",
                )
        return candidates

    def _launch_groups(
        self, result: RoundResult, issues: list[Issue], candidates: dict[str, str]
    ) -> None:
        from workflows.issues.grouping import suggest_groups

        chosen = [issue for issue in issues if issue.identifier in candidates]
        limit = self._usage_limit() if chosen else None
        for group in suggest_groups(chosen) if chosen else []:
            if limit is not None:  # left a candidate: launched in a round after the reset
                self._decide(result, group.issues, "skipped", limit)
                continue
            why = "; ".join([*(f"{i}: {candidates[i]}" for i in group.issues), *group.reasons])
            if self.options.dry_run:
                self._decide(result, group.issues, "would-launch", why)
                continue
            try:
                run_id = self._launch(group.issues)
            except AgentTuiError as error:
                self._decide(result, group.issues, "failed", f"{why}; launch failed: {error}")
                continue
            members = [issue for issue in chosen if issue.identifier in group.issues]
            self._remember(members, run_id)
            action, why = self._launched(run_id, why)
            self._decide(result, group.issues, action, why, run_id)

    def _usage_limit(self) -> str | None:
        """Why nothing is launched: an agent profile the workflow uses is at its usage limit."""
        from workflows.agents.usage_limits import limited
        from workflows.definitions.loader import load_workflow
        from workflows.runs.agent_choice import choose_agents

        try:
            chosen = choose_agents(load_workflow(self.options.workflow))
        except AgentTuiError:  # the launch says what is wrong, with the group
            return None
        for profile in sorted({choice.agent for choice in chosen.values()}):
            if (limit := limited(self.store, profile)) is not None:
                until = time.strftime("%H:%M", time.localtime(limit[0]))
                return f"agent {profile} is at its usage limit until {until} ({limit[1]})"
        return None

    def _launch(self, identifiers: list[str]) -> str:
        from workflows.runs.runner import launch_run

        return launch_run(
            self.options.workflow,
            identifiers,
            target=self.target,
            repo=self.options.repo,
            source=self.source_name,
            host=self.options.host,
        )

    def _follow_runs(self, result: RoundResult) -> None:
        from workflows.autonomy.following import follow_runs

        def decide(issues: list[str], action: str, reason: str, run_id: str) -> None:
            self._decide(result, issues, action, reason, run_id)

        follow_runs(self.store, self.target, dry_run=self.options.dry_run, decide=decide)

    def _admit_queued(self) -> None:
        """Start queued runs a dead runner's slot left free (its lock is gone)."""
        from workflows.runs.runner import start_admitted

        start_admitted(target=self.target)

    def _launched(self, run_id: str, why: str) -> tuple[str, str]:
        """``launched``, or ``queued`` with what it waits for (``[runs] max_running``)."""
        from workflows.runs.run_store import RunStore

        record = RunStore(self.store).get(run_id)
        if record.status == "queued":
            return "queued", f"{why}; queued: {record.context.get('queued_for')}"
        return "launched", why

    # -- store -----------------------------------------------------------------------------
    def _start_round(self) -> int:
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO watch_rounds(started, filter, workflow, dry_run, status)"
                " VALUES (?, ?, ?, ?, 'running')",
                (
                    time.time(),
                    self.options.filter,
                    self.options.workflow,
                    int(self.options.dry_run),
                ),
            )
            return int(cursor.lastrowid or 0)

    def _finish(self, result: RoundResult) -> RoundResult:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE watch_rounds SET finished = ?, status = ?, fetched = ?, launched = ?,"
                " error = ? WHERE id = ?",
                (
                    time.time(),
                    result.status,
                    result.fetched,
                    len(result.launched),
                    result.error,
                    result.round_id,
                ),
            )
        return result

    def _decide(
        self, result: RoundResult, issues: list[str], action: str, reason: str, run_id: str = ""
    ) -> None:
        decision = {"issues": issues, "action": action, "reason": reason, "run_id": run_id}
        result.decisions.append(decision)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO watch_decisions(round_id, issues, action, reason, run_id, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (result.round_id, ",".join(issues), action, reason, run_id, time.time()),
            )

    def _known(self) -> dict[str, dict[str, Any]]:
        rows = self.store.connection().execute(
            "SELECT identifier, fingerprint, run_id FROM watch_issues"
        )
        return {row[0]: json.loads(row[1]) | {"_run": row[2]} for row in rows}

    def _remember(self, issues: list[Issue], run_id: str) -> None:
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO watch_issues(identifier, fingerprint, run_id, updated)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(identifier) DO UPDATE SET"
                " fingerprint = excluded.fingerprint, run_id = excluded.run_id,"
                " updated = excluded.updated",
                [
                    (issue.identifier, json.dumps(fingerprint(issue)), run_id, time.time())
                    for issue in issues
                ],
            )


def failed_recently(
    store: Store, issue_runs: list[tuple[str, str]], options: WatchOptions
) -> str | None:
    """Why the issue is not launched again yet: its last run failed less than
    ``failed_cooldown_hours`` ago (with that failure), else None."""
    from workflows.runs.run_store import RunStore

    if not issue_runs or issue_runs[-1][1] != "failed" or options.failed_cooldown_hours <= 0:
        return None
    summary = RunStore(store).get(issue_runs[-1][0]).summary()
    ended = summary.finished_at or summary.updated_at
    age = time.time() - ended
    if age >= options.failed_cooldown_hours * 3600:
        return None
    error = (summary.error or "no reason recorded").splitlines()[0][:200]
    return (
        f"run {summary.id} failed {age / 3600:.1f}h ago ({error}): not launched again before "
        f"{options.failed_cooldown_hours:g}h have passed ([watch] failed_cooldown_hours)"
    )


def known_run(entry: dict[str, Any]) -> str:
    return str(entry.get("_run") or "(unknown)")


def runs_by_issue(store: Store) -> dict[str, list[tuple[str, str]]]:
    """Every run of every issue (upper-cased identifier), oldest first, with the run's
    effective status (a running run whose runner died counts as failed)."""
    from workflows.runs.run_store import RunStore
    from workflows.runs.runner import effective_status

    result: dict[str, list[tuple[str, str]]] = {}
    for record in RunStore(store).all_runs():
        status = str(effective_status(record).status)
        for identifier in record.issues:
            result.setdefault(identifier.upper(), []).append((record.id, status))
    return result


def rounds(store: Store | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest rounds, newest first, each with its decisions."""
    store = _open(store or Store())
    conn = store.connection()
    result = []
    for row in conn.execute("SELECT * FROM watch_rounds ORDER BY id DESC LIMIT ?", (limit,)):
        entry = dict(row)
        entry["decisions"] = [
            dict(d)
            for d in conn.execute(
                "SELECT issues, action, reason, run_id, at FROM watch_decisions"
                " WHERE round_id = ? ORDER BY id",
                (row["id"],),
            )
        ]
        result.append(entry)
    return result
