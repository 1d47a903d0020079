"""The pure classifier: hooks first, screen rules second, quiescence last; tmux death wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.agents.classifier import classify
from workflows.agents.profiles import parse_profile
from workflows.agents.state import AgentState, HookEvent
from workflows.base.errors import AgentTuiError

PROFILE = parse_profile(
    {
        "name": "toy",
        "command": ["toy"],
        "ready": "^> ",
        "quiescence_s": 2.0,
        "trust": {"screen": "Trust this folder\\?", "keys": ["Enter"]},
        "rules": [
            {
                "state": "awaiting_approval",
                "screen": "Run this command\\?",
                "detail": {"command": "^\\$ (.+)$", "tool": "^Tool: (\\w+)"},
            },
            {"state": "asking", "screen": "^Question:"},
            {"state": "working", "title": "^[⠋⠙⠹]"},
            {"state": "working", "screen": "esc to interrupt", "last_lines": 2},
            {"state": "idle", "screen": "^> $", "last_lines": 2},
        ],
    },
    Path("toy.toml"),
)
IDLE = ["hello", "", "> ", "footer"]
BUSY = ["hello", "> ", "Working (3s, esc to interrupt)"]
APPROVAL = ["Tool: Bash", "Run this command?", "$ rm -rf build", "1. Yes  2. No"]


def test_dead_pane_is_exited_with_status_whatever_the_screen() -> None:
    reading = classify(PROFILE, APPROVAL, "", [], 0.0, dead=True, dead_status=3)
    assert reading.state is AgentState.EXITED
    assert reading.detail == {"status": 3, "signal": None}
    assert reading.source == "tmux"


def test_screen_rules_in_order_with_detail() -> None:
    reading = classify(PROFILE, APPROVAL, "", [], 0.0)
    assert reading.state is AgentState.AWAITING_APPROVAL
    assert reading.detail == {"command": "rm -rf build", "tool": "Bash"}
    assert classify(PROFILE, BUSY, "", [], 0.0).state is AgentState.WORKING
    assert classify(PROFILE, IDLE, "", [], 0.0).state is AgentState.IDLE
    assert classify(PROFILE, ["Question: which?", "> "], "", [], 0.0).state is AgentState.ASKING


def test_title_rule_and_last_lines_window() -> None:
    assert classify(PROFILE, IDLE, "⠙ toy", [], 9.0).state is AgentState.WORKING
    # "esc to interrupt" scrolled out of the last two non-empty lines: not working any more.
    scrolled = ["esc to interrupt", "x", "> ", "footer"]
    assert classify(PROFILE, scrolled, "", [], 0.0).state is AgentState.IDLE


def test_trust_dialog_is_its_own_state() -> None:
    reading = classify(PROFILE, ["Trust this folder?", "1. Yes"], "", [], 0.0)
    assert reading.state is AgentState.TRUST


def test_quiescence_decides_when_no_rule_matches() -> None:
    lines = ["> typed something", "footer"]
    assert classify(PROFILE, lines, "", [], 0.5).state is AgentState.WORKING
    reading = classify(PROFILE, lines, "", [], 5.0)
    assert (reading.state, reading.source) == (AgentState.IDLE, "quiescence")
    assert classify(PROFILE, ["loading"], "", [], 9.0).state is AgentState.STARTING
    assert classify(PROFILE, ["", ""], "", [], 9.0).state is AgentState.STARTING


def test_hook_decides_when_screen_is_silent() -> None:
    unknown = ["> half-drawn", "???"]
    permission = HookEvent(
        "permission", {"tool_name": "Bash", "tool_input": {"command": "make test"}}, 0.1
    )
    reading = classify(PROFILE, unknown, "", [permission], 0.0)
    assert reading.state is AgentState.AWAITING_APPROVAL
    assert reading.detail == {"tool": "Bash", "command": "make test"}
    assert reading.source == "hook"
    stop = HookEvent("stop", {}, 0.0)
    assert classify(PROFILE, unknown, "", [stop, permission], 0.0).state is AgentState.IDLE


def test_hook_detail_completes_screen_approval() -> None:
    permission = HookEvent(
        "permission", {"tool_name": "Bash", "tool_input": {"command": "rm -rf build --all"}}, 0.0
    )
    reading = classify(PROFILE, APPROVAL, "", [permission], 0.0)
    assert reading.detail["command"] == "rm -rf build --all"


def test_fresh_submit_outranks_a_screen_not_yet_redrawn() -> None:
    submit = HookEvent("submit", {}, 0.2)
    assert classify(PROFILE, IDLE, "", [submit], 0.0).state is AgentState.WORKING
    # Long after the submit, an idle screen means the turn was interrupted (no Stop hook).
    old_submit = HookEvent("submit", {}, 30.0)
    assert classify(PROFILE, IDLE, "", [old_submit], 9.0).state is AgentState.IDLE


def test_answered_approval_follows_the_screen() -> None:
    old_permission = HookEvent("permission", {"tool_name": "Bash"}, 10.0)
    reading = classify(PROFILE, BUSY, "", [old_permission], 0.0)
    assert (reading.state, reading.source) == (AgentState.WORKING, "screen")
    # Even a fresh one: a request the policy allowed through the hook never shows a dialog.
    fresh = HookEvent("permission", {"tool_name": "Bash"}, 0.1)
    assert classify(PROFILE, BUSY, "", [fresh], 0.0).state is AgentState.WORKING


def test_stop_hook_is_idle_unless_screen_shows_work() -> None:
    stop = HookEvent("stop", {}, 0.0)
    assert classify(PROFILE, ["> ", "?"], "", [stop], 0.0).state is AgentState.IDLE
    assert classify(PROFILE, BUSY, "", [stop], 0.0).state is AgentState.WORKING


def test_notification_hooks() -> None:
    asking = HookEvent("notification", {"notification_type": "elicitation_dialog"}, 0.0)
    assert classify(PROFILE, ["?"], "", [asking], 0.0).state is AgentState.ASKING
    idle_ping = HookEvent("notification", {"notification_type": "idle_prompt"}, 0.0)
    assert classify(PROFILE, IDLE, "", [idle_ping], 0.0).state is AgentState.IDLE


def test_bad_rule_state_is_a_clear_error() -> None:
    with pytest.raises(AgentTuiError, match="unknown state 'bored'"):
        parse_profile({"command": ["x"], "rules": [{"state": "bored", "screen": "x"}]}, Path("p"))


def test_an_agent_that_reported_hooks_is_not_starting() -> None:
    typed = ["output", "prompt with typed text"]  # no rule, no ready marker
    assert classify(PROFILE, typed, "", [], 9.0).state is AgentState.STARTING
    session = HookEvent("session_start", {}, 5.0)
    assert classify(PROFILE, typed, "", [session], 9.0).state is AgentState.IDLE
    assert classify(PROFILE, typed, "", [session], 0.1).state is AgentState.WORKING


BOXED = parse_profile(
    {
        "name": "boxed",
        "command": ["toy"],
        "ready": "^> ",
        "quiescence_s": 2.0,
        "blocked_after_s": 5.0,
        "input_box": {"screen": "^> ", "last_lines": 2},
        "rules": [
            {"state": "working", "title": "Working"},
            {"state": "idle", "screen": "^> $", "last_lines": 2},
        ],
    },
    Path("boxed.toml"),
)
DIALOG = ["output", "╭──────────╮", "│ Keep trying? 1. Yes 2. Stop │", "╰──────────╯"]


def test_an_unknown_dialog_is_blocked_once_quiet_with_its_last_lines() -> None:
    early = classify(BOXED, DIALOG, "", [], 1.0)
    assert (early.state, early.recheck_in) == (AgentState.STARTING, 4.0)  # may still be drawing
    started = [HookEvent("session_start", {}, 9.0)]
    assert classify(BOXED, DIALOG, "", started, 1.0).state is AgentState.WORKING
    reading = classify(BOXED, DIALOG, "", [], 5.0)
    assert reading.state is AgentState.BLOCKED
    assert reading.detail == {
        "reason": "unrecognised",
        "message": "╰──────────╯",
        "lines": DIALOG,
    }
    # Hooks cannot vouch for it: an old "stop" or "submit" does not make it idle or working.
    old = [HookEvent("stop", {}, 30.0), HookEvent("submit", {}, 40.0)]
    assert classify(BOXED, DIALOG, "", old, 5.0).state is AgentState.BLOCKED


def test_a_title_that_says_working_does_not_hide_a_dialog() -> None:
    """Gemini CLI's title stays "Working…" while its usage-limit dialog waits."""
    assert classify(BOXED, DIALOG, "✦ Working… (app)", [], 5.0).state is AgentState.BLOCKED
    typed = ["output", "> half a prompt"]  # the box is there: the title may say what it likes
    assert classify(BOXED, typed, "✦ Working… (app)", [], 9.0).state is AgentState.WORKING
    assert classify(BOXED, typed, "", [], 9.0).state is AgentState.IDLE


def test_profiles_without_an_input_box_keep_quiet_screens_idle() -> None:
    started = [HookEvent("session_start", {}, 60.0)]
    assert classify(PROFILE, DIALOG, "", started, 60.0).state is AgentState.IDLE
