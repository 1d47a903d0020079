"""The agent platform in the fixture Linear server: sessions, activities, plans, delegation.

What it holds to (Linear's agent docs and schema): only the app (a request with the app's
``Bearer`` token, ``actor=app``) creates sessions and activities and updates its sessions;
an activity's content is one of thought / action / elicitation / response / error with the
fields each needs (a ``prompt`` comes from people only); a client-chosen activity id that
exists is refused; a session's status follows its last activity (thought/action → active,
elicitation → awaitingInput, response → complete, error → error); a plan is a list of
``{content, status}`` with status pending / inProgress / completed / canceled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, GraphQLSchema

from tests.support.linear_resolvers import _cmp, _filter_error, _ws, connection, find_issue_or_error
from tests.support.linear_resolvers import match_row as match
from tests.support.linear_workspace import UnsupportedFilter, Workspace, iso

Row = dict[str, Any]
AGENT_TYPES = ("thought", "action", "elicitation", "response", "error")
PLAN_STATUSES = ("pending", "inProgress", "completed", "canceled")
STATUS_AFTER = {
    "thought": "active",
    "action": "active",
    "elicitation": "awaitingInput",
    "response": "complete",
    "error": "error",
}
CONTENT_TYPES = {
    "thought": "AgentActivityThoughtContent",
    "action": "AgentActivityActionContent",
    "elicitation": "AgentActivityElicitationContent",
    "response": "AgentActivityResponseContent",
    "error": "AgentActivityErrorContent",
    "prompt": "AgentActivityPromptContent",
}


def _invalid(message: str) -> GraphQLError:
    return GraphQLError(
        message,
        extensions={"code": "INVALID_INPUT", "type": "invalid input", "userError": True},
    )


def _require_app(ws: Workspace, what: str) -> None:
    if ws.me() != ws.app_user_id:
        raise GraphQLError(
            f"{what} requires an app actor (OAuth token with actor=app)",
            extensions={"code": "FORBIDDEN", "type": "forbidden", "userError": True},
        )


def _session(ws: Workspace, session_id: str) -> Row:
    if session_id not in ws.agent_sessions:
        raise GraphQLError(
            "Entity not found: AgentSession", extensions={"code": "INPUT_ERROR", "userError": True}
        )
    return ws.agent_sessions[session_id]


def _now() -> str:
    return iso(datetime.now(UTC))


def check_content(content: Any) -> Row:
    """The content of an activity the app posts, as Linear checks it."""
    if not isinstance(content, dict):
        raise _invalid("content must be an object")
    kind = content.get("type")
    if kind not in AGENT_TYPES:
        raise _invalid(f"content.type must be one of {', '.join(AGENT_TYPES)} (got {kind!r})")
    needed = ("action", "parameter") if kind == "action" else ("body",)
    for key in needed:
        if not isinstance(content.get(key), str) or not content[key]:
            raise _invalid(f"content.{key} is required for a {kind} activity")
    return dict(content)


def check_plan(plan: Any) -> list[Row]:
    if not isinstance(plan, list):
        raise _invalid("plan must be a list of steps")
    for step in plan:
        if not isinstance(step, dict) or not isinstance(step.get("content"), str):
            raise _invalid("each plan step needs content")
        if step.get("status") not in PLAN_STATUSES:
            raise _invalid(f"plan step status must be one of {', '.join(PLAN_STATUSES)}")
    return [dict(step) for step in plan]


def resolve_activity_create(_: Any, info: Any, input: Row) -> Row:
    ws = _ws(info)
    _require_app(ws, "agentActivityCreate")
    session = _session(ws, input["agentSessionId"])
    activity_id = input.get("id") or str(uuid.uuid4())
    if any(a["id"] == activity_id for a in ws.agent_activities):
        raise GraphQLError(
            "Conflict: an entity with this id already exists",
            extensions={"code": "CONFLICT", "type": "invalid input", "userError": True},
        )
    content = check_content(input.get("content"))
    now = _now()
    activity = {
        "id": activity_id,
        "agentSessionId": session["id"],
        "content": content,
        "signal": input.get("signal"),
        "ephemeral": bool(input.get("ephemeral")),
        "userId": ws.me(),
        "createdAt": now,
        "updatedAt": now,
    }
    ws.agent_activities.append(activity)
    session["status"] = STATUS_AFTER[content["type"]]
    session["updatedAt"] = now
    return {"success": True, "lastSyncId": 1.0, "agentActivity": activity}


def resolve_session_create_on_issue(_: Any, info: Any, input: Row) -> Row:
    ws = _ws(info)
    _require_app(ws, "agentSessionCreateOnIssue")
    issue = find_issue_or_error(ws, input["issueId"])
    session = ws.open_agent_session(issue["id"])
    session["externalLinks"] = [dict(link) for link in input.get("externalUrls") or []]
    return {"success": True, "lastSyncId": 1.0, "agentSession": session}


def resolve_session_update(_: Any, info: Any, id: str, input: Row) -> Row:
    ws = _ws(info)
    _require_app(ws, "agentSessionUpdate")
    session = _session(ws, id)
    for key, value in input.items():
        if key == "plan":
            session["plan"] = check_plan(value)
        elif key == "externalUrls":
            session["externalLinks"] = [dict(link) for link in value or []]
        elif key == "addedExternalUrls":
            known = {link["url"] for link in session["externalLinks"]}
            session["externalLinks"] += [dict(v) for v in value or [] if v["url"] not in known]
        elif key == "removedExternalUrls":
            session["externalLinks"] = [
                link for link in session["externalLinks"] if link["url"] not in (value or [])
            ]
        else:
            raise GraphQLError(f"fixture server does not implement agentSessionUpdate {key}")
    session["updatedAt"] = _now()
    return {"success": True, "lastSyncId": 1.0, "agentSession": session}


def activity_matches(activity: Row, spec: Row) -> bool:
    fields: dict[str, Callable[[Row], Any]] = {
        "id": lambda r: _cmp(r["id"]),
        "agentSessionId": lambda r: _cmp(r["agentSessionId"]),
        "type": lambda r: _cmp(r["content"]["type"]),
        "createdAt": lambda r: _cmp(r["createdAt"], True),
        "updatedAt": lambda r: _cmp(r["updatedAt"], True),
    }
    return match(activity, spec, fields, "agentActivity")


def _activities(rows: list[Row], filter: Row | None, args: Row) -> Row:
    try:
        chosen = [a for a in rows if not filter or activity_matches(a, filter)]
    except UnsupportedFilter as error:
        raise _filter_error(error) from error
    key = "updatedAt" if args.pop("orderBy", None) == "updatedAt" else "createdAt"
    args.pop("includeArchived", None)
    return connection(sorted(chosen, key=lambda a: a[key]), **args)


def resolve_sessions(_: Any, info: Any, orderBy: str | None = None, **args: Any) -> Row:  # noqa: N803
    ws = _ws(info)
    args.pop("includeArchived", None)
    rows = [s for s in ws.agent_sessions.values() if ws.me() in (s["appUserId"], ws.viewer_id)]
    key = "updatedAt" if orderBy == "updatedAt" else "createdAt"
    return connection(sorted(rows, key=lambda s: (s[key], s["id"]), reverse=True), **args)


def _content_type(value: Row, *_: Any) -> str:
    return CONTENT_TYPES[value["type"]]


def install_agent_resolvers(
    schema: GraphQLSchema, set_resolver: Callable[[str, str, Callable[..., Any]], None]
) -> None:
    def user(key: str) -> Callable[..., Any]:
        return lambda row, info, **_: _ws(info).users.get(row.get(key) or "")

    query, mutation = "Query", "Mutation"
    set_resolver(query, "agentSession", lambda _, info, id: _session(_ws(info), id))
    set_resolver(
        query,
        "agentActivity",
        lambda _, info, id: (
            next(
                (a for a in _ws(info).agent_activities if a["id"] == id),
                None,
            )
            or _not_found("AgentActivity")
        ),
    )
    set_resolver(query, "agentSessions", resolve_sessions)
    set_resolver(
        query,
        "agentActivities",
        lambda _, info, filter=None, **a: _activities(_ws(info).agent_activities, filter, a),
    )
    set_resolver(mutation, "agentActivityCreate", resolve_activity_create)
    set_resolver(mutation, "agentSessionCreateOnIssue", resolve_session_create_on_issue)
    set_resolver(mutation, "agentSessionUpdate", resolve_session_update)

    session = "AgentSession"
    set_resolver(session, "issue", lambda row, info: _ws(info).issues.get(row["issueId"]))
    set_resolver(session, "appUser", user("appUserId"))
    set_resolver(session, "creator", user("creatorId"))
    set_resolver(
        session,
        "comment",
        lambda row, info: next(
            (c for c in _ws(info).comments if c["id"] == row.get("commentId")), None
        ),
    )
    set_resolver(
        session,
        "activities",
        lambda row, info, filter=None, **a: _activities(
            [x for x in _ws(info).agent_activities if x["agentSessionId"] == row["id"]], filter, a
        ),
    )
    set_resolver(session, "externalUrls", lambda row, info: row["externalLinks"])
    set_resolver(session, "url", lambda row, info: f"https://linear.app/fixture/agent/{row['id']}")
    set_resolver(session, "slugId", lambda row, info: row["id"][:8])
    set_resolver(session, "context", lambda row, info: {})

    activity = "AgentActivity"
    set_resolver(
        activity, "agentSession", lambda row, info: _ws(info).agent_sessions[row["agentSessionId"]]
    )
    set_resolver(activity, "user", user("userId"))
    set_resolver(activity, "queued", lambda row, info: False)
    union = schema.type_map["AgentActivityContent"]
    union.resolve_type = _content_type  # type: ignore[attr-defined]
    for kind, type_name in CONTENT_TYPES.items():
        if kind != "action":
            set_resolver(type_name, "bodyData", lambda row, info: {})


def _not_found(what: str) -> Row:
    raise GraphQLError(
        f"Entity not found: {what}", extensions={"code": "INPUT_ERROR", "userError": True}
    )
