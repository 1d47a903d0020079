"""CLI verbs of the tmux group (see tui/cli.py for the handler contract)."""

from __future__ import annotations

import argparse
from typing import Any


def _demo_agent(args: argparse.Namespace) -> int:
    from workflows.agents.demo_agent import main

    return main(args.agent_args)


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add this group's verbs; each sets `handler` with set_defaults."""
    demo = subparsers.add_parser(
        "demo-agent", help="run the offline demo agent in this terminal", add_help=False
    )
    demo.add_argument("agent_args", nargs=argparse.REMAINDER)
    demo.set_defaults(handler=_demo_agent)


_unused: Any = None
