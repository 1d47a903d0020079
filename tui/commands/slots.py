"""CLI verbs for shared environments: ``slots`` (holder, since, queue, ETA, lease) and, by
hand, ``slots release NAME`` and ``slots hand-over NAME RUN``."""

from __future__ import annotations

import argparse
from typing import Any


def _slots(args: argparse.Namespace) -> Any:
    from workflows.runs.slots.overview import hand_over, overview, release_by_hand

    if args.action == "release":
        if not args.slot:
            raise _usage("slots release NAME [RUN]")
        released = release_by_hand(args.slot, args.run)
        return {"slot": args.slot, "released": released}
    if args.action == "hand-over":
        if not (args.slot and args.run):
            raise _usage("slots hand-over NAME RUN")
        displaced = hand_over(args.slot, args.run)
        return {"slot": args.slot, "holder": args.run, "displaced": displaced}
    if args.action is not None:
        raise _usage(
            f"unknown action {args.action!r}: slots [release NAME [RUN] | hand-over NAME RUN]"
        )
    return overview()


def _usage(text: str) -> Exception:
    from workflows.base.errors import UsageError

    return UsageError(f"usage: agenttui {text}")


def _format(result: Any) -> str:
    from tui.slots_text import slots_text

    if isinstance(result, dict):
        if "released" in result:
            runs = ", ".join(result["released"]) or "nobody held it"
            return f"{result['slot']}: released ({runs})"
        lost = ", ".join(result["displaced"]) or "it was free"
        return f"{result['slot']}: handed over to {result['holder']} ({lost})"
    if not result:
        return "no slots: add a [slots.NAME] table to config.toml (README: QA on a shared staging)"
    return slots_text(result)


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser(
        "slots",
        parents=[common],
        help="shared environments: holder, queue, ETA; release or hand over by hand",
        description="With no action: every [slots.NAME] with its holder, since when, its "
        "lease and its queue with ETAs. `release NAME [RUN]` frees it; `hand-over NAME RUN` "
        "gives it to a waiting run now.",
    )
    parser.add_argument("action", nargs="?", choices=("release", "hand-over"))
    parser.add_argument("slot", metavar="NAME", nargs="?")
    parser.add_argument("run", metavar="RUN", nargs="?")
    parser.set_defaults(handler=_slots, formatter=_format)
