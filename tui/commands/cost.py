"""CLI verb ``cost``: tokens and cost of runs, by run, issue, day, workflow, step, agent or
model."""

from __future__ import annotations

import argparse
from typing import Any


def _cost(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.runs.cost_report import cost_report

    return cost_report(by=args.by)


def _format(result: dict[str, Any]) -> str:
    from workflows.runs.cost_report import format_cost

    return format_cost(result)


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cost = subparsers.add_parser(
        "cost",
        parents=[common],
        help="tokens and cost of runs (from the agents' transcripts), by run, issue, day…",
    )
    cost.add_argument(
        "--by",
        default="run",
        metavar="GROUPING",
        help="run (default), issue, day, workflow, step, agent or model",
    )
    cost.set_defaults(handler=_cost, formatter=_format)
