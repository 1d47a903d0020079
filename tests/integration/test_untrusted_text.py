"""Untrusted text through the real tmux (issue 18 items 2 and 3): an issue whose text holds
the bracketed-paste end marker, Ctrl-C, Ctrl-U, Escape or a lone surrogate reaches an agent as
ONE prompt, visible and inert; the CLI prints it without a single escape byte."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.hostile import INJECTION
from tests.support.linear_server import LinearServer
from tests.support.runs import prompts_received, quick_fix, wait_for_end
from tests.support.tmux import (
    RAW_PROFILE,
    TmuxServer,
    demo_prompts,
    spawn_demo,
    spawn_raw,
    wait_ready,
)
from tests.support.waiting import wait_until
from workflows.agents.delivery import send_text
from workflows.base.untrusted import inert
from workflows.tmux.driver import TmuxDriver

# Ends the paste, types a line and Enter, clears the box, interrupts, presses Escape.


def test_control_bytes_reach_a_raw_reader_inside_one_paste(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    log = tmp_path / "raw.log"
    pane = spawn_raw(driver, log, name="raw")
    wait_until(lambda: wait_ready(driver, pane, RAW_PROFILE), message="raw reader prompt")
    result = send_text(driver, pane, INJECTION, timeout=30, profile=RAW_PROFILE)
    assert (result.delivered, result.submitted, result.attempts) == (True, True, 1)
    body = inert(INJECTION).replace("\n", "\r").encode()  # tmux: LF → CR inside a paste
    expected = b"\x1b[200~" + body + b"\x1b[201~\r"
    wait_until(lambda: log.exists() and len(log.read_bytes()) >= len(expected), timeout=30)
    received = log.read_bytes()
    assert received == expected
    # One paste: its only ESC bytes are tmux's own two markers, then the one Enter.
    assert received.count(b"\x1b") == 2 and received.endswith(b"\x1b[201~\r")
    assert b"\x03" not in received and b"\x15" not in received and b"\xc2\x9b" not in received


def test_issue_text_reaches_the_demo_agent_as_one_visible_prompt(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    result = send_text(driver, pane, INJECTION + "\n\ud800 from Linear", timeout=30)
    assert result.submitted and result.attempts == 1
    wait_until(lambda: demo_prompts(tmp_path), timeout=30, message="the prompt")
    prompt = inert(INJECTION + "\n\ud800 from Linear")
    assert demo_prompts(tmp_path) == [prompt]
    assert "␛[201~echo injected" in prompt and "\ufffd from Linear" in prompt
    screen = "\n".join(driver.capture(pane.pane_id))
    assert "␛[201~echo injected" in screen  # its text is visible, not acted upon
    wait_until(lambda: "✓ Done #1" in "\n".join(driver.capture(pane.pane_id)), timeout=30)
    assert "Interrupted" not in "\n".join(driver.capture(pane.pane_id))


def test_a_run_pastes_a_hostile_linear_issue_as_one_prompt(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    """A lone surrogate from Linear used to crash the paste (UnicodeEncodeError) on every
    resume; control bytes ended the paste early."""
    issue = linear_server.workspace.add_issue(
        "Title with \x1b]0;retitled\x07 and \ud800", description=INJECTION
    )
    run_id = quick_fix(project, "--test-command", "sh run_tests.sh", issue=issue["identifier"])
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    (prompt,) = prompts_received(Path(summary["worktree"]))
    assert inert(INJECTION) in prompt and "Title with ␛]0;retitled␇ and \ufffd" in prompt
    log = agenttui("log", run_id).stdout
    assert "\x1b" not in log


def test_cli_prints_issue_text_inert_and_json_exact(tmp_path: Path) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    title = "Clipboard \x1b]52;c;cm0gLXJmIH4=\x07 grab"
    body = "Body \x1b]2;retitled\x07 with \x9b31m colour\nand \x1b[201~ marker"
    (folder / "EVIL-1.toml").write_text(
        json.dumps({"id": "EVIL-1", "title": title, "description": body})
        .replace('{"', "")
        .replace('"}', '"')
        .replace('", "', '"\n')
        .replace('": "', ' = "'),
        encoding="utf-8",
    )
    config = Path(tmp_path / "config" / "config.toml")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[local]\npath = "{folder}"\n')
    for verb in (("issue", "EVIL-1"), ("issues",), ("groups", "--all")):
        human = agenttui(*verb).stdout
        assert "\x1b" not in human and "\x07" not in human and "\x9b" not in human, verb
        assert "␛]52;c;cm0gLXJmIH4=␇" in human, verb
        raw = agenttui(*verb, "--json").stdout
        assert "\x1b" not in raw and "\x9b" not in raw
    issue = json.loads(agenttui("issue", "EVIL-1", "--json").stdout)
    assert (issue["title"], issue["description"]) == (title, body)
    assert "\x1b" not in agenttui("issue", "NOPE-\x1b]2;x\x07", check=False).stderr
