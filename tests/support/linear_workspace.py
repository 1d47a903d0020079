"""Fixture data behind tests/support/linear_server.py: a small Linear workspace and its resolvers.

A :class:`Workspace` holds plain dicts (teams, users, states, labels, projects, issues,
relations, comments, attachments). :func:`linear_schema` builds Linear's real schema once per
process and installs resolvers that read the workspace from ``info.context``, so any valid
query over the implemented fields executes with graphql-core's own executor.

Filters (IssueFilter and friends) are evaluated generically; a filter key the fixture does
not implement raises, so a test can never pass by silently ignoring a filter.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema

FIXTURES = Path(__file__).parent.parent / "fixtures" / "linear"
SCHEMA_PATH = FIXTURES / "schema.graphql"
STANDARD_STATES = (
    ("Backlog", "backlog"),
    ("Todo", "unstarted"),
    ("In Progress", "started"),
    ("In Review", "started"),
    ("Done", "completed"),
    ("Canceled", "canceled"),
)
BASE_TIME = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class UnsupportedFilter(Exception):
    """The fixture server does not implement this part of a filter: extend it."""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Workspace:
    viewer_id: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    relations: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    agent_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    agent_activities: list[dict[str, Any]] = field(default_factory=list)
    app_user_id: str = ""
    """The OAuth app installed with actor=app ("agenttui"): the viewer of app-token requests."""
    actor_id: str = ""
    """Who the request being executed comes from (set by the server per request)."""
    comment_ids: str = "idempotent"
    """A commentCreate whose client-chosen id exists: "idempotent" answers with that comment,
    "refused" is an error (the id is taken), "ignored" makes another comment anyway."""

    # -- building -------------------------------------------------------------------------
    def add_user(self, name: str, *, viewer: bool = False) -> dict[str, Any]:
        user = {
            "id": _new_id(),
            "name": name,
            "displayName": name.split(maxsplit=1)[0].lower(),
            "email": f"{name.split(maxsplit=1)[0].lower()}@example.test",
            "active": True,
        }
        self.users[user["id"]] = user
        if viewer:
            self.viewer_id = user["id"]
        return user

    def add_team(self, key: str, name: str) -> dict[str, Any]:
        team = {"id": _new_id(), "key": key, "name": name, "displayName": name}
        self.teams[team["id"]] = team
        for position, (state_name, state_type) in enumerate(STANDARD_STATES):
            state = {
                "id": _new_id(),
                "name": state_name,
                "type": state_type,
                "teamId": team["id"],
                "position": float(position),
                "color": "#888888",
            }
            self.states[state["id"]] = state
        return team

    def team(self, key: str) -> dict[str, Any]:
        return next(team for team in self.teams.values() if team["key"] == key)

    def state(self, team_key: str, name: str) -> dict[str, Any]:
        team_id = self.team(team_key)["id"]
        return next(s for s in self.states.values() if s["teamId"] == team_id and s["name"] == name)

    def _named(self, table: dict[str, dict[str, Any]], name: str) -> str:
        for row in table.values():
            if row["name"] == name:
                return str(row["id"])
        row = {"id": _new_id(), "name": name}
        table[row["id"]] = row
        return str(row["id"])

    def user_named(self, name: str) -> dict[str, Any]:
        return next(user for user in self.users.values() if user["name"] == name)

    def add_issue(
        self,
        title: str,
        *,
        team: str = "ENG",
        state: str = "Todo",
        description: str = "",
        labels: tuple[str, ...] | list[str] = (),
        project: str | None = None,
        assignee: str | None = None,
        parent: str | None = None,
        priority: int = 0,
        updated_at: str | None = None,
        identifier: str | None = None,
    ) -> dict[str, Any]:
        """Add an issue; ``assignee`` is a user name ("me" = the viewer), ``parent`` an
        identifier. Identifiers number up per team unless given."""
        team_row = self.team(team)
        number = sum(1 for i in self.issues.values() if i["teamId"] == team_row["id"]) + 1
        identifier = identifier or f"{team}-{number}"
        created = BASE_TIME + timedelta(minutes=len(self.issues))
        assignee_id = None
        if assignee == "me":
            assignee_id = self.viewer_id
        elif assignee:
            assignee_id = self.user_named(assignee)["id"]
        issue = {
            "id": _new_id(),
            "identifier": identifier,
            "number": float(number),
            "title": title,
            "description": description,
            "priority": float(priority),
            "createdAt": iso(created),
            "updatedAt": updated_at or iso(created),
            "teamId": team_row["id"],
            "stateId": self.state(team, state)["id"],
            "assigneeId": assignee_id,
            "projectId": self._named(self.projects, project) if project else None,
            "labelIds": [self._named(self.labels, name) for name in labels],
            "parentId": self.find_issue(parent)["id"] if parent else None,
            "branchName": f"{self.users[self.viewer_id]['displayName']}/"
            f"{identifier.lower()}-{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')[:40]}",
            "url": f"https://linear.app/fixture/issue/{identifier}",
            "delegateId": None,
        }
        self.issues[issue["id"]] = issue
        return issue

    def relate(self, issue: str, relation_type: str, related: str) -> None:
        """``issue`` <type> ``related`` (e.g. ENG-1 blocks ENG-2), identifiers or ids."""
        self.relations.append(
            {
                "id": _new_id(),
                "type": relation_type,
                "issueId": self.find_issue(issue)["id"],
                "relatedIssueId": self.find_issue(related)["id"],
                "createdAt": iso(BASE_TIME),
                "updatedAt": iso(BASE_TIME),
            }
        )

    def add_labels(self, key: str, *names: str, updated_at: str | None = None) -> None:
        """Label an existing issue (as a person would in Linear): bumps updatedAt."""
        issue = self.find_issue(key)
        issue["labelIds"].extend(self._named(self.labels, name) for name in names)
        issue["updatedAt"] = updated_at or iso(datetime.now(UTC))

    # -- the agent platform (what Linear does when a person delegates, mentions, prompts) ---
    def me(self) -> str:
        """The user a request acts as: the app for app-token requests, else the viewer."""
        return self.actor_id or self.viewer_id

    def add_app_user(self, name: str = "agenttui") -> dict[str, Any]:
        user = self.add_user(name)
        user["app"] = True
        self.app_user_id = user["id"]
        return user

    def open_agent_session(self, key: str, *, comment_id: str | None = None) -> dict[str, Any]:
        """A pending session of the app on the issue, as Linear opens on delegation/mention
        (and on agentSessionCreateOnIssue)."""
        now = iso(datetime.now(UTC))
        session = {
            "id": _new_id(),
            "issueId": self.find_issue(key)["id"],
            "appUserId": self.app_user_id,
            "creatorId": self.viewer_id if comment_id or not self.actor_id else None,
            "commentId": comment_id,
            "status": "pending",
            "plan": None,
            "externalLinks": [],
            "createdAt": now,
            "updatedAt": now,
        }
        self.agent_sessions[session["id"]] = session
        return session

    def delegate(self, key: str) -> dict[str, Any]:
        """A person delegates the issue to the app: Linear sets the delegate and opens a
        pending session on it."""
        issue = self.find_issue(key)
        issue["delegateId"] = self.app_user_id
        issue["updatedAt"] = iso(datetime.now(UTC))
        return self.open_agent_session(key)

    def mention(self, key: str, body: str = "@agenttui please look") -> dict[str, Any]:
        """A person mentions the app in a comment: a comment and a pending session on it."""
        issue = self.find_issue(key)
        comment = {
            "id": _new_id(),
            "body": body,
            "issueId": issue["id"],
            "userId": self.viewer_id,
            "createdAt": iso(datetime.now(UTC)),
            "url": issue["url"] + "#comment",
        }
        self.comments.append(comment)
        return self.open_agent_session(key, comment_id=comment["id"])

    def prompt(self, session_id: str, body: str, *, signal: str | None = None) -> dict[str, Any]:
        """A person writes in the session (a follow-up, an answer; ``signal="stop"`` is the
        stop button): a prompt activity by the viewer."""
        now = iso(datetime.now(UTC))
        activity = {
            "id": _new_id(),
            "agentSessionId": session_id,
            "content": {"type": "prompt", "body": body},
            "signal": signal,
            "ephemeral": False,
            "userId": self.viewer_id,
            "createdAt": now,
            "updatedAt": now,
        }
        self.agent_activities.append(activity)
        return activity

    def sessions_on(self, key: str) -> list[dict[str, Any]]:
        issue_id = self.find_issue(key)["id"]
        return [s for s in self.agent_sessions.values() if s["issueId"] == issue_id]

    def activities_of(self, session_id: str, *, by_app: bool = True) -> list[dict[str, Any]]:
        """The session's activities in order (only the app's by default)."""
        return [
            a
            for a in self.agent_activities
            if a["agentSessionId"] == session_id and (not by_app or a["userId"] == self.app_user_id)
        ]

    # -- lookups used by resolvers and tests ------------------------------------------------
    def find_issue(self, key: str) -> dict[str, Any]:
        if key in self.issues:
            return self.issues[key]
        for issue in self.issues.values():
            if issue["identifier"].lower() == key.lower():
                return issue
        raise KeyError(key)

    def issue_state(self, key: str) -> str:
        return str(self.states[self.find_issue(key)["stateId"]]["name"])

    def comments_on(self, key: str) -> list[str]:
        issue_id = self.find_issue(key)["id"]
        return [c["body"] for c in self.comments if c["issueId"] == issue_id]

    def attachments_on(self, key: str) -> list[dict[str, Any]]:
        issue_id = self.find_issue(key)["id"]
        return [a for a in self.attachments if a["issueId"] == issue_id]


def standard_workspace() -> Workspace:
    """Teams ENG and OPS, the viewer "Ada Lovelace" plus "Grace Hopper", and the issues of
    tests/fixtures/linear/issues.json (with their relations)."""
    workspace = Workspace()
    workspace.add_user("Ada Lovelace", viewer=True)
    workspace.add_user("Grace Hopper")
    workspace.add_app_user()
    workspace.add_team("ENG", "Engineering")
    workspace.add_team("OPS", "Operations")
    data = json.loads((FIXTURES / "issues.json").read_text())
    for entry in data["issues"]:
        workspace.add_issue(**entry)
    for issue, relation_type, related in data["relations"]:
        workspace.relate(issue, relation_type, related)
    return workspace


def bulk_workspace(count: int, *, team: str = "ENG") -> Workspace:
    """A workspace with ``count`` generated issues (for pagination), updated one minute
    apart, newest last."""
    workspace = Workspace()
    workspace.add_user("Ada Lovelace", viewer=True)
    workspace.add_team(team, "Engineering")
    for index in range(count):
        stamp = iso(BASE_TIME + timedelta(minutes=index))
        workspace.add_issue(f"Generated issue {index}", team=team, updated_at=stamp)
    return workspace


@cache
def linear_schema() -> GraphQLSchema:
    """Linear's real schema (built once per process) with the fixture resolvers installed."""
    from tests.support.linear_resolvers import install_resolvers

    schema = build_schema(SCHEMA_PATH.read_text())
    install_resolvers(schema)
    return schema
