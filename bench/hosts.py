"""Benchmark agents on a remote host: what going through ssh costs next to the local tmux.

    python bench/hosts.py [--rounds N] [--prompts M]

Starts Debian's sshd on 127.0.0.1 as the host ``remote`` (tests/support/sshd.py: own keys,
another HOME and TMUX_TMPDIR; temporary HOME, config and state here) and a private local tmux
server, a demo agent on each. Measures, median and p90 over N rounds: an ssh command with a
fresh connection and over agenttui's shared one (ControlMaster), one control-mode command
(display-message) and one capture-pane of the agent's pane, here and on the host; then M
verified sends (``send_text``: preflight, paste, settle, Enter, confirm) to each agent.
The last line is one JSON object.
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
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(action: Callable[[], object], rounds: int) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p90_ms": round(samples[int(len(samples) * 0.9) - 1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--prompts", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="agenttui-bench-hosts-"))
    short = Path(tempfile.mkdtemp(prefix="abh-", dir="/tmp"))
    for name, value in (
        ("HOME", scratch / "home"),
        ("AGENTTUI_STATE_DIR", scratch / "state"),
        ("AGENTTUI_CONFIG_DIR", scratch / "config"),
        ("AGENTTUI_CONFIG", scratch / "config" / "config.toml"),
        ("TMUX_TMPDIR", short),
    ):
        Path(value).mkdir(parents=True, exist_ok=True) if name != "AGENTTUI_CONFIG" else None
        os.environ[name] = str(value)
    for name in ("TMUX", "TMUX_PANE", "AGENTTUI_TMUX_SOCKET", "AGENTTUI_SESSION"):
        os.environ.pop(name, None)

    from tests.support.sshd import running_sshd
    from tests.support.tmux import demo_prompts, spawn_demo
    from tests.support.tmux_guard import live_sockets, stop_server
    from tests.support.waiting import wait_until
    from workflows.agents.delivery import send_text
    from workflows.base.target import TmuxTarget
    from workflows.tmux.driver import TmuxDriver
    from workflows.tmux.ssh import run_remote

    results: dict[str, object] = {"rounds": args.rounds, "prompts": args.prompts}
    with running_sshd(scratch, short / "r") as remote:
        host = remote.host
        fresh = ["ssh", "-F", str(remote.ssh_config), "-o", "ControlMaster=no", "-T", "remote"]
        results["ssh_fresh_connection"] = timed(
            lambda: subprocess.run([*fresh, "true"], check=True), max(5, args.rounds // 5)
        )
        run_remote(host, "true")  # opens the shared connection
        results["ssh_shared_connection"] = timed(lambda: run_remote(host, "true"), args.rounds)
        drivers = {
            "local": TmuxDriver(TmuxTarget("bench-hosts", "agenttui")),
            "remote": TmuxDriver(TmuxTarget("bench-hosts", "agenttui", host)),
        }
        try:
            for where, driver in drivers.items():
                cwd = remote.repo if where == "remote" else scratch / "local-agent"
                pane = spawn_demo(driver, cwd, name=f"{where}-1").pane_id
                wait_until(
                    lambda d=driver, p=pane: any(line.startswith("❯") for line in d.capture(p)),
                    timeout=30,
                    message=f"the {where} demo agent",
                )
                results[f"{where}_control_command"] = timed(
                    lambda d=driver: d.command("display-message", "-p", "#{pid}"), args.rounds
                )
                results[f"{where}_capture_pane"] = timed(
                    lambda d=driver, p=pane: d.capture(p), args.rounds
                )
                sends = []
                for number in range(args.prompts):
                    started = time.perf_counter()
                    sent = send_text(driver, pane, f"bench prompt {number}", timeout=60)
                    sends.append((time.perf_counter() - started) * 1000)
                    assert sent.submitted, sent
                wait_until(
                    lambda c=cwd: len(demo_prompts(c)) == args.prompts, timeout=60,
                    message="every prompt received",
                )  # fmt: skip
                results[f"{where}_send_median_ms"] = round(statistics.median(sends), 1)
                results[f"{where}_prompts_received_once"] = len(demo_prompts(cwd)) == args.prompts
        finally:
            for driver in drivers.values():
                driver.close()
            subprocess.run(  # the local server this bench started (the remote one below)
                ["tmux", "-L", "bench-hosts", "kill-server"], check=False, capture_output=True
            )
            for path in live_sockets(short):
                if path.parent.name.startswith("tmux-"):
                    stop_server(path)
    with contextlib.suppress(OSError):
        subprocess.run(["rm", "-rf", str(scratch), str(short)], check=False)
    for key, value in results.items():
        print(f"{key:32} {value}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
