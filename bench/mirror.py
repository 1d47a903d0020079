"""Benchmark the pane mirror: N synthetic agents in a private tmux server, mirrored by the
same code the tiles use (workflows.tmux.mirror.Mirror → PaneModel, then the tile's Strip
conversion of changed rows).

    python bench/mirror.py [--panes N] [--load idle|calm|busy] [--seconds S]

cpu_pct: CPU time of this process only (the mirror: control-mode readers, capture thread,
pyte, Strip building for the rows a tile shows) over the measured window, in % of one core,
less the time spent finding the frame stamps (measuring_cpu_pct, reported apart);
tmux_cpu_pct: the tmux server's, for context. Latency: each frame's write time is printed in
its transcript line (``t=<monotonic ns>``); when a model update first holds a frame, its age
is one sample, so frames that waited for the rate limit count fully. Focused pane (30 Hz
cap) and the others (10 Hz cap) are reported apart. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from widgets.screen_view import row_strip  # noqa: E402  (the tile's own conversion)
from workflows.tmux.mirror import Mirror  # noqa: E402

RATES = {"idle": 0.0, "calm": 4000.0, "busy": 30000.0}
MARKER = re.compile(r"t=(\d{6,})")
WIDTH, HEIGHT = 120, 40


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def server_cpu_seconds(socket: str) -> float:
    pid = tmux(socket, "display-message", "-p", "#{pid}").strip()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Recorder:
    """Mirror update callback: converts changed rows like a tile, records frame ages."""

    def __init__(self, mirror_ref: list[Mirror], focused: str, tile_rows: int) -> None:
        self.tile_rows = tile_rows
        self.mirror_ref = mirror_ref
        self.focused = focused
        self.focused_ms: list[float] = []
        self.other_ms: list[float] = []
        self.recording = False
        self.seen: dict[str, dict[int, object]] = {}
        self.newest: dict[str, int] = {}
        self.measuring_s = 0.0
        self.lock = threading.Lock()

    def __call__(self, pane_ids: set[str]) -> None:
        """Do what a tile does (build and convert the new rows it shows), and measure;
        the measuring (every other row, stamp search) is timed and reported apart."""
        now = time.monotonic_ns()
        began = time.thread_time()
        tile_s = 0.0
        mirror = self.mirror_ref[0]
        for pane_id in pane_ids:
            model = mirror.model(pane_id)
            top = max(0, model.last_content_row + 1 - self.tile_rows)
            known = self.seen.get(pane_id, {})
            shown = {}
            stamps = []
            for y in range(len(model.rows)):
                in_tile = top <= y < top + self.tile_rows
                started = time.thread_time() if in_tile else 0.0
                row = model.row(y)  # moved rows come cached; new ones are built once
                shown[id(row)] = row
                new = known.get(id(row)) is not row
                if in_tile:
                    if new:
                        row_strip(row)  # a tile converts a new row once, then caches it
                    tile_s += time.thread_time() - started
                if new:
                    found = MARKER.search("".join(part for part, _ in row))
                    if found:
                        stamps.append(int(found.group(1)))
            self.seen[pane_id] = shown
            newest = self.newest.get(pane_id, 0)
            fresh = [stamp for stamp in stamps if stamp > newest]
            if fresh:
                self.newest[pane_id] = max(fresh)
            if self.recording:  # every frame written since the last update, first seen now
                ages = self.focused_ms if pane_id == self.focused else self.other_ms
                ages.extend((now - stamp) / 1e6 for stamp in fresh)
        self.measuring_s += time.thread_time() - began - tile_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=16)
    parser.add_argument("--load", choices=sorted(RATES), default="calm")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--tile-rows", type=int, default=12, help="rows a tile shows (converted to Strips)"
    )
    args = parser.parse_args()

    socket = f"agenttui-bench-{uuid.uuid4().hex[:8]}"
    session = "bench"
    sim = [sys.executable, str(ROOT / "bench" / "agent_sim.py"), "--rate", str(RATES[args.load])]
    tmux(socket, "new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), *sim)
    try:
        for _ in range(args.panes - 1):
            tmux(socket, "new-window", "-d", "-t", f"{session}:", *sim)
        tmux(socket, "set-option", "-g", "window-size", "manual")
        panes = tmux(socket, "list-panes", "-s", "-t", session, "-F", "#{pane_id}").split()
        for pane in panes:
            tmux(socket, "resize-window", "-t", pane, "-x", str(WIDTH), "-y", str(HEIGHT))
        focused = panes[0]
        ref: list[Mirror] = []
        recorder = Recorder(ref, focused, args.tile_rows)
        mirror = Mirror(socket, session, on_update=recorder)
        ref.append(mirror)
        mirror.start()
        mirror.set_visible(panes, focused=focused)
        time.sleep(min(3.0, args.seconds / 3))  # warm up: every pane captured once
        recorder.recording = True
        measuring0 = recorder.measuring_s
        cpu0, wall0, tmux0 = time.process_time(), time.monotonic(), server_cpu_seconds(socket)
        captures0 = mirror.captures
        time.sleep(args.seconds)
        cpu1, wall1, tmux1 = time.process_time(), time.monotonic(), server_cpu_seconds(socket)
        captures = mirror.captures - captures0
        measuring = recorder.measuring_s - measuring0
        recorder.recording = False
        mirror.close()
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    wall = wall1 - wall0
    every = recorder.focused_ms + recorder.other_ms
    result = {
        "panes": args.panes,
        "load": args.load,
        "seconds": round(wall, 2),
        "cpu_pct": round(100 * (cpu1 - cpu0 - measuring) / wall, 1),
        "measuring_cpu_pct": round(100 * measuring / wall, 1),
        "tmux_cpu_pct": round(100 * (tmux1 - tmux0) / wall, 1),
        "captures_per_s": round(captures / wall, 1),
        "samples": len(every),
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "focused_p50_ms": percentile(recorder.focused_ms, 0.5),
        "focused_p99_ms": percentile(recorder.focused_ms, 0.99),
        "other_p50_ms": percentile(recorder.other_ms, 0.5),
        "other_p99_ms": percentile(recorder.other_ms, 0.99),
    }
    print(
        f"{args.panes} {args.load} panes for {wall:.1f}s: mirror {result['cpu_pct']}% of a core, "
        f"tmux {result['tmux_cpu_pct']}%, {result['captures_per_s']} captures/s; frame age "
        f"focused p50 {result['focused_p50_ms']} / p99 {result['focused_p99_ms']} ms, "
        f"others p50 {result['other_p50_ms']} / p99 {result['other_p99_ms']} ms"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
