"""Keymap overrides from config.toml, the help screen generated from the bindings, palette
entries for the actions, and the notification + bell when an agent starts waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandPalette
from textual.widgets import DataTable

from tests.support.pilot import until
from tests.support.tmux import private_target, spawn_demo
from tui.app import build_app
from tui.screens.help import HelpScreen
from tui.screens.runs import RunsScreen
from tui.screens.triage import TriageScreen
from workflows.base.config import load_config
from workflows.tmux.driver import TmuxDriver


def write_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(text)
    load_config.cache_clear()


async def test_keymap_override_and_generated_help(tmp_path: Path) -> None:
    write_config(tmp_path, '[tui.keys]\n"app.runs" = "f3"\n"triage.group" = "ctrl+g"\n')
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TriageScreen))
        await pilot.press("3")  # no longer bound
        assert isinstance(app.screen, TriageScreen)
        await pilot.press("question_mark")
        help_screen = await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        table = help_screen.query_one(DataTable)
        rows = [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
        by_id = {row[3]: row for row in rows}
        assert by_id["app.runs"][1] == "f3" and by_id["app.runs"][2] == "Runs"
        assert by_id["triage.group"][1] == "^g"  # ctrl+g as Textual shows it
        assert by_id["triage.filter"][2] == "Filter"
        await pilot.press("escape")
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen), message="f3 → runs")


async def test_palette_runs_actions() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TriageScreen))
        await until(pilot, lambda: app.screen.table.issues, message="issues")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for wanted in ("Issues", "Agents", "Runs", "Help", "Filter", "Suggest groups", "Launch"):
            assert wanted in titles
        assert "Group" not in titles  # nothing selected: the action does not apply
        assert sorted(titles) == sorted(set(titles))  # each once: no second "Quit"
        assert [title.casefold() for title in titles].count("quit") == 1
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), message="palette")
        await pilot.press(*"Runs")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen), message="palette → runs")


async def test_waiting_agent_notifies_and_rings(
    driver: TmuxDriver,
    tmp_path: Path,
) -> None:
    app = build_app(driver.target)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app._known_waiting is not None, message="first poll")
        spawn_demo(
            driver,
            tmp_path / "w",
            name="later",
            prompt="Then run command `true` [work 1s]",
            work=None,
        )
        await until(pilot, lambda: rings, message="the bell")
        messages = [notification.message for notification in app._notifications]
        assert any("later is waiting: true" in message for message in messages)


async def test_an_agent_blocked_on_an_unknown_dialog_notifies_rings_and_says_so(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """Never silent: a dialog no rule knows (the demo agent's approval under a profile
    without that rule) rings like an approval, and the tile says BLOCKED."""
    from tests.support.pilot import open_agents, tile_of
    from tests.support.profiles import demo_without_its_dialog_rule
    from workflows.agents.settings import load_profile

    agent = demo_without_its_dialog_rule()
    app = build_app(driver.target)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app._known_waiting is not None, message="first poll")
        (tmp_path / "b").mkdir()
        argv = [*load_profile(agent).launch_argv(), "Then run command `true` [work 0.1s]"]
        driver.spawn(argv, name="stuck", agent=agent, cwd=str(tmp_path / "b"))
        await until(pilot, lambda: rings, message="the bell", timeout=20)
        messages = [notification.message for notification in app._notifications]
        assert any("stuck is waiting: Esc to cancel" in message for message in messages)
        await open_agents(pilot, app, ["stuck"])
        tile = tile_of(app, "stuck")
        assert tile is not None and "BLOCKED" in str(tile.border_subtitle)
        assert tile.has_class("-waiting")


async def test_bell_can_be_turned_off(driver: Any, tmp_path: Path) -> None:
    write_config(tmp_path, "[tui]\nbell = false\n")
    app = build_app(driver.target)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app._known_waiting is not None, message="first poll")
        spawn_demo(
            driver,
            tmp_path / "q",
            name="quiet",
            prompt="Then run command `true` [work 1s]",
            work=None,
        )
        await until(pilot, lambda: app._notifications, message="the notification")
        assert rings == []
