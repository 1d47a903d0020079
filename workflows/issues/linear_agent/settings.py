"""The Linear app (actor=app) agenttui acts as: its OAuth token and the ``[linear_agent]`` table.

The token comes from ``LINEAR_APP_TOKEN`` or from the file ``[linear_agent] token_file``,
which must be readable by its owner alone (0600): anything more open is refused with the
path and the fix. It lives only in an :class:`ApiKey` (whose repr hides it) and the
Authorization header (``Bearer``, as Linear wants OAuth tokens): never in the store, a log or
an error message.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from workflows.base.config import table
from workflows.base.errors import UsageError
from workflows.issues.linear_http import ApiKey

TOKEN_ENV = "LINEAR_APP_TOKEN"
SOURCES = ("delegated", "mentioned")


def app_token() -> ApiKey | None:
    """The app's token as an Authorization value, or None when no app is configured."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    if not value:
        path = table("linear_agent").get_path("token_file")
        if path is None:
            return None
        value = _read_private(path)
    if not value.startswith("Bearer "):
        value = f"Bearer {value}"
    return ApiKey(value)


def _read_private(path: os.PathLike[str]) -> str:
    try:
        info = os.stat(path)
    except OSError as error:
        raise UsageError(f"[linear_agent] token_file {os.fspath(path)}: {error.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = stat.S_IMODE(info.st_mode)
        raise UsageError(
            f"[linear_agent] token_file {os.fspath(path)} is readable by others "
            f"(mode {mode:04o}); run: chmod 600 {os.fspath(path)}"
        )
    with open(path, encoding="utf-8") as handle:
        token = handle.read().strip()
    if not token:
        raise UsageError(f"[linear_agent] token_file {os.fspath(path)} is empty")
    return token


@dataclass
class AgentSettings:
    """``[linear_agent]`` of config.toml."""

    token_file: str | None = None
    """A 0600 file holding the app's OAuth token (or set LINEAR_APP_TOKEN)."""
    sources: list[str] = field(default_factory=lambda: ["delegated", "mentioned"])
    """What a ``delegated = true`` watch filter picks: issues delegated to the app, and
    issues whose pending session came from a mention of it."""
    poll_active: float = 15.0
    """Seconds between looks for prompts (follow-ups, stop) while a run is active."""
    poll_idle: float = 60.0
    """Seconds between looks at the sessions of finished runs (the watcher does these)."""
    per_minute: int = 10
    """Requests a run's session may make per minute (activities, plan, URL); the rest wait
    and are merged."""
    max_attempts: int = 3
    """Times an activity Linear refused (``success: false``, a user error) is tried."""
    followup_workflow: str = "follow-up"
    """The workflow a follow-up starts once the run it was written to has ended."""
    followup_days: float = 7.0
    """How long the watcher keeps looking at the sessions of finished runs."""

    @classmethod
    def load(cls) -> AgentSettings:
        settings = cls(**table("linear_agent").fill(cls))
        for source in settings.sources:
            if source not in SOURCES:
                raise UsageError(
                    f"[linear_agent] sources: unknown {source!r} (use {', '.join(SOURCES)})"
                )
        return settings
