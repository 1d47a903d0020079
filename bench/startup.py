"""How long does the start-up take to get a real agent past its folder-trust dialog?

    python bench/startup.py [--agent claude|codex|gemini] [--launches N]

Each launch starts the real CLI (offline, inside ``unshare -n``, tests/e2e) in a git folder it
never opened, through agenttui's one start-up (``start_agent`` + ``wait_until_ready``), and
records: the time from launch to the dialog on screen (a poller on its own connection), from
the dialog to agenttui's answer, and from launch to ready; the keys sent; and whether the
agent lived and trusted the folder. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.agents import claude_launch, codex_launch, gemini_launch
from tests.e2e.harness import git_project
from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer
from tests.e2e.record_screens import recording
from workflows.agents.hooks import events_for_agent
from workflows.agents.settings import load_profile
from workflows.agents.startup import start_agent, wait_until_ready
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver

LAUNCH = {"claude": claude_launch, "codex": codex_launch, "gemini": gemini_launch}
SERVER = {"claude": AnthropicServer, "codex": OpenAIServer, "gemini": GeminiServer}


def first_dialog(driver: TmuxDriver, pane_id: str, profile_name: str, stop: threading.Event,
                 seen: list[float]) -> None:  # fmt: skip
    profile = load_profile(profile_name)
    while not stop.is_set() and not seen:
        try:
            if profile.shows_trust(driver.capture(pane_id)):
                seen.append(time.time())
        except Exception:  # the pane may be gone at the end
            return
        time.sleep(0.005)


def one_launch(driver: TmuxDriver, watcher: TmuxDriver, agent: str, root: Path, n: int) -> dict:
    with SERVER[agent]() as server:
        project = git_project(root / f"p{n}")
        argv, env = LAUNCH[agent](server, root / f"h{n}", project, trusted=False)
        # The built-in profile's rules and trust answer, on the jailed command line.
        profile = replace(load_profile(agent), command=argv, env=env, permission_mode="")
        name = f"{agent}-{n}"
        started = time.time()
        pane = start_agent(driver, profile, name=name, cwd=str(project))
        seen: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(
            target=first_dialog, args=(watcher, pane.pane_id, agent, stop, seen), daemon=True
        )
        poller.start()
        reading = wait_until_ready(driver, pane, profile=profile, timeout=120)
        ready = time.time()
        stop.set()
        poller.join()
        events = {e["kind"]: e for e in events_for_agent(Store(), name)}
        answered = events.get("trust_answered")
        alive = not driver.resolve(pane.pane_id).dead
        driver.kill(pane.pane_id)
    dialog = seen[0] if seen else None
    answer_at = answered["at"] if answered else None
    return {
        "state": reading.state.value,
        "alive": alive,
        "keys": answered["payload"]["keys"] if answered else [],
        "to_dialog_s": round(dialog - started, 2) if dialog else None,
        "answer_s": round(answer_at - dialog, 2) if dialog and answer_at else None,
        "to_ready_s": round(ready - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", choices=sorted(LAUNCH), default="claude")
    parser.add_argument("--launches", type=int, default=5)
    args = parser.parse_args()
    results = []
    with recording() as (driver, root):  # a private tmux server, state and config in root
        watcher = TmuxDriver(driver.target)
        try:
            for n in range(args.launches):
                result = one_launch(driver, watcher, args.agent, root, n)
                results.append(result)
                print(json.dumps(result), flush=True)
        finally:
            watcher.close()
    answers = [r["answer_s"] for r in results if r["answer_s"] is not None]
    ready = [r["to_ready_s"] for r in results]
    summary = {
        "agent": args.agent,
        "launches": len(results),
        "ready_and_alive": sum(r["state"] != "exited" and r["alive"] for r in results),
        "dialog_answered": len(answers),
        "answer_s_median": statistics.median(answers) if answers else None,
        "answer_s_max": max(answers) if answers else None,
        "to_ready_s_median": statistics.median(ready),
        "keys": sorted({" ".join(r["keys"]) for r in results}),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
