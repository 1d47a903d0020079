"""Benchmark verified send: M hostile prompts to each of N agent panes, all panes at once.

    python bench/send.py [--agent demo|raw] [--panes N] [--prompts M]

Runs a private tmux server (own socket, temporary HOME), one thread per pane sharing one
driver (one control connection). ``demo`` checks exactly-once in each demo agent's
``prompts.jsonl``; ``raw`` checks every byte a raw-mode reader logged. Latency is one
``send_text`` call: preflight (incl. waiting for the agent to finish its previous prompt),
paste, visible, settle, Enter, confirm. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.hostile import HOSTILE_PROMPTS  # noqa: E402
from tests.support.tmux import (  # noqa: E402
    RAW_PROFILE,
    demo_prompts,
    raw_expected,
    spawn_demo,
    spawn_raw,
    wait_ready,
)
from tests.support.waiting import wait_until  # noqa: E402
from workflows.agents.delivery import send_text  # noqa: E402
from workflows.agents.settings import load_profile  # noqa: E402
from workflows.base.target import TmuxTarget  # noqa: E402
from workflows.tmux.driver import TmuxDriver  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def check_pane(agent: str, work: Path, prompts: list[str]) -> bool:
    """Exactly once, byte for byte: the demo agent's prompt log or the raw reader's bytes."""
    if agent == "raw":
        log = work / "raw.log"
        expected = raw_expected(prompts)
        with contextlib.suppress(AssertionError):
            wait_until(lambda: len(log.read_bytes()) >= len(expected), timeout=30)
        return log.read_bytes() == expected
    with contextlib.suppress(AssertionError):
        wait_until(lambda: len(demo_prompts(work)) >= len(prompts), timeout=30)
    return demo_prompts(work) == prompts


def main() -> int:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", choices=("demo", "raw"), default="demo")
    parser.add_argument("--panes", type=int, default=4)
    parser.add_argument("--prompts", type=int, default=25)
    parser.add_argument("--work", type=float, default=0.05, help="demo agent work seconds")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="agenttui-bench-"))
    os.environ.update(HOME=str(home), AGENTTUI_STATE_DIR=str(home / "state"))
    os.environ.pop("TMUX", None)
    socket = f"agenttui-bench-{uuid.uuid4().hex[:8]}"
    driver = TmuxDriver(TmuxTarget(socket, "bench"))
    profile = RAW_PROFILE if args.agent == "raw" else load_profile("demo")
    prompts = [HOSTILE_PROMPTS[i % len(HOSTILE_PROMPTS)] for i in range(args.prompts)]
    latencies: list[float] = []
    failures: list[str] = []
    step_ms: dict[str, list[float]] = {}
    lock = threading.Lock()
    try:
        panes = []
        for index in range(args.panes):
            work = home / f"pane-{index}"
            work.mkdir()
            if args.agent == "raw":
                pane = spawn_raw(driver, work / "raw.log", name=f"raw-{index}")
            else:
                pane = spawn_demo(driver, work, name=f"demo-{index}", work=args.work)
            panes.append((pane, work))
        for pane, _ in panes:
            wait_until(lambda p=pane: wait_ready(driver, p, profile), timeout=60)

        def worker(pane_index: int) -> None:
            pane, _ = panes[pane_index]
            for prompt in prompts:
                started = time.perf_counter()
                try:
                    result = send_text(driver, pane, prompt, timeout=60, profile=profile)
                    ok = result.submitted and result.attempts == 1
                except Exception as error:  # a benchmark reports, never stops halfway
                    ok, result = False, None
                    failures.append(f"{pane.pane_id}: {error}")
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                    for step in result.steps if result is not None else []:
                        step_ms.setdefault(str(step["step"]), []).append(float(step["ms"]))
                    if not ok and result is not None:
                        failures.append(f"{pane.pane_id}: {result.as_json()}")

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(panes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started

        exact = sum(check_pane(args.agent, work, prompts) for _, work in panes)
    finally:
        driver.close()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    for failure in failures[:5]:
        print("failure:", failure, file=sys.stderr)
    sent = len(latencies)
    print(f"agent={args.agent} panes={args.panes} prompts/pane={args.prompts} wall={wall:.1f}s")
    print(
        json.dumps(
            {
                "agent": args.agent,
                "panes": args.panes,
                "prompts_per_pane": args.prompts,
                "sent": sent,
                "exactly_once": exact == len(panes) and not failures,
                "panes_exact": exact,
                "failures": len(failures),
                "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
                "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
                "max_ms": round(max(latencies), 1) if latencies else None,
                "step_p50_ms": {k: round(statistics.median(v), 1) for k, v in step_ms.items()},
                "sends_per_s": round(sent / wall, 1) if wall else None,
            }
        )
    )
    return 0 if exact == len(panes) and not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
