"""CLI verbs on agent panes: send, read, wait, keys, interrupt, ls, kill, attach, demo-agent.

Every verb prints JSON with ``--json``; exit codes are stable (0 ok, 1 error, 2 usage,
3 timeout, 4 not delivered). TARGET is a pane id (``%3``) or an agent name. Only the core
is imported, inside handlers, so an agent calling these verbs pays no Textual start-up.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from tui.human import agent_line
from tui.output import say, say_json
from workflows.base.errors import EXIT_ERROR, EXIT_NOT_DELIVERED, AgentTuiError, UsageError

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
TARGET_HELP = "agent name (as in `agenttui ls`) or tmux pane id like %%3"


def _driver(args: argparse.Namespace) -> TmuxDriver:
    from workflows.tmux.driver import TmuxDriver

    return TmuxDriver(args.tmux)


def _reading(driver: TmuxDriver, pane: PaneInfo) -> dict[str, Any]:
    from workflows.agents.observe import read_state, reading_json

    return reading_json(pane, read_state(driver, pane))


def _read_text(args: argparse.Namespace, text: str | None) -> str:
    """TEXT, ``--file F`` or ``-`` (stdin); one trailing newline of a file/stdin is dropped."""
    sources = [text is not None and text != "-", args.file is not None, text == "-"]
    if sum(sources) != 1:
        raise UsageError("give exactly one of TEXT, --file F or - (stdin)")
    if args.file is not None:
        try:
            data = Path(args.file).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read {args.file}: {error.strerror}") from error
    elif text == "-":
        data = sys.stdin.read()
    else:
        assert text is not None
        return text
    return data[:-1] if data.endswith("\n") else data


# -- send ----------------------------------------------------------------------------------
def run_send(args: argparse.Namespace) -> Any:
    from workflows.agents.delivery import SendFailed, send_text

    text = _read_text(args, args.text)
    if args.sender:
        from workflows.agents.messaging import tag_message

        text = tag_message(args.sender, text)
    driver = _driver(args)
    try:
        result = send_text(
            driver, args.target, text, submit=not args.no_submit, timeout=args.timeout
        )
    except SendFailed as error:
        if args.json:
            # cleared: None when nothing was typed, else whether the box is empty again
            failure = {
                "delivered": False,
                "submitted": False,
                "attempts": 0,
                "cleared": error.cleared,
            }
            say_json({**failure, "error": str(error), "steps": error.steps})
        say(f"agenttui: {error}", err=True)
        return EXIT_NOT_DELIVERED
    finally:
        driver.close()
    output = result.as_json()
    if args.json:
        say_json(output)
    else:
        say("submitted" if result.submitted else "delivered, not submitted")
    if not args.no_submit and not result.submitted:
        say("agenttui: Enter pressed but submission not confirmed", err=True)
        return EXIT_ERROR
    return 0


# -- read / wait / ls ----------------------------------------------------------------------
def run_read(args: argparse.Namespace) -> Any:
    driver = _driver(args)
    try:
        pane = driver.resolve(args.target)
        result = _reading(driver, pane)
        result["lines"] = driver.capture(pane.pane_id, history=args.history)
        result["dead"] = pane.dead
        return result
    finally:
        driver.close()


def _format_read(result: dict[str, Any]) -> str:
    """The state line first (``| head -1`` gives it), then the screen."""
    screen = "\n".join(result["lines"]).rstrip("\n")
    return f"{agent_line(result)}\n\n{screen}" if screen else agent_line(result)


def run_wait(args: argparse.Namespace) -> Any:
    import time

    from workflows.agents.state import AgentState
    from workflows.base.errors import WaitTimeout

    wanted = {word.strip() for word in args.state.split(",") if word.strip()}
    known = {state.value for state in AgentState}
    if not wanted or wanted - known:
        raise UsageError(f"--state wants some of {', '.join(sorted(known))}")
    driver = _driver(args)
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            reading = _reading(driver, driver.resolve(args.target))
            if reading["state"] in wanted:
                return reading
            if reading["state"] == AgentState.EXITED.value:
                raise AgentTuiError(f"{args.target} has exited: {reading['detail']}")
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"{args.target} is still {reading['state']} after {args.timeout}s "
                    f"(waited for {','.join(sorted(wanted))})"
                )
            time.sleep(0.1)
    finally:
        driver.close()


def run_ls(args: argparse.Namespace) -> Any:
    driver = _driver(args)
    try:
        panes = [p for p in driver.panes() if args.all or p.name]
        if not panes:  # say where we looked (creating nothing there)
            found = "no agents in" if driver.has_session() else "no"
            args.formatter = lambda _rows: f"{found} {driver.where}"
        return [{**pane.as_json(), **_reading(driver, pane)} for pane in panes]
    finally:
        driver.close()


def _format_ls(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'PANE':6} {'NAME':20} {'AGENT':10} {'STATE':18} CWD"]
    for row in rows:
        lines.append(
            f"{row['pane']:6} {row['name'] or '-':20} {row['agent'] or '-':10} "
            f"{row['state']:18} {row['cwd']}"
        )
    return "\n".join(lines)


# -- keys / interrupt / kill / attach ------------------------------------------------------
def run_keys(args: argparse.Namespace) -> Any:
    from workflows.tmux.keynames import unknown_keys

    unknown = unknown_keys(args.keys)
    if unknown:  # tmux would type them as text into the agent
        raise UsageError(
            f"not a key name: {', '.join(map(repr, unknown))} (keys are tmux names such as "
            "Enter, Escape, Tab, Up, C-c, M-x, F1 or one character; send text with "
            "`agenttui send TARGET TEXT`)"
        )
    driver = _driver(args)
    try:
        pane = driver.resolve(args.target)
        if pane.in_mode:  # keys would go to copy mode, not to the agent
            driver.command("copy-mode", "-q", "-t", pane.pane_id)
        driver.send_keys(pane.pane_id, *args.keys)
        return {"pane": pane.pane_id, "keys": args.keys}
    finally:
        driver.close()


def run_interrupt(args: argparse.Namespace) -> Any:
    from workflows.agents.observe import profile_for

    driver = _driver(args)
    try:
        pane = driver.resolve(args.target)
        keys = profile_for(pane).keys.get("interrupt") or ["C-c"]
        if pane.in_mode:
            driver.command("copy-mode", "-q", "-t", pane.pane_id)
        driver.send_keys(pane.pane_id, *keys)
        return {"pane": pane.pane_id, "keys": keys}
    finally:
        driver.close()


def run_kill(args: argparse.Namespace) -> Any:
    driver = _driver(args)
    try:
        pane = driver.resolve(args.target)
        driver.kill(pane.pane_id)
        return {"pane": pane.pane_id, "name": pane.name, "killed": True}
    finally:
        driver.close()


def run_attach(args: argparse.Namespace) -> Any:
    """Inside the agents' tmux: switch there. Outside: the agent fills this terminal in a
    view session of its own (``tui.attach``: no other client's window moves) until tmux's
    detach, then gets its own size back."""
    import subprocess

    from tui.attach import (
        attach_argv,
        close_view,
        restore_size,
        start_client,
        view_exists,
        window_size,
    )
    from workflows.tmux.ssh import client_argv

    driver = _driver(args)
    try:
        pane = driver.resolve(args.target)
        ours = driver.command("display-message", "-p", "#{socket_path}")[0]
        here = args.tmux.host is None  # a remote server's socket path may match ours
        inside = here and os.environ.get("TMUX", "").split(",")[0] == ours
        if inside:
            driver.command("select-window", "-t", pane.window_id)
            driver.command("select-pane", "-t", pane.pane_id)
        else:
            size = window_size(driver, pane.pane_id)
    finally:
        driver.close()  # not held while attached: it would be one more client meanwhile
    if inside:
        code = subprocess.call(client_argv(args.tmux, "switch-client", "-t", pane.pane_id))
        how = "switch-client"
    else:
        view = f"{driver.session}-view-{os.getpid()}"
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        argv = client_argv(args.tmux, *attach_argv([], driver.session, view, pane), tty=True)
        try:
            watcher = _driver(args)  # to see the view appear; closed before the person works
            try:
                client = start_client(
                    argv,
                    layout=watcher.layout,
                    attached=lambda: view_exists(watcher, view),
                    env=env,
                )
            finally:
                watcher.close()
            code = client.wait()
        finally:
            after = _driver(args)  # no control connection: see close_view
            close_view(after, view, alone=True)
            restore_size(after, size, alone=True)
        how = "attach-session"
    if code != 0:
        return code
    return {"pane": pane.pane_id, "how": how}


def _demo_agent(args: argparse.Namespace) -> int:
    from workflows.agents.demo_agent import main

    options = ["--work", str(args.work), "--swallow-enters", str(args.swallow_enters)]
    options += ["--busy-after-paste", str(args.busy_after_paste)]
    return main([*options, *([args.prompt] if args.prompt else [])])


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add this group's verbs; each sets `handler` with set_defaults."""
    from tui.cli import intermixed

    p = intermixed(subparsers.add_parser("send", parents=[common], help="deliver text to an agent"))
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("text", nargs="?", metavar="TEXT", help="the text, or - for stdin")
    p.add_argument("--file", help="read the text from a file")
    p.add_argument("--no-submit", action="store_true", help="paste only, do not press Enter")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument(
        "--from", dest="sender", default=None, help="tag the text as sent by NAME: [from NAME]"
    )
    p.set_defaults(handler=run_send)

    p = subparsers.add_parser("read", parents=[common], help="an agent's screen and state")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("--history", type=int, default=0, help="also N lines of scrollback")
    p.set_defaults(handler=run_read, formatter=_format_read)

    p = subparsers.add_parser("wait", parents=[common], help="wait for an agent state")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("--state", required=True, help="S[,S…]: idle, working, awaiting_approval…")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds (default 300)")
    p.set_defaults(handler=run_wait, formatter=agent_line)

    p = subparsers.add_parser("keys", parents=[common], help="send named tmux keys")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("keys", nargs="+", metavar="KEY", help="Enter, Escape, C-c, y, 1 …")
    p.set_defaults(handler=run_keys)

    p = subparsers.add_parser("interrupt", parents=[common], help="interrupt an agent")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.set_defaults(handler=run_interrupt)

    p = subparsers.add_parser("ls", parents=[common], help="list agents and their states")
    p.add_argument("--all", action="store_true", help="also panes that are not agents")
    p.set_defaults(handler=run_ls, formatter=_format_ls)

    p = subparsers.add_parser("kill", parents=[common], help="kill an agent's pane")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.set_defaults(handler=run_kill)

    p = subparsers.add_parser("attach", parents=[common], help="jump into an agent's pane")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.set_defaults(handler=run_attach)

    _register_demo_agent(subparsers)


def _register_demo_agent(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("demo-agent", help="run the offline demo agent in this terminal")
    p.add_argument("--work", type=float, default=1.0, help="seconds of 'work' per prompt")
    p.add_argument(
        "--swallow-enters", type=int, default=0, help="Enters after a paste taken as newlines"
    )
    p.add_argument(
        "--busy-after-paste", type=float, default=0.0, help="seconds busy after each paste"
    )
    p.add_argument("prompt", nargs="?", help="a first prompt, submitted at start")
    p.set_defaults(handler=_demo_agent)
