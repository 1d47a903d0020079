"""The ``app`` verb (also what a bare ``agenttui`` runs): open the Textual application."""

from __future__ import annotations

import argparse
from typing import Any


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser("app", parents=[common], help="open the agenttui app")
    parser.set_defaults(handler=run_app)


def run_app(args: argparse.Namespace) -> Any:
    from tui.app import build_app  # Textual is imported only here.

    build_app(args.tmux).run()
    return None
