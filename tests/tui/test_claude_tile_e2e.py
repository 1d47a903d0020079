"""One key on a tile approves the real Claude Code: the CLI (npm) runs in a private tmux
server against a scripted Anthropic server on 127.0.0.1, asks to run a Bash command, and
pressing ``a`` on its tile in the agents screen makes the command run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import anthropic  # noqa: F401 (fixture)
from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.pilot import enabled_keys, mirrored, until
from tui.app import build_app
from tui.screens.agents import AgentsScreen
from widgets.pane_tile import PaneTile
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


async def test_one_key_approve_on_a_claude_tile(
    driver: TmuxDriver,
    anthropic: AnthropicServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    anthropic.script(Reply.bash("touch tile-approved-r8.txt"), Reply.text("Finished, marker-u4."))
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="claude-1")
    agent.wait_state("idle", timeout=90)
    assert agent.send("please run the command t-1").submitted
    agent.wait_state("awaiting_approval", timeout=90)
    target = agent.project / "tile-approved-r8.txt"
    assert not target.exists()

    app = build_app(driver.target)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        screen = await until(pilot, lambda: isinstance(app.screen, AgentsScreen) and app.screen)

        def tile() -> PaneTile | None:
            found = [t for t in screen.query(PaneTile) if t.info.name == "claude-1"]
            return found[0] if found else None

        await until(
            pilot,
            lambda: tile() is not None and tile().info.state == "awaiting_approval",
            timeout=60,
            message="the Claude tile waiting for approval",
        )
        assert tile().info.detail.get("command") == "touch tile-approved-r8.txt"
        await until(pilot, lambda: screen.grid.focused_tile is tile(), message="selected")
        await until(
            pilot,
            lambda: "Do you want to proceed?" in "\n".join(tile().view.model.text_lines()),
            message="the permission dialog mirrored in the tile",
            explain=lambda: mirrored(app, tile()),
        )
        assert "a" in enabled_keys(app)
        await pilot.press("a")
        await until(pilot, target.exists, timeout=60, message="the approved command ran")
    agent.wait_screen("marker-u4", timeout=60)
