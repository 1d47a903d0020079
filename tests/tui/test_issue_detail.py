"""The issue detail beside the list, driven by keys: moving the cursor shows the highlighted
issue's fields, relations, description (Markdown), comments and the runs made for it; issue
text that looks like markup or carries terminal escapes is shown as text, never obeyed."""

from __future__ import annotations

from pathlib import Path

from tests.support.linear_server import LinearServer
from tests.support.pilot import shown, until
from tests.support.tmux import private_target
from tui.app import build_app
from tui.screens.triage import TriageScreen
from tui.services import Services
from widgets.issue_detail import IssueDetail
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore

HOSTILE_ISSUE = """+++
id = "ZZ-1"
title = "Crash [bold red]NOW[/] \\u001b]0;pwned\\u0007"  # TOML escapes: a real ESC, BEL
state = "Todo"
labels = ["bug", "[link=http://evil]x[/link]"]
assignee = "ada"
priority = 1
blocked_by = ["ZZ-2"]
+++

## Steps

1. open the app
2. press `Enter` then [@click=app.quit]this[/]

\x1b[31mred\x1b[0m and \x1b]52;c;cHduZWQ=\x07 stay visible as text.
"""

PLAIN_ISSUE = """+++
id = "ZZ-2"
title = "Plain neighbour"
state = "In Progress"
+++

Nothing special.
"""


def write_issues(tmp_path: Path) -> Path:
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "ZZ-1.md").write_text(HOSTILE_ISSUE)
    (folder / "ZZ-2.md").write_text(PLAIN_ISSUE)
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[issues]\nsource = "local"\n\n[local]\npath = "{folder}"\nme = "ada"\n')
    return folder


async def test_detail_follows_the_cursor_and_renders_issue_text_safely(tmp_path: Path) -> None:
    folder = write_issues(tmp_path)
    LocalSource(folder).comment("ZZ-1", "Seen it too: **bold** and [red]not markup[/red]")
    run = RunStore().create("quick-fix", {}, ["ZZ-1"], {})
    RunStore().update(run.id, pr_url="https://github.com/acme/app/pull/9", status="succeeded")
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, TriageScreen) and app.screen)
        await until(pilot, lambda: len(screen.table.issues) == 2, message="both issues listed")
        detail = screen.query_one(IssueDetail)
        comment = "Seen it too: bold and [red]not markup[/red]"
        await until(pilot, lambda: "pull/9" in shown(detail), message="ZZ-1 in full")
        await until(
            pilot,
            lambda: comment in shown(detail) and "open the app" in shown(detail),
            message="the description and the comment rendered",
        )
        text = shown(detail)
        # Fields, relations, runs and PRs.
        assert "ZZ-1 Crash [bold red]NOW[/]" in text
        assert "Todo · urgent · assignee ada" in text
        assert "[link=http://evil]x[/link]" in text and "blocked by ZZ-2" in text
        assert f"{run.id} quick-fix succeeded  PR https://github.com/acme/app/pull/9" in text
        # The description as Markdown: the heading without its '##', list items, code.
        assert "Steps" in text and "## Steps" not in text and "[@click=app.quit]this[/]" in text
        # No escape sequence reaches the terminal: each control character is shown instead.
        assert "\x1b" not in text and "\x07" not in text
        assert "␛[31mred␛[0m" in text and "␛]52;c;cHduZWQ=␇" in text and "␛]0;pwned␇" in text

        await pilot.press("down")  # the detail follows the cursor
        await until(pilot, lambda: "ZZ-2 Plain neighbour" in shown(detail), message="ZZ-2")
        await until(pilot, lambda: "no runs yet" in shown(detail), message="ZZ-2 in full")
        assert "Nothing special." in shown(detail)
        await pilot.press("i")  # the detail can be hidden for a wider list
        assert not detail.display
        await pilot.press("i")
        assert detail.display
        assert app.is_running  # nothing in the issue text acted on the app


def test_the_full_issue_is_fetched_once_a_minute_at_most(linear_server: LinearServer) -> None:
    """Resting on issues in turn asks Linear once per issue, not once per look."""
    services = Services(private_target())
    listed = {issue.identifier: issue for issue in services.refresh_issues()}
    first, second = sorted(listed)[:2]
    for identifier in (first, second, first, second, first):
        view = services.issue_view(listed[identifier])
        assert view.issue.identifier == identifier and view.issue.detailed and not view.error
    assert len(linear_server.operations("issue")) == 2


async def test_detail_shows_the_issue_agent_session_stream(tmp_path: Path) -> None:
    """Offline, a run on a local issue reports to a session in the store; the detail shows
    its activities and what a person wrote there, as Linear would on the issue."""
    from workflows.definitions.loader import load_workflow
    from workflows.issues.linear_agent.local_backend import LocalSessions
    from workflows.issues.linear_agent.settings import AgentSettings
    from workflows.runs.agent_sessions.sync import SessionSync

    write_issues(tmp_path)
    runs = RunStore()
    run = runs.create("quick-fix", load_workflow("quick-fix").to_json(), ["ZZ-1"], {})
    runs.start_attempt(run.id, 0, "implement", 1, "step")
    runs.event(run.id, "step", "started (agent step, round 1)", step_id="implement")
    runs.event(run.id, "attention", f"{run.id}-main is awaiting approval: rm -rf build")
    sync = SessionSync(run.id, LocalSessions(), settings=AgentSettings(per_minute=60))
    assert sync.drain(5)
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, TriageScreen) and app.screen)
        detail = screen.query_one(IssueDetail)
        await until(pilot, lambda: "ZZ-" in shown(detail), message="an issue in the detail")
        move = "down" if "ZZ-2 Plain neighbour" in shown(detail) else "up"
        if move == "down":
            await pilot.press("down")
        await until(pilot, lambda: "Agent session" in shown(detail), message="the session")
        text = shown(detail)
        assert "… thought     **implement**: the agent works on it" in text
        assert f"? elicitation {run.id}-main is awaiting approval: rm -rf build" in text
        await pilot.press("up" if move == "down" else "down")
        await until(pilot, lambda: "ZZ-2 Plain neighbour" in shown(detail), message="ZZ-2")
        assert "Agent session" not in shown(detail)  # no session, no section
