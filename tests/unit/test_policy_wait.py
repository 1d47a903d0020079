"""The policy decides before a person is called: a permission dialog Claude Code draws while
agenttui's PermissionRequest hook is still deciding is not awaiting a person.

Screens are the dialogs recorded from the real Claude Code 2.1.332 (drawn as the hook starts,
with its "Tip: auto mode handles these prompts…" line) and 2.1.197 (drawn after the hook).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.agents.classifier import classify
from workflows.agents.policy_wait import POLICY_BUDGET_S
from workflows.agents.settings import load_profile
from workflows.agents.state import AgentState, HookEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "screens"
CLAUDE = load_profile("claude")
PAYLOAD = {"tool_name": "Bash", "tool_input": {"command": "touch approved.txt  # exact"}}


def dialog(version: str) -> list[str]:
    text = (FIXTURES / "claude" / version / "awaiting_approval-bash.txt").read_text()
    return text.partition("\n---\n")[2].rstrip("\n").split("\n")


NEW, OLD = dialog("2.1.332"), dialog("2.1.197")
IDLE = (FIXTURES / "claude/2.1.332/idle-after-turn.txt").read_text().partition("\n---\n")[2]


def events(*kinds: tuple[str, float], payload: dict[str, object] | None = None) -> list[HookEvent]:
    """Hook events newest first: (kind, age in seconds)."""
    made = []
    for kind, age in kinds:
        body: dict[str, object] = {}
        if kind == "permission":
            body = dict(payload or PAYLOAD)
        elif kind == "undecided":
            body = {"reason": "no rule decides this request", "by": "default"}
        elif kind == "answered":
            body = {"action": "policy-allow", "by": "rule:Bash(touch:*)"}
        made.append(HookEvent(kind, body, age))
    return made


def read(lines: list[str], hooked: list[HookEvent], quiet: float = 0.0) -> tuple[str, dict]:
    reading = classify(CLAUDE, lines, "✳ Claude Code", hooked, quiet)
    return reading.state.value, reading.detail


def test_a_dialog_drawn_while_the_hook_decides_is_working() -> None:
    # 2.1.332 draws the dialog once PreToolUse returned, before our PermissionRequest hook
    # process has even recorded itself: the tool call's start is the time reference.
    reading = classify(CLAUDE, NEW, "", events(("tool_start", 0.3)), 0.0)
    assert reading.state is AgentState.WORKING
    assert reading.detail == {"tool": "Bash", "command": "touch approved.txt", "policy": "deciding"}
    assert reading.recheck_in == pytest.approx(POLICY_BUDGET_S - 0.3)
    state, detail = read(NEW, events(("permission", 0.1), ("tool_start", 0.4)))
    assert state == "working" and detail["policy"] == "deciding"
    assert detail["command"] == "touch approved.txt  # exact"  # the hook's payload wins


def test_the_policy_allowed_it_and_the_dialog_is_about_to_go() -> None:
    # The agent redraws only once the hook's process has ended: seconds, on a loaded machine.
    answered = events(("answered", 3.0), ("permission", 3.5), ("tool_start", 3.8))
    reading = classify(CLAUDE, NEW, "", answered, 0.0)
    assert (reading.state, reading.detail["policy"]) == (AgentState.WORKING, "answered")
    assert reading.recheck_in == pytest.approx(POLICY_BUDGET_S - 3.0)
    # Still drawn long after the answer: nobody has it any more, a person must look.
    late = POLICY_BUDGET_S + 1
    stale = events(("answered", late), ("permission", late + 0.5), ("tool_start", late + 1))
    assert read(NEW, stale)[0] == "awaiting_approval"


@pytest.mark.parametrize("lines", [NEW, OLD], ids=["2.1.332", "2.1.197"])
def test_a_person_is_called_when_the_policy_declines(lines: list[str]) -> None:
    declined = events(("undecided", 0.1), ("permission", 0.4), ("tool_start", 0.6))
    state, detail = read(lines, declined)
    assert state == "awaiting_approval"
    assert detail == {
        "tool": "Bash",
        "command": "touch approved.txt  # exact",  # exact tool input, from the hook
        "policy": "no rule decides this request",
    }


def test_a_person_is_called_when_the_hook_does_not_answer_in_its_budget() -> None:
    late = events(("permission", POLICY_BUDGET_S + 0.5), ("tool_start", POLICY_BUDGET_S + 1))
    state, detail = read(NEW, late)
    assert state == "awaiting_approval"
    assert "no answer within" in detail["policy"]
    never = events(("tool_start", POLICY_BUDGET_S + 1))  # the hook never ran
    assert read(NEW, never)[0] == "awaiting_approval"


def test_a_dialog_no_hook_reported_at_all_is_a_persons_at_once() -> None:
    """Hooks not wired (or reporting to another store): nothing to wait for."""
    state, detail = read(NEW, [], quiet=0.0)
    assert state == "awaiting_approval"
    assert detail == {"tool": "Bash", "command": "touch approved.txt"}
    after_a_turn = events(("stop", 30.0), ("submit", 40.0))
    assert read(NEW, after_a_turn)[0] == "awaiting_approval"


def test_an_earlier_calls_verdict_never_speaks_for_a_new_dialog() -> None:
    earlier = [
        HookEvent("tool_start", {}, 0.3),  # the new call, its hook not heard yet
        HookEvent("tool_done", {}, 2.0),
        HookEvent("answered", {"action": "approve"}, 3.0),
        HookEvent("undecided", {"reason": "no rule"}, 5.0),
        HookEvent("permission", {"tool_name": "Bash", "tool_input": {"command": "old"}}, 5.5),
    ]
    state, detail = read(NEW, earlier)
    assert (state, detail["command"], detail["policy"]) == (
        "working",
        "touch approved.txt",
        "deciding",
    )


def test_without_a_dialog_the_screen_decides() -> None:
    idle = IDLE.rstrip("\n").split("\n")
    assert read(idle, events(("tool_start", 5.0)), quiet=9.0)[0] == "idle"
    # A permission pending with no dialog recognised on screen is still the policy's.
    assert read(["? unknown frame"], events(("permission", 0.2)))[0] == "working"


def test_agents_without_a_permission_hook_show_dialogs_at_once() -> None:
    codex = load_profile("codex")
    text = (FIXTURES / "codex/0.171.0/awaiting_approval-exec.txt").read_text()
    lines = text.partition("\n---\n")[2].split("\n")
    reading = classify(codex, lines, "", events(("tool_start", 0.2)), 0.0)
    assert reading.state is AgentState.AWAITING_APPROVAL


def test_the_screen_parser_never_takes_a_tip_for_the_command() -> None:
    """2.1.3xx puts "Tip: auto mode handles these prompts…" under "Bash command"."""
    assert any(line.startswith(" Tip: ") for line in NEW)
    for lines in (NEW, OLD):
        state, detail = read(lines, [])
        assert (state, detail["command"]) == ("awaiting_approval", "touch approved.txt")
        assert not any(str(value).lstrip().startswith("Tip") for value in detail.values())
