"""Renewing a hold from the runner process while the run does something else (a fix round
between two deploys): the lease then ends with the process, and only with it."""

from __future__ import annotations

import threading

from workflows.runs.slots.book import SlotBook
from workflows.runs.slots.config import SlotConfig

_beats: dict[tuple[str, str], threading.Event] = {}
_lock = threading.Lock()


def keep_alive(slot: SlotConfig, run_id: str) -> None:
    """Renew ``run_id``'s hold on ``slot`` every ``renew_every`` seconds from a daemon
    thread, until :func:`stop` or the hold is lost (expired, released, handed over)."""
    key = (slot.name, run_id)
    with _lock:
        if key in _beats:
            return
        stopped = _beats[key] = threading.Event()

    def beat() -> None:
        book = SlotBook()
        try:
            while not stopped.wait(slot.renew_every):
                if not book.renew(slot.name, run_id, lease=slot.lease):
                    return
        finally:
            with _lock:
                if _beats.get(key) is stopped:
                    del _beats[key]
            book.store.close()

    threading.Thread(target=beat, name=f"slot-{slot.name}", daemon=True).start()


def stop(slot: str, run_id: str) -> None:
    with _lock:
        stopped = _beats.pop((slot, run_id), None)
    if stopped is not None:
        stopped.set()
