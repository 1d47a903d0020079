"""The agent platform on Linear: sessions and activities posted with the app's token.

Nothing is posted twice: an activity carries a client-chosen UUID, and a retry (after a
timeout, a 5xx, a lost answer or a runner that died mid-request) first asks Linear whether
that id exists. A session is opened once per issue: a pending one Linear made for the app
(delegation, mention) is adopted; a create whose answer was lost is found again the same way.
``success: false`` and user errors raise :class:`LinearRefused`; the caller counts them and
gives up after its limit instead of retrying forever.
"""

from __future__ import annotations

from typing import Any

import httpx

from workflows.base.errors import UsageError
from workflows.issues.linear_agent import queries
from workflows.issues.linear_agent.backend import Prompt
from workflows.issues.linear_agent.settings import TOKEN_ENV, app_token
from workflows.issues.linear_http import (
    ApiKey,
    LinearAuthError,
    LinearClient,
    LinearError,
    LinearRateLimited,
    LinearUnavailable,
    answer_checked,
    configured_url,
)

OPEN_STATUSES = ("pending", "active", "awaitingInput")
KEY_HINT = f"{TOKEN_ENV} or [linear_agent] token_file"


class LinearRefused(LinearError):
    """Linear answered but did not do it (``success: false``, or a user error)."""


TRANSIENT = (LinearUnavailable, LinearRateLimited)


class LinearSessions:
    kind = "linear"
    rate_limited = True

    def __init__(
        self,
        key: ApiKey | None = None,
        *,
        url: str | None = None,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        key = key if key is not None else app_token()
        if key is None:
            raise UsageError(f"no Linear app token: set {KEY_HINT}")
        self.client = LinearClient(
            key,
            url=url or configured_url(),
            timeout=timeout,
            transport=transport,
            key_hint=KEY_HINT,
            **client_options,
        )
        self._app_user: str | None = None

    def __repr__(self) -> str:
        return f"LinearSessions(url={self.client.url!r})"

    def close(self) -> None:
        self.client.close()

    @answer_checked
    def app_user_id(self) -> str:
        if self._app_user is None:
            self._app_user = str(self.client.execute(queries.APP_VIEWER)["viewer"]["id"])
        return self._app_user

    @answer_checked
    def open_sessions(self) -> list[dict[str, Any]]:
        """The app's sessions Linear still shows as open, newest first."""
        me = self.app_user_id()
        nodes = self.client.execute(queries.SESSIONS, {"first": 100})["agentSessions"]["nodes"]
        return [
            node
            for node in nodes
            if (node.get("appUser") or {}).get("id") == me
            and node.get("issue")
            and node.get("status") in OPEN_STATUSES
        ]

    def _adoptable(self, issue_id: str, taken: set[str]) -> str | None:
        wanted = issue_id.casefold()
        for node in self.open_sessions():
            issue = node["issue"]
            if node["id"] not in taken and wanted in (
                str(issue["id"]).casefold(),
                str(issue["identifier"]).casefold(),
            ):
                return str(node["id"])
        return None

    @answer_checked
    def open_session(self, issue_id: str, *, taken: set[str]) -> str:
        found = self._adoptable(issue_id, taken)
        if found is not None:
            return found

        def made_already() -> dict[str, Any] | None:
            again = self._adoptable(issue_id, taken)
            if again is None:
                return None
            return {"agentSessionCreateOnIssue": {"success": True, "agentSession": {"id": again}}}

        data = self.client.execute(
            queries.SESSION_CREATE_ON_ISSUE,
            {"input": {"issueId": issue_id}},
            before_retry=made_already,
        )
        payload = data["agentSessionCreateOnIssue"]
        if not payload.get("success") or not payload.get("agentSession"):
            raise LinearRefused(f"Linear did not open an agent session on {issue_id}")
        return str(payload["agentSession"]["id"])

    def has_activity(self, activity_id: str) -> bool:
        try:
            data = self.client.execute(queries.ACTIVITY_BY_ID, {"id": activity_id})
        except (*TRANSIENT, LinearAuthError):
            raise
        except LinearError:  # "Entity not found"
            return False
        return bool(data.get("agentActivity"))

    @answer_checked
    def post_activity(
        self, session_id: str, activity_id: str, content: dict[str, Any], *, retried: bool
    ) -> None:
        """Post once: ``retried`` (an earlier attempt may have reached Linear) looks first."""
        if retried and self.has_activity(activity_id):
            return

        def posted() -> dict[str, Any] | None:
            if not self.has_activity(activity_id):
                return None
            return {"agentActivityCreate": {"success": True}}

        activity = {"agentSessionId": session_id, "id": activity_id, "content": content}
        try:
            data = self.client.execute(
                queries.ACTIVITY_CREATE, {"input": activity}, before_retry=posted
            )
        except (*TRANSIENT, LinearAuthError):
            raise
        except LinearError as error:
            if self.has_activity(activity_id):  # a conflict on our own id: it is there
                return
            raise LinearRefused(str(error), status=error.status, code=error.code) from None
        if not data["agentActivityCreate"]["success"]:
            raise LinearRefused(
                f"Linear did not create the {content.get('type')} activity (success: false)"
            )

    @answer_checked
    def update_session(self, session_id: str, update: dict[str, Any]) -> None:
        try:
            data = self.client.execute(queries.SESSION_UPDATE, {"id": session_id, "input": update})
        except (*TRANSIENT, LinearAuthError):
            raise
        except LinearError as error:
            raise LinearRefused(str(error), status=error.status, code=error.code) from None
        if not data["agentSessionUpdate"]["success"]:
            raise LinearRefused("Linear did not update the agent session (success: false)")

    @answer_checked
    def prompts(self, session_id: str, since: str) -> list[Prompt]:
        data = self.client.execute(queries.SESSION_PROMPTS, {"id": session_id, "since": since})
        nodes = (data["agentSession"] or {}).get("activities", {}).get("nodes") or []
        found = [
            Prompt(
                id=str(node["id"]),
                created_at=str(node["createdAt"]),
                body=str((node.get("content") or {}).get("body") or ""),
                signal=node.get("signal"),
            )
            for node in nodes
        ]
        return sorted(found, key=lambda prompt: prompt.created_at)
