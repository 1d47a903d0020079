"""A local stand-in for GitHub's REST pull-request endpoints, on 127.0.0.1 only.

The one implementation is the product's offline forge (``workflows.forge.offline.Forge``, which the
demo also runs): it records every pull request it is asked to open, checks the bearer token,
answers 422 like GitHub does (head branch missing on the remote, duplicate pull request, or on
demand with ``fail_next_422``), and serves ``GET /repos/{owner}/{repo}/pulls?head=…&state=open``.
Point agenttui at it with ``GITHUB_API_URL=server.url`` and ``GITHUB_TOKEN=server.token``.
"""

from __future__ import annotations

from workflows.forge.offline import Forge as GitHubServer

__all__ = ["GitHubServer"]
