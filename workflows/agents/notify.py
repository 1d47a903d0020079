"""Tell a person outside the app that an agent waits for them, by a command of their choice.

``[tui] notify_command`` in config.toml, an argv list (or a string split like a shell would,
but never run by one)::

    notify_command = ["notify-send", "agenttui: {agent} is waiting", "{detail}"]
    notify_command = ["sh", "-c", "curl -s -d \\"$AGENTTUI_NOTIFY_MESSAGE\\" https://ntfy.sh/me"]

Each argument may hold ``{agent} {state} {detail} {run} {message}``; the same values are in
the environment as ``AGENTTUI_NOTIFY_AGENT`` … ``AGENTTUI_NOTIFY_MESSAGE``. The detail comes
from an agent's screen (untrusted): it only ever becomes one argv element or one env value,
substituted in a single pass, so it is never parsed by a shell or expanded again. Unset: a
tmux ``display-message`` on every terminal attached to the agents' tmux server, the text
escaped so tmux shows it as it is. ``notify_command = []`` turns it off.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflows.base.config import section
from workflows.base.errors import AgentTuiError
from workflows.base.paths import config_file

PLACEHOLDER = re.compile(r"\{(agent|state|detail|run|message)\}")
TIMEOUT_S = 10.0
DISPLAY_MS = 6000
MAX_DETAIL = 300


@dataclass(frozen=True)
class Waiting:
    agent: str
    state: str
    detail: str = ""
    run: str = ""

    @property
    def message(self) -> str:
        what = self.detail or self.state.replace("_", " ")
        where = f" (run {self.run})" if self.run else ""
        return f"agenttui: {self.agent}{where} is waiting: {what}"

    def values(self) -> dict[str, str]:
        detail = " ".join(self.detail.split())[:MAX_DETAIL]  # one line, bounded
        return {
            "agent": self.agent,
            "state": self.state,
            "detail": detail,
            "run": self.run,
            "message": Waiting(self.agent, self.state, detail, self.run).message,
        }


def waiting_what(detail: Mapping[str, Any], state: str) -> str:
    """What an agent waits on, in a few words: the command or tool it asks to run, else
    what it shows, else its state."""
    what = detail.get("command") or detail.get("tool") or detail.get("message") or state
    return str(what)


def configured_notify_command() -> list[str] | None:
    """``[tui] notify_command`` of config.toml (None: the default; []: off)."""
    return parse_notify_command(section("tui").get("notify_command"), str(config_file()))


def parse_notify_command(raw: object, where: str) -> list[str] | None:
    """The configured command as argv; None: the default (tmux); []: off."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            return shlex.split(raw)
        except ValueError as error:
            raise AgentTuiError(f"{where}: [tui] notify_command: {error}") from error
    if isinstance(raw, list) and all(isinstance(word, str) for word in raw):
        return list(raw)
    raise AgentTuiError(f"{where}: [tui] notify_command must be a list of strings or a string")


def command_for(argv: Sequence[str], waiting: Waiting) -> tuple[list[str], dict[str, str]]:
    """The argv with placeholders filled (one pass) and the env values to add."""
    values = waiting.values()
    words = [PLACEHOLDER.sub(lambda match: values[match.group(1)], word) for word in argv]
    env = {f"AGENTTUI_NOTIFY_{name.upper()}": value for name, value in values.items()}
    return words, env


def tmux_literal(text: str) -> str:
    """``text`` as a display-message shows it: formats (#) and strftime (%) escaped, and a
    trailing ``;`` kept (tmux would take it for a command separator)."""
    escaped = text.replace("#", "##").replace("%", "%%")
    return escaped[:-1] + "\\;" if escaped.endswith(";") else escaped


def tmux_display(tmux: Sequence[str], waiting: Waiting) -> int:
    """Show the message on every terminal attached to the tmux server; how many."""
    listing = subprocess.run(
        [*tmux, "list-clients", "-F", "#{client_name}\t#{client_flags}"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    clients = [
        name
        for line in listing.stdout.splitlines()
        for name, _, flags in [line.partition("\t")]
        if name and "control-mode" not in flags.split(",")
    ]
    message = tmux_literal(waiting.values()["message"])
    for client in clients:
        subprocess.run(
            [*tmux, "display-message", "-c", client, "-d", str(DISPLAY_MS), "--", message],
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    return len(clients)


def notify_waiting(
    command: Sequence[str] | None,
    waiting: Waiting,
    *,
    tmux: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> str:
    """Run the person's notification command (or the tmux default); what happened, for the
    app to show when it failed. Never raises for the command's own failure."""
    if command is None:
        shown = tmux_display(tmux, waiting)
        return f"shown on {shown} tmux client(s)"
    if not command:
        return "notifications are off"
    argv, extra = command_for(command, waiting)
    env = {**(environ if environ is not None else os.environ), **extra}
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AgentTuiError(f"notify_command {argv[0]!r} failed: {error}") from error
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise AgentTuiError(
            f"notify_command {argv[0]!r} exited with status {done.returncode}: {tail[0][:200]}"
        )
    return "sent"
