"""Verified send against the real Claude Code / Codex CLIs, counted at the model server.

    python bench/send_agents.py --agent claude|codex|gemini [--panes 8] [--prompts 25]

8 panes × 25 hostile prompts (tests/support/hostile.py) each, sent in parallel through
``send_text``; every pane has its own scripted model server (tests/e2e/model_server.py), so
the bench can say, per pane, whether each prompt reached the model exactly once and in order.
The agents run offline inside ``unshare -n``. The last line is one JSON object.
(bench/send.py covers the demo agent; this is its real-CLI counterpart, reusable through
``tests.e2e.send_bench.run_send_bench``.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agent", choices=("claude", "codex", "gemini"), default="claude")
    parser.add_argument("--panes", type=int, default=8)
    parser.add_argument("--prompts", type=int, default=25)
    args = parser.parse_args()
    os.environ.setdefault("AGENTTUI_NPM_BIN", "/work/npm-agents/node_modules/.bin")
    from tests.e2e.send_bench import run_send_bench

    result = run_send_bench(args.agent, panes=args.panes, prompts=args.prompts)
    for index, pane in enumerate(result.pop("per_pane")):
        print(f"pane {index}: {json.dumps(pane)}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
