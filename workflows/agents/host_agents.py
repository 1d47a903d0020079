"""Which hosts have agents, as this machine knows it: the app watches only those.

Every agent started on a host (``agenttui spawn --host``, a run's step with ``host =``)
goes through ``startup.start_agent``, which notes the host here. The app polls and mirrors
the hosts noted (what runs there is read from the host's own tmux, as ``ls --host`` reads
it), so a configured host without agents costs no connection. A host whose tmux shows no
agent any more is forgotten, unless an agent was started there meanwhile.
"""

from __future__ import annotations

import time

from workflows.base.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS host_agents (
    host TEXT PRIMARY KEY,   -- [hosts.NAME]
    at REAL NOT NULL         -- unix time an agent was last started there
);
"""


def _open(store: Store) -> Store:
    store.ensure("host-agents", DDL)
    return store


def note_agent_started(store: Store, host: str) -> None:
    with _open(store).transaction() as conn:
        conn.execute(
            "INSERT INTO host_agents (host, at) VALUES (?, ?)"
            " ON CONFLICT(host) DO UPDATE SET at = excluded.at",
            (host, time.time()),
        )


def hosts_with_agents(store: Store) -> list[str]:
    """The hosts agents were started on and not yet seen without any, by name."""
    rows = _open(store).connection().execute("SELECT host FROM host_agents ORDER BY host")
    return [str(row[0]) for row in rows]


def forget_host(store: Store, host: str, *, seen_empty_at: float) -> None:
    """The host's tmux had no agent at ``seen_empty_at`` (unix time): forget it, unless an
    agent was started there since (its pane may not have been listed yet)."""
    with _open(store).transaction() as conn:
        conn.execute("DELETE FROM host_agents WHERE host = ? AND at < ?", (host, seen_empty_at))
