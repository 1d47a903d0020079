"""CLI verbs of the watcher and check-ins (registered by tui/commands/autonomy.py)."""

from __future__ import annotations

import argparse


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the watch/poll/checkin verbs."""
