"""The mirror on a real tmux server: panes nobody sees are never captured, the focused
pane is captured at most ~30 times a second and the others at most ~10 (loose bounds)."""

from __future__ import annotations

import time
from typing import Any

from tests.support.waiting import wait_until
from workflows.base.errors import WaitTimeout
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


def test_a_quiet_pane_is_mirrored_even_when_tmux_misses_a_size_listing(
    tmux_server: Any,
) -> None:
    """Under load tmux 3.3a can hold a reply past the command timeout. A new pane whose
    sizes could not be listed must be captured on a later tick, not dropped: a pane that
    printed once and went quiet (an agent's dialog) would stay blank for good."""
    session = tmux_server.session
    tmux_server.cmd("new-session", "-d", "-s", session, "-x", "80", "-y", "20", "cat")
    mirror = Mirror(TmuxTarget(tmux_server.socket, session))
    mirror.start()
    try:
        wait_until(lambda: mirror._sizes, message="the first pane's size")
        commands = mirror._commands
        assert commands is not None
        real_command = commands.command
        late = {"now": True}  # tmux answers list-panes too late while this holds
        missed_while_visible: list[str] = []

        def answer_late(*args: str, timeout: float = 5.0) -> list[str]:
            if args[0] == "list-panes" and late["now"]:
                if mirror._visible:
                    missed_while_visible.append(args[0])
                raise WaitTimeout("tmux list-panes did not answer within 5s")
            return real_command(*args, timeout=timeout)

        commands.command = answer_late  # type: ignore[method-assign]
        tmux_server.cmd("new-window", "-d", "-t", f"{session}:", "printf once-and-quiet; exec cat")
        (new,) = [pane for pane in pane_ids(tmux_server) if pane not in mirror._sizes]
        mirror.set_visible([new], focused=new)
        # Both tries of a tick that had the pane due went unanswered; then tmux recovers.
        wait_until(lambda: len(missed_while_visible) >= 2, message="a tick missed its sizes")
        late["now"] = False
        wait_until(
            lambda: any("once-and-quiet" in line for line in mirror.model(new).text_lines()),
            timeout=20,
            message="the quiet pane mirrored after the missed listing",
        )
    finally:
        mirror.close()
