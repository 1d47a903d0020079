"""The ``spawn`` verb: start an agent through the one start-up (workflows.agents.startup).

The agent is launched with its hooks and agenttui's locations, taken past its trust dialog
(the trusting option chosen explicitly) and waited for until it takes input; then a first
prompt the profile cannot take on the command line is sent. ``--no-wait`` returns right
after the launch (a trust dialog is then left to a person and shows as state ``trust``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.human import agent_line
from tui.output import say, say_json
from workflows.base.errors import EXIT_ERROR, EXIT_NOT_DELIVERED, AgentTuiError, UsageError


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser("spawn", parents=[common], help="start an agent in a new pane")
    p.add_argument("--agent", required=True, help="agent profile (shell, demo, claude, …)")
    p.add_argument("--name", help="agent name (default PROFILE-N)")
    p.add_argument("--cwd", help="working directory (default: here)")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="extra env")
    p.add_argument("--prompt", help="a first prompt")
    p.add_argument("--prompt-file", help="read the first prompt from a file")
    p.add_argument("--run", help=argparse.SUPPRESS)
    p.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to start and take the prompt"
    )
    p.add_argument(
        "--no-wait", action="store_true", help="return once launched (trust left to a person)"
    )
    p.add_argument("agent_args", nargs=argparse.REMAINDER, help="-- extra agent arguments")
    p.set_defaults(handler=run_spawn, formatter=_format_spawn)


def env_pairs(items: list[str], flag: str = "--env") -> dict[str, str]:
    """``K=V`` words as a dict; a word without ``=`` or a name is a usage error."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} wants KEY=VALUE, got {item!r}")
        env[key] = value
    return env


def _prompt(args: argparse.Namespace) -> str | None:
    if args.prompt is not None and args.prompt_file is not None:
        raise UsageError("give --prompt or --prompt-file, not both")
    if args.prompt_file is None:
        return str(args.prompt) if args.prompt is not None else None
    try:
        return Path(args.prompt_file).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {args.prompt_file}: {error.strerror}") from error


def _format_spawn(result: dict[str, Any]) -> str:
    lines = [f"started {agent_line(result)}", f"in {result['cwd']}"]
    prompt = result.get("prompt")
    if prompt:
        lines.append("prompt submitted" if prompt.get("submitted") else "prompt not submitted")
    return "\n".join(lines)


def run_spawn(args: argparse.Namespace) -> Any:
    from workflows.agents.observe import read_state, reading_json
    from workflows.agents.settings import load_profile
    from workflows.agents.spawning import agent_folder, free_name, ready_and_prompted
    from workflows.agents.startup import start_agent
    from workflows.tmux.driver import TmuxDriver

    prompt = _prompt(args)
    env = env_pairs(args.env)
    try:
        profile = load_profile(args.agent)
    except AgentTuiError as error:
        raise UsageError(str(error)) from error
    extra = [word for word in args.agent_args if word != "--"]
    cwd = agent_folder(args.tmux.host, args.cwd)
    driver = TmuxDriver(args.tmux)
    try:
        name = args.name or free_name(driver, profile.name)
        pane = start_agent(
            driver, profile, name=name, cwd=cwd, prompt=prompt, extra_args=extra, env=env,
            run_id=args.run or "",
        )  # fmt: skip
        result: dict[str, Any] = {"pane": pane.pane_id, "name": name, "agent": profile.name}
        first = ready_and_prompted(
            driver, pane, profile, prompt, timeout=args.timeout, wait=not args.no_wait
        )
        if first.sent is not None:
            result["prompt"] = first.sent.as_json()
        elif first.failed is not None:  # the agent runs: say where, to retry or kill it
            failed = first.failed
            result["prompt"] = {
                "delivered": False,
                "cleared": failed.cleared,
                "error": str(failed),
                "steps": failed.steps,
            }
        current = driver.resolve(pane.pane_id)
        reading = reading_json(current, read_state(driver, current, profile=profile))
        result.update(state=reading["state"], detail=reading["detail"], cwd=cwd)
        sent_json = result.get("prompt", {})
        if sent_json and not sent_json.get("submitted"):
            say_json(result) if args.json else say(f"{pane.pane_id} {name}: started")
            if not sent_json["delivered"]:
                say(f"agenttui: {sent_json['error']}", err=True)
                return EXIT_NOT_DELIVERED
            say("agenttui: prompt pasted, submission not confirmed", err=True)
            return EXIT_ERROR
        return result
    finally:
        driver.close()
