"""The ``replay`` verb: play a run's recorded agent panes (asciicast v2) in this terminal.

    agenttui replay RUN [AGENT] [--speed X] [--idle S] [--list]

AGENT is the agent's name (``r1a2b3c-main``) or its session (``main``); without it every
recording of the run plays, one after the other.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from tui.output import say
from workflows.base.errors import AgentTuiError, UsageError


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser(
        "replay", parents=[common], help="play a run's recorded agent panes in the terminal"
    )
    parser.add_argument("run", metavar="RUN")
    parser.add_argument("agent", metavar="AGENT", nargs="?", help="one agent (name or session)")
    parser.add_argument("--speed", type=float, default=1.0, help="2 plays twice as fast")
    parser.add_argument(
        "--idle", type=float, default=2.0, help="longest pause in seconds (0: as recorded)"
    )
    parser.add_argument("--list", action="store_true", help="list the recordings, play nothing")
    parser.set_defaults(handler=replay, formatter=_format)


def chosen(run_id: str, agent: str | None) -> list[Path]:
    """The run's recordings, or the one of ``agent``; a clear error when there is none."""
    from workflows.runs.recording.files import run_casts, run_folder

    casts = run_casts(run_id)
    if not casts:
        raise AgentTuiError(f"run {run_id} has no recordings (looked in {run_folder(run_id)})")
    if agent is None:
        return casts
    picked = [path for path in casts if path.stem in (agent, f"{run_id}-{agent}")]
    if not picked:
        names = ", ".join(path.stem for path in casts)
        raise UsageError(f"run {run_id} has no recording of {agent!r} (it has: {names})")
    return picked


def describe(path: Path) -> dict[str, Any]:
    from workflows.runs.recording.asciicast import read_cast

    header, events = read_cast(path)
    return {
        "agent": path.stem,
        "file": str(path),
        "bytes": path.stat().st_size,
        "seconds": round(events[-1].time if events else 0.0, 1),
        "width": header.width,
        "height": header.height,
    }


def replay(args: argparse.Namespace) -> Any:
    from workflows.runs.recording.asciicast import read_cast
    from workflows.runs.recording.replay import Timing, play
    from workflows.runs.run_store import RunStore

    if args.speed <= 0 or args.idle < 0:
        raise UsageError("--speed must be above 0 and --idle 0 or more")
    run_id = RunStore().get(args.run).id
    casts = chosen(run_id, args.agent)
    if args.list or args.json:
        return [describe(path) for path in casts]
    timing = Timing(speed=args.speed, idle_limit=args.idle or None)
    columns, lines = shutil.get_terminal_size()
    for path in casts:
        header, events = read_cast(path)
        if len(casts) > 1:
            say(f"── {path.stem} ──", flush=True)
        if header.width > columns or header.height > lines:
            say(
                f"agenttui: {path.stem} was recorded at {header.width}x{header.height}; "
                f"this terminal is {columns}x{lines}, so lines may wrap",
                err=True,
            )
        play(header, events, sys.stdout, timing=timing)
    return None


def _format(result: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{item['agent']:24} {item['seconds']:>8}s {item['width']}x{item['height']} "
        f"{item['bytes']:>10} B  {item['file']}"
        for item in result
    )
