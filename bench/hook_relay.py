"""Benchmark a hook of an agent on a host decided here through the hook relay.

    python bench/hook_relay.py [--rounds N]

Starts Debian's sshd on 127.0.0.1 as the host ``remote`` (tests/support/sshd.py: own keys,
another HOME; temporary HOME, config and state here) and this machine's relay for it, whose
socket the shared ssh connection forwards there. The "host" is this machine, so the host's
``agenttui hook`` can be run here with the agent's environment there. Measures, median and
p90 over N rounds, a PermissionRequest that an allow rule decides:
- ``local_hook``: ``agenttui hook`` of a local agent (a process, deciding in it);
- ``relayed_hook``: the host's ``agenttui hook`` handing it to the relay (a process too);
- ``relay_round_trip``: the request alone, from the forwarded socket there to the answer;
- ``unreachable_hook``: the host's hook with no relay behind the socket (the fallback);
and what the relay costs while idle (``relay_idle_cpu_percent`` of one core over
``--idle`` seconds, its process and the ssh session it holds).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hosts import timed  # noqa: E402

PAYLOAD = {
    "hook_event_name": "PermissionRequest",
    "session_id": "bench",
    "cwd": "/",
    "tool_name": "Bash",
    "tool_input": {"command": "touch bench-file"},
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children it waited for, plus its live children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *children(pid)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def idle_cpu(pid: int, seconds: float) -> float:
    """Percent of one core the relay (and its ssh session) used over ``seconds`` idle."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return round(100 * (cpu_seconds(pid) - before) / (time.monotonic() - started), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="agenttui-bench-relay-"))
    short = Path(tempfile.mkdtemp(prefix="abr-", dir="/tmp"))
    for name, value in (
        ("HOME", scratch / "home"),
        ("AGENTTUI_STATE_DIR", scratch / "state"),
        ("AGENTTUI_CONFIG_DIR", scratch / "config"),
        ("TMUX_TMPDIR", short),
    ):
        value.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(value)
    os.environ["AGENTTUI_CONFIG"] = str(scratch / "config" / "config.toml")
    for name in ("TMUX", "TMUX_PANE", "AGENTTUI_HOOK_RELAY"):
        os.environ.pop(name, None)
    (scratch / "config" / "policy.toml").write_text('allow = ["Bash(touch:*)"]\n')

    from tests.support.sshd import running_sshd, stop_relays
    from workflows.agents.hook_relay import ensure_relay, stop_relay
    from workflows.approvals.relay_client import relayed

    raw = json.dumps(PAYLOAD)

    def hook(env: dict[str, str]) -> str:
        argv = [sys.executable, "-m", "tui", "hook", "--pane", "bench", "claude"]
        done = subprocess.run(argv, input=raw, capture_output=True, text=True, env=env, check=True)
        return done.stdout

    results: dict[str, object] = {"rounds": args.rounds}
    with running_sshd(scratch, short / "r") as remote:
        host = remote.host
        status = ensure_relay(host)
        socket_there = str(status["forwarded"])
        there = {
            **os.environ,
            "HOME": str(remote.home),
            "AGENTTUI_STATE_DIR": str(remote.home / "state"),
            "AGENTTUI_HOOK_RELAY": socket_there,
        }
        there.pop("AGENTTUI_CONFIG_DIR")
        there.pop("AGENTTUI_CONFIG")
        assert '"allow"' in hook(there), "the relay did not decide"
        assert '"allow"' in hook(dict(os.environ)), "the local policy did not decide"
        results["local_hook"] = timed(lambda: hook(dict(os.environ)), args.rounds)
        results["relayed_hook"] = timed(lambda: hook(there), args.rounds)
        results["relay_round_trip"] = timed(
            lambda: relayed(socket_there, "claude", "bench", raw, PAYLOAD), args.rounds
        )
        results["relay_idle_cpu_percent"] = idle_cpu(int(status["pid"]), args.idle)
        stop_relay(host)
        stop_relays()
        assert hook(there) == "", "the fallback decided"
        results["unreachable_hook"] = timed(lambda: hook(there), args.rounds)
    for key, value in results.items():
        print(f"{key}: {value}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
