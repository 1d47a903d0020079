"""The runs screen shows the shared environments and lets a person release a slot or hand it
over (each asked first), through the same slot book the runners use."""

from __future__ import annotations

from tests.support.environment import write_config
from tests.support.pilot import enabled_keys, until
from tests.support.tmux import TmuxServer
from tui.app import build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.runs import RunsScreen
from workflows.runs.run_store import RunStore
from workflows.runs.slots.book import SlotBook


async def test_release_and_hand_over_a_slot_from_the_runs_screen(tmux_server: TmuxServer) -> None:
    write_config('[slots.staging]\ndeploy = "./deploy.sh {branch}"\nlease = 600\n')
    runs = RunStore()
    holder = runs.create("feedback-qa", {"steps": []}, ["PCL-101"], {}).id
    waiter = runs.create("feedback-qa", {"steps": []}, ["PCL-102"], {}).id
    book = SlotBook()
    assert book.acquire("staging", holder, lease=600)
    assert not book.acquire("staging", waiter, lease=600)
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen: RunsScreen = await until(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen, message="runs"
        )
        panel = screen.query_one("#runs-slots")

        def shown() -> str:
            return str(panel.render()) if panel.display else ""

        await until(pilot, lambda: f"staging: {holder} since" in shown(), message="the holder")
        assert f"1. {waiter} waiting" in shown()

        async def select(run_id: str) -> None:
            await until(pilot, lambda: run_id in screen.run_list.runs, message=run_id)
            screen.run_list.move_cursor(row=screen.run_list.get_row_index(run_id))
            await pilot.pause()

        await select(holder)
        assert "S" in enabled_keys(app) and "H" not in enabled_keys(app)
        await pilot.press("S")
        confirm = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, message="asked"
        )
        assert confirm.title_text == f"Release staging, held by run {holder}?"
        await pilot.press("y")
        await until(pilot, lambda: "staging: free" in shown(), message="released")
        assert [row["change"] for row in book.log("staging")][-1] == "released"

        assert not book.acquire("staging", holder, lease=600)  # it queues again, behind
        await select(holder)
        await until(pilot, lambda: f"2. {holder} waiting" in shown(), message="requeued")
        assert "H" in enabled_keys(app)  # waiting: it may be handed the slot
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), message="asked")
        await pilot.press("y")
        await until(pilot, lambda: f"staging: {holder} since" in shown(), message="handed")
        assert [h.run_id for h in book.view("staging", lease=600).holders] == [holder]
