"""CLI verbs of check-ins: checkin, checkins, checkin-cancel, and timer (delivers them)."""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING, Any

from workflows.base.errors import UsageError

if TYPE_CHECKING:
    from workflows.tmux.server import ServerIdentity


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the checkin/checkins/checkin-cancel/timer verbs."""
    checkin = subparsers.add_parser(
        "checkin", parents=[common], help="schedule a note for an agent (delivered by the timer)"
    )
    checkin.add_argument("target", help="agent name, pane id (%%3) or 'self' ($TMUX_PANE)")
    checkin.add_argument("--in", dest="delay", required=True, help="when: 30s, 10m, 1h30m…")
    checkin.add_argument("--note", required=True, help="the text to deliver")
    checkin.add_argument(
        "--from", dest="sender", default=None, help="sender tag (default: $AGENTTUI_AGENT)"
    )
    checkin.set_defaults(handler=checkin_handler, formatter=format_checkins)

    listing = subparsers.add_parser("checkins", parents=[common], help="list check-ins")
    listing.add_argument("--all", action="store_true", help="include delivered and cancelled")
    listing.set_defaults(handler=checkins_handler, formatter=format_checkins)

    cancel = subparsers.add_parser(
        "checkin-cancel", parents=[common], help="cancel a pending check-in"
    )
    cancel.add_argument("id", type=int, help="check-in id")
    cancel.set_defaults(handler=cancel_handler, formatter=format_checkins)

    timer = subparsers.add_parser(
        "timer", parents=[common], help="deliver check-ins at their time (runs until stopped)"
    )
    timer.set_defaults(handler=timer_handler)


def _as_json(checkin: Any) -> dict[str, Any]:
    return dict(checkin.__dict__)


def checkin_handler(args: argparse.Namespace) -> list[dict[str, Any]]:
    from workflows.autonomy.checkins import parse_duration, schedule
    from workflows.base.store import Store

    target = args.target
    if target == "self":
        target = os.environ.get("TMUX_PANE", "")
        if not target:
            raise UsageError("'self' needs to run inside a tmux pane ($TMUX_PANE is not set)")
    sender = args.sender or os.environ.get("AGENTTUI_AGENT") or "agenttui"
    due = time.time() + parse_duration(args.delay)
    server = _server_of(args) if target.startswith("%") else None
    checkin = schedule(Store(), target, due=due, note=args.note, sender=sender, server=server)
    return [_as_json(checkin)]


def _server_of(args: argparse.Namespace) -> ServerIdentity:
    """The tmux server a pane id is a pane of (a check-in for it holds only there)."""
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    try:
        return driver.server_identity()
    finally:
        driver.close()


def checkins_handler(args: argparse.Namespace) -> list[dict[str, Any]]:
    from workflows.autonomy.checkins import list_checkins
    from workflows.base.store import Store

    return [_as_json(c) for c in list_checkins(Store(), include_done=args.all)]


def cancel_handler(args: argparse.Namespace) -> list[dict[str, Any]]:
    from workflows.autonomy.checkins import cancel
    from workflows.base.store import Store

    return [_as_json(cancel(Store(), args.id))]


def format_checkins(result: list[dict[str, Any]]) -> str:
    if not result:
        return "no check-ins"
    lines = []
    for row in result:
        due = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["due"]))
        detail = f"  ({row['detail']})" if row["detail"] else ""
        lines.append(
            f"#{row['id']:<4} {row['status']:<10} {due}  → {row['target']}"
            f"  from {row['sender']}: {row['note']}{detail}"
        )
    return "\n".join(lines)


def timer_handler(args: argparse.Namespace) -> int:
    from workflows.autonomy.checkins import Timer
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    timer = Timer(driver)
    print(f"agenttui timer: delivering check-ins (session {args.session}); Ctrl-C stops")
    try:
        timer.run()
    finally:
        driver.close()
    return 0
