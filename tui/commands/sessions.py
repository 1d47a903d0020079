"""CLI verbs of agent sessions (Linear's agent platform, or the store for local issues).

agenttui session ISSUE [--json]             the issue's session stream, as the app shows it
agenttui session-prompt ISSUE TEXT [--stop] (local issues) write in its session, as a person
agenttui delegate ISSUE                      (local issues) hand it to agenttui: a pending session
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from workflows.base.errors import UsageError


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    stream = subparsers.add_parser(
        "session", parents=[common], help="an issue's agent-session stream (activities, prompts)"
    )
    stream.add_argument("issue", metavar="ISSUE")
    stream.set_defaults(handler=session_handler, formatter=format_stream)

    prompt = subparsers.add_parser(
        "session-prompt",
        parents=[common],
        help="write in a local issue's agent session, as a person (follow-up, answer, --stop)",
    )
    prompt.add_argument("issue", metavar="ISSUE")
    prompt.add_argument("text", metavar="TEXT", nargs="?", default="")
    prompt.add_argument("--stop", action="store_true", help="the stop signal")
    prompt.set_defaults(handler=prompt_handler)

    delegate = subparsers.add_parser(
        "delegate", parents=[common], help="hand a local issue to agenttui (a pending session)"
    )
    delegate.add_argument("issue", metavar="ISSUE")
    delegate.set_defaults(handler=delegate_handler)


def session_handler(args: argparse.Namespace) -> list[dict[str, Any]]:
    from workflows.runs.agent_sessions.stream import issue_stream

    return issue_stream(args.issue)


def format_stream(entries: list[dict[str, Any]]) -> str:
    from workflows.base.untrusted import inert

    if not entries:
        return "no agent session activity"
    lines = []
    for entry in entries:
        stamp = time.strftime("%H:%M:%S", time.localtime(entry["at"]))
        status = "" if entry["status"] == "posted" else f"  [{entry['status']}]"
        text = inert(entry["text"]).replace("\n", "\n" + " " * 24)
        lines.append(f"{stamp} {entry['run']} {entry['type']:<11} {text}{status}")
    return "\n".join(lines)


def _local_session(issue: str) -> tuple[Any, str]:
    from workflows.issues.linear_agent.local_backend import LocalSessions
    from workflows.runs.agent_sessions.store import open_store

    sessions = LocalSessions()
    rows = (
        open_store(sessions.store)
        .connection()
        .execute(
            "SELECT session_id FROM run_sessions WHERE issue = ? COLLATE NOCASE"
            " AND backend = 'local' ORDER BY opened_at DESC LIMIT 1",
            (issue,),
        )
        .fetchall()
    )
    if not rows:
        raise UsageError(f"{issue} has no local agent session (no run on it reported to one)")
    return sessions, str(rows[0][0])


def prompt_handler(args: argparse.Namespace) -> dict[str, Any]:
    if not args.stop and not args.text.strip():
        raise UsageError("give the text to write (or --stop)")
    sessions, session_id = _local_session(args.issue)
    text = args.text or "stop"
    activity = sessions.add_prompt(session_id, text, signal="stop" if args.stop else None)
    return {"issue": args.issue, "session": session_id, "prompt": activity}


def delegate_handler(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.issues.linear_agent.local_backend import LocalSessions
    from workflows.issues.local import LocalSource

    issue = LocalSource().get_issue(args.issue)  # an unknown issue is a clear error
    return {"issue": issue.identifier, "session": LocalSessions().delegate(issue.identifier)}
