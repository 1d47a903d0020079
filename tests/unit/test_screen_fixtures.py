"""Every screen recorded from the real CLIs is classified as the state it was recorded in.

Fixtures live in tests/fixtures/screens/<agent>/<state>[-variant].txt and are written by
``python -m tests.e2e.record_screens`` (see its docstring). The profile rules must recognise
each one from the screen alone (no hooks, no quiescence), so a CLI release that changes its
screens shows up here as a failing fixture after re-recording.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.agents.classifier import classify
from workflows.agents.profiles import load_profile
from workflows.agents.state import AgentState

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "screens"
ALL = sorted(FIXTURES.glob("*/*.txt"))


def load_fixture(path: Path) -> tuple[dict[str, str], list[str]]:
    text = path.read_text(encoding="utf-8")
    head, _, screen = text.partition("\n---\n")
    header = dict(line.split("=", 1) for line in head.splitlines())
    return header, screen.rstrip("\n").split("\n")


def _optional_int(value: str | None) -> int | None:
    return None if value in (None, "None") else int(value)


def test_every_state_has_a_recorded_screen() -> None:
    for agent in ("claude", "codex", "gemini"):
        states = {path.stem.split("-")[0] for path in FIXTURES.glob(f"{agent}/*.txt")}
        assert {"idle", "working", "awaiting_approval", "trust", "exited"} <= states, agent
    for agent in ("claude", "codex"):
        states = {path.stem.split("-")[0] for path in FIXTURES.glob(f"{agent}/*.txt")}
        assert {"starting", "asking"} <= states, agent
    assert {p.stem for p in FIXTURES.glob("demo/*.txt")} >= {"idle", "working", "awaiting_approval"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_screen_classifies_as_recorded(path: Path) -> None:
    header, lines = load_fixture(path)
    profile = load_profile(path.parent.name)
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


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_screen_without_title_still_classifies(path: Path) -> None:
    """Screen rules alone carry every state but the title-only ones (spinner while streaming)."""
    header, lines = load_fixture(path)
    if "dead_status" in header or path.stem == "working-streamed":
        pytest.skip("decided by tmux / by the title")
    profile = load_profile(path.parent.name)
    reading = classify(profile, lines, "", [], 0.0)
    assert reading.state is AgentState(path.stem.split("-")[0]), reading
