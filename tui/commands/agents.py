"""CLI verbs of the agents group: hook (called by agents), approve, deny, skill.

``agenttui hook`` runs inside every Claude Code / Codex hook, so it stays light: no Textual,
no tmux, one SQLite insert. It never fails the agent: whatever goes wrong, it exits 0 with no
output (a non-zero exit from a UserPromptSubmit hook would block the user's prompt).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    hook = subparsers.add_parser(
        "hook", parents=[common], help="record an agent hook event (called by the agent itself)"
    )
    hook.add_argument("kind", choices=("claude", "codex"), help="which agent's hook format")
    hook.add_argument("--pane", default="", help="agent name the hook belongs to")
    hook.add_argument("payload", nargs="?", help="event JSON (codex notify); else read stdin")
    hook.set_defaults(handler=run_hook)

    approve = subparsers.add_parser(
        "approve", parents=[common], help="approve the pending request of an agent"
    )
    approve.add_argument("target", help="agent name (as in `agenttui ls`) or tmux pane id like %%3")
    approve.add_argument("--always", action="store_true", help="approve and stop asking for it")
    approve.set_defaults(handler=run_approve, action="approve")

    deny = subparsers.add_parser("deny", parents=[common], help="deny the pending request")
    deny.add_argument("target", help="agent name (as in `agenttui ls`) or tmux pane id like %%3")
    deny.set_defaults(handler=run_approve, action="deny")

    skill = subparsers.add_parser(
        "skill", parents=[common], help="print (or install) instructions teaching agents the verbs"
    )
    skill_sub = skill.add_subparsers(dest="skill_verb")
    install = skill_sub.add_parser("install", parents=[common], help="install for an agent")
    install.add_argument("--for", dest="agent", choices=("claude", "codex"), required=True)
    install.add_argument("--dir", default=None, help="project dir (default: user-wide)")
    skill.set_defaults(handler=run_skill)


def run_hook(args: argparse.Namespace) -> Any:
    try:
        from workflows.approvals.hook_verb import handle_hook
        from workflows.runs.run_store import run_worktree

        raw = args.payload if args.payload is not None else sys.stdin.read()
        reply = handle_hook(args.kind, args.pane, raw, run_worktree)
    except Exception as error:  # the agent must go on, whatever happens here
        print(f"agenttui hook: {error}", file=sys.stderr)
        return 0
    if reply is not None:
        print(json.dumps(reply))
    return 0


def run_approve(args: argparse.Namespace) -> Any:
    from workflows.approvals.answer import answer
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    try:
        action = "approve_always" if getattr(args, "always", False) else args.action
        result = answer(driver, args.target, action)
    finally:
        driver.close()
    args.formatter = lambda _: str(result)
    return result.as_json()


def run_skill(args: argparse.Namespace) -> Any:
    from workflows.agents.skill import install_skill, skill_text

    if args.skill_verb == "install":
        return {"installed": [str(path) for path in install_skill(args.agent, args.dir)]}
    return skill_text()
