"""agenttui as an agent in Linear (delegation, live activity, stop) by polling, no webhook.

``settings``: the app's token and ``[linear_agent]``; ``queries``: the operations;
``linear_backend`` / ``local_backend``: where sessions live (Linear's agent platform, or the
store for local issues); ``backend``: what both offer. The run side (turning a run's events
into activities, polling sessions for prompts) lives in :mod:`workflows.runs.agent_sessions`.
"""

from __future__ import annotations

from workflows.issues.linear_agent.backend import Prompt, SessionBackend

__all__ = ["Prompt", "SessionBackend", "open_backend"]


def open_backend(source: str) -> SessionBackend | None:
    """The session backend for runs on ``source`` issues: Linear's when the app token is
    configured, the store's for local issues, None when runs on this source get no session."""
    if source == "local":
        from workflows.issues.linear_agent.local_backend import LocalSessions

        return LocalSessions()
    from workflows.issues.linear_agent.settings import app_token

    if source == "linear" and app_token() is not None:
        from workflows.issues.linear_agent.linear_backend import LinearSessions

        return LinearSessions()
    return None
