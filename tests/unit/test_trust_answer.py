"""Reading a trust dialog recorded from the real CLIs: which option is selected, which one
trusts, and the one key that gets nearer; and what the classifier says about the dialog."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.agents.classifier import classify
from workflows.agents.settings import load_profile
from workflows.agents.state import AgentState, HookEvent
from workflows.agents.trust import dialog_shown, look_at, next_key, unreadable

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "trust"


def screen(name: str) -> list[str]:
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    return text.partition("\n---\n")[2].rstrip("\n").split("\n")


@pytest.mark.parametrize(
    ("fixture", "first_key"),
    [
        ("claude-2.1.332", "Down"),  # "❯ No, exit" is selected first: Enter would quit
        ("claude-2.1.197", None),  # "❯ 1. Yes, I trust this folder" is selected first
        ("codex-0.171.0", None),
        ("gemini-0.61.0", None),
    ],
)
def test_recorded_dialog_is_read_and_the_first_key_chosen(
    fixture: str, first_key: str | None
) -> None:
    profile = load_profile(fixture.split("-", maxsplit=1)[0])
    lines = screen(fixture)
    assert profile.trust_answer is not None
    assert dialog_shown(profile, lines)
    look = look_at(profile.trust_answer, lines)
    assert look.selected is not None and look.trusting is not None
    assert unreadable(profile.trust_answer, look) == ""
    assert next_key(profile.trust_answer, look) == first_key


def test_claude_2_1_332_reaches_yes_after_down_and_never_confirms_no() -> None:
    answer = load_profile("claude").trust_answer
    assert answer is not None
    lines = screen("claude-2.1.332")
    no_row = next(row for row, line in enumerate(lines) if "No, exit" in line)
    yes_row = next(row for row, line in enumerate(lines) if "Yes, I trust" in line)
    assert look_at(answer, lines).selected == no_row
    moved = list(lines)
    moved[no_row] = "   No, exit"
    moved[yes_row] = " ❯ Yes, I trust this folder"
    look = look_at(answer, moved)
    assert (look.selected, look.trusting) == (yes_row, yes_row)
    assert next_key(answer, look) is None  # now, and only now, the confirm key


def test_a_dialog_it_cannot_read_says_why() -> None:
    answer = load_profile("claude").trust_answer
    assert answer is not None
    recorded = screen("claude-2.1.332")
    renamed = [line.replace("Yes, I trust this folder", "Trust") for line in recorded]
    look = look_at(answer, renamed)
    assert look.trusting is None and next_key(answer, look) is None
    assert "trust.option" in unreadable(answer, look)
    unmarked = [line.replace("❯", " ") for line in recorded]
    assert "which option" in unreadable(answer, look_at(answer, unmarked))


def test_legacy_trust_keys_are_not_sent_blindly(tmp_path: Path) -> None:
    profiles = tmp_path / "config" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "old.toml").write_text(
        'command = ["x"]\n[trust]\nscreen = "Quick safety check"\nkeys = ["Enter"]\n'
    )
    profile = load_profile("old")
    assert profile.trust_answer is None
    assert "trust.keys is no longer used" in profile.trust_unanswered


def events(*kinds: tuple[str, float, dict[str, object]]) -> list[HookEvent]:
    return [HookEvent(kind, dict(payload), age) for kind, age, payload in kinds]


def test_classifier_trust_is_starting_while_answered_and_trust_with_a_reason_after() -> None:
    profile = load_profile("claude")
    lines = screen("claude-2.1.332")
    nobody = classify(profile, lines, "", [], 0.0)
    assert nobody.state is AgentState.TRUST and nobody.state.needs_person
    assert nobody.detail == {"reason": "no agenttui start-up is answering it"}
    answering = events(("trust_answering", 1.0, {"budget_s": 30.0}))
    assert classify(profile, lines, "", answering, 0.0).state is AgentState.STARTING
    expired = events(("trust_answering", 31.0, {"budget_s": 30.0}))
    assert classify(profile, lines, "", expired, 0.0).state is AgentState.TRUST
    stuck = events(
        ("trust_stuck", 0.5, {"reason": "agenttui could not answer it: x"}),
        ("trust_answering", 9.0, {"budget_s": 30.0}),
    )
    reading = classify(profile, lines, "", stuck, 0.0)
    assert reading.state is AgentState.TRUST
    assert reading.detail == {"reason": "agenttui could not answer it: x"}
    just_answered = events(("trust_answered", 0.2, {"keys": ["Down", "Enter"]}))
    assert classify(profile, lines, "", just_answered, 0.0).state is AgentState.STARTING


def test_trust_events_alone_do_not_make_a_silent_screen_ready() -> None:
    """Quiescence counts hook events as a sign the agent started; the start-up's own trust
    events are not such a sign."""
    profile = load_profile("claude")
    blank_but_text = ["Loading…"]
    answered = events(("trust_answered", 10.0, {"keys": ["Enter"]}))
    assert classify(profile, blank_but_text, "", answered, 4.0).state is AgentState.STARTING
    # Never silent: still the same unknown screen once quiet for blocked_after_s, a person
    # is told (a start-up stuck on a screen nobody recognises).
    stuck = classify(profile, blank_but_text, "", answered, profile.blocked_after_s)
    assert stuck.state is AgentState.BLOCKED


def test_a_trust_dialog_is_the_start_ups_from_launch_not_a_persons() -> None:
    """The start-up watches from launch (``trust_watching``): a reader that sees the dialog
    before the start-up starts answering must not call a person (the app would ring)."""
    profile = load_profile("claude")
    lines = screen("claude-2.1.332")
    watching = events(("trust_watching", 0.3, {"budget_s": 180.0}))
    reading = classify(profile, lines, "", watching, 0.0)
    assert (reading.state, reading.detail) == (AgentState.STARTING, {"trust": "being answered"})
    assert reading.recheck_in == pytest.approx(179.7)
    gone = events(("trust_watching", 181.0, {"budget_s": 180.0}))  # that start-up gave up
    assert classify(profile, lines, "", gone, 0.0).state is AgentState.TRUST
