"""Every screen recorded from the real CLIs is classified as the state it was recorded in.

Fixtures live in tests/fixtures/screens/<agent>/<version>/<state>[-variant].txt (the demo
agent's in demo/<state>.txt) and are written by ``python -m tests.e2e.record_screens`` (see its
docstring). One profile per agent must recognise the screens of every version kept, from the
screen alone (no hooks, no quiescence), so a CLI release that changes its screens shows up
here as a failing fixture after re-recording.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.screens import ALL, FIXTURES, VERSIONS, agent_of, fixture_id, load_fixture
from workflows.agents.classifier import BLOCKED_LINES, classify
from workflows.agents.settings import load_profile
from workflows.agents.state import AgentState


def _optional_int(value: str | None) -> int | None:
    return None if value in (None, "None") else int(value)


def test_every_state_has_a_recorded_screen() -> None:
    assert {agent_of(path) for path in VERSIONS} == {"claude", "codex", "gemini"}
    for version in VERSIONS:
        states = {path.stem.split("-")[0] for path in version.glob("*.txt")}
        assert {"idle", "working", "awaiting_approval", "trust", "exited"} <= states, version
        if agent_of(version) != "gemini":
            assert {"starting", "asking"} <= states, version
    assert {p.stem for p in FIXTURES.glob("demo/*.txt")} >= {"idle", "working", "awaiting_approval"}


def test_the_current_releases_are_recorded() -> None:
    """tests/agent-clis.txt's current set (what the e2e suite runs) has its screens here."""
    listed = (FIXTURES.parent.parent / "agent-clis.txt").read_text(encoding="utf-8")
    current = next(line.split()[1:] for line in listed.splitlines() if line.startswith("current "))
    names = {"claude-code": "claude", "codex": "codex", "gemini-cli": "gemini"}
    for spec in current:
        package, _, version = spec.rpartition("@")
        agent = names[package.rpartition("/")[2]]
        assert (FIXTURES / agent / version).is_dir(), f"{spec}: no screens recorded"


@pytest.mark.parametrize("path", ALL, ids=fixture_id)
def test_recorded_screen_classifies_as_recorded(path: Path) -> None:
    header, lines = load_fixture(path)
    profile = load_profile(agent_of(path))
    expected = AgentState(path.stem.split("-")[0])
    dead = "dead_status" in header
    # A blank screen (Claude Code before its first frame) has nothing for a rule to match.
    blank = not any(line.strip() for line in lines)
    source = "tmux" if dead else "quiescence" if blank else "screen"
    for idle_seconds in (0.0, 60.0):  # the screen decides, however long it has been quiet
        reading = classify(
            profile,
            lines,
            header.get("title", ""),
            [],
            idle_seconds,
            dead=dead,
            dead_status=_optional_int(header.get("dead_status")),
            dead_signal=_optional_int(header.get("dead_signal")),
        )
        assert reading.state is expected, f"{path.name}: {reading}"
        assert reading.source == source
    for key, value in header.items():
        if key.startswith("detail."):
            assert reading.detail.get(key.removeprefix("detail.")) == value, reading.detail


@pytest.mark.parametrize("path", ALL, ids=fixture_id)
def test_recorded_screen_without_title_still_classifies(path: Path) -> None:
    """Screen rules alone carry every state but the title-only ones (spinner while streaming)."""
    header, lines = load_fixture(path)
    if "dead_status" in header or path.stem == "working-streamed":
        pytest.skip("decided by tmux / by the title")
    profile = load_profile(agent_of(path))
    reading = classify(profile, lines, "", [], 0.0)
    assert reading.state is AgentState(path.stem.split("-")[0]), reading


def state_of(path: Path) -> AgentState:
    return AgentState(path.stem.split("-")[0])


BOXED = [path for path in ALL if load_profile(agent_of(path)).input_box is not None]
DIALOGS = (AgentState.AWAITING_APPROVAL, AgentState.ASKING, AgentState.TRUST, AgentState.BLOCKED)


@pytest.mark.parametrize("path", [p for p in BOXED if state_of(p) in DIALOGS], ids=fixture_id)
def test_a_dialog_no_rule_knows_is_blocked_with_its_text(path: Path) -> None:
    """Never silent: every recorded dialog, under a profile that lacks its rule (as a release
    with a new dialog would), is reported blocked with the screen's last lines once quiet."""
    header, lines = load_fixture(path)
    profile = replace(load_profile(agent_of(path)), rules=[], trust=None)
    title = header.get("title", "")
    if state_of(path) is AgentState.BLOCKED and classify(profile, lines, title, [], 60.0).state in (
        AgentState.IDLE,
        AgentState.STARTING,
    ):
        pytest.skip("no dialog: blocked above the input box (a limit, an error), a rule's job")
    early = classify(profile, lines, title, [], 1.0)
    assert early.state is not AgentState.IDLE, early  # it may still be drawing
    assert early.recheck_in == pytest.approx(profile.blocked_after_s - 1.0)
    reading = classify(profile, lines, title, [], profile.blocked_after_s)
    assert reading.state is AgentState.BLOCKED, reading
    shown = [line.rstrip() for line in lines if line.strip()]
    assert reading.detail == {
        "reason": "unrecognised",
        "message": shown[-1].strip(),
        "lines": shown[-BLOCKED_LINES:],
    }


@pytest.mark.parametrize(
    "path",
    [p for p in BOXED if state_of(p) in (AgentState.IDLE, AgentState.WORKING)],
    ids=fixture_id,
)
def test_the_input_box_is_seen_on_every_idle_and_working_screen(path: Path) -> None:
    """The other half: a quiet screen with the agent's input box is never called blocked."""
    header, lines = load_fixture(path)
    profile = replace(load_profile(agent_of(path)), rules=[])
    reading = classify(profile, lines, header.get("title", ""), [], 60.0)
    assert reading.state is AgentState.IDLE, reading
