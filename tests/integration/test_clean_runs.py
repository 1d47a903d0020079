"""Windows of finished runs do not pile up, and finished runs can be cleaned all at once:
a run that succeeded closes its runner's window by itself; `agenttui clean --finished`
closes the windows of every finished run and removes the worktrees they made, but refuses
(naming the files, exit 1) a worktree with uncommitted changes. From the app, `x` / `X`
on the runs screen do the same after a confirmation that names what goes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.support.cli import agenttui
from tests.support.pilot import enabled_keys, project_with_workflows, until
from tests.support.tmux import TmuxServer, private_target
from tests.support.waiting import wait_until
from tui.app import build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.runs import RunsScreen
from workflows.runs.run_store import RunStore
from workflows.runs.runner import launch_run

WORKFLOWS = {
    "clean-ok": """
        name = "clean-ok"
        worktree = true

        [[steps]]
        id = "work"
        run = "echo done"
    """,
    "clean-fail": """
        name = "clean-fail"
        worktree = true

        [[steps]]
        id = "work"
        run = "exit 3"
        max_rounds = 1
    """,
}


def confirm_text(confirm: ConfirmScreen) -> str:
    """What the dialog says, once it has drawn its text (a loaded machine composes late)."""
    return "\n".join(str(widget.render()) for widget in confirm.query(Static)).strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmux_server: TmuxServer) -> Path:
    return project_with_workflows(tmp_path, monkeypatch, WORKFLOWS)


def windows(tmux_server: TmuxServer) -> list[str]:
    return tmux_server.cmd("list-windows", "-a", "-F", "#{window_name}").split()


def ended(run_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        summary = RunStore().get(run_id).summary()
        return summary.as_json() if summary.status in ("succeeded", "failed") else None

    return wait_until(done, timeout=60, interval=0.2, message=f"run {run_id} to end")


def test_windows_do_not_pile_up_and_clean_finished(repo: Path, tmux_server: TmuxServer) -> None:
    ok = launch_run("clean-ok", ["PCL-101"], target=private_target())
    failed = launch_run("clean-fail", ["PCL-102"], target=private_target())
    dirty = launch_run("clean-fail", ["PCL-103"], target=private_target())
    assert ended(ok)["status"] == "succeeded"
    assert ended(failed)["status"] == "failed" and ended(dirty)["status"] == "failed"
    # The run that ended well leaves no window; the failed ones keep theirs for a look.
    wait_until(lambda: f"run-{ok}" not in windows(tmux_server), timeout=30, message="closed")
    assert {f"run-{failed}", f"run-{dirty}"} <= set(windows(tmux_server))
    trees = {run: Path(RunStore().get(run).context["worktree"]) for run in (ok, failed, dirty)}
    (trees[dirty] / "notes.txt").write_text("keep me")

    done = agenttui("clean", "--finished", "--json", check=False)
    assert done.returncode == 1
    results = {result["run"]: result for result in json.loads(done.stdout)}
    for run in (ok, failed):  # shell steps only: no agent, no recording
        assert results[run] == {
            "run": run,
            "worktree_removed": str(trees[run]),
            "recordings_removed": [],
        }
    assert "uncommitted changes: notes.txt" in results[dirty]["error"]
    assert not trees[ok].exists() and not trees[failed].exists()
    assert (trees[dirty] / "notes.txt").read_text() == "keep me"  # nothing lost
    assert f"run-{failed}" not in windows(tmux_server)
    assert f"run-{dirty}" in windows(tmux_server)  # refused: all of it stays, windows too

    # Run again: the cleaned runs are not cleaned twice; the refused one is still refused.
    again = agenttui("clean", "--finished", check=False)
    assert again.returncode == 1 and f"run {dirty} not cleaned" in again.stderr
    assert again.stdout.strip() == f"{dirty}: not cleaned ({results[dirty]['error']})"
    usage = agenttui("clean", check=False)
    assert usage.returncode == 2 and "--finished" in usage.stderr


async def test_clean_a_run_and_all_finished_from_the_app(
    repo: Path, tmux_server: TmuxServer
) -> None:
    first = launch_run("clean-fail", ["PCL-104"], target=private_target())
    second = launch_run("clean-fail", ["PCL-105"], target=private_target())
    ended(first), ended(second)
    context = RunStore().get(first).context
    tree, branch = Path(context["worktree"]), context["branch"]
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(140, 34)) as pilot:
        await pilot.press("3")
        screen = await until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen)
        await until(pilot, lambda: {first, second} <= set(screen.run_list.runs))
        table = screen.run_list
        table.move_cursor(row=table.get_row_index(first))
        await pilot.pause()
        assert {"x", "X"} <= enabled_keys(app)
        await pilot.press("x")
        confirm = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        said = await until(pilot, lambda: confirm_text(confirm), message="the question drawn")
        assert f"Clean run {first}?" in said and f"{first}-runner" in said
        assert f"removes worktree {tree}" in said and f"branch {branch} stays" in said
        await pilot.press("n")  # nothing happens
        assert tree.exists() and f"run-{first}" in windows(tmux_server)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not tree.exists(), message="the worktree removed")
        assert f"run-{first}" not in windows(tmux_server)
        await until(pilot, lambda: screen.run_list.runs[first].cleaned, message="cleaned")

        await pilot.press("X")  # every finished run left: the second one
        confirm = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        said = await until(pilot, lambda: confirm_text(confirm), message="the question drawn")
        assert f"Clean run {second}?" in said and first not in said
        await pilot.press("enter")
        await until(pilot, lambda: f"run-{second}" not in windows(tmux_server), message="gone")
        await until(pilot, lambda: "X" not in enabled_keys(app), message="nothing left to clean")
