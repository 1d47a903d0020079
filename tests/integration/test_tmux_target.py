"""One TmuxTarget from the entry point down: the app cancels a run on the server it shows.

The app's services once called ``cancel_run`` without a socket or session, so cancelling a run
whose runner had died killed that run's panes on the person's default tmux server (and left
them on the server the app showed). Nothing below the entry points has a default now.
"""

from __future__ import annotations

from tests.support.tmux import TmuxServer
from tui.services import Services
from workflows.runs.run_store import RunStore
from workflows.tmux.driver import TmuxDriver


def test_the_app_cancels_a_dead_runners_run_on_its_own_server(
    tmux_server: TmuxServer, driver: TmuxDriver
) -> None:
    runs = RunStore()
    run = runs.create("feedback", {"steps": []}, ["ENG-1"], {"repo": "/r"})
    runs.update(run.id, status="running")  # its runner died: no runner lock is held
    agent = driver.spawn(["cat"], name="left-behind", run_id=run.id)
    bystander = driver.spawn(["cat"], name="bystander")

    services = Services(tmux_server.target)
    try:
        services.cancel_run(run.id)
    finally:
        services.close()

    left = {pane.pane_id for pane in driver.panes()}
    assert agent.pane_id not in left  # the run's agent went, on the server the app shows
    assert bystander.pane_id in left  # nothing else did
    assert runs.get(run.id).status == "cancelled"
