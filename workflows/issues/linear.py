"""Linear as an issue source: list with filters and pagination, details, write-back.

The key comes from ``LINEAR_API_KEY`` or ``[linear] api_key`` in the config; the endpoint
from ``LINEAR_API_URL`` or ``[linear] url`` (tests point it at a local server).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from workflows.base.config import table
from workflows.base.errors import UsageError
from workflows.issues import queries
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
from workflows.issues.model import Comment, Issue, IssueFilters, Relation

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
DEFAULT_PAGE_SIZE = 100
DEFAULT_TIMEOUT_S = 15.0


def configured_key() -> ApiKey | None:
    """The Linear key from the environment or the config file; else the app's token (an
    install with only the app reads issues as the app), if any."""
    value = os.environ.get("LINEAR_API_KEY") or table("linear").get_str("api_key")
    if value:
        return ApiKey(value)
    from workflows.issues.linear_agent.settings import app_token

    return app_token()


def build_filter(filters: IssueFilters) -> dict[str, Any]:
    """Translate agenttui filters to Linear's IssueFilter input (all conditions ANDed)."""
    result: dict[str, Any] = {}
    if filters.team:
        result["team"] = {"key": {"eq": filters.team}}
    if filters.assignee_me:
        result["assignee"] = {"isMe": {"eq": True}}
    if filters.state_types:
        result["state"] = {"type": {"in": list(filters.state_types)}}
    if filters.labels:
        result["labels"] = {"name": {"in": list(filters.labels)}}
    if filters.project:
        result["project"] = {"name": {"eq": filters.project}}
    if filters.updated_since:
        result["updatedAt"] = {"gt": filters.updated_since}
    if filters.text:
        text = filters.text
        result["or"] = [
            {"title": {"containsIgnoreCase": text}},
            {"description": {"containsIgnoreCase": text}},
        ]
    return result


def _name(node: Any, key: str = "name") -> str | None:
    return str(node[key]) if isinstance(node, dict) and node.get(key) is not None else None


def _nodes(connection: Any) -> list[dict[str, Any]]:
    if not isinstance(connection, dict):
        return []
    return [node for node in connection.get("nodes") or [] if isinstance(node, dict)]


def issue_from_node(node: dict[str, Any]) -> Issue:
    """An Issue from a Linear Issue object (slim or detailed selection)."""
    state = node.get("state") or {}
    priority = node.get("priority")
    issue = Issue(
        id=str(node["id"]),
        identifier=str(node["identifier"]),
        title=str(node.get("title") or ""),
        description=str(node.get("description") or ""),
        state=str(state.get("name") or ""),
        state_type=str(state.get("type") or ""),
        labels=[str(label["name"]) for label in _nodes(node.get("labels"))],
        project=_name(node.get("project")),
        team=_name(node.get("team"), "key"),
        assignee=_name(node.get("assignee")),
        priority=int(priority) if priority is not None else None,
        url=node.get("url"),
        branch_name=node.get("branchName"),
        parent=_name(node.get("parent"), "identifier"),
        updated_at=str(node.get("updatedAt") or ""),
    )
    issue.relations = [
        Relation(rel["type"], rel["relatedIssue"]["identifier"], "outgoing")
        for rel in _nodes(node.get("relations"))
    ] + [
        Relation(rel["type"], rel["issue"]["identifier"], "incoming")
        for rel in _nodes(node.get("inverseRelations"))
    ]
    if "description" in node:
        issue.detailed = True
        issue.children = [str(child["identifier"]) for child in _nodes(node.get("children"))]
        issue.comments = [
            Comment(str(com.get("body") or ""), _name(com.get("user")), com.get("createdAt"))
            for com in _nodes(node.get("comments"))
        ]
    return issue


class LinearSource:
    """IssueSource over Linear's GraphQL API (see FIELD-NOTES §6)."""

    name = "linear"

    def __init__(
        self,
        key: ApiKey | None = None,
        *,
        url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        page_size: int | None = None,
        on_status: Callable[[str], None] | None = None,
        **client_options: Any,
    ) -> None:
        key = key if key is not None else configured_key()
        if key is None:
            raise UsageError("no Linear API key: set LINEAR_API_KEY or [linear] api_key")
        settings = table("linear")
        if timeout is None:
            timeout = settings.get_float("timeout", DEFAULT_TIMEOUT_S, minimum=0.1)
        self.client = LinearClient(
            key,
            url=url or configured_url(),
            timeout=timeout,
            transport=transport,
            on_status=on_status,
            **client_options,
        )
        self.page_size = page_size or settings.get_int("page_size", DEFAULT_PAGE_SIZE, minimum=1)
        self.cache_key = f"linear:{self.client.url}"
        self._teams: dict[str, tuple[str, str]] = {}  # any issue id → (uuid, team id)

    def __repr__(self) -> str:
        return f"LinearSource(url={self.client.url!r})"

    def close(self) -> None:
        self.client.close()

    @answer_checked
    def list_issues(self, filters: IssueFilters | None = None) -> list[Issue]:
        filters = filters or IssueFilters()
        issue_filter = build_filter(filters)
        if filters.delegated:
            from workflows.issues.linear_agent.delegation import delegation_filter

            issue_filter = delegation_filter(issue_filter, self.client.url, self.client.deadline)
        issues: list[Issue] = []
        after: str | None = None
        while True:
            first = self.page_size
            if filters.limit is not None:
                first = min(first, filters.limit - len(issues))
            data = self.client.execute(
                queries.LIST_ISSUES,
                {"filter": issue_filter or None, "first": first, "after": after},
            )
            connection = data["issues"]
            issues.extend(issue_from_node(node) for node in _nodes(connection))
            page = connection.get("pageInfo") or {}
            if filters.limit is not None and len(issues) >= filters.limit:
                return issues[: filters.limit]
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return issues
            after = str(page["endCursor"])

    @answer_checked
    def get_issue(self, issue_id: str) -> Issue:
        data = self.client.execute(queries.ISSUE_DETAIL, {"id": issue_id})
        if not data.get("issue"):
            raise LinearError(f"Linear has no issue {issue_id}")
        return issue_from_node(data["issue"])

    def get_issues(self, issue_ids: list[str]) -> list[Issue]:
        """Full details for the chosen issues (one request each: keeps complexity low)."""
        return [self.get_issue(issue_id) for issue_id in issue_ids]

    @answer_checked
    def _resolve(self, issue_id: str) -> tuple[str, str]:
        """(uuid, team id) of an issue given by uuid or identifier, cached per source."""
        if issue_id not in self._teams:
            data = self.client.execute(queries.ISSUE_TEAM, {"id": issue_id})
            node = data.get("issue")
            if not node:
                raise LinearError(f"Linear has no issue {issue_id}")
            self._teams[issue_id] = (str(node["id"]), str(node["team"]["id"]))
        return self._teams[issue_id]

    def _uuid(self, issue_id: str) -> str:
        return issue_id if UUID_PATTERN.match(issue_id) else self._resolve(issue_id)[0]

    @answer_checked
    def comment(self, issue_id: str, body: str) -> None:
        """Post once: the comment gets a client-chosen id, and a create whose answer was
        lost (timeout, 5xx) or refused (the id is taken) looks that id up before anything is
        sent again — whether the server dedupes ids, refuses them or ignores them."""
        comment_id = str(uuid.uuid4())
        comment_input = {"issueId": self._uuid(issue_id), "body": body, "id": comment_id}

        def posted_already() -> dict[str, Any] | None:
            return {"commentCreate": {"success": True}} if self._has_comment(comment_id) else None

        try:
            data = self.client.execute(
                queries.COMMENT_CREATE, {"input": comment_input}, before_retry=posted_already
            )
        except (LinearAuthError, LinearRateLimited):
            raise
        except LinearError:
            if posted_already() is None:
                raise
            return
        if not data["commentCreate"]["success"]:
            raise LinearError(f"Linear did not create the comment on {issue_id}")

    def _has_comment(self, comment_id: str) -> bool:
        """Whether the comment exists; LinearUnavailable when Linear cannot say."""
        try:
            data = self.client.execute(queries.COMMENT_BY_ID, {"id": comment_id})
        except (LinearUnavailable, LinearAuthError, LinearRateLimited):
            raise
        except LinearError:  # "Entity not found"
            return False
        return bool(data.get("comment"))

    @answer_checked
    def workflow_states(self, issue_id: str) -> list[dict[str, str]]:
        _, team_id = self._resolve(issue_id)
        data = self.client.execute(queries.WORKFLOW_STATES, {"teamId": team_id})
        return _nodes(data["workflowStates"])

    @answer_checked
    def set_state(self, issue_id: str, state_name: str) -> None:
        states = self.workflow_states(issue_id)
        wanted = state_name.strip().casefold()
        matching = [state for state in states if state["name"].casefold() == wanted]
        if not matching:
            names = ", ".join(state["name"] for state in states)
            raise UsageError(f"{issue_id}'s team has no state {state_name!r} (states: {names})")
        variables = {"id": self._uuid(issue_id), "stateId": matching[0]["id"]}
        data = self.client.execute(queries.ISSUE_SET_STATE, variables)
        if not data["issueUpdate"]["success"]:
            raise LinearError(f"Linear did not move {issue_id} to {state_name}")

    @answer_checked
    def link_url(self, issue_id: str, url: str, title: str | None = None) -> None:
        """Attach a URL (a pull request) to the issue; Linear keeps one per url+issue."""
        variables = {"issueId": self._uuid(issue_id), "url": url, "title": title or url}
        data = self.client.execute(queries.ATTACHMENT_LINK_URL, variables)
        if not data["attachmentLinkURL"]["success"]:
            raise LinearError(f"Linear did not link {url} to {issue_id}")
