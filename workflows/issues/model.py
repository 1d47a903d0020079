"""What an issue is, whatever tracker it came from, and what every issue source can do.

Linear and the local folder source both produce :class:`Issue` values and implement
:class:`IssueSource`, so the TUI, the workflow engine and the watcher never care which one
is configured.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

RELATION_TYPES = ("blocks", "duplicate", "related", "similar")
RelationDirection = Literal["outgoing", "incoming"]


@dataclass(frozen=True)
class Relation:
    """A directional link: ``outgoing`` blocks means this issue blocks ``issue``;
    ``incoming`` blocks means ``issue`` blocks this one (Linear's inverseRelations)."""

    type: str
    issue: str  # identifier of the other issue, e.g. "ENG-12"
    direction: RelationDirection = "outgoing"


@dataclass(frozen=True)
class Comment:
    body: str
    author: str | None = None
    created_at: str | None = None


@dataclass
class Issue:
    id: str  # Linear UUID, or the local id
    identifier: str  # "ENG-123"
    title: str
    description: str = ""
    state: str = ""  # state name, e.g. "In Progress"
    state_type: str = ""  # backlog | unstarted | started | completed | canceled | triage
    labels: list[str] = field(default_factory=list)
    project: str | None = None
    team: str | None = None  # team key
    assignee: str | None = None
    priority: int | None = None  # 0 none, 1 urgent … 4 low (Linear's scale)
    url: str | None = None
    branch_name: str | None = None
    parent: str | None = None  # identifier
    children: list[str] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    updated_at: str = ""  # ISO 8601
    comments: list[Comment] = field(default_factory=list)
    detailed: bool = False  # True once description, children, relations were fetched

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        values = dict(data)
        values["relations"] = [Relation(**rel) for rel in values.get("relations", [])]
        values["comments"] = [Comment(**com) for com in values.get("comments", [])]
        return cls(**values)

    def linked_identifiers(self) -> list[str]:
        """Every issue this one is hard-linked to (parent, children, relations)."""
        linked = [self.parent] if self.parent else []
        linked.extend(self.children)
        linked.extend(rel.issue for rel in self.relations)
        return linked


@dataclass
class IssueFilters:
    """What to list. Empty fields do not filter."""

    team: str | None = None  # team key, e.g. "ENG"
    assignee_me: bool = False
    state_types: list[str] = field(default_factory=list)  # e.g. ["unstarted", "started"]
    labels: list[str] = field(default_factory=list)  # any of these labels
    project: str | None = None  # project name
    updated_since: str | None = None  # ISO 8601 time, or a negative duration like "-PT1H"
    text: str | None = None  # case-insensitive search in title and description
    limit: int | None = None  # stop after this many issues
    delegated: bool = False
    """Only issues handed to agenttui's Linear app: delegated to it, and (``[linear_agent]
    sources``) those where it was mentioned; locally, issues with a pending session."""


@runtime_checkable
class IssueSource(Protocol):
    """An issue tracker agenttui can read from and report back to."""

    name: str

    def list_issues(self, filters: IssueFilters | None = None) -> list[Issue]: ...

    def get_issue(self, issue_id: str) -> Issue: ...

    def comment(self, issue_id: str, body: str) -> None: ...

    def set_state(self, issue_id: str, state_name: str) -> None: ...

    def link_url(self, issue_id: str, url: str, title: str | None = None) -> None: ...
