"""The drift check's verdicts (tests/e2e/drift.py) on recorded screens: what a profile does not
recognise is flagged and printed whole; what it knows is one line with its state."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.e2e.drift import Report, Verdict, judge
from tests.e2e.record_screens import Screen
from tests.support.screens import FIXTURES, load_fixture
from workflows.agents.settings import load_profile


def screen(relative: str) -> Screen:
    header, lines = load_fixture(FIXTURES / relative)
    detail = {k.removeprefix("detail."): v for k, v in header.items() if k.startswith("detail.")}
    name = Path(relative).stem
    return Screen("claude", name, lines, header.get("title", ""), None, detail)


def test_a_profile_that_knows_the_screens_reports_them_clean() -> None:
    profile = load_profile("claude")
    report = Report("claude", "2.1.332")
    for name in ("awaiting_approval-bash", "blocked-auto-mode", "idle-after-turn"):
        shot = screen(f"claude/2.1.332/{name}.txt")
        report.verdicts.append(Verdict(shot, judge(profile, shot)))
    text = "\n".join(report.lines())
    assert report.clean and "NOT RECOGNISED" not in text
    assert "blocked (auto_mode_unavailable) [screen]" in text
    assert "unrecognised: 0 of 3 screens" in text


def test_a_screen_the_profile_misses_is_flagged_and_printed_whole() -> None:
    """The profile before the auto-mode rule: the dialog would have sat silent."""
    full = load_profile("claude")
    without = replace(
        full, rules=[rule for rule in full.rules if rule.reason != "auto_mode_unavailable"]
    )
    shot = screen("claude/2.1.332/blocked-auto-mode.txt")
    report = Report("claude", "2.1.332", [Verdict(shot, judge(without, shot))])
    text = "\n".join(report.lines())
    assert not report.clean
    assert "NOT RECOGNISED (expected blocked)" in text
    assert "got blocked (unrecognised) [quiescence]" in text  # never silent, but not known
    assert "      |   Auto mode can't check actions in this session" in text
