"""Benchmark the pane mirror against tmux alone and against polling, in one run.

N synthetic agents (bench/agent_sim.py) run in a private tmux server; the run measures, one
phase after the other on the same panes:

1. ``tmux alone``: the server's CPU with no client attached (the floor: tmux parsing the
   agents' output into its grids). Measured before and after the other phases; the mean
   of the two is the baseline.
2. ``mirror``: the same code the tiles use (workflows.tmux.mirror.Mirror → PaneModel, then
   the tile's Strip conversion of the rows a tile shows; each tile shows ``--tile-rows``
   rows, and the mirror is told so, as the agents screen tells it). Its overhead is this
   process's
   CPU (less the time spent finding the frame stamps, reported apart as measuring) plus
   what the tmux server spends above the baseline.
3. ``polling``, the way claude-squad mirrors (smtg-ai/claude-squad app/app.go): every
   500 ms a forked ``tmux capture-pane -p -e -J`` per pane, and every 100 ms one more for
   the selected pane (its preview). Overhead: this process's CPU, its children's (the tmux
   clients), and the server's above the baseline.

All figures are % of one core over the measured window. Latency: each frame's write time
is in its transcript line (``t=<monotonic ns>``); when the mirror (or a poll) first holds
a frame, its age is one sample, so frames that waited for the rate limit count fully. The
focused pane (30 Hz cap; polled at 10 Hz) and the others (10 Hz; polled at 2 Hz) are
reported apart, as p50/p90/p99. The last line is one JSON object.

    python bench/mirror.py [--panes N] [--load idle|calm|busy] [--seconds S] [--no-polling]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from widgets.screen_view import row_strip  # noqa: E402  (the tile's own conversion)
from workflows.base.target import TmuxTarget  # noqa: E402
from workflows.tmux.mirror import Mirror  # noqa: E402

RATES = {"idle": 0.0, "calm": 4000.0, "busy": 30000.0}
MARKER = re.compile(r"t=(\d{6,})")
WIDTH, HEIGHT = 120, 40
POLL_ALL_S, POLL_SELECTED_S = 0.5, 0.1  # claude-squad's metadata and preview ticks


def percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)

    def at(fraction: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99)}


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def server_cpu_seconds(socket: str) -> float:
    pid = tmux(socket, "display-message", "-p", "#{pid}").strip()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Stamps:
    """Frame ages: the stamps in text first seen now, per pane (focused apart)."""

    def __init__(self, focused: str) -> None:
        self.focused = focused
        self.focused_ms: list[float] = []
        self.other_ms: list[float] = []
        self.newest: dict[str, int] = {}
        self.recording = False

    def seen(self, pane_id: str, texts: list[str], now_ns: int) -> None:
        newest = self.newest.get(pane_id, 0)
        fresh = [
            stamp
            for text in texts
            for found in MARKER.finditer(text)
            if (stamp := int(found.group(1))) > newest
        ]
        if not fresh:
            return
        self.newest[pane_id] = max(fresh)
        if self.recording:  # every frame written since the last look, first seen now
            ages = self.focused_ms if pane_id == self.focused else self.other_ms
            ages.extend((now_ns - stamp) / 1e6 for stamp in fresh)


class Recorder:
    """Mirror update callback: converts changed rows like a tile, records frame ages."""

    def __init__(self, mirror_ref: list[Mirror], stamps: Stamps, tile_rows: int) -> None:
        self.tile_rows = tile_rows
        self.mirror_ref = mirror_ref
        self.stamps = stamps
        self.seen: dict[str, dict[int, object]] = {}
        self.measuring_s = 0.0

    def __call__(self, pane_ids: set[str]) -> None:
        """Do what a tile does (build and convert the new rows it shows), and measure;
        the measuring (every other row, stamp search) is timed and reported apart."""
        now = time.monotonic_ns()
        began = time.thread_time()
        tile_s = 0.0
        mirror = self.mirror_ref[0]
        for pane_id in pane_ids:
            model = mirror.model(pane_id)
            tile = set(model.view_rows(self.tile_rows))
            known = self.seen.get(pane_id, {})
            shown: dict[int, object] = {}
            texts = []
            for y in range(len(model.rows)):
                in_tile = y in tile
                started = time.thread_time() if in_tile else 0.0
                row = model.row(y)  # moved rows come cached; new ones are built once
                shown[id(row)] = row
                new = known.get(id(row)) is not row
                if in_tile:
                    if new:
                        row_strip(row)  # a tile converts a new row once, then caches it
                    tile_s += time.thread_time() - started
                if new:
                    texts.append("".join(part for part, _ in row))
            self.seen[pane_id] = shown
            self.stamps.seen(pane_id, texts, now)
        self.measuring_s += time.thread_time() - began - tile_s


class Window:
    """CPU of this process, its children and the tmux server over a measured window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.started = (
            time.monotonic(),
            time.process_time(),
            children_cpu_seconds(),
            server_cpu_seconds(socket),
        )

    def close(self) -> dict[str, float]:
        wall0, own0, children0, server0 = self.started
        wall = time.monotonic() - wall0
        return {
            "seconds": wall,
            "process": 100 * (time.process_time() - own0) / wall,
            "children": 100 * (children_cpu_seconds() - children0) / wall,
            "tmux": 100 * (server_cpu_seconds(self.socket) - server0) / wall,
        }


def measure_alone(socket: str, seconds: float) -> float:
    window = Window(socket)
    time.sleep(seconds)
    return window.close()["tmux"]


def measure_mirror(
    socket: str, session: str, panes: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    ref: list[Mirror] = []
    stamps = Stamps(panes[0])
    recorder = Recorder(ref, stamps, args.tile_rows)
    mirror = Mirror(TmuxTarget(socket, session), on_update=recorder)
    ref.append(mirror)
    mirror.start()
    try:
        mirror.set_visible(panes, panes[0], {pane: args.tile_rows for pane in panes})
        time.sleep(min(3.0, args.seconds / 3))  # warm up: every pane captured once
        stamps.recording = True
        measuring0, captures0 = recorder.measuring_s, mirror.captures
        window = Window(socket)
        time.sleep(args.seconds)
        cpu = window.close()
        stamps.recording = False
        measuring = 100 * (recorder.measuring_s - measuring0) / cpu["seconds"]
        captures = (mirror.captures - captures0) / cpu["seconds"]
    finally:
        mirror.close()
    return {
        "process": cpu["process"] - measuring,
        "measuring": measuring,
        "tmux": cpu["tmux"],
        "captures_per_s": captures,
        "focused_ms": percentiles(stamps.focused_ms),
        "others_ms": percentiles(stamps.other_ms),
    }


def measure_polling(socket: str, panes: list[str], seconds: float) -> dict[str, Any]:
    """claude-squad's loop: all panes every POLL_ALL_S, the selected one every
    POLL_SELECTED_S, each a forked ``tmux capture-pane``; stamps found as for the mirror."""
    stamps = Stamps(panes[0])
    stop = threading.Event()
    measuring = [0.0]

    def capture(pane: str) -> None:
        text = subprocess.run(
            ["tmux", "-L", socket, "capture-pane", "-p", "-e", "-J", "-t", pane],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        now, began = time.monotonic_ns(), time.thread_time()
        stamps.seen(pane, [text], now)
        measuring[0] += time.thread_time() - began

    def every(interval: float, step: Callable[[], None]) -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            step()
            next_at += interval
            stop.wait(max(0.0, next_at - time.monotonic()))

    def capture_all() -> None:
        for pane in panes:
            capture(pane)

    threads = [
        threading.Thread(target=every, args=(POLL_ALL_S, capture_all)),
        threading.Thread(target=every, args=(POLL_SELECTED_S, lambda: capture(panes[0]))),
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        stamps.recording = True
        measuring0 = measuring[0]
        window = Window(socket)
        time.sleep(seconds)
        cpu = window.close()
        stamps.recording = False
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    spent = 100 * (measuring[0] - measuring0) / cpu["seconds"]
    return {
        "process": cpu["process"] - spent,
        "children": cpu["children"],
        "tmux": cpu["tmux"],
        "focused_ms": percentiles(stamps.focused_ms),
        "others_ms": percentiles(stamps.other_ms),
    }


def start_agents(socket: str, session: str, count: int, load: str) -> list[str]:
    sim = [sys.executable, str(ROOT / "bench" / "agent_sim.py"), "--rate", str(RATES[load])]
    tmux(socket, "new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), *sim)
    for _ in range(count - 1):
        tmux(socket, "new-window", "-d", "-t", f"{session}:", *sim)
    tmux(socket, "set-option", "-g", "window-size", "manual")
    panes = tmux(socket, "list-panes", "-s", "-t", session, "-F", "#{pane_id}").split()
    for pane in panes:
        tmux(socket, "resize-window", "-t", pane, "-x", str(WIDTH), "-y", str(HEIGHT))
    return panes


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {key: rounded(each) for key, each in value.items()}
    if isinstance(value, list):
        return [rounded(each) for each in value]
    return value


def report(args: argparse.Namespace, alone: list[float], mirror: dict[str, Any],
           polling: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    baseline = sum(alone) / len(alone)
    mirror["extra_tmux"] = mirror["tmux"] - baseline
    mirror["overhead"] = mirror["process"] + mirror["extra_tmux"]
    mirror["overhead_per_tmux_alone"] = mirror["overhead"] / max(baseline, 0.1)
    result: dict[str, Any] = {
        "panes": args.panes,
        "load": args.load,
        "seconds": args.seconds,
        "tmux_alone": baseline,
        "tmux_alone_runs": alone,
        "mirror": mirror,
    }
    lines = [
        f"{args.panes} {args.load} panes, {args.seconds:g} s per phase; % of one core",
        f"tmux alone: {baseline:.1f}% (runs {', '.join(f'{a:.1f}' for a in alone)})",
        f"mirror: overhead {mirror['overhead']:.1f}% = process {mirror['process']:.1f}% + "
        f"tmux {mirror['extra_tmux']:+.1f}% ({mirror['tmux']:.1f}% in all); "
        f"{mirror['overhead_per_tmux_alone']:.2f}x tmux alone (at least 0.1%); "
        f"{mirror['captures_per_s']:.0f} captures/s",
        f"  frame age ms: focused {fmt(mirror['focused_ms'])}; others {fmt(mirror['others_ms'])}",
    ]
    if polling is not None:
        polling["extra_tmux"] = polling["tmux"] - baseline
        polling["overhead"] = polling["process"] + polling["children"] + polling["extra_tmux"]
        polling["overhead_per_mirror"] = polling["overhead"] / max(mirror["overhead"], 0.1)
        result["polling"] = polling
        lines += [
            f"polling (claude-squad): overhead {polling['overhead']:.1f}% = process "
            f"{polling['process']:.1f}% + forked tmux clients {polling['children']:.1f}% + "
            f"tmux {polling['extra_tmux']:+.1f}%; {polling['overhead_per_mirror']:.1f}x the "
            f"mirror's",
            f"  frame age ms: focused {fmt(polling['focused_ms'])}; "
            f"others {fmt(polling['others_ms'])}",
        ]
    print("\n".join(lines))
    return result


def fmt(figures: dict[str, float | None]) -> str:
    return " / ".join(f"{name} {value}" for name, value in figures.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=32)
    parser.add_argument("--load", choices=sorted(RATES), default="calm")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured phase")
    parser.add_argument(
        "--tile-rows", type=int, default=12, help="rows a tile shows (converted to Strips)"
    )
    parser.add_argument("--no-polling", action="store_true", help="skip the polling phase")
    args = parser.parse_args()

    socket = f"agenttui-bench-{uuid.uuid4().hex[:8]}"
    session = "bench"
    try:
        panes = start_agents(socket, session, args.panes, args.load)
        time.sleep(1.0)  # the agents started
        alone = [measure_alone(socket, args.seconds)]
        mirror = measure_mirror(socket, session, panes, args)
        polling = None if args.no_polling else measure_polling(socket, panes, args.seconds)
        time.sleep(1.0)  # the last control client is gone
        alone.append(measure_alone(socket, args.seconds))
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    print(json.dumps(rounded(report(args, alone, mirror, polling))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
