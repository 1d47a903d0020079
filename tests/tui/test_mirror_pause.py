"""The mirror pauses a pane's output once it printed and continues it with its capture, on
a real tmux server: no update is lost, a reconnect starts over, and no agent ever stalls."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_until
from workflows.tmux.mirror import Mirror

# Prints a numbered line every 20 ms, then stops: the last line must reach the model.
COUNTER = "for i in $(seq 1 60); do echo line-$i; sleep 0.02; done; echo counted; exec cat"


def start(tmux_server: Any, *commands: str) -> list[str]:
    session = tmux_server.session
    tmux_server.cmd("new-session", "-d", "-s", session, "-x", "80", "-y", "20", commands[0])
    for command in commands[1:]:
        tmux_server.cmd("new-window", "-d", "-t", f"{session}:", command)
    listing = tmux_server.cmd("list-panes", "-s", "-t", session, "-F", "#{pane_id}")
    return listing.split()


def shows(mirror: Mirror, pane: str, text: str) -> bool:
    return any(text in line for line in mirror.model(pane).text_lines())


def test_a_paused_pane_is_captured_when_it_changes_and_runs_again_after(
    tmux_server: Any,
) -> None:
    counter, other = start(tmux_server, COUNTER, "cat")
    mirror = Mirror(tmux_server.target)
    mirror.start()
    try:
        mirror.set_visible([counter, other])  # both at 10 Hz: it prints 5 lines a capture
        wait_until(lambda: shows(mirror, counter, "counted"), timeout=30, message="last line")
        assert mirror.pauses > 0  # it was paused between captures, and nothing was lost
        wait_until(lambda: counter not in mirror.paused, message="continued by its capture")
        tmux_server.cmd("send-keys", "-t", counter, "-l", "after-the-pause")
        wait_until(lambda: shows(mirror, counter, "after-the-pause"), message="new output")
    finally:
        mirror.close()


def test_a_pane_printing_faster_than_its_rate_is_captured_blind_and_nothing_is_lost(
    tmux_server: Any,
) -> None:
    """At 10 Hz, a pane printing every ~10 ms is dirty whenever it is due: it stays paused
    through its captures (no %output, pause and continue per capture), yet its last line
    reaches the model and, once quiet, it runs again."""
    fast = "for i in $(seq 1 250); do echo fast-$i; sleep 0.01; done; echo fast-done; exec cat"
    pane, other = start(tmux_server, fast, "cat")
    mirror = Mirror(tmux_server.target)
    mirror.start()
    try:
        mirror.set_visible([pane, other])
        wait_until(lambda: shows(mirror, pane, "fast-done"), timeout=60, message="last line")
        captures = mirror.capture_counts[pane]
        assert captures >= 10
        assert mirror.pauses <= captures / 3  # (one pause per capture without blind ones)
        wait_until(lambda: pane not in mirror.paused, message="continued once quiet")
        tmux_server.cmd("send-keys", "-t", pane, "-l", "after-the-burst")
        wait_until(lambda: shows(mirror, pane, "after-the-burst"), message="new output")
    finally:
        mirror.close()


def test_the_focused_pane_is_never_captured_blind(tmux_server: Any) -> None:
    """Printing faster than even its 30 Hz, the focused pane is still captured when it
    prints (continued before each capture): blind captures would cost it latency."""
    fast = "for i in $(seq 1 250); do echo fast-$i; sleep 0.005; done; echo fast-done; exec cat"
    (pane,) = start(tmux_server, fast)
    mirror = Mirror(tmux_server.target)
    mirror.start()
    try:
        mirror.set_visible([pane], focused=pane)
        wait_until(lambda: shows(mirror, pane, "fast-done"), timeout=60, message="last line")
        captures = mirror.capture_counts[pane]
        assert captures >= 10
        assert mirror.pauses >= captures / 2  # paused after its print, each cycle
    finally:
        mirror.close()


def test_panes_nobody_sees_are_paused_and_continued_when_their_activity_is_taken(
    tmux_server: Any,
) -> None:
    (pane,) = start(tmux_server, "cat")
    mirror = Mirror(tmux_server.target)
    mirror.start()
    try:
        for round_ in range(2):
            tmux_server.cmd("send-keys", "-t", pane, "-l", f"round-{round_}")
            wait_until(lambda: pane in mirror.paused, message=f"paused in round {round_}")
            assert mirror.take_active() == {pane}  # and continued: the next print counts
            assert pane not in mirror.paused
        assert mirror.take_active() == set()
    finally:
        mirror.close()


def test_a_new_output_client_starts_with_every_pane_running(tmux_server: Any) -> None:
    (pane,) = start(tmux_server, "cat")
    mirror = Mirror(tmux_server.target)
    mirror.start()
    try:
        tmux_server.cmd("send-keys", "-t", pane, "-l", "before")
        wait_until(lambda: pane in mirror.paused, message="paused while nobody looks")
        output = mirror._output
        assert output is not None
        old_client = output.client_name
        assert old_client is not None
        tmux_server.cmd("detach-client", "-t", old_client)  # the output client goes away
        wait_until(lambda: output.client_name not in (None, old_client), message="reconnected")
        wait_until(lambda: pane not in mirror.paused, message="the pause forgotten")
        mirror.set_visible([pane])
        tmux_server.cmd("send-keys", "-t", pane, "-l", "+after")
        wait_until(lambda: shows(mirror, pane, "before+after"), message="mirrored again")
    finally:
        mirror.close()


def test_no_agent_stalls_while_paused_or_while_the_mirror_stops_reading(
    tmux_server: Any, tmp_path: Path
) -> None:
    """One pane paused by the mirror and never captured, one whose output the mirror
    stops reading altogether (its reader blocked): both write 4 MB and finish."""
    go, done = tmp_path / "go", tmp_path / "done"
    flood = (
        f"while [ ! -e {go} ]; do sleep 0.05; done; "
        f"head -c 4000000 /dev/zero | tr '\\0' x; touch {done}-$0; exec cat"
    )
    paused, unread = start(
        tmux_server, f"sh -c 'read x; {flood}' paused", f"sh -c '{flood}' unread"
    )
    mirror = Mirror(tmux_server.target)
    mirror.start()
    reader_blocked, release = threading.Event(), threading.Event()
    try:
        tmux_server.cmd("send-keys", "-t", paused, "ready", "Enter")  # printed: paused
        wait_until(lambda: paused in mirror.paused, timeout=30, message="paused")
        output = mirror._output
        assert output is not None
        on_activity = output.on_activity

        def stop_reading(pane_id: str) -> None:
            if pane_id == unread:
                reader_blocked.set()
                release.wait(60)  # the app reads nothing from tmux meanwhile
            elif on_activity is not None:
                on_activity(pane_id)

        output.on_activity = stop_reading
        go.touch()
        wait_until(reader_blocked.is_set, timeout=30, message="the reader blocked")
        for name in ("paused", "unread"):
            wait_until(
                lambda name=name: Path(f"{done}-{name}").exists(),
                timeout=60,
                message=f"the {name} pane wrote 4 MB and went on",
            )
        assert paused in mirror.paused  # it was never captured: still paused
    finally:
        release.set()
        mirror.close()
