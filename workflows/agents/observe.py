"""Observe one agent pane: capture it, fetch its hook events, and classify.

This is the impure shell around :func:`workflows.agents.classifier.classify`. Time since
last output comes from the caller when it tracks ``%output`` (the TUI's control connection),
else from how long this process has seen the same screen, else from tmux's
``#{window_activity}`` (one-second resolution, good enough for a fallback).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.agents.classifier import classify
from workflows.agents.hooks import recent_events
from workflows.agents.host_events import fetch_events
from workflows.agents.profiles import Profile, load_profile_file, parse_profile
from workflows.agents.state import StateReading
from workflows.base.errors import AgentTuiError
from workflows.base.paths import state_dir
from workflows.base.store import Store

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

GENERIC = parse_profile({"name": "generic", "command": ["sh"]}, source=Path("<generic>"))


@dataclass
class _Seen:
    digest: str
    changed_at: float


_seen: dict[tuple[str, str], _Seen] = {}
_server_keys: dict[str, str] = {}
_stores: dict[Path, Store] = {}
_lock = threading.Lock()


def default_store() -> Store:
    """One Store per state dir for this process: callers that poll (tiles, wait) would
    otherwise open a new SQLite connection on every read."""
    path = state_dir() / "agenttui.sqlite3"
    with _lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = Store(path)
        return store


def profile_for(pane: PaneInfo) -> Profile:
    """The pane's profile file (``@agenttui_agent``; its rules and keys: config.toml's
    ``[agents.NAME]`` only changes how it launches), or a rule-less generic one."""
    if not pane.agent:
        return GENERIC
    try:
        return load_profile_file(pane.agent)
    except AgentTuiError:
        return GENERIC


def tmux_format(driver: TmuxDriver, pane_id: str, fmt: str) -> str:
    """Expand a tmux format for a pane over the driver's control connection (no fork)."""
    try:
        lines = driver.command("display-message", "-p", "-t", pane_id, fmt)
    except AgentTuiError:
        return ""
    return "\n".join(lines).strip()


def _nudge_reaper(driver: TmuxDriver) -> None:
    with contextlib.suppress(AgentTuiError):
        driver.command("run-shell", "-b", "true")


def server_for(driver: TmuxDriver, pane_id: str) -> str:
    """The tmux server key (socket path, server pid) hooks record as ``server``."""
    socket_name = str(getattr(driver, "lock_key", None) or "")
    if socket_name not in _server_keys:
        key = tmux_format(driver, pane_id, "#{socket_path},#{pid}")
        if not key:
            return ""
        _server_keys[socket_name] = key
    return _server_keys[socket_name]


def screen_digest(profile: Profile, lines: list[str]) -> str:
    """What a screen change is measured on (its ``animated`` parts do not count)."""
    return hashlib.blake2b(profile.still_text(lines).encode(), digest_size=16).hexdigest()


def _screen_age(key: tuple[str, str], digest: str, now: float) -> float | None:
    with _lock:
        seen = _seen.get(key)
        if seen is None or seen.digest != digest:
            _seen[key] = _Seen(digest, now)
            return None if seen is None else 0.0
        return now - seen.changed_at


def read_state(
    driver: TmuxDriver,
    pane: PaneInfo,
    *,
    store: Store | None = None,
    idle_seconds: float | None = None,
    profile: Profile | None = None,
) -> StateReading:
    """Classify ``pane`` now: screen + title + hook events + time since last output."""
    prof = profile if profile is not None else profile_for(pane)
    for attempt in range(100):  # at most ~2 s, normally none
        if not pane.dead or pane.dead_status is not None or pane.dead_signal is not None:
            break
        # tmux sees the pty close a moment before it reaps the process and learns the status.
        # Rarely (seen with 3.3a) it misses the SIGCHLD and the agent stays a zombie: a
        # short-lived child of the server makes it reap again.
        if attempt == 5:
            _nudge_reaper(driver)
        time.sleep(0.02)
        pane = driver.resolve(pane.pane_id)
    if pane.dead:
        return classify(
            prof,
            [],
            pane.title,
            [],
            0.0,
            dead=True,
            dead_status=pane.dead_status,
            dead_signal=pane.dead_signal,
        )
    lines = driver.capture(pane.pane_id)
    now = time.time()
    socket_name = str(getattr(driver, "lock_key", None) or "")  # a remote server's: its host's
    server = _server_keys.get(socket_name)
    activity: str | None = None
    if server is None or idle_seconds is None:
        raw = tmux_format(driver, pane.pane_id, "#{socket_path},#{pid}\t#{window_activity}")
        server, _, activity = raw.partition("\t")
        if server:
            _server_keys[socket_name] = server
    if idle_seconds is None:
        age = _screen_age((server or socket_name, pane.pane_id), screen_digest(prof, lines), now)
        if age is None:
            age = now - float(activity) if activity and activity.isdigit() else 0.0
        idle_seconds = max(0.0, age)
    store = store or default_store()
    host = driver.target.host
    if host is not None:  # its hooks reported to the agenttui there
        fetch_events(store, host)
    events = recent_events(store, pane_id=pane.pane_id, server=server or "", now=now)
    return classify(prof, lines, pane.title, events, idle_seconds)


def reading_json(pane: PaneInfo, reading: StateReading) -> dict[str, Any]:
    """The JSON shape read/wait/ls report for one pane."""
    return {"pane": pane.pane_id, "name": pane.name, "agent": pane.agent, **reading.as_json()}
