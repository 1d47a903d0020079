"""Benchmark recording: what recording N busy agent panes costs on top of running them.

    python bench/recording.py [--panes 32] [--load busy] [--seconds 10] [--rounds 3] [--compare]

N synthetic agents (bench/agent_sim.py, ``busy`` = 30 KB/s each, as in bench/mirror.py) run
in a private tmux server. The same S seconds are measured without recording, then with the
runner's recorder (workflows.runs.recording.recorder.RunRecorder: ``pipe-pane`` hands tmux's
end of each pane's pipe to the recorder, one reader thread writes the asciicast files),
``--rounds`` times (unrecorded first in even rounds, last in odd ones). The cost is the CPU
time of everything recording adds, in % of one core: the recorder (this process) and the
tmux server's time above the rounds without recording (no process stays between the two: the
short helper that hands a pipe over exits at once, its start-up is reported apart, once per
pane). ``--compare`` also measures the other source, a control-mode client with ``%output``
left on (every pane of the session arrives escaped; octal undone with codecs.escape_decode),
writing the same files, tmux's part alone with a ``cat`` per pane reading its pipe as
soon as tmux writes, and a pty proxy between tmux and each agent (util-linux ``script``,
counted with the kernel workers that move a pty's output), and what a host runs instead
(a Python stamper per pane, host_recorder.STAMPER).
The line printed ends with the load average (the machine may be shared: compare A/B runs
made back to back); the last line is one JSON object, with each round's figures.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from workflows.base.target import TmuxTarget

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mirror import HEIGHT, RATES, ROOT, WIDTH, start_agents, tmux  # noqa: E402  (the same panes)


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of ``pid`` in ns precision (schedstat; /proc/PID/stat counts
    in ticks of 10 ms, which a cat using 0.3 ms a second never reaches)."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
    except OSError:
        pass
    return total / 1e9


def kernel_workers() -> list[int]:
    """The kernel's worker threads: a pty's output is moved to its reader by a kworker, so a
    source that adds a pty (a proxy) costs there too, outside every process of ours."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith(
                ("kworker", "ksoftirqd")
            ):
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def measure(server_pid: int, seconds: float, proxies: Sequence[int] = ()) -> dict[str, float]:
    """% of a core used over ``seconds`` by the tmux server, this process, the kernel's
    workers and ``proxies`` (processes between tmux and the agents, if any)."""
    workers = kernel_workers()

    def now() -> tuple[float, ...]:
        return (
            cpu_seconds(server_pid),
            time.process_time(),
            sum(cpu_seconds(pid) for pid in workers),
            sum(cpu_seconds(pid) for pid in proxies),
        )

    start, wall0 = now(), time.monotonic()
    time.sleep(seconds)
    end, wall = now(), time.monotonic() - wall0
    names = ("tmux", "recorder", "kworker", "proxy")
    return {name: 100 * (end[i] - start[i]) / wall for i, name in enumerate(names)}


class ControlRecorder:
    """The alternative source: one control client with output on for every pane."""

    def __init__(self, socket: str, session: str, panes: list[str], folder: Path) -> None:
        self.proc = subprocess.Popen(
            ["tmux", "-L", socket, "-C", "attach", "-t", session],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        self.files = {}
        for pane in panes:
            handle = (folder / f"{pane[1:]}.cast").open("w", buffering=1 << 16)
            handle.write(json.dumps({"version": 2, "width": WIDTH, "height": HEIGHT}) + "\n")
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            self.files[pane.encode()] = (handle, decoder)
        self.start = time.time()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith(b"%output "):
                continue
            _, pane, data = line.split(b" ", 2)
            if pane not in self.files:
                continue
            handle, decoder = self.files[pane]
            text = decoder.decode(codecs.escape_decode(data[:-1])[0])  # type: ignore[attr-defined]
            at = time.time() - self.start
            handle.write(f'[{at:.6f}, "o", {json.dumps(text, ensure_ascii=False)}]\n')

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.thread.join(5)
        for handle, _ in self.files.values():
            handle.close()


def handoff_helper_ms(times: int = 10) -> float:
    """CPU ms of one handoff helper (what pipe-pane runs once per pane and size change):
    the same command line, given a pipe and handing it to a listening Handoff."""
    from workflows.runs.recording.handoff import Handoff

    handoff = Handoff()
    before = os.times()
    for number in range(times):
        read_end, write_end = os.pipe()
        command = handoff.command("%0", number)
        subprocess.run(["sh", "-c", command], stdin=read_end, check=True)
        handed = None
        while handed is None:
            handed = handoff.accept()
        for fd in (read_end, write_end, handed.fd):
            os.close(fd)
    after = os.times()
    handoff.close()
    used = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return 1000 * used / times


def start_panes(socket: str, session: str, count: int, load: str) -> tuple[int, list[str]]:
    """The tmux server's pid and bench/mirror.py's panes, marked as the run ``bench``'s."""
    panes = start_agents(socket, session, count, load)
    for pane in panes:
        tmux(socket, "set-option", "-p", "-t", pane, "@agenttui_run", "bench")
    return int(tmux(socket, "display-message", "-p", "#{pid}").strip()), panes


def round_with_recorder(
    socket: str, session: str, server: int, panes: list[str], seconds: float
) -> tuple[dict[str, float], float, float]:
    """One window while the runner's recorder records every pane: its CPU figures, the
    bytes written a second, and the seconds until every pane was being recorded."""
    from workflows.runs.recording.files import run_casts
    from workflows.runs.recording.recorder import RunRecorder
    from workflows.tmux.driver import TmuxDriver

    began = time.monotonic()
    recorder = RunRecorder("bench", TmuxDriver(TmuxTarget(socket, session))).start()
    while len(recorder.recording) < len(panes):
        time.sleep(0.05)
    ready = time.monotonic() - began
    time.sleep(1)
    before = sum(path.stat().st_size for path in run_casts("bench"))
    window = measure(server, seconds)
    after = sum(path.stat().st_size for path in run_casts("bench"))
    recorder.stop()
    return window, (after - before) / seconds, ready


def round_with_control_client(
    socket: str, session: str, server: int, panes: list[str], *, folder: Path, seconds: float
) -> dict[str, float]:
    folder.mkdir(exist_ok=True)
    control = ControlRecorder(socket, session, panes, folder)
    time.sleep(1)
    window = measure(server, seconds)
    control.stop()
    return window


def round_with_cat(socket: str, server: int, panes: list[str], seconds: float) -> float:
    """tmux's extra CPU (%) while a ``cat`` per pane reads its pipe at once and throws the
    bytes away: what tmux spends on pipes with a reader that does nothing and never waits."""
    for pane in panes:
        tmux(socket, "pipe-pane", "-O", "-t", pane, "exec cat >/dev/null")
    time.sleep(1)
    window = measure(server, seconds)
    for pane in panes:
        tmux(socket, "pipe-pane", "-t", pane)  # closes it
    return window["tmux"]


def round_with_stampers(
    socket: str, server: int, panes: list[str], seconds: float, folder: Path
) -> dict[str, float]:
    """What recording costs on a host (``[hosts.NAME]``): there, ``pipe-pane`` feeds each
    pane to a small Python stamper writing its own file (host_recorder.STAMPER), fetched
    over ssh every few seconds. Here the same stampers on the same panes: their CPU
    ("proxy") and tmux's; the fetch (one ssh command per host every 5 s) is not in it."""
    from workflows.runs.recording.host_recorder import STAMPER

    folder.mkdir(exist_ok=True)
    for pane in panes:
        target = str(folder / f"{pane[1:]}.events")
        stamping = "exec " + shlex.join([sys.executable, "-I", "-S", "-c", STAMPER, target])
        tmux(socket, "pipe-pane", "-O", "-t", pane, stamping)
    time.sleep(1)
    stampers = [pid for pid in descendants([server]) if pid != server and is_stamper(pid)]
    window = measure(server, seconds, stampers)
    for pane in panes:
        tmux(socket, "pipe-pane", "-t", pane)
    window["stampers"] = len(stampers)
    return window


def is_stamper(pid: int) -> bool:
    try:
        return b"exec(" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def descendants(pids: list[int]) -> list[int]:
    """Every process under ``pids`` (a proxy's agent runs in a session of its own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            pass
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def round_with_pty_proxy(count: int, load: str, seconds: float, folder: Path) -> dict[str, float]:
    """The source that needs no tmux: a pty proxy between tmux and each agent, here
    util-linux ``script`` (C) logging output and timing to files, flushed as a recording
    must be. A lower bound for any proxy: it writes no asciicast, and is not Python."""
    folder.mkdir(exist_ok=True)
    socket = f"agenttui-bench-{uuid.uuid4().hex[:8]}"
    sim = shlex.join(
        [sys.executable, str(ROOT / "bench" / "agent_sim.py"), "--rate", str(RATES[load])]
    )

    def command(number: int) -> str:
        files = ["-T", str(folder / f"{number}.timing"), "-O", str(folder / f"{number}.log")]
        return "exec " + shlex.join(["script", "-q", "-f", "-m", "advanced", *files, "-c", sim])

    tmux(
        socket, "new-session", "-d", "-s", "proxy", "-x", str(WIDTH), "-y", str(HEIGHT), command(0)
    )
    for number in range(1, count):
        tmux(socket, "new-window", "-d", "-t", "proxy:", command(number))
    tmux(socket, "set-option", "-g", "window-size", "manual")
    panes = tmux(socket, "list-panes", "-s", "-t", "proxy", "-F", "#{pane_id} #{pane_pid}").split(
        "\n"
    )
    proxies = []
    for line in filter(None, panes):
        pane, pane_pid = line.split()
        tmux(socket, "resize-window", "-t", pane, "-x", str(WIDTH), "-y", str(HEIGHT))
        proxies.append(int(pane_pid))
    server = int(tmux(socket, "display-message", "-p", "#{pid}").strip())
    try:
        time.sleep(3)  # every agent started and writing
        return measure(server, seconds, proxies)
    finally:
        tree = descendants(proxies)
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
        for pid in tree:  # script keeps its agent running when tmux hangs up
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


def proxy_cost(windows: list[dict[str, float]], off: list[dict[str, float]]) -> dict[str, float]:
    """What the proxies add: their own CPU, tmux's and the kernel workers' above the rounds
    without recording (the same number of the same agents)."""

    def median(rounds: list[dict[str, float]], key: str) -> float:
        return statistics.median(window[key] for window in rounds)

    parts = {
        "proxy_pct": median(windows, "proxy"),
        "tmux_extra_pct": median(windows, "tmux") - median(off, "tmux"),
        "kworker_extra_pct": median(windows, "kworker") - median(off, "kworker"),
    }
    parts["total_pct"] = sum(parts.values())
    return {key: round(value, 2) for key, value in parts.items()}


def cost(windows: list[dict[str, float]], tmux_off: float) -> dict[str, float]:
    parts = {
        "recorder_pct": statistics.median(w["recorder"] for w in windows),
        "tmux_extra_pct": statistics.median(w["tmux"] for w in windows) - tmux_off,
    }
    parts["total_pct"] = sum(parts.values())
    return {key: round(value, 2) for key, value in parts.items()}


def on_a_host(stamped: list[dict[str, float]], off: list[dict[str, float]]) -> dict[str, object]:
    """``--compare``'s line for a host's recording: the stampers and tmux there (no pty is
    added, so the kernel workers' share is not counted)."""
    extra = proxy_cost(stamped, off)
    extra["total_pct"] = round(extra["proxy_pct"] + extra["tmux_extra_pct"], 2)
    count = int(min(window["stampers"] for window in stamped))
    print(
        f"on a host, the stampers instead ({count} found, one Python per pane, as there): "
        f"{extra['total_pct']}% of a core (the stampers {extra['proxy_pct']}%, tmux "
        f"{extra['tmux_extra_pct']:+}%)"
    )
    return {"host_stampers": {k: v for k, v in extra.items() if not k.startswith("kworker")}}


def other_sources(
    control: list[dict[str, float]],
    cat: list[float],
    proxy: list[dict[str, float]],
    off: list[dict[str, float]],
) -> dict[str, object]:
    """``--compare``'s lines (printed) and figures: the sources recording could use instead."""
    tmux_off = statistics.median(window["tmux"] for window in off)
    control_cost = cost(control, tmux_off)
    print(f"a control client with %output on instead: {control_cost['total_pct']}% of a core")
    cat_extra = round(statistics.median(cat) - tmux_off, 2)
    print(f"tmux's part alone with a cat per pane reading each pipe at once: {cat_extra:+}%")
    extra = proxy_cost(proxy, off)
    print(
        f"a pty proxy per pane instead (util-linux script, C, no asciicast written): "
        f"{extra['total_pct']}% of a core (the proxies {extra['proxy_pct']}%, tmux "
        f"{extra['tmux_extra_pct']:+}%, kernel workers {extra['kworker_extra_pct']:+}%)"
    )
    return {
        "control_client": control_cost,
        "cat_per_pane_tmux_extra_pct": cat_extra,
        "pty_proxy": extra,
        "pty_proxy_rounds": [
            {key: round(value, 2) for key, value in window.items()} for window in proxy
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=32)
    parser.add_argument("--load", choices=sorted(RATES), default="busy")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured window")
    parser.add_argument("--rounds", type=int, default=3, help="windows with and without")
    parser.add_argument("--compare", action="store_true", help="also a control-mode client")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally below still runs

    state = Path(tempfile.mkdtemp(prefix="agenttui-bench-rec-"))
    os.environ["AGENTTUI_STATE_DIR"] = str(state)
    os.environ["AGENTTUI_CONFIG"] = str(state / "none.toml")
    socket, session = f"agenttui-bench-{uuid.uuid4().hex[:8]}", "bench"
    load_before = os.getloadavg()[0]
    off: list[dict[str, float]] = []
    piped: list[dict[str, float]] = []
    control: list[dict[str, float]] = []
    cat: list[float] = []
    proxy: list[dict[str, float]] = []
    stamped: list[dict[str, float]] = []
    written, ready = 0.0, 0.0
    try:
        server, panes = start_panes(socket, session, args.panes, args.load)
        time.sleep(2)
        for number in range(args.rounds):
            if number % 2 == 0:  # unrecorded first in even rounds, last in odd: no drift
                off.append(measure(server, args.seconds))  # of the machine favours either
            window, written, ready = round_with_recorder(
                socket, session, server, panes, args.seconds
            )
            piped.append(window)
            if number % 2 == 1:
                off.append(measure(server, args.seconds))
            if args.compare:
                folder = state / "control"
                control.append(
                    round_with_control_client(
                        socket, session, server, panes, folder=folder, seconds=args.seconds
                    )
                )
                cat.append(round_with_cat(socket, server, panes, args.seconds))
                proxy.append(
                    round_with_pty_proxy(args.panes, args.load, args.seconds, state / "proxy")
                )
                stamped.append(
                    round_with_stampers(socket, server, panes, args.seconds, state / "stamped")
                )
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
        shutil.rmtree(state, ignore_errors=True)
    helper_ms = handoff_helper_ms()

    load_after = os.getloadavg()[0]
    tmux_off = statistics.median(window["tmux"] for window in off)
    result: dict[str, object] = {
        "panes": args.panes,
        "load": args.load,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "tmux_without_recording_pct": round(tmux_off, 2),
        "pipe_pane": cost(piped, tmux_off),
        "recorded_bytes_per_s": round(written),
        "all_panes_recording_after_s": round(ready, 2),
        "handoff_helper_cpu_ms": round(helper_ms, 1),
        "tmux_pct_rounds": {
            "without": [round(window["tmux"], 2) for window in off],
            "recording": [round(window["tmux"], 2) for window in piped],
        },
        "recorder_pct_rounds": [round(window["recorder"], 2) for window in piped],
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
    }
    pipe = cost(piped, tmux_off)
    print(
        f"recording {args.panes} {args.load} panes costs {pipe['total_pct']}% of a core more "
        f"(recorder {pipe['recorder_pct']}%, tmux {pipe['tmux_extra_pct']:+}% over its "
        f"{tmux_off:.2f}%), {written / 1024:.0f} KiB/s written; every pane recorded "
        f"{ready:.2f} s after the recorder started (each pane's handoff helper: "
        f"{helper_ms:.0f} ms of CPU once); load average {load_before:.1f} -> {load_after:.1f} "
        f"(1 min, this machine's {os.cpu_count()} cores)"
    )
    if args.compare:
        result.update(other_sources(control, cat, proxy, off))
        result.update(on_a_host(stamped, off))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
