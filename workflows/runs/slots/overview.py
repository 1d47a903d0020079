"""Every slot as people see it (``agenttui slots``, the app), and what a person does to one
by hand: release it, hand it over to a waiting run, or give QA's verdict on a deploy."""

from __future__ import annotations

import time
from typing import Any

from workflows.base.errors import AgentTuiError, UsageError
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


def give_verdict(run_id: str, passed: bool, words: str = "") -> list[str]:
    """QA's verdict from the app, given the way a person gives it on the tracker: a comment
    starting with the slot's pass word, or its fail word then ``words`` (kept verbatim; the
    slot step reads them like any QA comment and hands them to the fix round made inert).
    Posted on each of the run's issues through its issue source; the issues posted on."""
    from workflows.issues import open_source
    from workflows.runs.run_store import RunStore

    record = RunStore().get(run_id)
    waiting = record.context.get("qa_waiting")
    if not waiting or record.summary().qa_waiting is None:
        raise UsageError(f"run {record.id} is not waiting for QA's verdict")
    if not passed and not words.strip():
        raise UsageError("say what is wrong: a fail needs QA's words for the fix round")
    slot = load_slot(str(waiting["slot"]))
    body = slot.pass_word if passed else f"{slot.fail_word}: {words}"
    source = open_source(record.params.get("source"))
    posted: list[str] = []
    try:
        for issue in record.issues:
            try:
                source.comment(issue, body)
            except AgentTuiError as error:
                given = f" (already posted on {', '.join(posted)})" if posted else ""
                raise AgentTuiError(f"{issue}: {error}{given}") from error
            posted.append(issue)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return posted
