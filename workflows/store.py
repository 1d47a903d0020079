"""The SQLite store (WAL) shared by every agenttui process: runner, hooks, TUI, watcher.

Each domain module owns its tables and declares them with :meth:`Store.ensure`, so the
schema lives next to the code that uses it. Connections are short-lived and per-thread;
WAL plus a busy timeout lets hooks append events while a runner and the TUI read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workflows.paths import state_dir

BUSY_TIMEOUT_S = 10.0


def store_problem(error: sqlite3.Error, path: Path | None = None) -> str:
    """What a person should read for an SQLite error of the store (locked, full disk…)."""
    where = path if path is not None else state_dir() / "agenttui.sqlite3"
    text = str(error)
    if "locked" in text or "busy" in text:
        return (
            f"the store {where} is locked by another agenttui process (waited "
            f"{BUSY_TIMEOUT_S:g} s): {text}; try again once it is done"
        )
    if "full" in text or "I/O" in text:
        return f"cannot write the store {where}: {text} (is the disk full?)"
    return f"the store {where} failed: {text}"


class Store:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else state_dir() / "agenttui.sqlite3"
        self._local = threading.local()
        self._ensured: set[str] = set()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def ensure(self, name: str, ddl: str) -> None:
        """Create a domain's tables once per process (``CREATE … IF NOT EXISTS`` statements)."""
        if name in self._ensured:
            return
        # executescript commits on its own; IF NOT EXISTS makes racing creators harmless.
        self.connection().executescript(ddl)
        self._ensured.add(name)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: writers queue on the busy timeout instead of failing."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
