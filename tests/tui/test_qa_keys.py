"""QA's verdict from the app, on a real run waiting in its slot step (runner in a private tmux,
demo agent, real git with a bare remote, the offline forge, the local Linear server): the app
posts the verdict on the issue through Linear's API like a person would there, and the run's
own poll takes it. p passes (asked first) and the run succeeds; f fails with QA's words,
hostile ones reaching the fix round's prompt verbatim and inert; Linear refusing the comment
is a notification with its HTTP status and message, QA's words kept in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.support.environment import write_config
from tests.support.git_repos import Project
from tests.support.linear_server import LinearServer
from tests.support.pilot import enabled_keys, open_detail, run_status, until
from tests.support.runs import prompts_received, start_run
from tests.support.slots import IMPLEMENT_PR_QA, QA_ONLY, slot_config
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from tui.app import build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.runs import RunsScreen
from tui.screens.talk import TalkScreen
from workflows.base.untrusted import inert
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore

FINAL = ("succeeded", "failed", "cancelled", "stopped")


def start_waiting(tmp_path: Path, project: Project, workflow_text: str, *args: str) -> str:
    """A run of ``workflow_text`` (ending in a slot step), once it waits for QA's verdict."""
    write_config(slot_config(tmp_path / "deploys.log"))
    workflow = tmp_path / "workflow.toml"
    workflow.write_text(workflow_text, encoding="utf-8")
    run_id = start_run(str(workflow), "--repo", str(project.repo), *args)
    wait_until(
        lambda: RunStore().get(run_id).summary().qa_waiting,
        timeout=120,
        interval=0.2,
        message=f"run {run_id} waiting for QA",
    )
    return run_id


@pytest.fixture
def waiting_run(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer, project: Project
) -> str:
    """implement → pull request → slot step on Linear's ENG-1 (the project fixture brings
    the offline forge), waiting for QA."""
    return start_waiting(
        tmp_path, project, IMPLEMENT_PR_QA,
        "--issues", "ENG-1", "--source", "linear", "--github-repo", "acme/widgets",
    )  # fmt: skip


async def select_run(pilot: Pilot[None], run_id: str) -> RunsScreen:
    await pilot.press("3")
    screen: RunsScreen = await until(
        pilot, lambda: isinstance(pilot.app.screen, RunsScreen) and pilot.app.screen
    )
    await until(pilot, lambda: run_id in screen.run_list.runs, message="the run listed")
    screen.run_list.move_cursor(row=screen.run_list.get_row_index(run_id))
    await until(
        pilot,
        lambda: (run := screen.run_list.current) is not None and run.qa_waiting,
        message="the run shown waiting for QA",
    )
    return screen


async def fail_with(pilot: Pilot[None], words: str) -> None:
    """f, then QA's words in the input (set whole: ESC cannot be typed), then Enter."""
    await pilot.press("f")
    ask = await until(pilot, lambda: isinstance(pilot.app.screen, TalkScreen) and pilot.app.screen)
    ask.query_one("#talk-input", Input).value = words
    await pilot.press("enter")


def asked_qa(run_id: str) -> list[str]:
    return [
        event["message"]
        for event in RunStore().events(run_id)
        if event["message"].startswith("waiting for QA's verdict")
    ]


async def test_qa_pass_from_the_runs_screen_moves_the_run_on(
    waiting_run: str, tmux_server: TmuxServer, linear_server: LinearServer, tmp_path: Path
) -> None:
    run_id = waiting_run
    done = RunStore().create("feedback-qa", {"steps": []}, ["ENG-2"], {}).id  # not waiting
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await select_run(pilot, run_id)
        summary = str(screen.query_one("#runs-summary").render())
        assert "waiting for QA's verdict on staging (http://127.0.0.1:9/staging/)" in summary
        assert {"p", "f"} <= enabled_keys(app)
        screen.run_list.move_cursor(row=screen.run_list.get_row_index(done))
        await until(pilot, lambda: not {"p", "f"} & enabled_keys(app), message="keys hidden")
        screen.run_list.move_cursor(row=screen.run_list.get_row_index(run_id))
        await until(pilot, lambda: "p" in enabled_keys(app), message="keys shown again")

        await pilot.press("p")
        confirm = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, message="asked"
        )
        assert confirm.title_text == f"QA pass for run {run_id}?"
        await pilot.press("y")
        await until(pilot, lambda: run_status(run_id) in FINAL, timeout=120, message="the end")
        assert run_status(run_id) == "succeeded"
        await until(pilot, lambda: "p" not in enabled_keys(app), message="keys gone")
    # Posted the way QA does on Linear: one commentCreate with the pass word, on the issue.
    workspace = linear_server.workspace
    assert workspace.comments_on("ENG-1")[-1] == "QA pass"
    posted = [m.variables["input"]["body"] for m in linear_server.mutations("commentCreate")]
    assert posted.count("QA pass") == 1
    log = RunStore().events(run_id)
    assert any("QA passed on staging (comment" in event["message"] for event in log)


async def test_qa_fail_with_hostile_words_reaches_the_fix_round_verbatim_and_inert(
    waiting_run: str, tmux_server: TmuxServer, linear_server: LinearServer, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    words = (
        f"the total is off by one `$(touch {marker})` $(touch {marker}) {{failure}} "
        'it\'s "wrong" \x1b[31mred\x1b[0m \x1b]0;title\x07'
    )
    run_id = waiting_run
    worktree = Path(str(RunStore().get(run_id).summary().worktree))
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        # From the run's detail this time; Linear refuses the first comment.
        detail = await open_detail(pilot, run_id)
        await until(pilot, lambda: {"p", "f"} <= enabled_keys(app), message="QA keys")
        summary = str(detail.query_one("#run-summary").render())
        assert "waiting for QA's verdict on staging" in summary
        linear_server.fail(400, "Comment body is invalid", operation="commentCreate")
        await fail_with(pilot, words)
        refused = await until(
            pilot,
            lambda: [n.message for n in app._notifications if "not given" in n.message],
            message="the refusal said",
        )
        assert "HTTP 400: Comment body is invalid" in refused[0]
        assert inert(words) in refused[0]  # nothing lost: the words are in the notification
        assert run_status(run_id) == "running"

        await fail_with(pilot, words)  # again: Linear takes it now
        await until(
            pilot, lambda: len(prompts_received(worktree)) == 2, timeout=120, message="fix round"
        )
        prompt = prompts_received(worktree)[1]
        assert "QA failed the deploy of" in prompt
        assert inert(f"QA fail: {words}") in prompt  # verbatim, ESC made visible (␛)
        assert "\x1b" not in prompt
        # The fix is deployed again and waits for QA: a pass ends it.
        await until(
            pilot,
            lambda: (
                len(asked_qa(run_id)) == 2
                and RunStore().get(run_id).summary().qa_waiting
                and "p" in enabled_keys(app)
            ),
            timeout=120,
            message="waiting for QA again",
        )
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), message="asked")
        await pilot.press("y")
        await until(pilot, lambda: run_status(run_id) in FINAL, timeout=120, message="the end")
        assert run_status(run_id) == "succeeded"
    verdicts = [c for c in linear_server.workspace.comments_on("ENG-1") if c.startswith("QA ")]
    assert verdicts == [f"QA fail: {words}", "QA pass"]  # the refused one was not posted
    assert not marker.exists()


async def test_qa_pass_on_a_run_over_the_local_issue_source(
    tmp_path: Path, tmux_server: TmuxServer, project: Project
) -> None:
    """With the local folder as the issue source, the verdict goes where its reader looks:
    the folder's updates, read back as a comment on the issue."""
    run_id = start_waiting(tmp_path, project, QA_ONLY, "--issues", "PCL-101", "--source", "local")
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_run(pilot, run_id)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), message="asked")
        await pilot.press("y")
        await until(pilot, lambda: run_status(run_id) in FINAL, timeout=120, message="the end")
        assert run_status(run_id) == "succeeded"
    comments = [c.body for c in LocalSource().get_issue("PCL-101").comments]
    assert comments[-1] == "QA pass"
