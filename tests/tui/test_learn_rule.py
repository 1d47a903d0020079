"""'A' on a tile waiting for approval: agenttui shows the rule it would learn, saves exactly
that rule on y and approves once; a deny-list request learns nothing. Real demo agents."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.support.pilot import open_agents, state_of, until
from tests.support.tmux import spawn_demo
from tui.app import build_app
from tui.screens.learn_rule import LearnRuleScreen
from workflows.approvals.policy import learned_policy_file
from workflows.tmux.driver import TmuxDriver


async def test_always_shows_the_rule_then_saves_it(driver: TmuxDriver, tmp_path: Path) -> None:
    work = tmp_path / "always"
    spawn_demo(
        driver,
        work,
        name="asker",
        prompt="Please run command `touch learned-l1.txt` now",
        work=None,
    )
    app = build_app(driver.target)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["asker"])
        await until(pilot, lambda: state_of(app, "asker") == "awaiting_approval", message="ask")
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        await pilot.press("A")
        modal = await until(
            pilot,
            lambda: (
                isinstance(app.screen, LearnRuleScreen) and app.screen.query("#rule") and app.screen
            ),
            message="the rule shown",
        )
        assert str(modal.query_one("#rule").render()) == "allow Bash(touch:*)"
        await pilot.pause()
        # The dialog dims the agents screen, never blanks it: its key bar still shows.
        assert "Interrupt" in app.export_screenshot()
        assert not learned_policy_file().exists()  # shown, not saved
        await pilot.press("y")
        await until(pilot, (work / "learned-l1.txt").exists, message="approved once")
        rules = tomllib.loads(learned_policy_file().read_text())["rules"]
        assert [(r["rule"], r["behavior"], r["agent"]) for r in rules] == [
            ("Bash(touch:*)", "allow", "asker")
        ]


async def test_always_on_a_deny_list_request_learns_nothing(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    work = tmp_path / "never"
    spawn_demo(driver, work, name="asker", prompt="Please run command `rm -rf ~` now", work=None)
    app = build_app(driver.target)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["asker"])
        await until(pilot, lambda: state_of(app, "asker") == "awaiting_approval", message="ask")
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        await pilot.press("A")
        await until(
            pilot,
            lambda: any("deny-list" in str(n.message) for n in app._notifications),
            message="refusal shown",
        )
        assert not isinstance(app.screen, LearnRuleScreen)
        assert not learned_policy_file().exists()
        assert state_of(app, "asker") == "awaiting_approval"  # nothing was pressed
