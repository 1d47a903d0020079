"""Hook events of agents on other hosts, fetched into this machine's store.

An agent on a host reports to the agenttui there (its hooks run ``agenttui hook`` on the
host), which keeps the events in its store (``ssh.host_state_dir``). Nothing listens on a
port: whoever reads an agent of that host (``read_state``) first fetches the events added
there since the last fetch, over the host's shared ssh connection (a standard-library Python
reads that store read-only), and adds them to the ``agent_events`` of this store, keyed as
the hook keyed them (the host's tmux server and pane), so the classifier reads them as any
other. The host's last fetched event id is kept per host (``host_event_cursors``); a host
store that was reset (its ids behind the cursor) is read from its start again.
"""

from __future__ import annotations

import json
import shlex
import threading
import time

from workflows.agents.hook_relay import revive_relay
from workflows.agents.hooks import open_events
from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.base.store import Store
from workflows.tmux.ssh import host_state_dir, run_remote

FETCH_EVERY_S = 0.5
BATCH = 500
DDL = """
CREATE TABLE IF NOT EXISTS host_event_cursors (
    host TEXT PRIMARY KEY,      -- [hosts.NAME]
    last_id INTEGER NOT NULL    -- the newest agent_events id fetched from its store
);
"""
# Run on the host: its store's events after argv[2], one JSON array per line.
EXPORT = """
import json, os, sqlite3, sys
path, after = sys.argv[1], int(sys.argv[2])
if not os.path.exists(path):
    sys.exit(0)
con = sqlite3.connect(path, timeout=5)
try:
    top = con.execute("SELECT MAX(id) FROM agent_events").fetchone()[0] or 0
except sqlite3.OperationalError:
    sys.exit(0)
rows = con.execute(
    "SELECT id, server, pane_id, agent, kind, payload, at FROM agent_events"
    " WHERE id > ? ORDER BY id LIMIT ?", (after if top >= after else 0, int(sys.argv[3])))
for row in rows:
    print(json.dumps(row))
"""
_fetched_at: dict[SshHost, float] = {}
_lock = threading.Lock()


def fetch_events(store: Store, host: SshHost, *, force: bool = False) -> int:
    """Add the host's new hook events to ``store``; how many. At most every
    ``FETCH_EVERY_S`` per host and process unless ``force``."""
    with _lock:
        if not force and time.monotonic() - _fetched_at.get(host, 0.0) < FETCH_EVERY_S:
            return 0
        _fetched_at[host] = time.monotonic()
    revive_relay(host)
    open_events(store)
    store.ensure("host-events", DDL)
    row = (
        store.connection()
        .execute("SELECT last_id FROM host_event_cursors WHERE host = ?", (host.name,))
        .fetchone()
    )
    after = int(row[0]) if row else 0
    database = f"{host_state_dir(host)}/agenttui.sqlite3"
    command = shlex.join([host.python, "-I", "-c", EXPORT, database, str(after), str(BATCH)])
    lines = run_remote(host, command, timeout=30.0).splitlines()
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError as error:
            raise AgentTuiError(f"host {host.name!r} sent an unreadable event: {line!r}") from error
    if not rows:
        return 0
    with store.transaction() as conn:
        # Another process may have fetched meanwhile: add only what it did not.
        now = conn.execute(
            "SELECT last_id FROM host_event_cursors WHERE host = ?", (host.name,)
        ).fetchone()
        if now is not None and int(now[0]) != after:
            return 0
        conn.executemany(
            "INSERT INTO agent_events (server, pane_id, agent, kind, payload, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [row[1:] for row in rows],
        )
        conn.execute(
            "INSERT INTO host_event_cursors (host, last_id) VALUES (?, ?)"
            " ON CONFLICT(host) DO UPDATE SET last_id = excluded.last_id",
            (host.name, int(rows[-1][0])),
        )
    return len(rows)
