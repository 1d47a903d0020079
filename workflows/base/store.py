"""The SQLite store (WAL) shared by every agenttui process: runner, hooks, TUI, watcher.

Each domain module owns its tables and declares them with :meth:`Store.ensure`, so the
schema lives next to the code that uses it. A domain's schema is a list of migrations and its
version (how many of them a store has applied) is kept in the ``schema_versions`` table, so a
store made by an older agenttui is moved forward in place, nothing lost. Connections are
short-lived and per-thread; WAL plus a busy timeout lets hooks append events while a runner
and the TUI read.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workflows.base.paths import state_dir

BUSY_TIMEOUT_S = 10.0

VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS schema_versions (
    domain TEXT PRIMARY KEY,       -- the name given to Store.ensure
    version INTEGER NOT NULL,      -- how many of the domain's migrations this store has applied
    migrated_at REAL NOT NULL
);
"""


class StoreTooNew(sqlite3.DatabaseError):
    """The store was moved forward by a newer agenttui than this one: never written to."""


def sql_statements(script: str) -> list[str]:
    """A migration script cut into statements (``executescript`` would commit midway)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        raise ValueError(f"unfinished SQL statement in a migration: {pending.strip()[:80]}")
    return statements


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


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. Processes opening a new store at once race for the switch, and SQLite
    answers the losers "database is locked" at once, without its busy timeout: they try
    again, a moment apart, for as long as that timeout (then the error stands)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


class Store:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else state_dir() / "agenttui.sqlite3"
        self._local = threading.local()
        self._ensured: set[str] = set()
        self._versions_ready = False

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.row_factory = sqlite3.Row
            _wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def ensure(self, name: str, *migrations: str) -> None:
        """Bring a domain's tables to its newest version, once per process.

        ``migrations[0]`` creates the tables as they were first released, with
        ``CREATE … IF NOT EXISTS`` so that a store made before versions were recorded counts
        as version 1; each later script moves them one version forward (``ALTER TABLE``, a
        new table, a copy). A released script is never edited: change a table by appending
        one. Each step runs in the same IMMEDIATE transaction as its version bump, so racing
        processes apply it once and a failure leaves the store as it was.
        """
        if name in self._ensured:
            return
        newest = len(migrations)
        conn = self.connection()
        if self._version(conn, name) != newest:
            with self.transaction() as tx:
                current = self._version(tx, name)  # another process may have just migrated
                if current > newest:
                    raise StoreTooNew(
                        f"its {name!r} tables are at version {current}, made by a newer "
                        f"agenttui (this one knows {newest}); upgrade agenttui"
                    )
                for script in migrations[current:]:
                    for statement in sql_statements(script):
                        tx.execute(statement)
                if current != newest:
                    tx.execute(
                        "INSERT INTO schema_versions (domain, version, migrated_at) "
                        "VALUES (?, ?, ?) ON CONFLICT(domain) DO UPDATE SET "
                        "version = excluded.version, migrated_at = excluded.migrated_at",
                        (name, newest, time.time()),
                    )
        self._ensured.add(name)

    def _version(self, conn: sqlite3.Connection, name: str) -> int:
        if not self._versions_ready:
            conn.executescript(VERSIONS_DDL)  # IF NOT EXISTS: racing creators are harmless
            self._versions_ready = True
        row = conn.execute("SELECT version FROM schema_versions WHERE domain = ?", (name,))
        found = row.fetchone()
        return int(found[0]) if found is not None else 0

    def versions(self) -> dict[str, int]:
        """Each domain's schema version in this store (for tests and diagnostics)."""
        conn = self.connection()
        self._version(conn, "")
        rows = conn.execute("SELECT domain, version FROM schema_versions ORDER BY domain")
        return {str(row[0]): int(row[1]) for row in rows}

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
