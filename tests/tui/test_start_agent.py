"""Starting an agent from the app, by keys: `n` on the agents screen, a profile, a folder or
a new worktree of the configured repository, a first prompt; the agent shows as a tile and
gets its prompt exactly once (real demo agents, a private tmux server, a real git repo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input, Select

from tests.support.git_repos import make_project, run_git
from tests.support.pilot import tile_of, until
from tests.support.tmux import demo_prompts as prompts
from tui.app import build_app
from tui.screens.agents import AgentsScreen
from tui.screens.start_agent import StartAgentScreen
from workflows.tmux.driver import TmuxDriver

PROMPT = "Look at [bold]this[/bold]; $(id) #{pane_id}"


async def fill(pilot: Any, *, folder: str = "", worktree: bool = False, name: str = "") -> None:
    app = pilot.app
    form = await until(pilot, lambda: isinstance(app.screen, StartAgentScreen) and app.screen)
    await pilot.pause()
    form.query_one(Select).value = "demo"
    if worktree:
        form.query_one("#start-worktree", Checkbox).value = True
    else:
        form.query_one("#start-folder", Input).value = folder
    form.query_one("#start-name", Input).value = name
    form.query_one("#start-prompt", Input).value = PROMPT
    form.query_one("#start-prompt", Input).focus()
    await pilot.pause()
    await pilot.press("enter")


async def test_start_agents_in_a_folder_and_in_a_new_worktree(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    worktrees = tmp_path / "worktrees"
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[workflows]\nrepo = "{project.repo}"\nagent = "demo"\nworktree_root = "{worktrees}"\n'
    )
    folder = tmp_path / "plain"
    folder.mkdir()
    app = build_app(driver.target)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, AgentsScreen))
        await pilot.press("n")
        form = await until(pilot, lambda: isinstance(app.screen, StartAgentScreen) and app.screen)
        form.query_one("#start-folder", Input).value = str(tmp_path / "missing")
        form.query_one(Select).value = "demo"
        form.query_one("#start-folder", Input).focus()
        await pilot.pause()
        await pilot.press("enter")  # a folder that does not exist is refused in the form
        assert isinstance(app.screen, StartAgentScreen)
        assert "is not a folder" in str(form.query_one("#start-error").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, AgentsScreen))

        await pilot.press("n")
        await fill(pilot, folder=str(folder), name="helper")
        await until(pilot, lambda: tile_of(app, "helper"), timeout=60, message="helper's tile")
        await until(pilot, lambda: prompts(folder), timeout=60, message="the first prompt")
        assert prompts(folder) == [PROMPT]
        pane = driver.resolve("helper")
        assert pane.agent == "demo" and Path(pane.cwd) == folder

        await pilot.press("n")
        await fill(pilot, worktree=True)
        await until(pilot, lambda: tile_of(app, "demo-1"), timeout=60, message="worktree agent")
        tree = worktrees / "repo-demo-1"
        await until(pilot, lambda: prompts(tree), timeout=60, message="its first prompt")
        assert prompts(tree) == [PROMPT]
        assert run_git(tree, "branch", "--show-current") == "agenttui/demo-1"
        listed = run_git(project.repo, "worktree", "list", "--porcelain")
        assert f"worktree {tree}" in listed
