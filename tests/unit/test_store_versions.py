"""Store schema versions: a store made before versions moves forward with nothing lost; later
migrations run once, in order, atomically; a store from a newer agenttui is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workflows.agents import hooks
from workflows.approvals import audit
from workflows.autonomy import checkins
from workflows.autonomy import watcher as scheduler
from workflows.base.store import Store, StoreTooNew
from workflows.issues.cache import IssueCache
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore

BEFORE_VERSIONS = Path(__file__).parent.parent / "fixtures" / "store" / "before-versions.sql"


def open_every_domain(store: Store, issues_folder: Path) -> None:
    """Open the store the way agenttui does: each domain through its own entry point."""
    RunStore(store)
    IssueCache(store)
    LocalSource(issues_folder, store=store)
    hooks.open_events(store)
    checkins.list_checkins(store)
    audit.entries(store)
    scheduler.rounds(store)


def rows_by_table(
    path: Path, columns: dict[str, list[str]] | None = None
) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows; of ``columns[table]`` only where given (columns a later
    migration added are not in an older store's rows)."""
    conn = sqlite3.connect(path)
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    wanted = columns or {}
    rows = {
        name: sorted(
            conn.execute(f'SELECT {", ".join(wanted.get(name, ["*"]))} FROM "{name}"'), key=repr
        )
        for name in names
    }
    conn.close()
    return rows


def columns_by_table(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    found = {t: [c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    conn.close()
    return found


def schema(path: Path) -> set[tuple[str, str]]:
    """Every table's and index's columns as SQLite reports them (not the DDL's spelling)."""
    conn = sqlite3.connect(path)
    found: set[tuple[str, str]] = set()
    for kind, name in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ):
        info = "table_info" if kind == "table" else "index_info"
        columns = conn.execute(f'PRAGMA {info}("{name}")').fetchall()
        found.add((f"{kind} {name}", repr(columns)))
    conn.close()
    return found


def test_a_store_made_before_versions_migrates_with_nothing_lost(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.executescript(BEFORE_VERSIONS.read_text(encoding="utf-8"))
    conn.close()
    before, columns = rows_by_table(old), columns_by_table(old)
    assert sum(len(rows) for rows in before.values()) >= 20  # the fixture holds real rows

    store = Store(old)
    open_every_domain(store, tmp_path)
    store.close()

    after = rows_by_table(old, columns)
    versions = after.pop("schema_versions")
    assert {name: after[name] for name in before} == before  # every row of every table
    assert {row[0] for row in versions} == {
        "runs",
        "issues-cache",
        "issues-local",
        "agent-events",
        "checkins",
        "approvals",
        "watch",
    }
    # The migrated store has exactly the shape a new user's store gets.
    fresh = tmp_path / "fresh.sqlite3"
    fresh_store = Store(fresh)
    open_every_domain(fresh_store, tmp_path)
    assert Store(old).versions() == fresh_store.versions()
    fresh_store.close()
    assert schema(old) == schema(fresh)
    # And the domains read the old rows.
    run = RunStore(Store(old)).get("r-20261201-abcd")
    assert run.pr_url == "https://github.com/acme/app/pull/7"
    assert [entry.decision for entry in audit.entries(Store(old))] == ["deny", "allow"]


TABLE_V1 = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
ADD_AUTHOR = "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'ada';"
ADD_INDEX = "CREATE INDEX notes_author ON notes(author);  -- not IF NOT EXISTS: runs once"


def test_later_migrations_run_once_in_order_and_keep_rows(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    first = Store(path)
    first.ensure("notes", TABLE_V1)
    first.connection().execute("INSERT INTO notes (body) VALUES ('kept; with a semicolon')")
    assert first.versions() == {"notes": 1}

    upgraded = Store(path)  # a newer agenttui opens the same store
    upgraded.ensure("notes", TABLE_V1, ADD_AUTHOR, ADD_INDEX)
    rows = upgraded.connection().execute("SELECT body, author FROM notes").fetchall()
    assert [tuple(row) for row in rows] == [("kept; with a semicolon", "ada")]
    assert upgraded.versions() == {"notes": 3}
    Store(path).ensure("notes", TABLE_V1, ADD_AUTHOR, ADD_INDEX)  # nothing runs twice


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store(path).ensure("notes", TABLE_V1)
    broken = ADD_AUTHOR + "\nALTER TABLE no_such_table ADD COLUMN x TEXT;"
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        Store(path).ensure("notes", TABLE_V1, broken)
    store = Store(path)
    assert store.versions() == {"notes": 1}
    columns = [row[1] for row in store.connection().execute("PRAGMA table_info(notes)")]
    assert columns == ["id", "body"]  # the first ALTER was rolled back with the second


def test_a_store_from_a_newer_agenttui_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store(path).ensure("notes", TABLE_V1, ADD_AUTHOR)
    with pytest.raises(StoreTooNew, match=r"'notes' tables are at version 2.*knows 1"):
        Store(path).ensure("notes", TABLE_V1)


def test_the_cli_says_the_store_is_too_new_without_a_traceback(tmp_path: Path) -> None:
    store = Store()  # the default store under the test's AGENTTUI_STATE_DIR
    RunStore(store)
    store.connection().execute("UPDATE schema_versions SET version = 99 WHERE domain = 'runs'")
    store.close()
    result = subprocess.run(
        [sys.executable, "-m", "tui", "runs"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "'runs' tables are at version 99" in result.stderr
    assert "upgrade agenttui" in result.stderr
    assert "Traceback" not in result.stderr


OPEN_AT_ONCE = """
import sys, time
from pathlib import Path
from workflows.base.store import Store
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
Store(Path(sys.argv[1])).ensure("racing", "CREATE TABLE IF NOT EXISTS racing (x INTEGER);")
"""


def test_processes_opening_a_new_store_at_once_all_get_it(tmp_path: Path) -> None:
    """The switch to WAL on a store nobody opened yet: SQLite answers the processes that
    lose the race "database is locked" without waiting (seen in CI as a slot contender's
    crash); each must get the store."""
    for round_ in range(4):
        path, go = tmp_path / f"store-{round_}.sqlite3", tmp_path / f"go-{round_}"
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT_ONCE, str(path), str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        time.sleep(0.5)  # all started and waiting for the word
        go.touch()
        for opener in openers:
            _, err = opener.communicate(timeout=60)
            assert opener.returncode == 0, err
