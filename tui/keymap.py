"""The ``[tui]`` table of the user's config: bell, notifications, key overrides by id.

```toml
[tui]
bell = false                 # ring the terminal bell when an agent starts waiting
notify_command = ["notify-send", "agenttui", "{message}"]   # see workflows/agents/notify.py

[tui.keys]                   # binding id = keys (comma-separated); see the help screen (?)
"tile.approve" = "y"
"tile.deny" = "n,d"
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.agents.notify import configured_notify_command
from workflows.base.config import section
from workflows.base.errors import AgentTuiError
from workflows.base.paths import config_file


@dataclass(frozen=True)
class TuiSettings:
    bell: bool = True
    """Ring the terminal bell (besides the notification) when an agent starts waiting."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id → keys, passed to ``App.set_keymap``."""
    notify_command: list[str] | None = None
    """Run when an agent starts waiting (None: tmux display-message; []: nothing)."""


def tui_settings() -> TuiSettings:
    raw = section("tui")
    keys = raw.get("keys", {})
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise AgentTuiError(f"{config_file()}: [tui.keys] must map binding ids to key strings")
    bell = raw.get("bell", True)
    if not isinstance(bell, bool):
        raise AgentTuiError(f"{config_file()}: [tui] bell must be true or false")
    notify = configured_notify_command()
    return TuiSettings(bell=bell, keys=dict(keys), notify_command=notify)
