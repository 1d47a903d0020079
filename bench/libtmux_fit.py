"""Where libtmux could serve agenttui: its object model against the driver's control connection,
for the jobs off the hot path (listing panes, setting a pane option) and the CLI's start-up.

    python bench/libtmux_fit.py [--panes N] [--rounds R]

On a private tmux server with N panes, each job is done R times both ways. Printed per job:
wall ms per call (median, p90) and CPU ms per call (this process plus the tmux clients it
forked, which is where libtmux spends: one ``tmux`` process per call), then the import cost
of each module in a fresh interpreter. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import libtmux  # noqa: E402

from workflows.base.target import TmuxTarget  # noqa: E402
from workflows.tmux.driver import TmuxDriver  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(job: Callable[[], object], rounds: int) -> dict[str, float]:
    walls: list[float] = []
    cpu_start = cpu_seconds()
    for _ in range(rounds):
        started = time.perf_counter()
        job()
        walls.append((time.perf_counter() - started) * 1000)
    cpu_ms = (cpu_seconds() - cpu_start) * 1000 / rounds
    walls.sort()
    return {
        "wall_ms_p50": round(statistics.median(walls), 2),
        "wall_ms_p90": round(walls[int(0.9 * (len(walls) - 1))], 2),
        "cpu_ms": round(cpu_ms, 2),
    }


def import_ms(module: str) -> float:
    """Wall time of importing ``module`` in a fresh interpreter, less a bare interpreter's."""

    def run(code: str) -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            best = min(best, time.perf_counter() - started)
        return best

    return round((run(f"import {module}") - run("pass")) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        os.environ["TMUX_TMPDIR"] = tmpdir  # a private server: never the person's
        os.environ.pop("TMUX", None)
        socket = f"libtmux-fit-{uuid.uuid4().hex[:8]}"
        driver = TmuxDriver(TmuxTarget(socket, "agenttui"))
        driver.ensure_session()
        for index in range(args.panes):
            driver.spawn(["cat"], name=f"agent-{index}")
        server = libtmux.Server(socket_name=socket)
        try:

            def libtmux_list() -> object:
                session = server.sessions.get(session_name="agenttui")
                assert session is not None
                return [(p.pane_id, p.pane_title, p.pane_dead) for p in session.panes]

            def driver_list() -> object:
                return [(p.pane_id, p.title, p.dead) for p in driver.panes()]

            first_pane = driver.panes()[0].pane_id
            libtmux_pane = server.panes.get(pane_id=first_pane)
            assert libtmux_pane is not None

            def libtmux_option() -> object:
                return libtmux_pane.set_option("@agenttui_note", "x")

            def driver_option() -> object:
                return driver.command("set-option", "-p", "-t", first_pane, "@agenttui_note", "x")

            assert len(libtmux_list()) == len(driver_list()) == args.panes + 1  # + home
            results = {
                "list_panes": {
                    "libtmux": measure(libtmux_list, args.rounds),
                    "control": measure(driver_list, args.rounds),
                },
                "set_pane_option": {
                    "libtmux": measure(libtmux_option, args.rounds),
                    "control": measure(driver_option, args.rounds),
                },
                "import_ms": {
                    "libtmux": import_ms("libtmux"),
                    "workflows.tmux.driver": import_ms("workflows.tmux.driver"),
                },
            }
        finally:
            driver.close()
            subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
    print(f"{args.panes} panes, {args.rounds} rounds, libtmux {libtmux.__version__}")
    for job in ("list_panes", "set_pane_option"):
        for way, figures in results[job].items():  # type: ignore[attr-defined]
            print(f"{job:16} {way:8} {figures}")
    print("import (ms, fresh interpreter):", results["import_ms"])
    print(json.dumps({"panes": args.panes, "rounds": args.rounds, **results}))


if __name__ == "__main__":
    main()
