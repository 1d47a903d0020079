"""The recorded screens of the real agent CLIs (tests/fixtures/screens) and how to read one."""

from __future__ import annotations

from pathlib import Path

import pyte

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "screens"
ALL = sorted(FIXTURES.glob("**/*.txt"))
VERSIONS = sorted(path for path in FIXTURES.glob("*/*") if path.is_dir())
"""Every recorded release of every agent CLI: ``claude/2.1.332`` …"""


def agent_of(path: Path) -> str:
    """The profile a fixture belongs to: the first directory under FIXTURES."""
    return path.relative_to(FIXTURES).parts[0]


def fixture_id(path: Path) -> str:
    return str(path.relative_to(FIXTURES).with_suffix(""))


def load_fixture(path: Path) -> tuple[dict[str, str], list[str]]:
    text = path.read_text(encoding="utf-8")
    head, _, screen = text.partition("\n---\n")
    header = dict(line.split("=", 1) for line in head.splitlines())
    return header, screen.rstrip("\n").split("\n")


def played(text: str, width: int, height: int) -> list[str]:
    """What a terminal of that size shows after ``text``."""
    screen = pyte.Screen(width, height)
    pyte.Stream(screen).feed(text)
    return [line.rstrip() for line in screen.display]
