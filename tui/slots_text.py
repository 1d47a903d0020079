"""Shared environments (slots) in words, for ``agenttui slots`` and the runs screen."""

from __future__ import annotations

import time
from typing import Any


def ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def slots_text(slots: list[dict[str, Any]], now: float | None = None) -> str:
    """Each slot: holder(s) with since and lease left, then its queue with ETAs."""
    now = time.time() if now is None else now
    lines = []
    for slot in slots:
        held = (
            ", ".join(
                f"{h['run']} since {ago(h['held_for'])} (lease {ago(h['lease_left'])} left"
                + (f", {h['deployed'][:10]} deployed)" if h["deployed"] else ")")
                for h in slot["holders"]
            )
            or "free"
        )
        lines.append(f"{slot['slot']}: {held}" + (f"  {slot['url']}" if slot["url"] else ""))
        for waiter in slot["queue"]:
            eta = f"ETA {ago(waiter['eta'])}" if waiter["eta"] is not None else "ETA unknown"
            waited = ago(now - waiter["queued_at"])
            lines.append(f"  {waiter['position']}. {waiter['run']} waiting {waited}, {eta}")
    return "\n".join(lines)


def slot_of(slots: list[dict[str, Any]], run_id: str, role: str) -> str | None:
    """The slot ``run_id`` holds (``role="holders"``) or waits for (``"queue"``)."""
    for slot in slots:
        if any(entry["run"] == run_id for entry in slot[role]):
            return str(slot["slot"])
    return None
