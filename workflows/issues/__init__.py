"""Issue sources (Linear over GraphQL, a local folder of files), caching and grouping.

``open_source()`` picks Linear when a key is configured (``LINEAR_API_KEY`` or
``[linear] api_key``), else the local folder (``[local] path``, default the shipped sample).
"""

from __future__ import annotations

from typing import Any

from workflows.errors import UsageError
from workflows.issues.model import Comment, Issue, IssueFilters, IssueSource, Relation

__all__ = ["Comment", "Issue", "IssueFilters", "IssueSource", "Relation", "open_source"]


def open_source(name: str | None = None, **options: Any) -> IssueSource:
    """The configured issue source, or the one named ("linear" | "local")."""
    from workflows.issues.linear import LinearSource, configured_key
    from workflows.issues.local import LocalSource

    if name is None:
        name = "linear" if configured_key() is not None else "local"
    if name == "linear":
        return LinearSource(**options)
    if name == "local":
        return LocalSource(**options)
    raise UsageError(f"unknown issue source {name!r} (linear or local)")
