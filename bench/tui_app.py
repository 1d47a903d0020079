"""Benchmark the app: cold start to first frame, filtering 2,000 issues per keystroke, and
keystroke-to-frame on the agents screen with many idle agent panes.

    python bench/tui_app.py [--issues 2000] [--panes 100] [--starts 5] [--keys 240]
                            [--filter-rounds 6]

``--panes 0`` and ``--starts 0`` skip those figures.

cold_start_ms: `python -m tui app` started in a private tmux pane until the issue list
(from the cache) is on that pane's screen, polled every 5 ms. filter_ms: a key typed into
the filter until the app has composed the next frame (headless; the frame is not written
to a terminal). key_to_frame_ms: `l` (focus the next tile) until the next frame, with
``--panes`` idle agent panes mirrored (and their states polled, as in real use).
Both are measured to the FIRST frame after the key, keys sent back to back (the next as
soon as the app is idle); *_keys_with_later_frames counts keys whose effect needed a
further frame (it should be 0: the whole effect of a key shows in one frame).
``--filter-rounds`` repeats the five filter queries (38 keys a round). Each figure is
reported as p50/p95/p99/max over all samples; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.support.tmux import private_target
from workflows.base.target import TmuxTarget

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def figures(name: str, values: list[float]) -> dict[str, Any]:
    return {
        f"{name}_n": len(values),
        f"{name}_p50": percentile(values, 0.5),
        f"{name}_p95": percentile(values, 0.95),
        f"{name}_p99": percentile(values, 0.99),
        f"{name}_max": round(max(values), 1) if values else None,
    }


def summary(result: dict[str, Any], name: str) -> str:
    return "/".join(str(result[f"{name}_{p}"]) for p in ("p50", "p95", "p99", "max"))


def write_issue_folder(folder: Path, count: int) -> None:
    """The 2,000-issue folder of bench/issues.py (same generator, same seed)."""
    spec = importlib.util.spec_from_file_location("bench_issues", ROOT / "bench" / "issues.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.COUNT = count
    module.write_issues(folder, random.Random(4))


def isolate(tmp: Path, issues: Path) -> None:
    for name in ("state", "config", "home"):
        (tmp / name).mkdir(exist_ok=True)
    (tmp / "config" / "config.toml").write_text(f'[local]\npath = "{issues}"\n')
    os.environ.update(
        HOME=str(tmp / "home"),
        AGENTTUI_STATE_DIR=str(tmp / "state"),
        AGENTTUI_CONFIG_DIR=str(tmp / "config"),
        AGENTTUI_CONFIG=str(tmp / "config" / "config.toml"),
    )
    for var in ("TMUX", "LINEAR_API_KEY"):
        os.environ.pop(var, None)


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args], capture_output=True, text=True, check=True
    ).stdout


def cold_starts(socket: str, count: int) -> list[float]:
    env = [
        f"-e{key}={os.environ[key]}"
        for key in ("HOME", "AGENTTUI_STATE_DIR", "AGENTTUI_CONFIG_DIR", "AGENTTUI_CONFIG")
    ]
    argv = [sys.executable, "-m", "tui", "--socket", socket, "--session", "bench", "app"]
    samples = []
    for attempt in range(count + 1):  # the first run fills the cache and the .pyc files
        started = time.perf_counter()
        pane = tmux(socket, "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "bench:",
                    "-c", str(ROOT), *env, "--", *argv).strip()  # fmt: skip
        while "BEN-" not in tmux(socket, "capture-pane", "-p", "-t", pane):
            if time.perf_counter() - started > 30:
                raise SystemExit("the app did not show the issue list within 30 s")
            time.sleep(0.005)
        elapsed = (time.perf_counter() - started) * 1000
        if attempt:
            samples.append(elapsed)
        time.sleep(1.0)  # let the background refresh finish before quitting
        tmux(socket, "kill-pane", "-t", pane)
    return samples


NO_FRAME_S = 5.0
"""A key that changes what shows and has no frame this long after is a defect."""


class FrameClock:
    """Records when the app composes a frame (App._display with something to show)."""

    def __init__(self, app: Any) -> None:
        self.frames: list[float] = []
        self.keys_with_later_frames = 0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.frames.append(time.perf_counter())
            original(screen, renderable)

        app._display = display

    async def key_to_frame(self, pilot: Any, key: str) -> float:
        """From the key to the first frame composed after it (what the person sees change).
        Keys whose effect took more than one frame (e.g. the key bar a message later) are
        counted in ``keys_with_later_frames``."""
        self.frames.clear()
        started = time.perf_counter()
        await pilot.press(key)
        while not self.frames:
            if time.perf_counter() - started > NO_FRAME_S:
                raise SystemExit(f"no frame within {NO_FRAME_S:.0f} s of the key {key!r}")
            await asyncio.sleep(0.0005)
        first = self.frames[0]
        if len(self.frames) > 1:
            self.keys_with_later_frames += 1
        return (first - started) * 1000


async def filter_keystrokes(queries: list[str], rounds: int) -> tuple[list[float], int, int]:
    from tui.app import build_app

    app = build_app(private_target(), poll_tiles=False)
    app.heap_freezing = True  # as in a real terminal (off in headless tests)
    clock = FrameClock(app)
    samples: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        while len(screen.all_issues) < 100:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        total = len(screen.all_issues)
        for query in queries * rounds:
            await pilot.press("slash")
            for char in query:
                samples.append(await clock.key_to_frame(pilot, char))
            for _ in query:
                await pilot.press("backspace")
            await pilot.press("enter")
    return samples, total, clock.keys_with_later_frames


async def tile_keystrokes(socket: str, panes: int, keys: int) -> tuple[list[float], int, int]:
    from tui.app import build_app
    from widgets.pane_tile import PaneTile

    app = build_app(TmuxTarget(socket, "bench"))
    app.heap_freezing = True  # as in a real terminal (off in headless tests)
    clock = FrameClock(app)
    samples: list[float] = []
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("2")
        deadline = time.monotonic() + 120
        while len(app.screen.query(PaneTile)) < panes:
            if time.monotonic() > deadline:
                raise SystemExit("tiles did not appear within 120 s")
            await pilot.pause(0.1)
        await pilot.pause(2.0)
        span = min(5, panes) - 1  # right over `span` tiles, then back: every key moves focus
        for number in range(keys):
            key = "l" if number % (2 * span) < span else "h"
            samples.append(await clock.key_to_frame(pilot, key))
            await pilot.pause(0.05)
        tiles = len(app.screen.query(PaneTile))
    return samples, tiles, clock.keys_with_later_frames


def spawn_idle_panes(socket: str, count: int) -> None:
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(TmuxTarget(socket, "bench"))
    sim = [sys.executable, str(ROOT / "bench" / "agent_sim.py"), "--rate", "0"]
    try:
        for number in range(count):
            driver.spawn(sim, name=f"idle-{number:03d}", agent="shell", width=100, height=30)
    finally:
        driver.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--panes", type=int, default=100)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--keys", type=int, default=240)
    parser.add_argument("--filter-rounds", type=int, default=6)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="agenttui-bench-tui-"))
    socket = f"agenttui-bench-{uuid.uuid4().hex[:8]}"
    try:
        folder = tmp / "issues"
        folder.mkdir()
        write_issue_folder(folder, args.issues)
        isolate(tmp, folder)
        tmux(socket, "new-session", "-d", "-s", "bench", "-x", "160", "-y", "50")
        starts = cold_starts(socket, args.starts) if args.starts else []
        queries = ["kalo", "bug ex", "project 1", "todo sel", "ravenqui"]
        filtering, total, filter_later = asyncio.run(filter_keystrokes(queries, args.filter_rounds))
        keys, tiles, tile_later = [], 0, 0
        if args.panes:
            if args.panes < 2:
                parser.error("--panes: 0 (no tile figures) or at least 2 (focus must move)")
            spawn_idle_panes(socket, args.panes)
            keys, tiles, tile_later = asyncio.run(tile_keystrokes(socket, args.panes, args.keys))
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    result: dict[str, Any] = {
        "issues": total,
        "panes": tiles,
        "filter_keys_with_later_frames": filter_later,
        "tile_keys_with_later_frames": tile_later,
    }
    result.update(figures("cold_start_ms", starts))
    result.update(figures("filter_ms", filtering))
    result.update(figures("key_to_frame_ms", keys))
    print(
        f"cold start {summary(result, 'cold_start_ms')} ms ({len(starts)} starts); filter over "
        f"{total} issues {summary(result, 'filter_ms')} ms per key ({len(filtering)} keys); "
        f"{tiles} idle tiles: key to frame {summary(result, 'key_to_frame_ms')} ms "
        f"({len(keys)} keys)  [p50/p95/p99/max]"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
