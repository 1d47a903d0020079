"""The ``serve`` verb: the app in a browser (textual-serve) on 127.0.0.1, behind a token.

The token is printed once, when it is made, inside the address to open; it is kept 0600 in
the state dir (``serve-token``) for later starts. Other machines reach the server through
``ssh -L`` or a reverse proxy with TLS (README): it speaks plain HTTP.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import sys
from typing import Any

from tui.output import say, say_json

DEFAULT_PORT = 8765
# The app a browser gets must not think it runs inside the tmux that started `serve`
# (attach would switch that terminal's client).
NOT_PASSED_TO_APP = ("TMUX", "TMUX_PANE")


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser(
        "serve", parents=[common], help="serve the app to a browser, behind a token"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks one"
    )
    parser.add_argument(
        "--new-token", action="store_true", help="replace the token (the old one stops working)"
    )
    parser.set_defaults(handler=run_serve)


def app_command(socket: str | None, session: str) -> str:
    """The shell command textual-serve runs for each browser: this agenttui's app."""
    argv = [sys.executable, "-m", "tui", "app", "--session", session]
    if socket:
        argv += ["--socket", socket]
    return shlex.join(argv)


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run_serve(args: argparse.Namespace) -> Any:
    from tui.serve.server import TokenServer
    from tui.serve.token import load_token, token_path
    from workflows.base.paths import state_dir

    token = load_token(token_path(state_dir()), renew=args.new_token)
    for name in NOT_PASSED_TO_APP:
        os.environ.pop(name, None)
    server = TokenServer(
        app_command(args.socket, args.session), host=args.host, port=args.port, token=token.value
    )

    def ready(port: int) -> None:
        url = address(args.host, port)
        opening = f"{url}?token={token.value}" if token.created else None
        if args.json:
            say_json({"url": url, "token_file": str(token.path), "open": opening}, flush=True)
        elif opening:
            say(f"agenttui serve: open {opening}", flush=True)
            say(
                f"  the token is shown this once; it is kept in {token.path} (0600); "
                "--new-token replaces it",
                flush=True,
            )
        else:
            say(f"agenttui serve: {url} (its token is in {token.path})", flush=True)
        if not is_loopback(args.host):
            say(
                f"agenttui serve: listening on {args.host} over plain HTTP: the token and "
                "every screen cross the network unencrypted; put a TLS proxy in front or "
                "use ssh -L (README)",
                err=True,
                flush=True,
            )

    server.run(ready)
    return 0
