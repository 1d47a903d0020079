"""Scheduled check-ins: "remind agent X in 30 minutes: look at your workers".

From Tmux-Orchestrator's self-scheduling: an agent (or a person) schedules a note for an
agent pane; a timer delivers it at its time through verified send, tagged with who asked
(``[check-in #ID from NAME] note``). Check-ins live in the store, so they survive restarts
and any process can list or cancel them. The timer (``agenttui timer``, or the watcher's
loop) sleeps until the next due check-in; scheduling one wakes it through a datagram on an
abstract unix socket named after the state dir, which also keeps one timer per state dir.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.agents.messaging import tag_checkin, validate_sender
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.paths import state_dir
from workflows.base.store import Store
from workflows.tmux.server import ServerIdentity

if TYPE_CHECKING:
    from workflows.tmux.driver import TmuxDriver

DDL = """
CREATE TABLE IF NOT EXISTS checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,          -- agent name or pane id
    due REAL NOT NULL,             -- unix time
    note TEXT NOT NULL,
    sender TEXT NOT NULL,
    created REAL NOT NULL,
    status TEXT NOT NULL,          -- pending | delivering | delivered | failed | cancelled
    started_at REAL,               -- when the timer began delivering
    delivered_at REAL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS checkins_due ON checkins(status, due);
"""
# A pane id means a pane of one tmux server only (ids start again at %0 with every server):
# the server (pid, start time) a check-in for a pane id was scheduled on, as JSON.
ADD_SERVER = "ALTER TABLE checkins ADD COLUMN server TEXT NOT NULL DEFAULT '';"
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?")
UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
MAX_SLEEP_S = 60.0
SEND_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class CheckIn:
    id: int
    target: str
    due: float
    note: str
    sender: str
    created: float
    status: str
    started_at: float | None
    delivered_at: float | None
    detail: str
    server: str = ""  # for a pane id: the tmux server it is a pane of (JSON)


def parse_duration(text: str) -> float:
    """``30s``, ``10m``, ``1h``, ``1h30m``, ``250ms``, ``90`` (seconds) → seconds."""
    compact = text.strip().lower().replace(" ", "")
    position, total = 0, 0.0
    while position < len(compact):
        match = DURATION.match(compact, position)
        if match is None or match.end() == position:
            break
        total += float(match.group(1)) * UNITS[match.group(2)]
        position = match.end()
    if not compact or position != len(compact):
        raise UsageError(f"bad duration {text!r}: use e.g. 30s, 10m, 1h, 1h30m")
    return total


def _open(store: Store) -> Store:
    store.ensure("checkins", DDL, ADD_SERVER)
    return store


def _row(row: object) -> CheckIn:
    return CheckIn(**dict(row))  # type: ignore[call-overload]


def schedule(
    store: Store,
    target: str,
    *,
    due: float,
    note: str,
    sender: str,
    server: ServerIdentity | None = None,
) -> CheckIn:
    """Store a pending check-in and wake the timer so it can sleep until the new due time.
    ``server``: the tmux server a pane id ``target`` is a pane of."""
    if not target or not note.strip():
        raise UsageError("a check-in needs a target and a note")
    validate_sender(sender)
    where = json.dumps(server.as_json()) if server is not None else ""
    with _open(store).transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO checkins(target, due, note, sender, created, status, server)"
            " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (target, due, note, sender, time.time(), where),
        )
        checkin_id = int(cursor.lastrowid or 0)
    wake_timer()
    return get(store, checkin_id)


def get(store: Store, checkin_id: int) -> CheckIn:
    row = (
        _open(store)
        .connection()
        .execute("SELECT * FROM checkins WHERE id = ?", (checkin_id,))
        .fetchone()
    )
    if row is None:
        raise UsageError(f"no check-in #{checkin_id}")
    return _row(row)


def list_checkins(store: Store, *, include_done: bool = False) -> list[CheckIn]:
    query = "SELECT * FROM checkins"
    if not include_done:
        query += " WHERE status IN ('pending', 'delivering')"
    rows = _open(store).connection().execute(query + " ORDER BY due, id")
    return [_row(row) for row in rows]


def cancel(store: Store, checkin_id: int) -> CheckIn:
    with _open(store).transaction() as conn:
        changed = conn.execute(
            "UPDATE checkins SET status = 'cancelled' WHERE id = ? AND status = 'pending'",
            (checkin_id,),
        ).rowcount
    found = get(store, checkin_id)
    if not changed:
        raise UsageError(f"check-in #{checkin_id} is {found.status}, not pending")
    return found


def next_due(store: Store) -> float | None:
    row = (
        _open(store)
        .connection()
        .execute("SELECT MIN(due) FROM checkins WHERE status = 'pending'")
        .fetchone()
    )
    return None if row[0] is None else float(row[0])


def claim_due(store: Store, now: float | None = None) -> list[CheckIn]:
    """Atomically take every due pending check-in (no two timers deliver the same one)."""
    moment = time.time() if now is None else now
    with _open(store).transaction() as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM checkins WHERE status = 'pending' AND due <= ? ORDER BY due",
                (moment,),
            )
        ]
        conn.executemany(
            "UPDATE checkins SET status = 'delivering', started_at = ? WHERE id = ?",
            [(time.time(), checkin_id) for checkin_id in ids],
        )
    return [get(store, checkin_id) for checkin_id in ids]


def deliver(driver: TmuxDriver, store: Store, checkin: CheckIn) -> CheckIn:
    """Send one claimed check-in through verified send and record the outcome."""
    from workflows.agents.delivery import send_text

    message = tag_checkin(checkin.id, checkin.sender, checkin.note)
    try:
        _same_server(driver, checkin)
        result = send_text(driver, checkin.target, message, timeout=SEND_TIMEOUT_S)
        status = "delivered" if result.submitted else "failed"
        detail = "" if result.submitted else "typed but not confirmed submitted"
    except AgentTuiError as error:
        status, detail = "failed", str(error)
    with _open(store).transaction() as conn:
        conn.execute(
            "UPDATE checkins SET status = ?, delivered_at = ?, detail = ? WHERE id = ?",
            (status, time.time(), detail, checkin.id),
        )
    return get(store, checkin.id)


def _same_server(driver: TmuxDriver, checkin: CheckIn) -> None:
    """Refuse a pane id whose tmux server is not the one it was scheduled on: the agent it
    was for went with that server, and the id may now be any other agent's."""
    if not checkin.server:
        return
    then = ServerIdentity.from_json(json.loads(checkin.server))
    now = driver.server_identity()
    if not now.same_server(then):
        raise AgentTuiError(
            f"the tmux server was restarted since the check-in was scheduled (then {then}; "
            f"now {now}): pane {checkin.target} is no longer the agent it was for"
        )


def _timer_address() -> bytes:
    digest = hashlib.sha1(str(state_dir().resolve()).encode()).hexdigest()[:20]
    return b"\0agenttui-timer-" + digest.encode()


def wake_timer() -> None:
    """Tell a running timer that the schedule changed (nothing happens if none runs)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
        sock.sendto(b"wake", _timer_address())


class Timer:
    """Delivers check-ins at their time; ``run`` until ``stop`` is set."""

    def __init__(self, driver: TmuxDriver, store: Store | None = None) -> None:
        self.driver = driver
        self.store = store or Store()
        self.stop = threading.Event()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._socket.bind(_timer_address())
        except OSError as error:
            self._socket.close()
            raise AgentTuiError("a check-in timer is already running for this state dir") from error

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.deliver_due()
                self._sleep_until_next()
        finally:
            self._socket.close()

    def deliver_due(self) -> None:
        for checkin in claim_due(self.store):
            # One thread each: a busy target must not hold back other check-ins.
            threading.Thread(
                target=deliver,
                args=(self.driver, Store(self.store.path), checkin),
                name=f"checkin-{checkin.id}",
                daemon=True,
            ).start()

    def _sleep_until_next(self) -> None:
        due = next_due(self.store)
        wait = MAX_SLEEP_S if due is None else min(MAX_SLEEP_S, due - time.time())
        if wait <= 0:
            return
        self._socket.settimeout(wait)
        with contextlib.suppress(TimeoutError):
            self._socket.recv(64)

    def close(self) -> None:
        self.stop.set()
        wake_timer()
