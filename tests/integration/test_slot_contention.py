"""Runner processes contending for one slot through the real store: never two holders (the
log checked at every change, and each holder proving it alone with an O_EXCL marker), first
come first served, and a killed holder's lease running out so the next one proceeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.slots import check_every_change
from tests.support.waiting import wait_until
from workflows.runs.slots.book import SlotBook

CONTENDER = textwrap.dedent(
    """
    import os, sys, time
    from workflows.runs.slots.book import SlotBook

    run, marker, holds, rounds, lease = sys.argv[1], sys.argv[2], float(sys.argv[3]), \\
        int(sys.argv[4]), float(sys.argv[5])
    book = SlotBook()
    for _ in range(rounds):
        while not book.acquire("staging", run, lease=lease):
            time.sleep(0.005)
        # Alone on staging, or this raises: O_EXCL fails if another holder made the marker.
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(fd, run.encode())
        print("holding", flush=True)
        end = time.monotonic() + holds
        while time.monotonic() < end:
            assert book.renew("staging", run, lease=lease), "lost the slot while holding it"
            time.sleep(min(0.02, holds))
        os.close(fd)
        os.unlink(marker)
        assert book.release("staging", run, "done")
    """
)


def contender(
    run: str, marker: Path, *, holds: float, rounds: int = 1, lease: float = 5.0
) -> subprocess.Popen[str]:
    args = [run, str(marker), str(holds), str(rounds), str(lease)]
    return subprocess.Popen(
        [sys.executable, "-c", CONTENDER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("count", [2, 5])
def test_runners_racing_never_both_hold_and_take_turns_in_order(tmp_path: Path, count: int) -> None:
    marker = tmp_path / "staging-in-use"
    runs = [f"run{index}" for index in range(count)]
    processes = [contender(run, marker, holds=0.05, rounds=3) for run in runs]  # all at once
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.count("holding") == 3
    log = SlotBook().log("staging")
    order = check_every_change(log)
    assert sorted(order) == sorted(runs * 3)
    assert len(log) == count * 3 * 3  # queued, acquired, released: nothing else happened


def test_five_runners_get_the_slot_in_the_order_they_asked(tmp_path: Path) -> None:
    marker = tmp_path / "staging-in-use"
    book = SlotBook()
    processes = []
    for index in range(5):
        run = f"run{index}"
        processes.append(contender(run, marker, holds=0.3))
        queued = ("queued", run)
        wait_until(  # the next one asks only once this one is in the book
            lambda queued=queued: queued in {(r["change"], r["run_id"]) for r in book.log()},
            timeout=30,
            message=f"{run} in the queue",
        )
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    assert check_every_change(book.log("staging")) == [f"run{index}" for index in range(5)]


def test_a_killed_holder_loses_the_slot_when_its_lease_runs_out(tmp_path: Path) -> None:
    marker = tmp_path / "staging-in-use"
    book = SlotBook()
    first = contender("first", marker, holds=600, lease=1.5)
    assert first.stdout is not None and first.stdout.readline() == "holding\n"
    second = contender("second", marker, holds=0.1, lease=1.5)
    wait_until(lambda: len(book.log("staging")) == 3, timeout=30, message="second queued")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    marker.unlink()  # what the dead holder left; the new holder's O_EXCL needs it gone
    assert second.wait(timeout=60) == 0, second.stderr.read() if second.stderr else ""
    log = book.log("staging")
    assert check_every_change(log) == ["first", "second"]
    changes = [(row["change"], row["run_id"]) for row in log]
    assert changes == [
        ("queued", "first"),
        ("acquired", "first"),
        ("queued", "second"),
        ("expired", "first"),
        ("acquired", "second"),
        ("released", "second"),
    ]
    expired = next(row for row in log if row["change"] == "expired")
    killed_at_latest = expired["at"]
    assert float(expired["detail"].split()[3]) >= 1.5  # silent for the whole lease
    assert killed_at_latest - log[1]["at"] >= 1.5
