"""CLI verbs of the agents group (see tui/cli.py for the handler contract)."""

from __future__ import annotations

import argparse


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add this group's verbs; each sets `handler` with set_defaults."""
