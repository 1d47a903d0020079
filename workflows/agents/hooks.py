"""The hooks bridge: agents report their own events, agenttui stores them for the classifier.

Claude Code gets a generated per-pane settings file (``claude --settings FILE``; the user's
own settings are never touched) whose hooks run ``agenttui hook claude --pane NAME`` with the
event JSON on stdin. Codex gets ``-c notify=[…]`` calling ``agenttui hook codex --pane NAME``
with the JSON as its last argument. Each event is keyed by the tmux pane it came from
(``$TMUX_PANE`` plus the server from ``$TMUX``), which survives agent renames and never
mixes two servers' ``%3``.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workflows.agents.hook_origin import current_origin
from workflows.agents.policy_wait import PERMISSION_HOOK_TIMEOUT_S
from workflows.agents.state import HookEvent
from workflows.base.hosts import SshHost
from workflows.base.paths import agenttui_argv, state_dir
from workflows.base.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS agent_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL,      -- tmux socket path + server pid ($TMUX), '' if unknown
    pane_id TEXT NOT NULL,     -- $TMUX_PANE, e.g. %3
    agent TEXT NOT NULL,       -- agent name given to the hook (--pane)
    kind TEXT NOT NULL,        -- submit | stop | tool_start | permission | answered |
                               -- undecided | notification | tool_done | ...
    payload TEXT NOT NULL,     -- the hook's JSON, as received
    at REAL NOT NULL           -- unix time
);
CREATE INDEX IF NOT EXISTS agent_events_pane ON agent_events (pane_id, server, id);
CREATE INDEX IF NOT EXISTS agent_events_agent ON agent_events (agent, id);
"""

CLAUDE_EVENTS = {
    "UserPromptSubmit": "submit",
    "Stop": "stop",
    "PermissionRequest": "permission",
    "Notification": "notification",
    "PostToolUse": "tool_done",
    "SessionStart": "session_start",
}
CODEX_EVENTS = {"agent-turn-complete": "stop"}


def open_events(store: Store) -> Store:
    store.ensure("agent-events", DDL)
    return store


def server_key(tmux_env: str | None) -> str:
    """``$TMUX`` is ``socket_path,server_pid,session``: the first two name one server run."""
    if not tmux_env:
        return ""
    return ",".join(tmux_env.split(",")[:2])


def record_event(
    store: Store,
    *,
    agent: str,
    kind: str,
    payload: dict[str, Any],
    pane_id: str | None = None,
    server: str | None = None,
) -> int:
    open_events(store)
    origin = current_origin()  # a host's hook handled here: keyed as the host keys it
    pane = pane_id if pane_id is not None else os.environ.get("TMUX_PANE", "")
    srv = server if server is not None else server_key(os.environ.get("TMUX"))
    if origin is not None:
        pane = pane_id if pane_id is not None else origin.pane_id
        srv = server if server is not None else origin.server
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO agent_events (server, pane_id, agent, kind, payload, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (srv, pane, agent, kind, json.dumps(payload, ensure_ascii=False), time.time()),
        )
        return int(cursor.lastrowid or 0)


def recent_events(
    store: Store, *, pane_id: str, server: str = "", limit: int = 20, now: float | None = None
) -> list[HookEvent]:
    """The pane's latest events, newest first, with their age relative to ``now``."""
    open_events(store)
    query = "SELECT kind, payload, at FROM agent_events WHERE pane_id = ?"
    params: list[Any] = [pane_id]
    if server:
        query += " AND server = ?"
        params.append(server)
    rows = store.connection().execute(query + " ORDER BY id DESC LIMIT ?", (*params, limit))
    moment = time.time() if now is None else now
    events = []
    for row in rows:
        try:
            payload = json.loads(row["payload"])
        except ValueError:
            payload = {}
        events.append(
            HookEvent(
                str(row["kind"]),
                payload if isinstance(payload, dict) else {},
                max(0.0, moment - float(row["at"])),
            )
        )
    return events


def payloads_since(
    store: Store, *, pane_id: str, server: str, since: float
) -> list[dict[str, Any]]:
    """Every payload the pane's hooks reported since ``since``, oldest first (the transcript
    an agent writes is named there)."""
    open_events(store)
    rows = store.connection().execute(
        "SELECT payload FROM agent_events WHERE pane_id = ? AND server = ? AND at >= ? ORDER BY id",
        (pane_id, server, since),
    )
    payloads = []
    for row in rows:
        try:
            payload = json.loads(row["payload"])
        except ValueError:
            continue
        if isinstance(payload, dict):
            payloads.append(payload)
    return payloads


def events_for_agent(store: Store, agent: str, *, kind: str | None = None) -> list[dict[str, Any]]:
    """Every stored event of an agent name, oldest first (tests, benches, audit)."""
    open_events(store)
    query = "SELECT id, pane_id, kind, payload, at FROM agent_events WHERE agent = ?"
    params: list[Any] = [agent]
    if kind:
        query += " AND kind = ?"
        params.append(kind)
    rows = store.connection().execute(query + " ORDER BY id", params)
    return [
        {
            "id": row["id"],
            "pane_id": row["pane_id"],
            "kind": row["kind"],
            "payload": json.loads(row["payload"]),
            "at": row["at"],
        }
        for row in rows
    ]


def hook_command(agent_kind: str, name: str, agenttui: Sequence[str] | None = None) -> list[str]:
    """The hook's command line: this agenttui, or ``agenttui`` (words) on the agent's host."""
    # --pane before the kind: Codex appends the JSON last, right after the positional kind.
    words = list(agenttui) if agenttui is not None else agenttui_argv()
    return [*words, "hook", "--pane", name, agent_kind]


def _shell_join(argv: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in argv)


def claude_settings(name: str, *, directory: Path | None = None) -> Path:
    """Write the per-pane Claude Code settings file whose hooks report to agenttui."""
    target_dir = directory if directory is not None else state_dir() / "claude-settings"
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"{_safe(name)}.json"
    path.write_text(claude_settings_text(name), encoding="utf-8")
    return path


def claude_settings_text(name: str, agenttui: Sequence[str] | None = None) -> str:
    """The settings file's JSON: every hook runs ``agenttui hook claude --pane NAME``."""
    command = _shell_join(hook_command("claude", name, agenttui))
    hook = {"type": "command", "command": command, "timeout": 30}
    hooks = {
        event: [{"hooks": [hook]}]
        if event != "PostToolUse"
        else [{"matcher": "*", "hooks": [hook]}]
        for event in CLAUDE_EVENTS
    }
    # The policy's budget: its dialog is a person's once this has passed (policy_wait).
    decide = {**hook, "timeout": PERMISSION_HOOK_TIMEOUT_S}
    hooks["PermissionRequest"] = [{"hooks": [decide]}]
    hooks["Notification"] = [{"matcher": "permission_prompt|elicitation_dialog", "hooks": [hook]}]
    # The hard deny-list also covers what Claude runs without asking (workflows/approvals).
    hooks["PreToolUse"] = [{"matcher": "*", "hooks": [hook]}]
    return json.dumps({"hooks": hooks}, indent=2)


def codex_notify_args(name: str, agenttui: Sequence[str] | None = None) -> list[str]:
    """``-c notify=[…]`` for the codex command line (a TOML array of strings)."""
    argv = hook_command("codex", name, agenttui)
    return ["-c", "notify=[" + ", ".join(json.dumps(part) for part in argv) + "]"]


def codex_policy_args(name: str, agenttui: Sequence[str] | None = None) -> list[str]:
    """A Codex PreToolUse hook calling ``agenttui hook codex`` (JSON on stdin), so the hard
    deny-list also sees what Codex runs in its sandbox without asking. agenttui writes the
    hook itself, hence no trust prompt. (Codex's dialogs are answered by keys: with a
    PermissionRequest hook present, 0.169 ignored the approve key when the hook abstained.)"""
    command = _shell_join(hook_command("codex", name, agenttui))
    handler = '{type = "command", command = ' + json.dumps(command) + ", timeout = 30}"
    return ["-c", f"hooks.PreToolUse=[{{hooks = [{handler}]}}]", "--dangerously-bypass-hook-trust"]


def hook_launch_args(hooks_kind: str, name: str, host: SshHost | None = None) -> list[str]:
    """Extra command-line arguments that wire a profile's hooks for the agent ``name``. On a
    host, the hooks call the agenttui there (its settings file written there too), which
    keeps them in its store for this machine to fetch (``host_events``)."""
    words = shlex.split(host.agenttui) if host is not None else None
    if hooks_kind == "claude-settings":
        if host is not None:
            from workflows.tmux.ssh import write_private

            text = claude_settings_text(name, words)
            return ["--settings", write_private(host, text.encode("utf-8"))]
        return ["--settings", str(claude_settings(name))]
    if hooks_kind == "codex-notify":
        return [*codex_notify_args(name, words), *codex_policy_args(name, words)]
    return []


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "agent"


def last_event_id(store: Store, *, pane_id: str, server: str = "") -> int:
    """The newest event id of a pane (0 if none): take it before acting, then ask
    :func:`event_since` whether the agent confirmed (e.g. ``submit`` after a send)."""
    open_events(store)
    query = "SELECT MAX(id) FROM agent_events WHERE pane_id = ?"
    params: list[Any] = [pane_id]
    if server:
        query += " AND server = ?"
        params.append(server)
    row = store.connection().execute(query, params).fetchone()
    return int(row[0] or 0)


def event_since(
    store: Store, *, pane_id: str, kind: str, after_id: int, server: str = ""
) -> dict[str, Any] | None:
    """The first ``kind`` event of a pane recorded after ``after_id``, or None."""
    open_events(store)
    query = "SELECT id, payload FROM agent_events WHERE pane_id = ? AND kind = ? AND id > ?"
    params: list[Any] = [pane_id, kind, after_id]
    if server:
        query += " AND server = ?"
        params.append(server)
    row = store.connection().execute(query + " ORDER BY id LIMIT 1", params).fetchone()
    return None if row is None else {"id": row["id"], "payload": json.loads(row["payload"])}
