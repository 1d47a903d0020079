"""A stand-in agent CLI that calls its hooks as Claude Code does: the commands of the
``--settings FILE`` it is given, with the event's JSON on stdin (SessionStart at start,
UserPromptSubmit and Stop for each line typed). Standard library only: it runs on a "host"."""

from __future__ import annotations

import json
import subprocess
import sys


def fire(hooks: dict[str, list[dict[str, list[dict[str, str]]]]], event: str, **data: str) -> None:
    command = hooks[event][0]["hooks"][0]["command"]
    payload = json.dumps({"hook_event_name": event, "session_id": "s1", **data})
    subprocess.run(["sh", "-c", command], input=payload, text=True, check=True)


def main() -> None:
    with open(sys.argv[sys.argv.index("--settings") + 1], encoding="utf-8") as handle:
        hooks = json.load(handle)["hooks"]
    fire(hooks, "SessionStart", source="startup")
    print("> ", end="", flush=True)
    for line in sys.stdin:
        fire(hooks, "UserPromptSubmit", prompt=line.strip())
        print(f"done: {line.strip()}")
        fire(hooks, "Stop")
        print("> ", end="", flush=True)


if __name__ == "__main__":
    main()
