"""Which issues were handed to agenttui's app: delegated to it (``Issue.delegate``), and,
when ``[linear_agent] sources`` says so, those where it was mentioned (Linear opens a
pending session for the app on a mention; its comment is set)."""

from __future__ import annotations

from typing import Any

from workflows.base.errors import UsageError
from workflows.issues.linear_agent.settings import TOKEN_ENV, AgentSettings, app_token


def delegation_filter(issue_filter: dict[str, Any], url: str, deadline: float | None) -> Any:
    """``issue_filter`` narrowed to issues handed to the app (Linear's IssueFilter)."""
    from workflows.issues.linear_agent.linear_backend import LinearSessions

    key = app_token()
    if key is None:
        raise UsageError(
            f"--delegated / delegated = true needs agenttui's Linear app: set {TOKEN_ENV} "
            "or [linear_agent] token_file"
        )
    settings = AgentSettings.load()
    sessions = LinearSessions(key, url=url)
    sessions.client.deadline = deadline
    try:
        handed: list[dict[str, Any]] = []
        if "delegated" in settings.sources:
            handed.append({"delegate": {"id": {"eq": sessions.app_user_id()}}})
        if "mentioned" in settings.sources:
            mentioned = sorted(
                {
                    str(node["issue"]["id"])
                    for node in sessions.open_sessions()
                    if node.get("status") == "pending" and node.get("comment")
                }
            )
            if mentioned:
                handed.append({"id": {"in": mentioned}})
    finally:
        sessions.close()
    if not handed:  # nothing can match: an id no issue has
        handed.append({"id": {"in": []}})
    chosen = handed[0] if len(handed) == 1 else {"or": handed}
    return {"and": [issue_filter, chosen]} if issue_filter else chosen
