"""The mirror's pause bookkeeping: which panes a switch command pauses and continues."""

from __future__ import annotations

from workflows.tmux.output_switch import OutputSwitch


def test_printed_dirty_panes_are_paused_and_captured_ones_continued() -> None:
    switch = OutputSwitch()
    assert switch.printed("%1") and switch.printed("%2") and switch.printed("%3")
    assert not switch.printed("%1")  # already waiting to be paused
    pause = switch.take_printed(dirty={"%1", "%2", "%3"})
    command = switch.command("client-7", pause, resume=["%3"])  # %3 is captured now
    assert command == ["refresh-client", "-t", "client-7", "-A", "%1:pause", "-A", "%2:pause"]
    assert switch.paused == {"%1", "%2"} and switch.pauses == 2
    assert not switch.printed("%1")  # paused: its output no longer arrives anyway
    command = switch.command("client-7", pause=set(), resume=["%1", "%3"])
    assert command == ["refresh-client", "-t", "client-7", "-A", "%1:continue"]
    assert switch.paused == {"%2"}
    assert switch.command("client-7", pause=set(), resume=["%3"]) == []  # nothing to do


def test_a_pane_whose_print_a_capture_took_keeps_running() -> None:
    """Printed, then captured (no longer dirty) before the switch was built: pausing it
    now would hide its next print, since no capture is coming to continue it."""
    switch = OutputSwitch()
    switch.printed("%1")
    assert switch.take_printed(dirty=set()) == set()
    assert switch.command("client-7", pause=set()) == []
    assert switch.printed("%1")  # its next print is noticed, and may pause it


def test_a_continue_that_may_be_lost_counts_its_panes_as_paused() -> None:
    switch = OutputSwitch()
    switch.printed("%1")
    switch.command("client-7", switch.take_printed(dirty={"%1"}))
    command = switch.command("client-7", pause=set(), resume=["%1"])
    assert switch.paused == set()
    switch.failed(command)
    assert switch.paused == {"%1"}  # the next capture continues it again


def test_a_new_output_client_starts_with_every_pane_running() -> None:
    switch = OutputSwitch()
    switch.printed("%1")
    switch.command("client-7", switch.take_printed(dirty={"%1"}))
    assert switch.paused == {"%1"}
    switch.sync("client-7")
    assert switch.paused == {"%1"}
    switch.sync("client-9")  # reconnected: tmux pauses nothing for the new client
    assert switch.paused == set()
    old = ["refresh-client", "-t", "client-7", "-A", "%1:continue"]
    switch.failed(old)  # a late failure about the old client changes nothing
    assert switch.paused == set()
