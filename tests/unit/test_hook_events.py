"""Hook events in the store and the generated per-pane hook wiring."""

from __future__ import annotations

import json
from pathlib import Path

from workflows.agents.hooks import (
    claude_settings,
    codex_notify_args,
    events_for_agent,
    recent_events,
    record_event,
    server_key,
)
from workflows.base.store import Store


def test_events_are_per_pane_and_server_newest_first() -> None:
    store = Store()
    record_event(store, agent="a", kind="submit", payload={}, pane_id="%1", server="s1")
    record_event(store, agent="a", kind="stop", payload={"x": 1}, pane_id="%1", server="s1")
    record_event(store, agent="b", kind="submit", payload={}, pane_id="%1", server="s2")
    events = recent_events(store, pane_id="%1", server="s1")
    assert [event.kind for event in events] == ["stop", "submit"]
    assert events[0].payload == {"x": 1}
    assert all(event.age_s >= 0 for event in events)
    assert [e["kind"] for e in events_for_agent(store, "b")] == ["submit"]


def test_server_key_is_socket_and_pid() -> None:
    assert server_key("/tmp/tmux-0/x,123,0") == "/tmp/tmux-0/x,123"
    assert server_key(None) == ""


def test_claude_settings_file_lives_in_state_dir(tmp_path: Path) -> None:
    path = claude_settings("worker 1")
    assert path.is_relative_to(tmp_path / "state")
    settings = json.loads(path.read_text())
    for event in ("UserPromptSubmit", "Stop", "PermissionRequest", "Notification"):
        command = settings["hooks"][event][0]["hooks"][0]["command"]
        assert "hook --pane 'worker 1' claude" in command


def test_codex_notify_is_a_toml_array() -> None:
    flag, value = codex_notify_args("rev")
    assert flag == "-c"
    assert value.startswith("notify=[") and value.endswith('"--pane", "rev", "codex"]')
