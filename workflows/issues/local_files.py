"""Reading issues from a folder: ``*.toml`` files and Markdown with front matter.

Markdown front matter is TOML between ``+++`` lines, or between ``---`` lines (TOML, or the
simple ``key: value`` / ``key: [a, b]`` / ``- item`` subset of YAML people usually write).
The Markdown body is the description; a leading ``# Heading`` is the title if none is given.

Fields: id, title, body|description, labels, project, parent, state, state_type, team,
assignee, priority, updated, relations (``[{type, issue}]``) and the shorthands
``blocks``, ``blocked_by``, ``duplicates``/``duplicate_of``, ``related``, ``similar``.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.issues.model import RELATION_TYPES, Issue, Relation

STATE_TYPES = {
    "triage": "triage",
    "backlog": "backlog",
    "todo": "unstarted",
    "unstarted": "unstarted",
    "in progress": "started",
    "in review": "started",
    "started": "started",
    "done": "completed",
    "completed": "completed",
    "canceled": "canceled",
    "cancelled": "canceled",
    "duplicate": "canceled",
}
SHORTHAND_RELATIONS = {
    "blocks": ("blocks", "outgoing"),
    "blocked_by": ("blocks", "incoming"),
    "duplicates": ("duplicate", "outgoing"),
    "duplicate_of": ("duplicate", "outgoing"),
    "related": ("related", "outgoing"),
    "similar": ("similar", "outgoing"),
}


class IssueFileError(AgentTuiError):
    """A local issue file is malformed; the message names the file and line."""


def _simple_yaml(text: str, path: Path, first_line: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    current: str | None = None
    for offset, raw in enumerate(text.splitlines()):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip():
            continue
        item = re.match(r"^\s+-\s+(.*)$", line) or re.match(r"^-\s+(.*)$", line)
        if item and current is not None:
            data.setdefault(current, []).append(_scalar(item.group(1)))
            continue
        pair = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if not pair:
            raise IssueFileError(f"{path}:{first_line + offset}: cannot read {raw.strip()!r}")
        current, value = pair.group(1), pair.group(2).strip()
        if value.startswith("[") and value.endswith("]"):
            data[current] = [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
        elif value:
            data[current] = _scalar(value)
        else:
            data[current] = []
    return data


def _scalar(value: str) -> Any:
    value = value.strip().strip("\"'")
    return int(value) if re.fullmatch(r"-?\d+", value) else value


def _toml(text: str, path: Path, first_line: int) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        where = first_line + int(line.group(1)) - 1 if line else first_line
        raise IssueFileError(f"{path}:{where}: {error}") from None


def read_issue_file(path: Path) -> dict[str, Any]:
    """The raw fields of one issue file (body included as ``description``)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise IssueFileError(
            f"{path}:{line}: not UTF-8 text (byte 0x{byte:02x} at offset {error.start})"
        ) from None
    if path.suffix == ".toml":
        return _toml(text, path, 1)
    lines = text.splitlines()
    fields: dict[str, Any] = {}
    body_start = 0
    if lines and lines[0].strip() in ("+++", "---"):
        fence = lines[0].strip()
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == fence)
        except StopIteration:
            raise IssueFileError(
                f"{path}:1: front matter opened with {fence} never closes"
            ) from None
        block = "\n".join(lines[1:end])
        if fence == "+++":
            fields = _toml(block, path, 2)
        else:
            try:
                fields = tomllib.loads(block)
            except tomllib.TOMLDecodeError:
                fields = _simple_yaml(block, path, 2)
        body_start = end + 1
    body = "\n".join(lines[body_start:]).strip()
    heading = re.match(r"^#\s+(.+)\n?", body)
    if heading and "title" not in fields:
        fields["title"] = heading.group(1).strip()
        body = body[heading.end() :].strip()
    fields.setdefault("description", body)
    return fields


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def issue_from_fields(fields: dict[str, Any], path: Path) -> Issue:
    identifier = str(fields.get("id") or path.stem).strip()
    if not fields.get("title"):
        raise IssueFileError(f"{path}:1: issue {identifier} has no title")
    relations = []
    for entry in fields.get("relations") or []:
        if not isinstance(entry, dict) or entry.get("type") not in RELATION_TYPES:
            raise IssueFileError(
                f"{path}:1: relation {entry!r} needs type in {RELATION_TYPES} and issue"
            )
        direction = entry.get("direction", "outgoing")
        relations.append(Relation(str(entry["type"]), str(entry["issue"]), direction))
    for key, (relation_type, direction) in SHORTHAND_RELATIONS.items():
        relations.extend(
            Relation(relation_type, other, direction)  # type: ignore[arg-type]
            for other in _list(fields.get(key))
        )
    state = str(fields.get("state") or "Todo")
    updated = fields.get("updated") or fields.get("updated_at")
    if isinstance(updated, datetime):
        updated = updated.astimezone(UTC).isoformat()
    elif not updated:
        updated = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat()
    else:
        try:
            updated = datetime.fromisoformat(str(updated).replace("Z", "+00:00")).isoformat()
        except ValueError:
            raise IssueFileError(f"{path}:1: updated {updated!r} is not an ISO 8601 time") from None
    priority = fields.get("priority")
    return Issue(
        id=identifier,
        identifier=identifier,
        title=str(fields["title"]),
        description=str(fields.get("body") or fields.get("description") or "").strip(),
        state=state,
        state_type=str(fields.get("state_type") or STATE_TYPES.get(state.casefold(), "unstarted")),
        labels=_list(fields.get("labels")),
        project=str(fields["project"]) if fields.get("project") else None,
        team=str(fields.get("team") or identifier.split("-")[0]),
        assignee=str(fields["assignee"]) if fields.get("assignee") else None,
        priority=int(priority) if priority is not None else None,
        url=str(fields["url"]) if fields.get("url") else None,
        branch_name=str(fields.get("branch") or "") or None,
        parent=str(fields["parent"]) if fields.get("parent") else None,
        relations=relations,
        updated_at=str(updated),
        detailed=True,
    )


def link_both_ways(issues: list[Issue]) -> None:
    """Fill children from parents, and the incoming side of every relation."""
    by_id = {issue.identifier: issue for issue in issues}
    for issue in issues:
        parent = by_id.get(issue.parent or "")
        if parent is not None and issue.identifier not in parent.children:
            parent.children.append(issue.identifier)
        for relation in list(issue.relations):
            other = by_id.get(relation.issue)
            if other is None:
                continue
            flipped = "incoming" if relation.direction == "outgoing" else "outgoing"
            mirror = Relation(relation.type, issue.identifier, flipped)  # type: ignore[arg-type]
            if mirror not in other.relations:
                other.relations.append(mirror)


def load_folder(folder: Path, problems: list[str] | None = None) -> list[Issue]:
    """Every issue file of ``folder``. A file that cannot be read raises IssueFileError, or,
    when ``problems`` is given, is skipped and its error (``path:line: why``) appended there,
    so one bad file never hides the others."""
    if not folder.is_dir():
        raise IssueFileError(f"{folder}: no such folder of issues ([local] path in config)")
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".toml", ".md") and p.is_file())
    issues: list[Issue] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            issue = issue_from_fields(read_issue_file(path), path)
            if issue.identifier in seen:
                raise IssueFileError(
                    f"{path}:1: id {issue.identifier} already used by {seen[issue.identifier]}"
                )
        except (IssueFileError, OSError) as error:
            if problems is None:
                raise
            problems.append(str(error) if isinstance(error, IssueFileError) else f"{path}: {error}")
            continue
        seen[issue.identifier] = path
        issues.append(issue)
    link_both_ways(issues)
    return issues
