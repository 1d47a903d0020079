"""Every slot as people see it (``agenttui slots``, the app), and what a person does to one
by hand: release it, or hand it over to a waiting run."""

from __future__ import annotations

import time
from typing import Any

from workflows.base.errors import UsageError
from workflows.runs.slots.book import SlotBook
from workflows.runs.slots.config import configured_slots, load_slot


def overview(book: SlotBook | None = None, now: float | None = None) -> list[dict[str, Any]]:
    """Each configured slot: holder(s), since, lease left, queue with ETAs, deploy URL."""
    book = book or SlotBook()
    now = time.time() if now is None else now
    shown = []
    for name in configured_slots():
        slot = load_slot(name)
        view = book.view(name, lease=slot.lease, use_priority=slot.priority, now=now)
        shown.append(
            {
                **view.as_json(now, slot.max_holders),
                "url": slot.url,
                "lease": slot.lease,
                "max_holders": slot.max_holders,
            }
        )
    return shown


def release_by_hand(name: str, run_id: str | None = None) -> list[str]:
    """Release the slot (every holder, or ``run_id``'s hold); the runs that lost it."""
    slot = load_slot(name)
    book = SlotBook()
    holders = [h.run_id for h in book.view(name, lease=slot.lease).holders]
    if run_id is not None and run_id not in holders:
        raise UsageError(
            f"run {run_id} does not hold {name} (holders: {', '.join(holders) or 'none'})"
        )
    chosen = [run_id] if run_id else holders
    return [held for held in chosen if book.release(name, held, "released by hand")]


def hand_over(name: str, run_id: str) -> list[str]:
    """Give the slot to ``run_id`` (it must be waiting for it); the runs that lost it."""
    from workflows.runs.run_store import RunStore

    slot = load_slot(name)
    book = SlotBook()
    run_id = RunStore().get(run_id).id
    waiting = [w.run_id for w in book.view(name, lease=slot.lease).queue]
    if run_id not in waiting:
        raise UsageError(
            f"run {run_id} is not waiting for {name} (queue: {', '.join(waiting) or 'empty'})"
        )
    return book.hand_over(name, run_id, lease=slot.lease, max_holders=slot.max_holders)
