"""Agents screen key paths against real demo agents in a private tmux server: tiles appear
with their state, focus moves, zoom, jump to the waiting tile, approve (the command really
runs), deny (it does not), interrupt, and attach through a stub command."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.pilot import enabled_keys, mirrored, open_agents, state_of, tile_of, until
from tests.support.tmux import spawn_demo
from tui.app import build_app
from widgets.pane_tile import PaneTile
from workflows.agents.settings import load_profile
from workflows.tmux.driver import TmuxDriver

ATTACH_STUB = """
import pathlib, sys
pathlib.Path(sys.argv[1]).write_text(" ".join(sys.argv[2:]))
"""


def tile_text(tile: PaneTile) -> str:
    model = tile.view.model
    return "\n".join(model.text_lines()) if model else ""


async def test_focus_zoom_and_jump_to_waiting(driver: TmuxDriver, tmp_path: Path) -> None:
    spawn_demo(
        driver, tmp_path / "a", name="alpha", prompt="Refine the plan [work 120s]", work=None
    )
    spawn_demo(driver, tmp_path / "b", name="beta", prompt="Work [work 120s]", work=None)
    spawn_demo(
        driver, tmp_path / "c", name="gamma", prompt="Please run command `true` now", work=None
    )
    app = build_app(driver.target)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_agents(pilot, app, ["alpha", "beta", "gamma"])
        grid = screen.grid
        await until(pilot, lambda: grid.focused_tile is not None, message="a focused tile")
        assert grid.focused_tile.info.name == "alpha"
        await pilot.press("l")
        assert grid.focused_tile.info.name == "beta"
        await pilot.press("right")
        assert grid.focused_tile.info.name == "gamma"
        await pilot.press("h")
        assert grid.focused_tile.info.name == "beta"
        # The tile mirrors its pane: the prompt shows up in it.
        await until(pilot, lambda: "Work" in tile_text(grid.focused_tile), message="mirror")
        await pilot.press("z")
        assert grid.zoomed
        visible = [tile.info.name for tile in grid.tiles if tile.display]
        assert visible == ["beta"]
        zoomed = grid.focused_tile
        await until(  # the mirror captures what the zoomed tile now shows
            pilot,
            lambda: app.mirror.view_height(zoomed.info.pane_id) == zoomed.view.size.height > 20,
            message="the mirror told the zoomed tile's height",
        )
        await pilot.press("z")
        assert not grid.zoomed
        await until(pilot, lambda: state_of(app, "gamma") == "awaiting_approval", message="wait")
        assert tile_of(app, "gamma").has_class("-waiting")
        await pilot.press("w")
        assert grid.focused_tile.info.name == "gamma"


async def test_approve_runs_the_command(driver: TmuxDriver, tmp_path: Path) -> None:
    work = tmp_path / "approve"
    spawn_demo(
        driver,
        work,
        name="asker",
        prompt="Please run command `echo yes > approved.txt` now",
        work=None,
    )
    app = build_app(driver.target)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["asker"])
        await until(pilot, lambda: state_of(app, "asker") == "awaiting_approval", message="ask")
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        assert {"a", "A", "d"} <= enabled_keys(app)
        assert not (work / "approved.txt").exists()
        await pilot.press("a")
        await until(pilot, (work / "approved.txt").exists, message="command ran")
        assert (work / "approved.txt").read_text().strip() == "yes"
        await until(pilot, lambda: state_of(app, "asker") != "awaiting_approval", message="done")
        assert "a" not in enabled_keys(app)  # nothing to approve any more: hidden


async def test_deny_does_not_run_the_command(driver: TmuxDriver, tmp_path: Path) -> None:
    work = tmp_path / "deny"
    spawn_demo(
        driver,
        work,
        name="asker",
        prompt="Please run command `echo no > denied.txt` now",
        work=None,
    )
    app = build_app(driver.target)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["asker"])
        await until(pilot, lambda: state_of(app, "asker") == "awaiting_approval", message="ask")
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        await pilot.press("d")
        await until(pilot, lambda: state_of(app, "asker") != "awaiting_approval", message="deny")
        reply = await until(
            pilot, lambda: list((work / ".demo-agent").glob("reply-*.md")), message="reply"
        )
        assert "denied" in reply[0].read_text()
        assert not (work / "denied.txt").exists()


async def test_interrupt_and_attach(driver: TmuxDriver, tmp_path: Path) -> None:
    pane_id = spawn_demo(
        driver, tmp_path / "busy", name="busy", prompt="Long job [work 300s]", work=None
    ).pane_id
    stub = tmp_path / "attach_stub.py"
    stub.write_text(ATTACH_STUB)
    attached = tmp_path / "attached.txt"
    app = build_app(driver.target, attach_command=[sys.executable, str(stub), str(attached)])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["busy"])
        await until(pilot, lambda: state_of(app, "busy") == "working", message="working")
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        assert "a" not in enabled_keys(app)  # working: approve does not apply
        await pilot.press("x")
        tile = tile_of(app, "busy")
        await until(pilot, lambda: "Interrupted" in tile_text(tile), message="interrupted")
        await until(pilot, lambda: state_of(app, "busy") == "idle", message="idle")
        await pilot.press("enter")
        await until(pilot, attached.exists, message="the attach command ran")
        assert attached.read_text() == pane_id


async def test_tile_of_a_run_shows_it_and_opens_its_log(driver: TmuxDriver, tmp_path: Path) -> None:
    from tui.screens.run_log import RunLogScreen
    from workflows.runs.run_store import RunStore, run_log_path

    run = RunStore().create("feedback", {}, ["PCL-120", "PCL-121"], {})
    log = run_log_path(run.id)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("step refine-1 started\nmarker-log-q2\n")
    argv = [*load_profile("demo").launch_argv(), "hello"]
    (tmp_path / "r").mkdir()
    driver.spawn(argv, name="runner-agent", agent="demo", cwd=str(tmp_path / "r"), run_id=run.id)
    app = build_app(driver.target)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["runner-agent"])
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        tile = tile_of(app, "runner-agent")
        title = str(tile.border_title)
        assert f"run {run.id}" in title and "PCL-120, PCL-121" in title
        assert "L" in enabled_keys(app)
        await pilot.press("L")
        log_screen = await until(
            pilot, lambda: isinstance(app.screen, RunLogScreen) and app.screen, message="log"
        )
        await until(
            pilot,
            lambda: "marker-log-q2" in "\n".join(log_screen.query_one("#log").lines),
            message="the run's log",
        )


async def test_zoom_shows_the_whole_pane_at_its_real_width(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    line = "".join(f"{n:<10}" for n in range(0, 110, 10)) + "END"  # 113 cells: 0 … 100 END
    for name in ("w1", "w2", "w3", "w4"):
        printer = f"print({line!r}); import time; time.sleep(600)"
        driver.spawn([sys.executable, "-c", printer], name=name, agent="shell", cwd=str(tmp_path))
    app = build_app(driver.target)
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await open_agents(pilot, app, ["w1", "w2", "w3", "w4"])
        grid = screen.grid
        await until(pilot, lambda: grid.focused_tile is not None, message="a focused tile")
        tile = grid.focused_tile
        await until(
            pilot,
            lambda: "END" in tile_text(tile),
            message="the line mirrored",
            explain=lambda: mirrored(app, tile),
        )
        assert tile.view.size.width < len(line)  # four tiles side by side: cut
        await pilot.press("z")
        await pilot.pause()
        await until(pilot, lambda: tile.view.size.width >= 190, message="the zoomed tile")
        shown = [tile.view.render_line(y).text for y in range(tile.view.size.height)]
        assert any(row.rstrip() == line for row in shown), shown[:3]
        assert tile.region.width == grid.region.width - grid.scrollbar_size_vertical
