"""Resolvers and filter evaluation for the fixture Linear server (see linear_workspace.py).

Each resolver reads the :class:`Workspace` from ``info.context``. Connections honour
``first``/``after`` and return ``nodes``, ``edges`` and ``pageInfo`` like Linear.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLError, GraphQLSchema

from tests.support.linear_workspace import UnsupportedFilter, Workspace, iso

Row = dict[str, Any]
MAX_PAGE = 250


def connection(
    rows: list[Row], first: int | None = None, after: str | None = None, **_: Any
) -> Row:
    start = 0
    if after:
        ids = [row["id"] for row in rows]
        if after not in ids:
            raise GraphQLError(f"Invalid cursor: {after}")
        start = ids.index(after) + 1
    if first is not None and first > MAX_PAGE:
        raise GraphQLError(f"Argument first cannot be greater than {MAX_PAGE}")
    count = 50 if first is None else first
    page = rows[start : start + count]
    return {
        "nodes": page,
        "edges": [{"node": row, "cursor": row["id"]} for row in page],
        "pageInfo": {
            "hasNextPage": start + count < len(rows),
            "hasPreviousPage": start > 0,
            "startCursor": page[0]["id"] if page else None,
            "endCursor": page[-1]["id"] if page else None,
        },
    }


# -- filters --------------------------------------------------------------------------------
DURATION = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_time(value: str) -> datetime:
    """ISO 8601 time, or an ISO duration relative to now ("-PT1H", "-P2D")."""
    match = DURATION.match(value)
    if match and value not in ("P", "-P"):
        sign = -1 if match.group(1) else 1
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
        delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return datetime.now(UTC) + sign * delta
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def compare(value: Any, comparator: Row, *, is_time: bool = False) -> bool:
    def norm(item: Any) -> Any:
        return parse_time(item) if is_time and isinstance(item, str) else item

    checks: dict[str, Callable[[Any], bool]] = {
        "eq": lambda arg: norm(value) == norm(arg),
        "neq": lambda arg: norm(value) != norm(arg),
        "in": lambda arg: norm(value) in [norm(a) for a in arg],
        "nin": lambda arg: norm(value) not in [norm(a) for a in arg],
        "gt": lambda arg: value is not None and norm(value) > norm(arg),
        "gte": lambda arg: value is not None and norm(value) >= norm(arg),
        "lt": lambda arg: value is not None and norm(value) < norm(arg),
        "lte": lambda arg: value is not None and norm(value) <= norm(arg),
        "null": lambda arg: (value is None) == arg,
        "contains": lambda arg: arg in (value or ""),
        "notContains": lambda arg: arg not in (value or ""),
        "containsIgnoreCase": lambda arg: arg.lower() in (value or "").lower(),
        "notContainsIgnoreCase": lambda arg: arg.lower() not in (value or "").lower(),
        "eqIgnoreCase": lambda arg: (value or "").lower() == arg.lower(),
        "startsWith": lambda arg: (value or "").startswith(arg),  # noqa: PLW0108
    }
    for key, arg in comparator.items():
        if key not in checks:
            raise UnsupportedFilter(f"comparator {key}")
        if not checks[key](arg):
            return False
    return True


def match_row(
    row: Row | None, spec: Row, fields: dict[str, Callable[[Row], Any]], what: str
) -> bool:
    """Generic entity filter: every key must hold; and/or/null handled here."""
    for key, condition in spec.items():
        if key == "null":
            if (row is None) != condition:
                return False
        elif row is None:
            return False
        elif key == "and":
            if not all(match_row(row, sub, fields, what) for sub in condition):
                return False
        elif key == "or":
            if not any(match_row(row, sub, fields, what) for sub in condition):
                return False
        elif key in fields:
            if not fields[key](row)(condition):
                return False
        else:
            raise UnsupportedFilter(f"{what} filter field {key!r}")
    return True


def _cmp(value: Any, is_time: bool = False) -> Callable[[Row], bool]:
    return lambda comparator: compare(value, comparator, is_time=is_time)


def issue_matches(ws: Workspace, issue: Row, spec: Row) -> bool:
    labels = [ws.labels[label_id] for label_id in issue["labelIds"]]

    def label_filter(condition: Row) -> bool:
        condition = dict(condition)
        if "some" in condition:
            some = condition.pop("some")
            if not any(match_row(lab, some, LABEL_FIELDS, "label") for lab in labels):
                return False
        if "null" in condition and (not labels) != condition.pop("null"):
            return False
        return not condition or any(
            match_row(lab, condition, LABEL_FIELDS, "label") for lab in labels
        )

    fields: dict[str, Callable[[Row], Any]] = {
        "id": lambda r: _cmp(r["id"]),
        "title": lambda r: _cmp(r["title"]),
        "description": lambda r: _cmp(r["description"]),
        "searchableContent": lambda r: _cmp(f"{r['title']}\n{r['description']}"),
        "number": lambda r: _cmp(r["number"]),
        "priority": lambda r: _cmp(r["priority"]),
        "updatedAt": lambda r: _cmp(r["updatedAt"], True),
        "createdAt": lambda r: _cmp(r["createdAt"], True),
        "team": lambda r: lambda c: match_row(ws.teams[r["teamId"]], c, TEAM_FIELDS, "team"),
        "state": lambda r: lambda c: match_row(ws.states[r["stateId"]], c, STATE_FIELDS, "state"),
        "assignee": lambda r: (
            lambda c: match_row(_user(ws, r["assigneeId"]), c, user_fields(ws), "user")
        ),
        "delegate": lambda r: (
            lambda c: match_row(_user(ws, r.get("delegateId")), c, user_fields(ws), "user")
        ),
        "project": lambda r: (
            lambda c: match_row(ws.projects.get(r["projectId"] or ""), c, NAME_FIELDS, "project")
        ),
        "parent": lambda r: lambda c: issue_parent_matches(ws, r, c),
        "labels": lambda r: label_filter,
    }
    return match_row(issue, spec, fields, "issue")


def issue_parent_matches(ws: Workspace, issue: Row, condition: Row) -> bool:
    parent = ws.issues.get(issue["parentId"] or "")
    if "null" in condition:
        return (parent is None) == condition["null"]
    return parent is not None and issue_matches(ws, parent, condition)


def _user(ws: Workspace, user_id: str | None) -> Row | None:
    return ws.users.get(user_id) if user_id else None


NAME_FIELDS: dict[str, Callable[[Row], Any]] = {
    "id": lambda r: _cmp(r["id"]),
    "name": lambda r: _cmp(r["name"]),
}
LABEL_FIELDS = NAME_FIELDS
TEAM_FIELDS: dict[str, Callable[[Row], Any]] = {**NAME_FIELDS, "key": lambda r: _cmp(r["key"])}
STATE_FIELDS: dict[str, Callable[[Row], Any]] = {
    **NAME_FIELDS,
    "type": lambda r: _cmp(r["type"]),
}


def user_fields(ws: Workspace) -> dict[str, Callable[[Row], Any]]:
    return {
        **NAME_FIELDS,
        "email": lambda r: _cmp(r["email"]),
        "displayName": lambda r: _cmp(r["displayName"]),
        "isMe": lambda r: _cmp(r["id"] == ws.me()),
    }


def state_matches(ws: Workspace, state: Row, spec: Row) -> bool:
    fields = {
        **STATE_FIELDS,
        "team": lambda r: lambda c: match_row(ws.teams[r["teamId"]], c, TEAM_FIELDS, "team"),
    }
    return match_row(state, spec, fields, "workflowState")


# -- resolvers -------------------------------------------------------------------------------
def _ws(info: Any) -> Workspace:
    return info.context  # type: ignore[no-any-return]


def _filter_error(error: UnsupportedFilter) -> GraphQLError:
    return GraphQLError(f"fixture server does not implement {error}; extend tests/linear_*.py")


def resolve_issues(
    _: Any,
    info: Any,
    filter: Row | None = None,
    orderBy: str | None = None,  # noqa: N803
    **args: Any,
) -> Row:
    ws = _ws(info)
    try:
        rows = [i for i in ws.issues.values() if not filter or issue_matches(ws, i, filter)]
    except UnsupportedFilter as error:
        raise _filter_error(error) from error
    key = "updatedAt" if orderBy == "updatedAt" else "createdAt"
    rows.sort(key=lambda row: (row[key], row["id"]), reverse=True)
    return connection(rows, **args)


def find_issue_or_error(ws: Workspace, key: str) -> Row:
    try:
        return ws.find_issue(key)
    except KeyError:
        raise GraphQLError(
            "Entity not found: Issue",
            extensions={
                "type": "invalid input",
                "code": "INPUT_ERROR",
                "userPresentableMessage": "Could not find referenced Issue.",
            },
        ) from None


def resolve_workflow_states(
    _: Any,
    info: Any,
    filter: Row | None = None,
    **args: Any,
) -> Row:
    ws = _ws(info)
    try:
        rows = [s for s in ws.states.values() if not filter or state_matches(ws, s, filter)]
    except UnsupportedFilter as error:
        raise _filter_error(error) from error
    return connection(sorted(rows, key=lambda s: s["position"]), **args)


def _touch(issue: Row) -> None:
    issue["updatedAt"] = iso(datetime.now(UTC))


def resolve_comment(_: Any, info: Any, id: str | None = None, hash: str | None = None) -> Row:
    found = [c for c in _ws(info).comments if c["id"] == id]
    if not found:
        raise GraphQLError(
            "Entity not found: Comment", extensions={"code": "INPUT_ERROR", "type": "invalid input"}
        )
    return found[0]


def resolve_comment_create(_: Any, info: Any, input: Row) -> Row:
    ws = _ws(info)
    existing = [c for c in ws.comments if input.get("id") and c["id"] == input["id"]]
    if existing and ws.comment_ids == "idempotent":  # no second comment
        return {"success": True, "lastSyncId": 1.0, "comment": existing[0]}
    if existing and ws.comment_ids == "refused":
        raise GraphQLError(
            "Conflict: an entity with this id already exists",
            extensions={"code": "CONFLICT", "type": "invalid input"},
        )
    issue = find_issue_or_error(ws, input["issueId"])
    comment = {
        "id": str(uuid.uuid4()) if existing else input.get("id") or str(uuid.uuid4()),
        "body": input.get("body") or "",
        "issueId": issue["id"],
        "userId": ws.me(),
        "createdAt": iso(datetime.now(UTC)),
        "url": issue["url"] + "#comment",
    }
    ws.comments.append(comment)
    _touch(issue)
    return {"success": True, "lastSyncId": 1.0, "comment": comment}


def resolve_issue_update(_: Any, info: Any, id: str, input: Row) -> Row:
    ws = _ws(info)
    issue = find_issue_or_error(ws, id)
    for key, value in input.items():
        if key == "stateId":
            state = ws.states.get(value)
            if state is None or state["teamId"] != issue["teamId"]:
                raise GraphQLError(
                    "Entity not found: WorkflowState",
                    extensions={"code": "INPUT_ERROR", "type": "invalid input"},
                )
            issue["stateId"] = value
        elif key in ("title", "description", "assigneeId", "labelIds", "projectId", "parentId"):
            issue[key] = value
        elif key == "priority":
            issue["priority"] = float(value)
        else:
            raise GraphQLError(f"fixture server does not implement issueUpdate input {key}")
    _touch(issue)
    return {"success": True, "lastSyncId": 1.0, "issue": issue}


def resolve_attachment_link(
    _: Any,
    info: Any,
    issueId: str,  # noqa: N803
    url: str,
    title: str | None = None,
    **_args: Any,
) -> Row:
    ws = _ws(info)
    issue = find_issue_or_error(ws, issueId)
    for attachment in ws.attachments:  # idempotent per url + issue, like Linear
        if attachment["issueId"] == issue["id"] and attachment["url"] == url:
            attachment["title"] = title or attachment["title"]
            return {"success": True, "lastSyncId": 1.0, "attachment": attachment}
    attachment = {
        "id": str(uuid.uuid4()),
        "issueId": issue["id"],
        "url": url,
        "title": title or url,
        "createdAt": iso(datetime.now(UTC)),
    }
    ws.attachments.append(attachment)
    _touch(issue)
    return {"success": True, "lastSyncId": 1.0, "attachment": attachment}


def install_resolvers(schema: GraphQLSchema) -> None:
    types = schema.type_map

    def set_resolver(type_name: str, field_name: str, fn: Callable[..., Any]) -> None:
        types[type_name].fields[field_name].resolve = fn  # type: ignore[attr-defined]

    def rel(key: str, table: str) -> Callable[..., Any]:
        return lambda row, info, **_: getattr(_ws(info), table).get(row.get(key) or "")

    query, mutation = "Query", "Mutation"
    set_resolver(query, "issues", resolve_issues)
    set_resolver(query, "issue", lambda _, info, id: find_issue_or_error(_ws(info), id))
    set_resolver(query, "workflowStates", resolve_workflow_states)
    set_resolver(query, "comment", resolve_comment)
    set_resolver(query, "viewer", lambda _, info: _ws(info).users[_ws(info).me()])
    set_resolver(
        query, "teams", lambda _, info, **a: connection(list(_ws(info).teams.values()), **a)
    )
    set_resolver(mutation, "commentCreate", resolve_comment_create)
    set_resolver(mutation, "issueUpdate", resolve_issue_update)
    set_resolver(mutation, "attachmentLinkURL", resolve_attachment_link)
    set_resolver(mutation, "attachmentLinkGitHubPR", resolve_attachment_link)

    set_resolver("Issue", "team", rel("teamId", "teams"))
    set_resolver("Issue", "state", rel("stateId", "states"))
    set_resolver("Issue", "assignee", rel("assigneeId", "users"))
    set_resolver("Issue", "delegate", rel("delegateId", "users"))
    set_resolver("Issue", "project", rel("projectId", "projects"))
    set_resolver("Issue", "parent", rel("parentId", "issues"))
    set_resolver(
        "Issue",
        "priorityLabel",
        lambda row, info: ["No priority", "Urgent", "High", "Medium", "Low"][int(row["priority"])],
    )
    set_resolver(
        "Issue",
        "labels",
        lambda row, info, **a: connection([_ws(info).labels[i] for i in row["labelIds"]], **a),
    )
    set_resolver(
        "Issue",
        "children",
        lambda row, info, **a: connection(
            [i for i in _ws(info).issues.values() if i["parentId"] == row["id"]], **a
        ),
    )
    set_resolver(
        "Issue",
        "relations",
        lambda row, info, **a: connection(
            [r for r in _ws(info).relations if r["issueId"] == row["id"]], **a
        ),
    )
    set_resolver(
        "Issue",
        "inverseRelations",
        lambda row, info, **a: connection(
            [r for r in _ws(info).relations if r["relatedIssueId"] == row["id"]], **a
        ),
    )
    set_resolver(
        "Issue",
        "comments",
        lambda row, info, **a: connection(
            [c for c in _ws(info).comments if c["issueId"] == row["id"]], **a
        ),
    )
    set_resolver(
        "Issue",
        "attachments",
        lambda row, info, **a: connection(
            [t for t in _ws(info).attachments if t["issueId"] == row["id"]], **a
        ),
    )
    set_resolver("IssueRelation", "issue", rel("issueId", "issues"))
    set_resolver("IssueRelation", "relatedIssue", rel("relatedIssueId", "issues"))
    set_resolver("Comment", "user", rel("userId", "users"))
    set_resolver("Comment", "issue", rel("issueId", "issues"))
    set_resolver("Attachment", "issue", rel("issueId", "issues"))
    set_resolver("WorkflowState", "team", rel("teamId", "teams"))

    from tests.support.linear_agent_resolvers import install_agent_resolvers

    install_agent_resolvers(schema, set_resolver)
