"""CLI verbs of the watcher: watch (loop), poll (one round, for cron), watch-log."""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from tui.output import say, say_json
from workflows.base.errors import UsageError


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the watch/poll/watch-log verbs."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--filter", default=None, help="saved filter [watch.filters.NAME]")
    options.add_argument("--workflow", default=None, help="workflow to launch (feedback)")
    options.add_argument("--repo", default=None, help="repository the runs work in")
    options.add_argument("--source", default=None, help="issue source: linear or local")
    options.add_argument("--dry-run", action="store_true", help="decide and record, launch nothing")

    watch = subparsers.add_parser(
        "watch", parents=[common, options], help="launch runs for new issues every --every"
    )
    watch.add_argument("--every", default=None, help="interval: 30s, 10m, 1h ([watch] every)")
    watch.add_argument("--rounds", type=int, default=0, help="stop after N rounds (0: never)")
    watch.add_argument(
        "--window", action="store_true", help="start the watcher in its own tmux window and return"
    )
    watch.add_argument("--no-timer", action="store_true", help="do not deliver check-ins")
    watch.add_argument(
        "--no-guard", action="store_true", help="do not answer hook-less agents' dialogs"
    )
    watch.set_defaults(handler=watch_handler)

    poll = subparsers.add_parser(
        "poll", parents=[common, options], help="one watcher round (for cron)"
    )
    poll.set_defaults(handler=poll_handler, formatter=format_round)

    log = subparsers.add_parser("watch-log", parents=[common], help="recent watcher rounds")
    log.add_argument("--limit", type=int, default=10, help="rounds to show")
    log.set_defaults(handler=log_handler, formatter=format_log)
    wip = subparsers.add_parser(
        "wip", parents=[common], help="snapshot a run's worktree to refs/agenttui/wip/RUN now"
    )
    wip.add_argument("run", nargs="?", help="run id (default: every running run)")
    wip.set_defaults(handler=wip_handler)


def _watcher(args: argparse.Namespace) -> Any:
    from workflows.autonomy.watcher import Watcher, WatchOptions

    options = WatchOptions.from_config(
        filter=args.filter,
        workflow=args.workflow,
        repo=args.repo,
        source=args.source,
        dry_run=args.dry_run or None,
        host=getattr(args, "run_host", None),
    )
    return Watcher(options, args.tmux)


def poll_handler(args: argparse.Namespace) -> Any:
    result = _watcher(args).run_round().as_json()
    result["sessions"] = _poll_sessions(args)
    if result["status"] == "error":
        say_json(result) if args.json else say(format_round(result))
        return 1
    return result


WATCH_PANE = "agenttui-watch"


def watch_handler(args: argparse.Namespace) -> Any:
    from workflows.autonomy.checkins import parse_duration
    from workflows.base.config import table

    if args.window:
        return _watch_in_window(args)

    every = parse_duration(args.every or str(table("watch").get_str("every", "1h")))
    watcher = _watcher(args)
    stop_timer = _start_timer(args) if not args.no_timer else None
    stop_guard = _start_guard(args) if not args.no_guard else None
    wip_every = watcher.options.wip_every
    stop_wip = _start_wip(parse_duration(wip_every)) if wip_every else None
    stop_sessions = _start_sessions(args)
    done = 0
    try:
        while True:
            started = time.monotonic()
            try:
                result = watcher.run_round().as_json()
            except Exception as error:
                if done == 0:
                    raise  # a bad filter or config: say so and stop at once
                # Hours unattended: a round that broke (config edited, store busy) is
                # reported and the next one tries again.
                say(f"agenttui watch: round failed: {error}", err=True, flush=True)
            else:
                say_json(result, flush=True) if args.json else say(format_round(result), flush=True)
            done += 1
            if args.rounds and done >= args.rounds:
                return 0
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    finally:
        for stop in (stop_timer, stop_guard, stop_wip, stop_sessions):
            if stop is not None:
                stop()


def _watch_in_window(args: argparse.Namespace) -> dict[str, Any]:
    """Run this same watch command (minus --window) in a tmux window named "watch"."""
    import os

    from workflows.base.childenv import agenttui_env
    from workflows.base.errors import UsageError
    from workflows.base.paths import agenttui_argv
    from workflows.tmux.driver import TmuxDriver

    argv = [*agenttui_argv(), "watch"]
    for flag, value in (
        ("--every", args.every), ("--filter", args.filter), ("--workflow", args.workflow),
        ("--repo", args.repo), ("--source", args.source), ("--socket", args.socket),
        ("--session", args.session), ("--rounds", args.rounds or None),
    ):  # fmt: skip
        if value:
            argv += [flag, str(value)]
    for flag, on in (
        ("--dry-run", args.dry_run),
        ("--no-timer", args.no_timer),
        ("--no-guard", args.no_guard),
    ):
        if on:
            argv.append(flag)
    driver = TmuxDriver(args.tmux)
    try:
        running = [p for p in driver.panes() if p.name == WATCH_PANE and not p.dead]
        if running:
            raise UsageError(f"the watcher already runs in tmux pane {running[0].pane_id}")
        for dead in (p for p in driver.panes() if p.name == WATCH_PANE):
            driver.kill(dead.pane_id)
        # The Linear key travels in env: the driver's launch file keeps it off command lines.
        pane = driver.spawn(
            argv, name=WATCH_PANE, window="watch", cwd=os.getcwd(), env=agenttui_env()
        )
    finally:
        driver.close()
    return {"pane": pane.pane_id, "window": "watch", "argv": argv[len(agenttui_argv()) :]}


def _poll_sessions(args: argparse.Namespace) -> list[dict[str, str]]:
    """Prompts written in the agent sessions of ended runs, acted on (a fix round…)."""
    from workflows.runs.agent_sessions.finished import poll_finished

    return [
        {"issue": done.issue, "prompt": done.prompt.body, "outcome": done.outcome}
        for done in poll_finished(target=args.tmux)
    ]


def _start_sessions(args: argparse.Namespace) -> Any:
    """Look at the sessions of ended runs every ``[linear_agent] poll_idle`` seconds."""
    from workflows.issues.linear_agent.settings import AgentSettings

    every = AgentSettings.load().poll_idle
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                for done in _poll_sessions(args):
                    say(f"agenttui watch: {done['issue']}: {done['outcome']}", flush=True)
            except Exception as error:  # reported; the next look tries again
                say(f"agenttui watch: agent sessions: {error}", err=True, flush=True)

    thread = threading.Thread(target=loop, name="agent-sessions", daemon=True)
    thread.start()
    return stop.set


def _start_timer(args: argparse.Namespace) -> Any:
    """Deliver check-ins from this process unless another timer already does."""
    from workflows.autonomy.checkins import Timer
    from workflows.base.errors import AgentTuiError
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    try:
        timer = Timer(driver)
    except AgentTuiError as error:
        say(f"agenttui watch: {error}; check-ins are delivered there", err=True)
        driver.close()
        return None
    thread = threading.Thread(target=timer.run, name="checkin-timer", daemon=True)
    thread.start()

    def stop() -> None:
        timer.close()
        thread.join(timeout=5)
        driver.close()

    return stop


def _start_guard(args: argparse.Namespace) -> Any:
    from workflows.approvals.guard import Guard
    from workflows.runs.run_store import run_worktree
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    guard = Guard(driver, run_worktree)
    thread = threading.Thread(target=guard.run, name="approval-guard", daemon=True)
    thread.start()

    def stop() -> None:
        guard.stop.set()
        thread.join(timeout=5)
        driver.close()

    return stop


def _start_wip(every: float) -> Any:
    """WIP snapshots of active runs every ``every`` seconds ([watch] wip_every)."""
    from workflows.autonomy.wip import snapshot_active_runs

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            snapshot_active_runs()

    thread = threading.Thread(target=loop, name="wip-snapshots", daemon=True)
    thread.start()
    return stop.set


def format_round(result: dict[str, Any]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    head = f"{stamp} round {result['round']}: {result['status']}, {result['fetched']} issue(s)"
    if result["error"]:
        head += f" — {result['error']}"
    lines = [head]
    for decision in result["decisions"]:
        run = f" → {decision['run_id']}" if decision["run_id"] else ""
        lines.append(
            f"  {decision['action']:<12} {','.join(decision['issues'])}{run}: {decision['reason']}"
        )
    for done in result.get("sessions", []):
        lines.append(f"  {'session':<12} {done['issue']}: {done['outcome']}")
    return "\n".join(lines)


def log_handler(args: argparse.Namespace) -> list[dict[str, Any]]:
    from workflows.autonomy.watcher import rounds

    return rounds(limit=args.limit)


def format_log(result: list[dict[str, Any]]) -> str:
    if not result:
        return "no watcher rounds yet"
    blocks = []
    for entry in result:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry["started"]))
        head = (
            f"{stamp} round {entry['id']} [{entry['filter']} → {entry['workflow']}"
            f"{', dry run' if entry['dry_run'] else ''}]: {entry['status']},"
            f" {entry['fetched']} fetched, {entry['launched']} launched"
        )
        if entry["error"]:
            head += f" — {entry['error']}"
        lines = [head]
        for d in entry["decisions"]:
            run = f" → {d['run_id']}" if d["run_id"] else ""
            lines.append(f"  {d['action']:<12} {d['issues']}{run}: {d['reason']}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def wip_handler(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from workflows.autonomy.wip import snapshot, snapshot_active_runs, wip_ref
    from workflows.runs.run_store import RunStore

    if not args.run:
        return {"snapshots": snapshot_active_runs()}
    record = RunStore().get(args.run)
    worktree = record.context.get("worktree")
    if not worktree:
        raise UsageError(f"run {record.id} has no worktree yet")
    commit = snapshot(Path(str(worktree)), record.id)
    return {"run": record.id, "ref": wip_ref(record.id), "commit": commit}
