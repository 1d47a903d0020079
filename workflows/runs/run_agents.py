"""Which pane is a run's agent: its name, its run, a launch token and its tmux server.

A pane id alone identifies nothing across a tmux restart: ids start again at ``%0``, and a
resumed run once took over another run's reviewer (and once waited on its own runner)
because that pane now had the recorded id. So each agent a run starts gets a random launch
token, recorded here with the run, session, name, profile and the server's pid and start
time *before* its pane exists, then set on the pane (``@agenttui_token``). A pane is the
run's agent only when all of these match; otherwise the agent is gone (``why_gone`` says
why: a restarted server, an exit, a pane now someone else's) and a step restarts it, or a
stranger holds its name and is refused (``refuse_stranger``), never adopted or touched.
"""

from __future__ import annotations

import secrets
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.base.errors import AgentTuiError
from workflows.runs.run_store import RunRecord, RunStore
from workflows.tmux.driver import NoSession
from workflows.tmux.server import ServerIdentity

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

DDL = """
CREATE TABLE IF NOT EXISTS run_agents (
    token TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    session TEXT NOT NULL,
    name TEXT NOT NULL,
    profile TEXT NOT NULL,
    pane_id TEXT NOT NULL DEFAULT '',
    server_pid INTEGER NOT NULL,
    server_started INTEGER NOT NULL,
    socket_path TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS run_agents_by_run ON run_agents(run_id, name, created_at);
"""


class AgentGone(AgentTuiError):
    """The agent a step was working with is gone; the step can start again with a new one."""

    def __init__(self, name: str, pane_id: str, reason: str) -> None:
        super().__init__(f"agent {name} ({pane_id}) is gone: {reason}")
        self.name, self.pane_id, self.reason = name, pane_id, reason


@dataclass(frozen=True)
class AgentRecord:
    token: str
    run_id: str
    session: str
    name: str
    profile: str
    pane_id: str  # "" until the pane exists
    server: ServerIdentity
    created_at: float


def _table(runs: RunStore) -> RunStore:
    runs.store.ensure("run-agents", DDL)
    return runs


def record_launch(
    runs: RunStore, driver: TmuxDriver, *, run_id: str, session: str, name: str, profile: str
) -> AgentRecord:
    """Record an agent about to be started (before its pane exists: a runner killed in
    between still knows the token of the pane it made)."""
    driver.ensure_session()  # the server the pane will be in: the one recorded
    server = driver.server_identity()
    record = AgentRecord(
        secrets.token_hex(8), run_id, session, name, profile, "", server, time.time()
    )
    with _table(runs).store.transaction() as conn:
        conn.execute(
            "INSERT INTO run_agents (token, run_id, session, name, profile, server_pid,"
            " server_started, socket_path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.token,
                run_id,
                session,
                name,
                profile,
                server.pid,
                server.started,
                server.socket_path,
                record.created_at,
            ),
        )
    return record


def record_pane(runs: RunStore, record: AgentRecord, pane_id: str) -> AgentRecord:
    with _table(runs).store.transaction() as conn:
        conn.execute("UPDATE run_agents SET pane_id=? WHERE token=?", (pane_id, record.token))
    return AgentRecord(**{**record.__dict__, "pane_id": pane_id})


def records(runs: RunStore, run_id: str, name: str | None) -> list[AgentRecord]:
    """Every agent the run started under ``name`` (None: any), oldest first."""
    rows = (
        _table(runs)
        .store.connection()
        .execute(
            "SELECT * FROM run_agents WHERE run_id=?1 AND (?2 IS NULL OR name=?2)"
            " ORDER BY created_at, rowid",
            (run_id, name),
        )
    )
    return [
        AgentRecord(
            token=row["token"],
            run_id=row["run_id"],
            session=row["session"],
            name=row["name"],
            profile=row["profile"],
            pane_id=row["pane_id"],
            server=ServerIdentity(row["server_pid"], row["server_started"], row["socket_path"]),
            created_at=row["created_at"],
        )
        for row in rows
    ]


def record_for_pane(
    runs: RunStore, run_id: str, name: str | None, pane_id: str
) -> AgentRecord | None:
    """The agent ``name`` (None: any) of the run that was (or is) in ``pane_id``: the
    latest such."""
    matching = [r for r in records(runs, run_id, name) if r.pane_id == pane_id]
    return matching[-1] if matching else None


def exit_text(status: object, signal_number: object) -> str:
    """How a process ended, as a person says it: "killed by SIGKILL", "exit status 1"."""
    if isinstance(signal_number, int):
        try:
            return f"killed by {signal.Signals(signal_number).name}"
        except ValueError:
            return f"killed by signal {signal_number}"
    return f"exit status {status}" if status is not None else "exit status unknown"


def _describe(pane: PaneInfo) -> str:
    if not pane.name:
        return f"a pane agenttui did not start ({pane.command or 'no command'})"
    run = f" of run {pane.run_id}" if pane.run_id else ""
    return f"{pane.name}{run}"


def why_gone(driver: TmuxDriver, record: AgentRecord | None, pane_id: str) -> str | None:
    """None while ``record``'s agent is alive in ``pane_id``; else why it is not there."""
    if record is None:
        return f"no launch record for the agent in {pane_id} (started by an older agenttui?)"
    try:
        server = driver.server_identity()
    except NoSession:
        return f"the tmux server it ran in was stopped (there is no {driver.where} now)"
    if not server.same_server(record.server):
        return (
            f"the tmux server was restarted since it started (then {record.server}; "
            f"now {server}), taking the agent with it"
        )
    pane = next((p for p in driver.panes() if p.pane_id == record.pane_id), None)
    if pane is None:
        return f"its pane {record.pane_id or '(never created)'} was closed"
    if pane.token != record.token:
        return f"pane {pane.pane_id} is now {_describe(pane)}, not this agent"
    if pane.dead:
        return f"it exited ({exit_text(pane.dead_status, pane.dead_signal)})"
    return None


def still_ours(pane: PaneInfo, record: AgentRecord) -> bool:
    """Cheap per-poll check on a freshly listed pane (no server round trip)."""
    return pane.token == record.token and pane.pane_id == record.pane_id


def refuse_stranger(runs: RunStore, run_id: str, pane: PaneInfo) -> AgentRecord:
    """The record of the live pane found under a run agent's name, or an error: a pane
    whose token this run never gave out is left alone (whoever made it)."""
    match = next((r for r in records(runs, run_id, pane.name) if r.token == pane.token), None)
    if match is None or not pane.token:
        raise AgentTuiError(
            f"a pane named {pane.name} ({pane.pane_id}) is running, but it is not an agent "
            f"this run started (its launch token is {'missing' if not pane.token else 'unknown'}"
            "); agenttui leaves it alone: close it (`agenttui kill "
            f"{pane.pane_id}`) and resume the run"
        )
    return match if match.pane_id == pane.pane_id else record_pane(runs, match, pane.pane_id)


def note_server(runs: RunStore, run: RunRecord, server: ServerIdentity) -> None:
    """Remember the tmux server a run's runner works with, and say so in the run's log when
    it is not the one the run worked with before (restarted: its agents are gone)."""
    before = run.context.get("tmux_server")
    if before and not ServerIdentity.from_json(before).same_server(server):
        runs.event(
            run.id,
            "tmux-restart",
            f"the tmux server was restarted since this run last ran (then "
            f"{ServerIdentity.from_json(before)}; now {server}): the agents it started are "
            "gone, and a step whose agent is gone starts again with a new agent",
            data={"before": before, "now": server.as_json()},
        )
    if before != server.as_json():
        runs.update_context(run.id, tmux_server=server.as_json())
