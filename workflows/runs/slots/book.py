"""The slot book: who holds each shared environment, who waits for it, and every change.

Everything is decided inside one IMMEDIATE SQLite transaction per change, so every process
(runners, the CLI, the app) sees one order of events: at most ``max_holders`` holders at any
moment, across processes and restarts. A holder keeps its slot by renewing its lease (a
heartbeat); one that stops (its runner was killed) loses it when the lease runs out, and
the next waiter takes it. Waiters renew too: one that went silent is passed over. Every
change is appended to ``slot_log`` in the same transaction, with the holder count after it,
so the history can be checked and timed (ETA).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from workflows.base.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS slot_holders (
    slot TEXT NOT NULL,
    run_id TEXT NOT NULL,
    since REAL NOT NULL,
    lease_until REAL NOT NULL,
    deployed TEXT,                 -- the commit deployed during this hold
    PRIMARY KEY (slot, run_id)
);
CREATE TABLE IF NOT EXISTS slot_queue (
    slot TEXT NOT NULL,
    run_id TEXT NOT NULL,
    queued_at REAL NOT NULL,
    priority INTEGER NOT NULL,     -- lower first (Linear: 1 urgent … 4 low, none counts as 5)
    seen_at REAL NOT NULL,         -- the waiter's last heartbeat
    PRIMARY KEY (slot, run_id)
);
CREATE TABLE IF NOT EXISTS slot_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slot TEXT NOT NULL,
    run_id TEXT NOT NULL,
    at REAL NOT NULL,
    change TEXT NOT NULL,          -- queued | acquired | released | expired | dropped | handed
    holders INTEGER NOT NULL,      -- how many hold the slot after this change
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS slot_log_by_slot ON slot_log(slot, id);
"""
NO_PRIORITY = 5
HOLD_ENDS = ("released", "expired", "handed")


@dataclass(frozen=True)
class Holder:
    run_id: str
    since: float
    lease_until: float
    deployed: str | None


@dataclass(frozen=True)
class Waiter:
    run_id: str
    queued_at: float
    priority: int
    seen_at: float


@dataclass(frozen=True)
class SlotView:
    """One slot as ``agenttui slots`` shows it."""

    slot: str
    holders: list[Holder]
    queue: list[Waiter]  # in the order they will get it
    mean_hold: float | None  # seconds, from past holds; None before the first one ended

    def eta(self, position: int, now: float, max_holders: int = 1) -> float | None:
        """Seconds until the waiter at ``position`` (0: next) should get the slot."""
        if self.mean_hold is None:
            return None
        ends = sorted(max(0.0, h.since + self.mean_hold - now) for h in self.holders)
        ends += [0.0] * (max_holders - len(ends))
        turn, seat = divmod(position, max_holders)
        return ends[seat] + turn * self.mean_hold

    def as_json(self, now: float, max_holders: int = 1) -> dict[str, object]:
        return {
            "slot": self.slot,
            "holders": [
                {
                    "run": h.run_id,
                    "since": h.since,
                    "held_for": round(now - h.since, 1),
                    "lease_until": h.lease_until,
                    "lease_left": round(h.lease_until - now, 1),
                    "deployed": h.deployed,
                }
                for h in self.holders
            ],
            "queue": [
                {
                    "run": w.run_id,
                    "position": index + 1,
                    "queued_at": w.queued_at,
                    "priority": w.priority,
                    "eta": _rounded(self.eta(index, now, max_holders)),
                }
                for index, w in enumerate(self.queue)
            ],
            "mean_hold": _rounded(self.mean_hold),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class SlotBook:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.store.ensure("slots", DDL)

    # -- changes (each one transaction) --------------------------------------------------
    def acquire(
        self,
        slot: str,
        run_id: str,
        *,
        lease: float,
        max_holders: int = 1,
        priority: int = NO_PRIORITY,
        use_priority: bool = False,
        now: float | None = None,
    ) -> bool:
        """Take the slot if it is this run's turn, else wait in its queue (joined on the
        first call); renews the lease of a run that holds it already. True: it holds it."""
        now = time.time() if now is None else now
        with self.store.transaction() as tx:
            self._expire(tx, slot, now, lease)
            held = tx.execute(
                "UPDATE slot_holders SET lease_until = ? WHERE slot = ? AND run_id = ?",
                (now + lease, slot, run_id),
            ).rowcount
            if held:
                return True
            waiting = tx.execute(
                "UPDATE slot_queue SET seen_at = ? WHERE slot = ? AND run_id = ?",
                (now, slot, run_id),
            ).rowcount
            if not waiting:
                tx.execute(
                    "INSERT INTO slot_queue (slot, run_id, queued_at, priority, seen_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (slot, run_id, now, priority, now),
                )
                self._log(tx, slot, run_id, now, "queued", detail=f"priority {priority}")
            holders = self._count(tx, slot)
            if holders >= max_holders:
                return False
            turn = self._order(use_priority)
            first = tx.execute(
                f"SELECT run_id FROM slot_queue WHERE slot = ? ORDER BY {turn} LIMIT ?",
                (slot, max_holders - holders),
            ).fetchall()
            if run_id not in {row["run_id"] for row in first}:
                return False
            tx.execute("DELETE FROM slot_queue WHERE slot = ? AND run_id = ?", (slot, run_id))
            tx.execute(
                "INSERT INTO slot_holders (slot, run_id, since, lease_until) VALUES (?, ?, ?, ?)",
                (slot, run_id, now, now + lease),
            )
            self._log(tx, slot, run_id, now, "acquired")
            return True

    def renew(self, slot: str, run_id: str, *, lease: float, now: float | None = None) -> bool:
        """The holder's heartbeat; False when it no longer holds the slot (expired, released
        or handed over by a person)."""
        now = time.time() if now is None else now
        with self.store.transaction() as tx:
            self._expire(tx, slot, now, lease)
            return bool(
                tx.execute(
                    "UPDATE slot_holders SET lease_until = ? WHERE slot = ? AND run_id = ?",
                    (now + lease, slot, run_id),
                ).rowcount
            )

    def mark_deployed(self, slot: str, run_id: str, commit: str) -> bool:
        with self.store.transaction() as tx:
            return bool(
                tx.execute(
                    "UPDATE slot_holders SET deployed = ? WHERE slot = ? AND run_id = ?",
                    (commit, slot, run_id),
                ).rowcount
            )

    def release(
        self, slot: str, run_id: str, reason: str = "", *, now: float | None = None
    ) -> bool:
        """Give the slot up (or leave its queue). True when the run held the slot."""
        now = time.time() if now is None else now
        with self.store.transaction() as tx:
            left = tx.execute(
                "DELETE FROM slot_queue WHERE slot = ? AND run_id = ?", (slot, run_id)
            ).rowcount
            if left:
                self._log(tx, slot, run_id, now, "dropped", detail=reason or "left the queue")
            held = tx.execute(
                "DELETE FROM slot_holders WHERE slot = ? AND run_id = ?", (slot, run_id)
            ).rowcount
            if held:
                self._log(tx, slot, run_id, now, "released", detail=reason)
            return bool(held)

    def release_run(self, run_id: str, reason: str) -> list[str]:
        """Every slot the run holds or waits for, given up (its run ended)."""
        rows = self.store.connection().execute(
            "SELECT slot FROM slot_holders WHERE run_id = ? UNION "
            "SELECT slot FROM slot_queue WHERE run_id = ?",
            (run_id, run_id),
        )
        slots = sorted({str(row["slot"]) for row in rows})
        return [slot for slot in slots if self.release(slot, run_id, reason)]

    def hand_over(
        self,
        slot: str,
        to_run: str,
        *,
        lease: float,
        max_holders: int = 1,
        now: float | None = None,
    ) -> list[str]:
        """A person gives the slot to ``to_run`` now: the holders it displaces (all of them
        when the slot is full) lose it. Returns those runs."""
        now = time.time() if now is None else now
        with self.store.transaction() as tx:
            self._expire(tx, slot, now, lease)
            holders = [
                str(row["run_id"])
                for row in tx.execute(
                    "SELECT run_id FROM slot_holders WHERE slot = ? ORDER BY since", (slot,)
                )
            ]
            if to_run in holders:
                return []
            displaced = holders[: max(0, len(holders) - max_holders + 1)]
            for run_id in displaced:
                tx.execute("DELETE FROM slot_holders WHERE slot = ? AND run_id = ?", (slot, run_id))
                self._log(tx, slot, run_id, now, "handed", detail=f"by hand to {to_run}")
            tx.execute("DELETE FROM slot_queue WHERE slot = ? AND run_id = ?", (slot, to_run))
            tx.execute(
                "INSERT INTO slot_holders (slot, run_id, since, lease_until) VALUES (?, ?, ?, ?)",
                (slot, to_run, now, now + lease),
            )
            self._log(tx, slot, to_run, now, "acquired", detail="handed over by hand")
            return displaced

    # -- reading -------------------------------------------------------------------------
    def view(
        self, slot: str, *, lease: float, use_priority: bool = False, now: float | None = None
    ) -> SlotView:
        now = time.time() if now is None else now
        conn = self.store.connection()
        holders = [
            Holder(str(r["run_id"]), r["since"], r["lease_until"], r["deployed"])
            for r in conn.execute(
                "SELECT * FROM slot_holders WHERE slot = ? AND lease_until > ? ORDER BY since",
                (slot, now),
            )
        ]
        queue = [
            Waiter(str(r["run_id"]), r["queued_at"], int(r["priority"]), r["seen_at"])
            for r in conn.execute(
                f"SELECT * FROM slot_queue WHERE slot = ? AND seen_at > ? "
                f"ORDER BY {self._order(use_priority)}",
                (slot, now - lease),
            )
        ]
        return SlotView(slot, holders, queue, self._mean_hold(slot))

    def log(self, slot: str | None = None) -> list[dict[str, object]]:
        """Every change, oldest first (of one slot, or of all)."""
        where, args = ("WHERE slot = ?", (slot,)) if slot else ("", ())
        rows = self.store.connection().execute(f"SELECT * FROM slot_log {where} ORDER BY id", args)
        return [dict(row) for row in rows]

    def slots_of(self, run_id: str) -> list[str]:
        rows = self.store.connection().execute(
            "SELECT slot FROM slot_holders WHERE run_id = ?", (run_id,)
        )
        return [str(row["slot"]) for row in rows]

    def known_slots(self) -> list[str]:
        rows = self.store.connection().execute("SELECT DISTINCT slot FROM slot_log ORDER BY slot")
        return [str(row["slot"]) for row in rows]

    # -- inside a transaction ------------------------------------------------------------
    def _expire(self, tx: sqlite3.Connection, slot: str, now: float, lease: float) -> None:
        """Holders whose lease ran out lose the slot; waiters silent for a lease leave."""
        for row in tx.execute(
            "SELECT run_id, lease_until FROM slot_holders WHERE slot = ? AND lease_until <= ?",
            (slot, now),
        ).fetchall():
            tx.execute(
                "DELETE FROM slot_holders WHERE slot = ? AND run_id = ?", (slot, row["run_id"])
            )
            silent = now - row["lease_until"] + lease
            self._log(
                tx, slot, row["run_id"], now, "expired", detail=f"no heartbeat for {silent:.1f} s"
            )
        for row in tx.execute(
            "SELECT run_id FROM slot_queue WHERE slot = ? AND seen_at <= ?", (slot, now - lease)
        ).fetchall():
            tx.execute(
                "DELETE FROM slot_queue WHERE slot = ? AND run_id = ?", (slot, row["run_id"])
            )
            self._log(
                tx,
                slot,
                row["run_id"],
                now,
                "dropped",
                detail=f"silent in the queue for {lease:g} s",
            )

    def _count(self, tx: sqlite3.Connection, slot: str) -> int:
        row = tx.execute("SELECT COUNT(*) FROM slot_holders WHERE slot = ?", (slot,)).fetchone()
        return int(row[0])

    def _log(
        self,
        tx: sqlite3.Connection,
        slot: str,
        run_id: str,
        now: float,
        change: str,
        *,
        detail: str = "",
    ) -> None:
        tx.execute(
            "INSERT INTO slot_log (slot, run_id, at, change, holders, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (slot, run_id, now, change, self._count(tx, slot), detail),
        )

    @staticmethod
    def _order(use_priority: bool) -> str:
        # rowid: the order of arrival, as the transactions were serialised
        return "priority, rowid" if use_priority else "rowid"

    def _mean_hold(self, slot: str) -> float | None:
        """The mean length of the holds that ended (for the ETA)."""
        started: dict[str, float] = {}
        lengths: list[float] = []
        for row in self.log(slot):
            run_id, at = str(row["run_id"]), float(str(row["at"]))
            if row["change"] == "acquired":
                started[run_id] = at
            elif row["change"] in HOLD_ENDS and run_id in started:
                lengths.append(at - started.pop(run_id))
        return sum(lengths) / len(lengths) if lengths else None
