"""Workflows whose runs record their agents' panes, for the recording tests."""

from __future__ import annotations

import subprocess
import sys

RECORDING = "[recordings]\nenabled = true\n"  # the default, said anyway

WORKFLOWS = {
    "recorded": """
        name = "recorded"
        agent = "demo"

        [[steps]]
        id = "implement"
        prompt = "Implement it [work 2s]. Write your answer to the file: {output}"
        output = ".agenttui/implement.md"

        [[steps]]
        id = "review"
        session = "reviewer"
        prompt = "Review it [work 1s]. Write your answer to the file: {output}"
        output = ".agenttui/review.md"
    """,
}


def replayed(*args: str) -> str:
    """What `agenttui replay` writes, byte for byte (CR LF stays CR LF)."""
    result = subprocess.run(
        [sys.executable, "-m", "tui", "replay", *args], capture_output=True, check=True
    )
    return result.stdout.decode()
