"""Issue sources (Linear, local files), the issue cache and grouping.

Issue sources (Linear over GraphQL, a local folder of files), caching and grouping.

``open_source()`` picks ``[issues] source`` when set ("linear" | "local"), else Linear when a key
is configured (``LINEAR_API_KEY`` or ``[linear] api_key``), else the local folder
(``[local] path``, default the shipped sample).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.base.errors import UsageError
from workflows.issues.model import Comment, Issue, IssueFilters, IssueSource, Relation

__all__ = ["Comment", "Issue", "IssueFilters", "IssueSource", "Relation", "open_source"]


def open_source(
    name: str | None = None, *, on_status: Callable[[str], None] | None = None, **options: Any
) -> IssueSource:
    """The configured issue source, or the one named ("linear" | "local").

    ``on_status`` receives transient notices such as "Linear rate limited until 10:42:07;
    waiting" (Linear only; the local source never waits)."""
    from workflows.issues.linear import LinearSource, configured_key
    from workflows.issues.local import LocalSource

    if name is None:
        from workflows.base.config import table

        chosen = table("issues").get_str("source")
        name = chosen if chosen else "linear" if configured_key() is not None else "local"
    if name == "linear":
        return LinearSource(on_status=on_status, **options)
    if name == "local":
        return LocalSource(**options)
    raise UsageError(f"unknown issue source {name!r} (linear or local)")
