"""Talking to an agent without attaching, and ending agents from the app, on real demo agents
in a private tmux server: `t` opens an input whose text the agent receives exactly once (a
busy agent's refusal shows on its tile); `K` kills a live agent and `c` / `C` close exited
ones, each after a confirmation naming what goes (and `n` keeps everything)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.support.pilot import enabled_keys, open_agents, state_of, tile_of, until
from tests.support.tmux import demo_prompts as prompts
from tests.support.tmux import spawn_demo
from tui.app import build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.talk import TalkScreen
from workflows.tmux.driver import TmuxDriver

HOSTILE = 'Fix it; Enter $(touch /tmp/pwned) #{pane_id} `id` -- "quoted" 中文'


def notice_of(app: object, name: str) -> str:
    tile = tile_of(app, name)  # type: ignore[arg-type]
    if tile is None or not tile.notice.has_class("-shown"):
        return ""
    return str(tile.notice.render())


def confirm_text(screen: ConfirmScreen) -> str:
    return "\n".join(str(widget.render()) for widget in screen.query(Static))


async def test_talk_delivers_exactly_once_and_a_refusal_shows_on_the_tile(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    calm, busy = tmp_path / "calm", tmp_path / "busy"
    spawn_demo(driver, calm, name="calm", prompt="", work=None)
    spawn_demo(driver, busy, name="busy", prompt="Long job [work 300s]", work=None)
    app = build_app(driver.target)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_agents(pilot, app, ["calm", "busy"])
        await until(pilot, lambda: state_of(app, "calm") == "idle", message="calm is idle")
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        screen.grid.focus_tile(tile_of(app, "calm"))
        await pilot.press("t")
        talk = await until(pilot, lambda: isinstance(app.screen, TalkScreen) and app.screen)
        talk.query_one(Input).value = HOSTILE  # typed text, as the Input holds it
        await pilot.press("enter")
        await until(pilot, lambda: "✓ sent" in notice_of(app, "calm"), message="sent notice")
        await until(pilot, lambda: prompts(calm), message="the agent got it")
        assert prompts(calm) == [HOSTILE]  # verbatim, exactly once

        # A busy agent never gets text typed over its work: the send gives up and says why.
        await until(pilot, lambda: state_of(app, "busy") == "working", message="busy works")
        screen.grid.focus_tile(tile_of(app, "busy"))
        await pilot.press("t")
        talk = await until(pilot, lambda: isinstance(app.screen, TalkScreen) and app.screen)
        talk.query_one(Input).value = "are you there?"
        await pilot.press("enter")
        await until(pilot, lambda: "✗" in notice_of(app, "busy"), timeout=60, message="refusal")
        assert "working" in notice_of(app, "busy") or "busy" in notice_of(app, "busy")
        assert tile_of(app, "busy").notice.has_class("-error")
        assert prompts(busy) == ["Long job [work 300s]"]  # nothing else reached it

        # Escape sends nothing.
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TalkScreen))
        await pilot.press("escape")
        assert not isinstance(app.screen, TalkScreen)


async def test_kill_a_live_agent_and_close_exited_ones(driver: TmuxDriver, tmp_path: Path) -> None:
    live = spawn_demo(driver, tmp_path / "keeper", name="keeper", prompt="", work=None).pane_id
    quitter = driver.spawn(["sh", "-c", "exit 3"], name="quitter", agent="shell").pane_id
    other = driver.spawn(["sh", "-c", "exit 0"], name="other", agent="shell").pane_id
    app = build_app(driver.target)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_agents(pilot, app, ["keeper", "quitter", "other"])
        await until(pilot, lambda: state_of(app, "quitter") == "exited", message="exited")
        await until(pilot, lambda: state_of(app, "keeper") == "idle", message="keeper idle")
        screen.grid.focus_tile(tile_of(app, "quitter"))
        await pilot.pause()
        assert "c" in enabled_keys(app) and "K" not in enabled_keys(app)
        await pilot.press("c")
        confirm = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        said = confirm_text(confirm)
        assert "Close quitter?" in said and "exited with status 3" in said and quitter in said
        await pilot.press("n")  # keeps it
        assert quitter in {pane.pane_id for pane in driver.panes()}
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: tile_of(app, "quitter") is None, message="tile gone")
        assert quitter not in {pane.pane_id for pane in driver.panes()}

        # Kill: a live agent, named in the question with what it is doing.
        screen.grid.focus_tile(tile_of(app, "keeper"))
        await pilot.pause()
        assert "K" in enabled_keys(app) and "c" not in enabled_keys(app)
        await pilot.press("K")
        confirm = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        said = confirm_text(confirm)
        assert "Kill agent keeper?" in said and live in said and "is idle" in said
        await pilot.press("y")
        await until(pilot, lambda: tile_of(app, "keeper") is None, message="killed")
        assert live not in {pane.pane_id for pane in driver.panes()}

        # C closes every exited agent at once, naming them.
        await pilot.press("C")
        confirm = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        assert "other" in confirm_text(confirm) and other in confirm_text(confirm)
        await pilot.press("enter")
        await until(pilot, lambda: tile_of(app, "other") is None, message="closed all exited")
        assert {pane.name for pane in driver.panes() if pane.name} == set()
