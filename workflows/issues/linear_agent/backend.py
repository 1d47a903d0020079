"""Where a run's agent sessions live: Linear's agent platform, or the store (local issues).

Both backends do the same four things, so the session sync and the prompt poller never care
which one a run uses:

- ``open_session(issue)``: the session a run reports to: one Linear opened already for the
  app (a delegation or a mention: it is adopted, never doubled) or a new one;
- ``post_activity(session, activity_id, content)``: posted once per ``activity_id`` (a
  client-chosen UUID), however often it is called;
- ``update_session(session, input)``: plan and external URLs;
- ``prompts(session, since)``: what people wrote in the session since then (follow-ups,
  answers, the stop signal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Prompt:
    """A person's message in a session: ``signal`` is "stop" for the stop button."""

    id: str
    created_at: str
    body: str
    signal: str | None = None


class SessionBackend(Protocol):
    kind: str  # "linear" | "local"
    rate_limited: bool  # its requests count against Linear's limits ([linear_agent] per_minute)

    def open_session(self, issue_id: str, *, taken: set[str]) -> str: ...

    def post_activity(
        self, session_id: str, activity_id: str, content: dict[str, Any], *, retried: bool
    ) -> None: ...

    def update_session(self, session_id: str, update: dict[str, Any]) -> None: ...

    def prompts(self, session_id: str, since: str) -> list[Prompt]: ...

    def close(self) -> None: ...
