"""CLI verbs of approvals: approve, deny, approve-always, approvals (rules and the audit),
approvals-check, approvals-learn, guard (answers hook-less agents' dialogs) and hook (called
by the agents themselves).

``agenttui hook`` runs inside every Claude Code / Codex hook, so it stays light: no Textual,
no tmux, one SQLite insert; handlers import the core lazily. It never fails the agent:
whatever goes wrong, it exits 0 with no output (a non-zero exit from a UserPromptSubmit hook
would block the user's prompt).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from workflows.base.errors import UsageError


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the approval verbs; each sets `handler` with set_defaults."""
    approvals = subparsers.add_parser(
        "approvals", parents=[common], help="approval rules and decisions (audit log)"
    )
    approvals.add_argument("--stats", action="store_true", help="share decided by a person")
    approvals.add_argument("--by", choices=("day", "hour"), default="day", help="stats period")
    approvals.add_argument("--limit", type=int, default=20, help="recent decisions to show")
    approvals.add_argument("--cwd", default=None, help="project whose rules to show")
    approvals.set_defaults(handler=approvals_handler, formatter=format_approvals)

    check = subparsers.add_parser(
        "approvals-check", parents=[common], help="judge one request with the policy"
    )
    _request_arguments(check)
    check.add_argument("--agent", default="cli", help="agent name for the audit log")
    check.set_defaults(handler=check_handler)

    learn = subparsers.add_parser(
        "approvals-learn", parents=[common], help='show (and with --yes save) an "always" rule'
    )
    _request_arguments(learn)
    learn.add_argument(
        "--global",
        dest="scope",
        action="store_const",
        const="global",
        default="project",
        help="learn for every project",
    )
    learn.add_argument(
        "--deny",
        dest="behavior",
        action="store_const",
        const="deny",
        default="allow",
        help="learn a deny rule",
    )
    learn.add_argument("--yes", action="store_true", help="save the shown rule")
    learn.set_defaults(handler=learn_handler, formatter=format_learn)

    always = subparsers.add_parser(
        "approve-always",
        parents=[common],
        help="show the rule 'always' would learn for an agent's pending request; --yes saves"
        " it and approves once",
    )
    always.add_argument("target", help="agent name or pane id")
    always.add_argument(
        "--global",
        dest="scope",
        action="store_const",
        const="global",
        default="project",
        help="learn for every project",
    )
    always.add_argument("--yes", action="store_true", help="save the shown rule and approve")
    always.set_defaults(handler=always_handler, formatter=format_learn)
    hook = subparsers.add_parser(
        "hook", parents=[common], help="record an agent hook event (called by the agent itself)"
    )
    hook.add_argument("kind", choices=("claude", "codex"), help="which agent's hook format")
    hook.add_argument("--pane", default="", help="agent name the hook belongs to")
    hook.add_argument("payload", nargs="?", help="event JSON (codex notify); else read stdin")
    hook.set_defaults(handler=run_hook)
    relay = subparsers.add_parser(
        "hook-relay",
        parents=[common],
        help="decide the hooks of agents on a host here (started by agenttui itself)",
    )
    relay.add_argument("host_name", metavar="HOST", help="the host ([hosts.NAME])")
    relay.set_defaults(handler=run_hook_relay)

    approve = subparsers.add_parser(
        "approve", parents=[common], help="approve the pending request of an agent"
    )
    approve.add_argument("target", help="agent name (as in `agenttui ls`) or tmux pane id like %%3")
    approve.add_argument("--always", action="store_true", help="approve and stop asking for it")
    approve.set_defaults(handler=run_approve, action="approve")

    deny = subparsers.add_parser("deny", parents=[common], help="deny the pending request")
    deny.add_argument("target", help="agent name (as in `agenttui ls`) or tmux pane id like %%3")
    deny.set_defaults(handler=run_approve, action="deny")

    guard = subparsers.add_parser(
        "guard",
        parents=[common],
        help="answer approval dialogs of hook-less agents (Codex…) by the policy, until stopped",
    )
    guard.set_defaults(handler=guard_handler)


def _request_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tool", help="tool name: Bash, Edit, Read, WebFetch…")
    parser.add_argument("input", help="the command (for Bash) or a JSON object of the tool input")
    parser.add_argument("--cwd", default=None, help="the agent's working directory")


def _tool_input(args: argparse.Namespace) -> dict[str, Any]:
    text: str = args.input
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise UsageError(f"tool input is not valid JSON: {error}") from error
        if not isinstance(value, dict):
            raise UsageError("tool input must be a JSON object")
        return value
    if args.tool == "Bash":
        return {"command": text}
    if args.tool == "WebFetch":
        return {"url": text}
    return {"file_path": text}


def approvals_handler(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.approvals import audit
    from workflows.approvals.policy import load_rules
    from workflows.base.store import Store

    store = Store()
    if args.stats:
        return {"stats": audit.stats(store, bucket_seconds=86400 if args.by == "day" else 3600)}
    rules = load_rules(args.cwd or os.getcwd())
    return {
        "rules": [
            {"behavior": rule.behavior, "rule": str(rule), "source": rule.source} for rule in rules
        ],
        "recent": [entry.__dict__ for entry in audit.entries(store, limit=args.limit)],
    }


def format_approvals(result: dict[str, Any]) -> str:
    import time

    lines: list[str] = []
    if "stats" in result:
        lines.append("period            by rule  deny-list  by person  asked  person share")
        for row in result["stats"]:
            share = "-" if row["person_share"] is None else f"{row['person_share']:.0%}"
            lines.append(
                f"{row['period_start']:<17} {row['by_rule']:>7}  {row['by_deny_list']:>9}"
                f"  {row['by_person']:>9}  {row['asked']:>5}  {share:>12}"
            )
        return "\n".join(lines)
    lines.append("rules (deny-list first, then deny > ask > allow):")
    lines += [f"  {r['behavior']:<5} {r['rule']}  [{r['source']}]" for r in result["rules"]]
    if not result["rules"]:
        lines.append("  (none: everything not on the deny-list is asked)")
    lines.append("recent decisions:")
    for entry in result["recent"]:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry["at"]))
        lines.append(
            f"  {stamp} {entry['agent']:<12} {entry['decision']:<5} {entry['decided_by']:<30}"
            f" {entry['tool']}: {entry['summary']}"
        )
    return "\n".join(lines)


def check_handler(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.approvals import decide

    decision = decide(args.tool, _tool_input(args), args.cwd or os.getcwd(), args.agent)
    return {
        "behavior": decision.behavior,
        "decided_by": decision.decided_by,
        "reason": decision.reason,
    }


def learn_handler(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.approvals import learn, save_learned

    proposal = learn(
        args.tool,
        _tool_input(args),
        args.cwd or os.getcwd(),
        behavior=args.behavior,
        scope=args.scope,
    )
    result: dict[str, Any] = dict(proposal.__dict__)
    result["saved"] = str(save_learned(proposal, agent="cli")) if args.yes else None
    return result


def format_learn(result: dict[str, Any]) -> str:
    scope = result["project"] or "every project"
    head = f"{result['behavior']} {result['rule']}  ({result['why']}; {scope})"
    if result["saved"]:
        return f"saved: {head}\n  in {result['saved']}"
    return f"would add: {head}\n  run again with --yes to save it"


def always_handler(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.approvals.always import confirm, pending_proposal
    from workflows.runs.run_store import run_repo
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    try:
        pane = driver.resolve(args.target)
        proposal = pending_proposal(driver, pane, scope=args.scope, run_repo=run_repo)
        result: dict[str, Any] = dict(proposal.__dict__)
        result["saved"] = None
        if args.yes:
            confirm(driver, pane, proposal, run_repo)
            from workflows.approvals.policy import learned_policy_file

            result["saved"] = str(learned_policy_file())
        return result
    finally:
        driver.close()


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


def run_hook_relay(args: argparse.Namespace) -> int:
    from workflows.approvals.relay import serve
    from workflows.base.hosts import host_named
    from workflows.runs.run_store import run_repo, run_worktree

    return serve(host_named(args.host_name), run_worktree, run_repo)


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


def guard_handler(args: argparse.Namespace) -> int:
    from workflows.approvals.guard import Guard
    from workflows.runs.run_store import run_worktree
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(args.tmux)
    print(
        f"agenttui guard: answering approval dialogs in session {args.session}; Ctrl-C stops",
        flush=True,
    )
    try:
        Guard(driver, run_worktree).run()
    finally:
        driver.close()
    return 0
