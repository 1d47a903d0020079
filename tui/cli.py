"""The ``agenttui`` command line: every verb, for people and for agents (``--json``).

Each group of verbs lives in ``tui/commands/<group>.py`` and exposes
``register(subparsers, common)``; a handler takes the parsed args and returns a JSON-able
result (printed as JSON with ``--json``, as text otherwise) or raises ``AgentTuiError``.
Exit codes are stable: 0 ok, 1 error, 2 usage, 3 timeout, 4 not delivered.
Textual is imported only by the verb that opens the app, so hooks and agents stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from tui.human import plain
from tui.output import say, say_json
from workflows.base.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, AgentTuiError, UsageError
from workflows.base.hosts import check_host, host_named
from workflows.base.target import TmuxTarget

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool whose reader left
COMMAND_MODULES = (
    "spawn",
    "panes",
    "profiles",
    "issues",
    "sessions",
    "runs",
    "cost",
    "slots",
    "recordings",
    "approvals",
    "checkins",
    "watch",
    "skill",
    "app",
    "demo",
    "serve",
    "hosts",
)


RUN_VERBS = frozenset({"run", "watch", "poll"})  # --host: where their runs' steps work
INTERNAL_VERBS = frozenset(
    {"run-worker", "hook", "demo-agent", "demo-forge", "demo-qa", "demo-deploy"}
)
HELP_EPILOG = """\
TARGET (send, read, wait, keys, approve…) is an agent's name, as `agenttui ls` shows it,
or a tmux pane id like %3. `agenttui VERB --help` describes a verb.
Exit codes: 0 ok, 1 error, 2 usage or unknown target, 3 timeout, 4 not delivered.

examples:
  agenttui demo                                  # try everything offline
  agenttui issues --state-type started --label bug --since -P7D
  agenttui run feedback --issues ENG-1,ENG-2     # one run for that group of issues
  agenttui runs                                  # every run, its step and PR
  agenttui spawn --agent claude --name worker --cwd ~/src/app
  agenttui send worker "Fix the flaky test"
  agenttui wait worker --state idle,awaiting_approval,asking --timeout 600
  agenttui read worker                           # its state, then its screen
"""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code is already 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    def _parse_optional(self, arg_string: str) -> Any:
        """A word with one leading dash that names no option of this parser is a value
        (``--since -P7D``, ``--since -PT1H``), not an unknown option: argparse would
        otherwise refuse the README's own examples. ``--words`` stay options, so a
        mistyped one is still an error."""
        found = super()._parse_optional(arg_string)
        matches = found if isinstance(found, list) else [found]  # a list from Python 3.12
        unknown = found is not None and all(m is not None and m[0] is None for m in matches)
        if unknown and not arg_string.startswith("--"):
            return None
        return found


class IntermixedArgumentParser(ArgumentParser):
    """Options anywhere among the positionals: ``send TARGET --timeout 20 TEXT`` (plain
    argparse has already given up on TEXT once an option follows TARGET). ``--`` still
    ends the options, for a TEXT that starts with ``-``."""

    _parsing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._parsing:  # parse_known_intermixed_args calls back in here
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


def intermixed(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make a verb's parser accept options after its positionals (see above)."""
    parser.__class__ = IntermixedArgumentParser
    return parser


def common_options(*, remote_host: bool = True) -> argparse.ArgumentParser:
    """Options every verb accepts, before or after the verb name."""
    common = ArgumentParser(add_help=False)
    common.add_argument(
        "--socket",
        default=argparse.SUPPRESS,
        help="tmux server socket name (tmux -L); env AGENTTUI_TMUX_SOCKET",
    )
    common.add_argument(
        "--session",
        default=argparse.SUPPRESS,
        help="tmux session holding every agent window (default agenttui); env AGENTTUI_SESSION",
    )
    if remote_host:
        common.add_argument(
            "--host",
            dest="remote_host",
            metavar="NAME",
            default=argparse.SUPPRESS,
            help="a [hosts.NAME] of config.toml: its tmux over ssh; env AGENTTUI_HOST",
        )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return common


def build_parser() -> ArgumentParser:
    common = common_options()
    parser = ArgumentParser(
        prog="agenttui",
        usage="agenttui [--socket NAME] [--session NAME] [--host NAME] [--json] [VERB [ARGS ...]]",
        description="Run AI coding agents on Linear issues in tmux.\n"
        "With no VERB, open the app (issues, agents, runs) in this terminal.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    subparsers = parser.add_subparsers(
        dest="verb", metavar="VERB", title="verbs", prog="agenttui", parser_class=ArgumentParser
    )
    # serve's own --host is the address it listens on
    without_host = common_options(remote_host=False)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"tui.commands.{name}")
        module.register(subparsers, without_host if name == "serve" else common)
    # Verbs agenttui runs itself (in panes, hooks, the demo) work but are not listed.
    subparsers._choices_actions = [
        action for action in subparsers._choices_actions if action.dest not in INTERNAL_VERBS
    ]
    return parser


def _resolve_globals(args: argparse.Namespace) -> None:
    socket_from = "--socket" if hasattr(args, "socket") else "AGENTTUI_TMUX_SOCKET"
    if not hasattr(args, "socket"):
        args.socket = os.environ.get("AGENTTUI_TMUX_SOCKET") or None
    if not hasattr(args, "session"):
        args.session = os.environ.get("AGENTTUI_SESSION") or "agenttui"
    if not hasattr(args, "json"):
        args.json = False
    if args.socket and "/" in args.socket:
        raise UsageError(
            f"{socket_from} takes a tmux socket name (tmux -L NAME), not a path: {args.socket!r}; "
            "its server listens at $TMUX_TMPDIR/tmux-UID/NAME"
        )
    if not hasattr(args, "remote_host"):  # (agenttui's own processes: never from the env)
        internal = getattr(args, "verb", None) in INTERNAL_VERBS
        args.remote_host = None if internal else os.environ.get("AGENTTUI_HOST") or None
    args.run_host, host = None, None
    name = args.remote_host
    if name and getattr(args, "verb", None) in RUN_VERBS:
        check_host(name)  # the run's steps work there; its runner stays here
        args.run_host = name
    elif name and getattr(args, "verb", None) == "spawn":
        from workflows.tmux.host_choice import choose_host

        host = choose_host(name, TmuxTarget(args.socket, args.session))
    elif name:
        host = host_named(name)
    args.tmux = TmuxTarget(args.socket, args.session, host)  # the one value passed down


def emit(args: argparse.Namespace, result: Any) -> None:
    """Print a handler's result: JSON for machines, readable text for people."""
    if result is None:
        return
    if args.json:
        say_json(result)
        return
    formatter = getattr(args, "formatter", None)
    text = formatter(result) if formatter is not None else plain(result)
    if text:
        say(text)


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    if args.json:
        say_json({"error": message, "exit_code": code})
    say(f"agenttui: {message}", err=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        # No verb: open the app.
        args = parser.parse_args(["app", *(argv if argv is not None else sys.argv[1:])])
        handler = args.handler
    try:
        _resolve_globals(args)
    except AgentTuiError as error:  # a bad --host: the config names the problem
        return _fail(args, str(error), error.exit_code)
    try:
        return _run(args, handler)
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, as a tool killed by SIGPIPE
        # does, and let nothing flush into the closed pipe at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _run(args: argparse.Namespace, handler: Any) -> int:
    try:
        result = handler(args)
    except AgentTuiError as error:
        return _fail(args, str(error), error.exit_code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # the reader left: main() ends quietly
    except sqlite3.Error as error:  # a locked store, a full disk: never a traceback
        from workflows.base.store import store_problem

        return _fail(args, store_problem(error), EXIT_ERROR)
    except OSError as error:  # a full disk, a state dir that cannot be written
        where = f" ({error.filename})" if error.filename else ""
        return _fail(args, f"{error.strerror or error}{where}", EXIT_ERROR)
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    emit(args, result)
    sys.stdout.flush()  # a closed pipe shows here, inside the BrokenPipeError handler
    return EXIT_OK
