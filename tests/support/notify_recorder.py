"""A ``[tui] notify_command`` that records each call (its argv and AGENTTUI_NOTIFY_* env)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RECORDER = """
import json, os, sys
env = {k: v for k, v in os.environ.items() if k.startswith("AGENTTUI_NOTIFY_")}
out = {"argv": sys.argv[1:], "env": env}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(out) + "\\n")
"""


def notify_recorder(folder: Path) -> tuple[list[str], Path]:
    """The notify command (argv with ``{message}``) and the file its calls go to."""
    script = folder / "notify-recorder.py"
    script.write_text(RECORDER)
    calls = folder / "notify-calls.jsonl"
    return [sys.executable, str(script), str(calls), "{message}"], calls


def recorded_calls(calls: Path) -> list[dict[str, Any]]:
    """The calls written so far (a line still being written is not one yet)."""
    if not calls.exists():
        return []
    return [
        json.loads(line)
        for line in calls.read_text().splitlines(keepends=True)
        if line.endswith("\n")
    ]
