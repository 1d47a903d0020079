"""The host's side of the hook relay: ``agenttui hook`` there hands its event to this machine.

An agent on a host runs with ``AGENTTUI_HOOK_RELAY`` naming the socket its ssh connection
forwards to the relay on the machine that started it (``workflows.approvals.relay``). The
hook sends the event as one JSON object (the agent's own text stays data: never a command
line, never a shell) with what only the host knows (its pane and tmux server, its home, the
checkout bounding the agent's deletes and its repository's main checkout, which that machine
maps to its own project), and prints the relay's answer: the decision of that
machine's policy, recorded and audited in that machine's store.

When the relay cannot be reached (the connection is down, the relay stopped, no answer in
time), nothing is decided here: the host's own policy is never asked. The event is kept in
the host's store (fetched later, ``agents.host_events``), and a decision is left to a
person with the reason (:func:`workflows.approvals.hook_verb.unrelayed`).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from workflows.agents.hooks import server_key
from workflows.agents.policy_wait import PERMISSION_HOOK_TIMEOUT_S
from workflows.approvals.worktree import git_toplevel, main_checkout, pane_run_id

ANSWER_WITHIN_S = PERMISSION_HOOK_TIMEOUT_S - 3.0
"""The relay's whole round trip, inside the agent's timeout for the permission hook (what
is left is for the fallback to record its reason)."""
DECIDING = ("PreToolUse", "PermissionRequest")


@dataclass(frozen=True)
class Relayed:
    reached: bool
    reply: dict[str, Any] | None = None
    problem: str = ""


def relay_request(agent_kind: str, name: str, raw: str, payload: dict[str, Any]) -> bytes:
    """The request: the raw event as a string field (never parsed into a command)."""
    worktree = checkout = run = ""
    cwd = payload.get("cwd")
    if payload.get("hook_event_name") in DECIDING and isinstance(cwd, str):
        worktree = os.path.realpath(git_toplevel(cwd) or cwd)
        main = main_checkout(cwd)  # the relay maps it (or the run's) to a project there
        checkout = os.path.realpath(main) if main is not None else ""
        run = pane_run_id()
    request = {
        "agent_kind": agent_kind,
        "name": name,
        "raw": raw,
        "pane": os.environ.get("TMUX_PANE", ""),
        "server": server_key(os.environ.get("TMUX")),
        "home": os.path.expanduser("~"),
        "worktree": worktree,
        "checkout": checkout,
        "run": run,
    }
    return json.dumps(request, ensure_ascii=False).encode("utf-8")


def relayed(path: str, agent_kind: str, name: str, raw: str, payload: dict[str, Any]) -> Relayed:
    """Ask the relay at ``path``; what it answered, or why it could not be asked."""
    deadline = time.monotonic() + ANSWER_WITHIN_S
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(ANSWER_WITHIN_S)
            conn.connect(path)
            conn.sendall(relay_request(agent_kind, name, raw, payload))
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
                conn.settimeout(max(0.05, deadline - time.monotonic()))
    except TimeoutError:
        return Relayed(False, problem=f"no answer within {ANSWER_WITHIN_S:g}s")
    except OSError as error:
        return Relayed(False, problem=f"{error.strerror or error} ({path})")
    try:
        answer = json.loads(b"".join(chunks))
    except ValueError:
        return Relayed(False, problem="the connection closed without an answer")
    if not isinstance(answer, dict) or "reply" not in answer:
        problem = answer.get("error") if isinstance(answer, dict) else None
        return Relayed(False, problem=str(problem or "an answer it could not read"))
    reply = answer["reply"]
    return Relayed(True, reply if isinstance(reply, dict) else None)
