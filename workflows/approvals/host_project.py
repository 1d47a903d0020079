"""Which project of this machine an agent on a host works in, for its policy.

A host's ``[hosts.NAME] repo`` is a clone there of the project agenttui runs for here: a
run's (its ``repo``, whose steps on the host work in worktrees of that clone,
``runs.host_worktree``), else ``[workflows] repo`` (where runs and the app's worktrees start
by default). So an agent whose checkout there is that repo, or a worktree of it, is decided
with that local project's
``.agenttui/policy.toml`` and the rules learned for it, as it would be here. Any other
checkout there maps to nothing: global rules and those learned for every project. Paths on
the host are never looked up here (the same path here may be another checkout); the repo's
real path is asked there (the hooks send real paths, the config may name a symlink).
"""

from __future__ import annotations

import posixpath
import shlex
from pathlib import Path

from workflows.approvals.worktree import RunRepo, checkout_of_common_dir, main_checkout
from workflows.base.config import section
from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.tmux.ssh import run_remote

_real_repos: dict[tuple[SshHost, str], str] = {}  # (host, its repo) → the repo's realpath there

# In the agent's directory there: its home, then its repository's main checkout (realpath,
# as the host's hook sends it; a worktree's is its repo's).
CHECKOUT_THERE = (
    'printf "%s\\n" "$HOME" && common=$(git rev-parse --path-format=absolute --git-common-dir)'
    ' && realpath -- "$common"'
)


def host_path(path: str, home: str) -> str:
    """``path`` as the host spells it absolutely: its ``~`` is ``home`` there."""
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    return posixpath.normpath(path) if posixpath.isabs(path) else ""


def local_project(
    host: SshHost | None,
    checkout: str,
    home: str,
    run_id: str = "",
    run_repo: RunRepo | None = None,
) -> str:
    """The local project for an agent on ``host`` whose main checkout there is ``checkout``
    (its directory's repository: the repo itself for a worktree of it, as the host found
    it, ``home`` its ``~``), when ``checkout`` is the host's ``repo``: the main checkout of
    the repository its run ``run_id`` works for (``run_repo`` finds it), else of
    ``[workflows] repo``; else ""."""
    if host is None or not host.repo or not checkout:
        return ""
    there = host_path(checkout, home)
    if there != host_path(host.repo, home) and there != real_repo(host, home):
        return ""
    repo = run_repo(run_id) if run_id and run_repo is not None else None
    configured = repo or section("workflows").get("repo")
    if not configured:
        return ""
    root = main_checkout(Path(str(configured)).expanduser())
    return str(root) if root is not None else ""


def real_repo(host: SshHost, home: str) -> str:
    """The host's ``repo`` with its symlinks resolved there (``~/code`` → ``/data/code``: the
    hooks send real paths), asked over ssh once per host; "" while the host does not answer
    (asked again next time)."""
    configured = host_path(host.repo, home)
    key = (host, configured)
    if key not in _real_repos:
        try:
            answer = run_remote(host, f"realpath -- {shlex.quote(configured)}", timeout=15.0)
        except AgentTuiError:
            return ""
        _real_repos[key] = answer.strip()
    return _real_repos[key]


def host_agent_project(
    host: SshHost, cwd: str, run_id: str = "", run_repo: RunRepo | None = None
) -> str:
    """The local project of an agent working in ``cwd`` on ``host`` (its run ``run_id``),
    asked there over ssh as its hook finds it: what "always" learns for. "" when none (no
    checkout there, another one than the host's repo, or the host not answering)."""
    try:
        out = run_remote(host, f"cd -- {shlex.quote(cwd)} && {CHECKOUT_THERE}", timeout=15.0)
    except AgentTuiError:
        return ""
    lines = out.splitlines()
    if len(lines) < 2:
        return ""
    return local_project(host, checkout_of_common_dir(lines[1]), lines[0], run_id, run_repo)
