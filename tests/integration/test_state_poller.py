"""The batched state poller on a real tmux server with shell panes: it agrees with
``read_state``, re-reads nothing for idle panes, and re-reads a pane when it printed, when a
hook event arrived for it, when its quiescence or hook-grace deadline passed, when it
died (tmux alone tells that), and in the safety sweep (a lost ``%output``)."""

from __future__ import annotations

from tests.support.waiting import wait_until
from workflows.agents.hooks import record_event
from workflows.agents.observe import default_store, read_state, server_for
from workflows.agents.state_poller import StatePoller
from workflows.tmux.driver import TmuxDriver

SHELL = ["bash", "--norc", "--noprofile", "-i"]


def states(poller: StatePoller, dirty: set[str] | None) -> dict[str, str]:
    return {pane.name: reading.state.value for pane, reading in poller.poll(dirty)}


def spawn_idle_shells(
    driver: TmuxDriver, names: list[str], **options: float
) -> tuple[StatePoller, dict[str, str]]:
    ids = {name: driver.spawn(SHELL, name=name, agent="shell", env={"PS1": "$ "}).pane_id
           for name in names}  # fmt: skip
    poller = StatePoller(driver, **options)
    wait_until(
        lambda: set(states(poller, None).values()) == {"idle"}, timeout=30, message="idle shells"
    )

    # Start-up may still change a pane's tmux facts (its command once the launcher has
    # exec'd) on a loaded machine: measure the steady state, once a poll re-reads nothing.
    def settled() -> bool:
        count = poller.classified
        states(poller, set())
        return poller.classified == count

    wait_until(settled, timeout=30, message="a poll that re-reads nothing")
    return poller, ids


def test_idle_panes_cost_nothing_and_agree_with_read_state(driver: TmuxDriver) -> None:
    poller, ids = spawn_idle_shells(driver, ["p1", "p2", "p3"])
    for pane in driver.panes():
        if pane.name in ids:
            assert read_state(driver, pane).state.value == "idle"

    before = poller.classified
    for _ in range(3):
        assert states(poller, set()) == {"p1": "idle", "p2": "idle", "p3": "idle"}
    assert poller.classified == before


def test_output_then_quiescence_deadline(driver: TmuxDriver) -> None:
    poller, ids = spawn_idle_shells(driver, ["q1", "q2"])
    driver.send_keys(ids["q1"], "sleep 60", "Enter")  # prints its echo, then nothing
    wait_until(
        lambda: any("$ sleep 60" in line for line in driver.capture(ids["q1"])), message="the echo"
    )
    # tmux's facts about the pane change too (its command becomes sleep): let that land
    # first, so each poll below sees one change only.
    wait_until(
        lambda: any(p.command == "sleep" for p in driver.panes() if p.pane_id == ids["q1"]),
        message="sleep running",
    )
    before = poller.classified
    # The screen changed since the last read: working, until quiet for quiescence_s.
    assert states(poller, {ids["q1"]})["q1"] == "working"
    assert poller.classified == before + 1  # the pane that printed, not the quiet one
    reread = poller.classified
    states(poller, set())
    assert poller.classified == reread  # nothing new and the deadline is ahead: no read
    # Nothing printed any more: the quiescence deadline alone turns it idle.
    wait_until(lambda: states(poller, set())["q1"] == "idle", timeout=30, message="quiescence")
    assert states(poller, set())["q2"] == "idle"


def test_hook_event_and_death_reread_the_pane(driver: TmuxDriver) -> None:
    poller, ids = spawn_idle_shells(driver, ["h1", "h2"])
    before = poller.classified
    record_event(
        default_store(),
        agent="h1",
        kind="submit",
        payload={},
        pane_id=ids["h1"],
        server=server_for(driver, ids["h1"]),
    )
    states(poller, set())
    assert poller.classified == before + 1  # h1 only, no %output needed
    # The submit hook outranks the idle prompt only for its grace period.
    wait_until(lambda: states(poller, set())["h1"] == "idle", timeout=30, message="grace over")
    driver.send_keys(ids["h2"], "exit 3", "Enter")
    wait_until(lambda: states(poller, set())["h2"] == "exited", timeout=30, message="exited")
    [reading] = [r for pane, r in poller.poll(set()) if pane.name == "h2"]
    assert reading.detail == {"status": 3, "signal": None}


def test_sweep_rereads_panes_whose_output_was_missed(driver: TmuxDriver) -> None:
    poller, ids = spawn_idle_shells(driver, ["s1", "s2"], sweep_s=2.0)
    # s1 prints, but nobody reports it dirty (as if the %output was lost in a reconnect).
    driver.send_keys(ids["s1"], "echo SWEEP-MARK-7", "Enter")
    wait_until(
        lambda: any(line == "SWEEP-MARK-7" for line in driver.capture(ids["s1"])),
        message="the echo",
    )
    before = poller.classified
    states(poller, set())
    assert poller.classified == before  # not due yet: nothing says s1 changed
    # Within 1.25 × sweep_s every pane is read again, the changed one and the quiet one.
    reads = {pane_id: poller.reads[pane_id] for pane_id in ids.values()}

    def swept() -> bool:
        states(poller, set())
        return all(poller.reads[pane_id] > reads[pane_id] for pane_id in ids.values())

    wait_until(swept, timeout=30, message="the sweep re-read both panes")
    assert states(poller, set()) == {"s1": "idle", "s2": "idle"}
