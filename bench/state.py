"""How fast does agenttui notice an approval dialog? Real CLI, real tmux, real classifier.

    python bench/state.py [--agent claude|codex|gemini|demo] [--rounds N]

Each round the scripted model asks for a shell command, so the real CLI draws its approval
dialog. Two independent observers run side by side:

* ground truth: a poller capturing the pane every ~5 ms (its own control connection) notes
  when the dialog text is first on screen;
* agenttui: ``StateWatcher`` (tmux ``%output`` → capture → ``read_state`` with hooks) notes
  when the state first turns ``awaiting_approval``.

The latency is the difference (negative when a hook beat the screen). The round then
approves with the profile's key and waits for idle. Claude and Codex run offline inside
``unshare -n`` (tests/e2e). The last line is one JSON object; goal: p99 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.harness import AgentPane, git_project
from tests.e2e.model_server import (
    AnthropicServer,
    GeminiServer,
    ModelServer,
    OpenAIServer,
    Reply,
)
from workflows.base.target import TmuxTarget

NEEDLES = {
    "claude": "Do you want to proceed?",
    "codex": "Would you like to run the following command?",
    "gemini": "Allow execution of",
    "demo": "Run command",
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Marks:
    """First time, per round, that each observer saw the dialog."""

    def __init__(self) -> None:
        self.round = -1
        self.truth: dict[int, float] = {}
        self.state: dict[int, float] = {}
        self.last_state = ""
        self.changed = threading.Condition()

    def mark(self, table: dict[int, float]) -> None:
        with self.changed:
            if self.round >= 0 and self.round not in table:
                table[self.round] = time.perf_counter()
                self.changed.notify_all()

    def wait(self, predicate: object, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)  # type: ignore[arg-type]


def truth_poller(driver_args: tuple[str, str], pane_id: str, needle: str, marks: Marks,
                 stop: threading.Event) -> None:  # fmt: skip
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(TmuxTarget(driver_args[0], driver_args[1]))
    try:
        while not stop.is_set():
            if needle in "\n".join(driver.capture(pane_id)):
                marks.mark(marks.truth)
            time.sleep(0.005)
    finally:
        driver.close()


def launch(agent: str, driver: object, server: ModelServer | None, root: Path) -> AgentPane:
    from workflows.agents.settings import load_profile
    from workflows.base.paths import agenttui_argv

    if agent == "claude":
        assert isinstance(server, AnthropicServer)
        return AgentPane.claude(driver, server, root, name="bench")  # type: ignore[arg-type]
    if agent == "codex":
        assert isinstance(server, OpenAIServer)
        return AgentPane.codex(driver, server, root, name="bench")  # type: ignore[arg-type]
    if agent == "gemini":
        assert isinstance(server, GeminiServer)
        return AgentPane.gemini(driver, server, root, name="bench")  # type: ignore[arg-type]
    project = git_project(root / "demo-project")
    info = driver.spawn(  # type: ignore[attr-defined]
        [*agenttui_argv(), "demo-agent"], name="bench", agent="demo", cwd=str(project)
    )
    return AgentPane(driver, info, load_profile("demo"), project)  # type: ignore[arg-type]


def script_round(agent: str, server: ModelServer | None, index: int) -> str:
    command = f"touch round-{index}.txt"
    if server is None:
        return f"please run command `{command}` [work 0.2s]"
    if agent == "claude":
        server.script(Reply.bash(command), Reply.text(f"done {index}"))
    elif agent == "gemini":
        server.script(Reply.tool("run_shell_command", {"command": command}), Reply.text("done"))
    else:
        server.script(Reply.exec(command), Reply.text(f"done {index}"))
    return f"round {index}: run the command"


def rounds_of(
    agent: str, pane: AgentPane, server: ModelServer | None, marks: Marks, rounds: int
) -> list[float]:
    """Prompt → dialog → both observers → approve → idle, ``rounds`` times; latencies in ms."""
    from workflows.agents.actions import perform

    latencies: list[float] = []
    for index in range(rounds):
        prompt = script_round(agent, server, index)
        with marks.changed:
            marks.round = index
        pane.send(prompt)
        if not marks.wait(lambda i=index: i in marks.truth and i in marks.state, 60):
            raise SystemExit(f"round {index}: dialog or state not seen: {pane.screen()}")
        latencies.append((marks.state[index] - marks.truth[index]) * 1000)
        perform(pane.driver, pane.pane.pane_id, "approve")
        pane.wait_state("idle", timeout=60)
        print(f"round {index}: {latencies[-1]:.1f} ms", flush=True)
    return latencies


def run(agent: str, rounds: int) -> dict[str, object]:
    from workflows.agents.watch import StateWatcher
    from workflows.tmux.driver import TmuxDriver

    socket = f"agenttui-bench-{uuid.uuid4().hex[:8]}"
    server: ModelServer | None = None
    if agent == "claude":
        server = AnthropicServer().start()
    elif agent == "codex":
        server = OpenAIServer().start()
    elif agent == "gemini":
        server = GeminiServer().start()
    marks = Marks()
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
        root = Path(tmp)
        os.environ["AGENTTUI_STATE_DIR"] = str(root / "state")
        os.environ["AGENTTUI_CONFIG_DIR"] = str(root / "config")
        driver = TmuxDriver(TmuxTarget(socket, "bench"))
        driver.ensure_session()
        watcher = None
        try:
            pane = launch(agent, driver, server, root)
            pane.wait_state("idle", timeout=90)

            def on_change(_pane: object, reading: object) -> None:
                state = reading.state.value  # type: ignore[attr-defined]
                with marks.changed:
                    marks.last_state = state
                    marks.changed.notify_all()
                if state == "awaiting_approval":
                    marks.mark(marks.state)

            watcher = StateWatcher(driver, on_change=on_change, panes={pane.pane.pane_id})
            watcher.start()
            poller = threading.Thread(
                target=truth_poller,
                args=((socket, "bench"), pane.pane.pane_id, NEEDLES[agent], marks, stop),
                daemon=True,
            )
            poller.start()
            latencies = rounds_of(agent, pane, server, marks, rounds)
        finally:
            stop.set()
            if watcher is not None:
                watcher.close()
            driver.command("kill-server")
            driver.close()
            if server is not None:
                server.close()
    return {
        "bench": "state",
        "agent": agent,
        "rounds": rounds,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "goal_p99_ms": 150,
        "goal_met": percentile(latencies, 99) <= 150,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agent", choices=("claude", "codex", "gemini", "demo"), default="claude")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if args.agent != "demo" and not os.environ.get("AGENTTUI_NPM_BIN"):
        os.environ["AGENTTUI_NPM_BIN"] = "/work/npm-agents/node_modules/.bin"
    print(json.dumps(run(args.agent, args.rounds)))


if __name__ == "__main__":
    main()
