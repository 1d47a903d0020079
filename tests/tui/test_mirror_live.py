"""The mirror on a real tmux server: panes nobody sees are never captured, the focused
pane is captured at most ~30 times a second and the others at most ~10 (loose bounds)."""

from __future__ import annotations

import time
from typing import Any

from tests.support.waiting import wait_until
from workflows.base.target import TmuxTarget
from workflows.tmux.mirror import Mirror

TICKER = "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.01; done"


def pane_ids(tmux_server: Any) -> list[str]:
    listing = tmux_server.cmd("list-panes", "-s", "-t", tmux_server.session, "-F", "#{pane_id}")
    return listing.split()


def test_only_visible_panes_are_captured_and_rates_are_capped(tmux_server: Any) -> None:
    session = tmux_server.session
    tmux_server.cmd("new-session", "-d", "-s", session, "-x", "80", "-y", "20", "sh", "-c", TICKER)
    for _ in range(2):
        tmux_server.cmd("new-window", "-d", "-t", f"{session}:", "sh", "-c", TICKER)
    focused, other, hidden = pane_ids(tmux_server)
    mirror = Mirror(TmuxTarget(tmux_server.socket, session))
    mirror.start()
    try:
        mirror.set_visible([focused, other], focused=focused)
        for pane in (focused, other):
            wait_until(
                lambda pane=pane: any("tick-" in line for line in mirror.model(pane).text_lines()),
                timeout=30,
                message=f"{pane} mirrored",
            )
        counts0 = dict(mirror.capture_counts)
        started = time.monotonic()
        wait_until(lambda: time.monotonic() - started > 2.0, timeout=10, message="2 s")
        elapsed = time.monotonic() - started
        counts = {p: mirror.capture_counts.get(p, 0) - counts0.get(p, 0) for p in counts0}
        assert 0 < counts[focused] <= 30 * elapsed + 3
        assert 0 < counts[other] <= 10 * elapsed + 2
        assert mirror.capture_counts.get(hidden, 0) == 0  # printing, but nobody looks
        assert not any(line.strip() for line in mirror.model(hidden).text_lines())

        mirror.set_visible([hidden], focused=hidden)  # scrolled into view
        wait_until(
            lambda: any("tick-" in line for line in mirror.model(hidden).text_lines()),
            timeout=30,
            message="the newly visible pane mirrored",
        )
        settled = dict(mirror.capture_counts)
        wait_until(lambda: time.monotonic() - started > 3.0, timeout=10, message="1 s more")
        assert mirror.capture_counts[focused] == settled[focused]  # no longer visible
    finally:
        mirror.close()


def test_panes_of_one_rate_are_captured_together_in_batches(tmux_server: Any) -> None:
    session = tmux_server.session
    tmux_server.cmd("new-session", "-d", "-s", session, "-x", "80", "-y", "20", "sh", "-c", TICKER)
    for _ in range(3):
        tmux_server.cmd("new-window", "-d", "-t", f"{session}:", "sh", "-c", TICKER)
    panes = pane_ids(tmux_server)
    mirror = Mirror(TmuxTarget(tmux_server.socket, session))
    mirror.start()
    try:
        mirror.set_visible(panes)  # nothing focused: every pane at the 10 Hz rate
        for pane in panes:
            wait_until(
                lambda pane=pane: any("tick-" in line for line in mirror.model(pane).text_lines()),
                timeout=30,
                message=f"{pane} mirrored",
            )
        counts0, batches0 = dict(mirror.capture_counts), mirror.batches
        started = time.monotonic()
        wait_until(lambda: time.monotonic() - started > 2.0, timeout=10, message="2 s")
        elapsed = time.monotonic() - started
        counts = [mirror.capture_counts[p] - counts0.get(p, 0) for p in panes]
        assert all(0 < count <= 10 * elapsed + 2 for count in counts)
        # four printing panes, one batch of commands (and one wake-up) for all of them
        assert mirror.batches - batches0 <= sum(counts) / 2
    finally:
        mirror.close()
