"""Which dirty panes the mirror captures now, and when it looks again.

When a dirty pane is due, the dirty panes of its rate that would be due within the next
quarter of their interval are taken along if the batch has room: panes fall into groups
captured together, one wake-up and one batch of commands per group instead of one per
pane (early only to join a group, which then keeps the pane's rate). A batch holds the
32 tiles a screen shows at most, so every tile at 10 Hz is one batch: tmux answers it in
a few milliseconds, and the mirror takes the focused pane out of turn meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping

EARLY_FRACTION = 0.25  # a dirty pane due this soon (× its interval) joins a capture batch
BATCH = 32  # panes captured in one batch of commands at most


def due_panes(
    ready: Mapping[str, tuple[float, float]], focused: str | None, now: float
) -> tuple[list[str], float | None]:
    """Of the dirty panes that can be seen (pane → when it is due, its interval), up to
    ``BATCH`` to capture ``now`` (the focused one first, then the longest due), and when
    (monotonic time) the first of the others becomes due."""
    triggered = {interval for ready_at, interval in ready.values() if ready_at <= now}
    candidates = sorted(
        (pane_id != focused, ready_at, pane_id)
        for pane_id, (ready_at, interval) in ready.items()
        if interval in triggered and ready_at <= now + interval * EARLY_FRACTION
    )
    due = [pane_id for _, _, pane_id in candidates[:BATCH]]
    taken = set(due)
    later = (ready_at for pane_id, (ready_at, _) in ready.items() if pane_id not in taken)
    return due, min(later, default=None)
