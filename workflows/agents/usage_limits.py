"""Which agent profiles are at their usage limit, and until when (shared by runs and the
watcher: while a profile is limited, nothing new is launched with it)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from workflows.base.config import table
from workflows.base.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS usage_limits (
    profile TEXT PRIMARY KEY,
    until REAL NOT NULL,      -- unix time the limit lifts (as shown, or backed off)
    message TEXT NOT NULL,    -- what the agent said
    at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class LimitSettings:
    """``[usage_limits]`` in config.toml."""

    backoff_s: float = 900.0  # when no reset time is shown; doubled each time, at most max_wait_s
    max_wait_s: float = 6 * 3600.0
    margin_s: float = 60.0  # after the time shown (Claude shows minutes: 10:30pm)
    max_pauses: int = 4  # per step attempt: a limit still there after this many fails the step


def limit_settings() -> LimitSettings:
    config = table("usage_limits")
    config.check_known(("backoff_s", "max_wait_s", "margin_s", "max_pauses"))
    return LimitSettings(
        backoff_s=config.get_float("backoff_s", LimitSettings.backoff_s, minimum=1),
        max_wait_s=config.get_float("max_wait_s", LimitSettings.max_wait_s, minimum=1),
        margin_s=config.get_float("margin_s", LimitSettings.margin_s, minimum=0),
        max_pauses=config.get_int("max_pauses", LimitSettings.max_pauses, minimum=1),
    )


def _open(store: Store) -> Store:
    store.ensure("usage-limits", DDL)
    return store


def record_limit(store: Store, profile: str, until: float, message: str) -> None:
    with _open(store).transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO usage_limits (profile, until, message, at) VALUES (?, ?, ?, ?)",
            (profile, until, message, time.time()),
        )


def limited(store: Store, profile: str, now: float | None = None) -> tuple[float, str] | None:
    """(until, message) while ``profile`` is at its usage limit, else None."""
    row = (
        _open(store)
        .connection()
        .execute("SELECT until, message FROM usage_limits WHERE profile = ?", (profile,))
        .fetchone()
    )
    moment = time.time() if now is None else now
    if row is None or row["until"] <= moment:
        return None
    return float(row["until"]), str(row["message"])


def limited_profiles(store: Store, now: float) -> set[str]:
    """The profiles at their usage limit at ``now``."""
    rows = (
        _open(store)
        .connection()
        .execute("SELECT profile FROM usage_limits WHERE until > ?", (now,))
    )
    return {str(row["profile"]) for row in rows}


def clear_limit(store: Store, profile: str) -> None:
    with _open(store).transaction() as conn:
        conn.execute("DELETE FROM usage_limits WHERE profile = ?", (profile,))
