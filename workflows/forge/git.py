"""Git for runs: one worktree and branch per run, dirty checks, commit, push.

Everything goes through the ``git`` binary with argv lists (never a shell). Files under
``.agenttui/`` in a worktree (the agents' notes) are ignored by a ``.gitignore`` inside that
directory, so they never reach a commit.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from workflows.base.config import table
from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.base.paths import state_dir
from workflows.tmux.ssh import ssh_result

NOTES_DIR = ".agenttui"
DIFF_LIMIT = 2_000_000
HOST_GIT_TIMEOUT_S = 300.0  # a push of a big branch over a slow link
GITHUB_REMOTE = re.compile(r"github\.com[:/]+([^/\s]+)/([^/\s]+?)(?:\.git)?/?$")


class GitError(AgentTuiError):
    """A git operation failed; the message carries git's own words."""


def git(
    cwd: Path | str,
    *args: str,
    check: bool = True,
    stdin: str | None = None,
    host: SshHost | None = None,
) -> subprocess.CompletedProcess[str]:
    """``git args`` in ``cwd``: here, or in ``cwd`` on ``host`` (over its ssh connection)."""
    if host is not None:
        result = _git_on_host(host, cwd, args, stdin)
    else:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False,
            input=stdin,
        )  # fmt: skip
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        where = f"{cwd} on host {host.name!r}" if host is not None else str(cwd)
        raise GitError(f"git {args[0]} failed in {where}: {detail}")
    return result


def _git_on_host(
    host: SshHost, cwd: Path | str, args: tuple[str, ...], stdin: str | None
) -> subprocess.CompletedProcess[str]:
    """git on the host, as the host's user with the host's git config and credentials:
    this machine's ssh agent is not forwarded to it, nor any of its environment."""
    command = f"cd {shlex.quote(str(cwd))} && LC_ALL=C GIT_TERMINAL_PROMPT=0 exec " + (
        shlex.join(["git", *args])
    )
    data = (stdin or "").encode("utf-8", "surrogateescape")
    try:
        done = ssh_result(host, command, data=data, timeout=HOST_GIT_TIMEOUT_S, agent=False)
    except AgentTuiError as error:
        raise GitError(f"git {args[0]} on host {host.name!r}: {error}") from error
    out, err = (done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def repo_root(path: Path | str) -> Path:
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise GitError(f"repository not found: {directory} does not exist")
    result = git(directory, "rev-parse", "--show-toplevel", check=False)
    if result.returncode != 0:
        raise GitError(f"not a git repository: {directory}")
    return Path(result.stdout.strip())


def remote_github_repo(repo: Path, remote: str = "origin") -> str | None:
    """``owner/name`` from a GitHub remote URL (ssh or https), None for other remotes."""
    result = git(repo, "remote", "get-url", remote, check=False)
    match = GITHUB_REMOTE.search(result.stdout.strip()) if result.returncode == 0 else None
    return f"{match.group(1)}/{match.group(2)}" if match else None


def default_base(repo: Path, remote: str = "origin") -> str:
    """The remote's default branch when known, else the branch checked out in ``repo``."""
    result = git(repo, "symbolic-ref", "--short", f"refs/remotes/{remote}/HEAD", check=False)
    if result.returncode == 0 and "/" in result.stdout:
        return result.stdout.strip().split("/", 1)[1]
    current = git(repo, "branch", "--show-current", check=False).stdout.strip()
    if not current:
        raise GitError(f"cannot tell the base branch of {repo}: detached HEAD and no {remote}/HEAD")
    return current


def ref_exists(repo: Path, ref: str, host: SshHost | None = None) -> bool:
    found = git(repo, "rev-parse", "--verify", "--quiet", ref, check=False, host=host)
    return found.returncode == 0


def branch_exists(repo: Path, branch: str) -> bool:
    """The branch exists here or on origin."""
    return ref_exists(repo, f"refs/heads/{branch}") or ref_exists(
        repo, f"refs/remotes/origin/{branch}"
    )


def worktree_root() -> Path:
    return table("workflows").get_path("worktree_root") or state_dir() / "worktrees"


def slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "change"


def checked_out_at(repo: Path, branch: str) -> Path | None:
    """The worktree where ``branch`` is checked out, if any."""
    listing = git(repo, "worktree", "list", "--porcelain").stdout
    path: Path | None = None
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line == f"branch refs/heads/{branch}":
            return path
    return None


def dirty_files(worktree: Path) -> list[str]:
    """Uncommitted changes, tracked or not (notes under .agenttui/ are ignored)."""
    output = git(worktree, "status", "--porcelain", "--untracked-files=all").stdout
    return [line[3:] for line in output.splitlines() if line.strip()]


def prepare_worktree(repo: Path, branch: str, base: str, path: Path) -> Path:
    """Check ``branch`` out in a worktree, creating the branch from ``base`` if new.

    An existing branch is reused where it is checked out, but only if that checkout is clean:
    a run never builds on changes nobody committed.
    """
    existing = checked_out_at(repo, branch)
    if existing is not None:
        dirty = dirty_files(existing)
        if dirty:
            shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
            raise GitError(
                f"worktree {existing} (branch {branch}) has uncommitted changes: "
                f"{shown}; commit or discard them first"
            )
        _ignore_notes(existing)
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    if ref_exists(repo, f"refs/heads/{branch}"):
        git(repo, "worktree", "add", str(path), branch)
    elif ref_exists(repo, f"refs/remotes/origin/{branch}"):
        git(repo, "worktree", "add", "--no-track", "-b", branch, str(path), f"origin/{branch}")
    else:
        start = f"origin/{base}" if ref_exists(repo, f"refs/remotes/origin/{base}") else base
        if not ref_exists(repo, start):
            raise GitError(f"base branch {base!r} not found in {repo}")
        git(repo, "worktree", "add", "--no-track", "-b", branch, str(path), start)
    _ignore_notes(path)
    return path


def _ignore_notes(worktree: Path) -> None:
    notes = worktree / NOTES_DIR
    notes.mkdir(exist_ok=True)
    (notes / ".gitignore").write_text("*\n")


def identity_args(worktree: Path, host: SshHost | None = None) -> list[str]:
    if git(worktree, "config", "user.email", check=False, host=host).stdout.strip():
        return []
    return ["-c", "user.name=agenttui", "-c", "user.email=agenttui@localhost"]


def commit_all(worktree: Path, message: str, host: SshHost | None = None) -> str | None:
    """Commit every change (in ``worktree`` on ``host`` when given); returns the new commit,
    or None when there was nothing to commit."""
    git(worktree, "add", "-A", host=host)
    if git(worktree, "diff", "--cached", "--quiet", check=False, host=host).returncode == 0:
        return None
    git(worktree, *identity_args(worktree, host), "commit", "-q", "-m", message, host=host)
    return git(worktree, "rev-parse", "HEAD", host=host).stdout.strip()


def _base_ref(worktree: Path, base: str, host: SshHost | None = None) -> str:
    remote = f"refs/remotes/origin/{base}"
    return f"origin/{base}" if ref_exists(worktree, remote, host) else base


def commits_ahead(worktree: Path, base: str, host: SshHost | None = None) -> int:
    start = _base_ref(worktree, base, host)
    counted = git(worktree, "rev-list", "--count", f"{start}..HEAD", host=host)
    return int(counted.stdout.strip() or 0)


def diff_from_base(worktree: Path, base: str, *, limit: int = DIFF_LIMIT) -> str:
    """What the worktree changed since it left ``base``: its commits and uncommitted edits
    (``git diff <merge-base>``), then its untracked files as new ones; cut at ``limit``."""
    merge_base = git(worktree, "merge-base", _base_ref(worktree, base), "HEAD").stdout.strip()
    diff = git(worktree, "diff", "--no-color", "--no-ext-diff", merge_base).stdout
    untracked = git(worktree, "ls-files", "--others", "--exclude-standard", "-z").stdout
    for name in [name for name in untracked.split("\0") if name]:
        if len(diff) > limit:
            break
        # A new file nobody added yet is part of the change: shown as a file created.
        shown = git(
            worktree, "diff", "--no-color", "--no-index", "--", "/dev/null", name, check=False
        )
        diff += shown.stdout or f"# untracked: {name}\n"
    if len(diff) > limit:
        diff = diff[:limit] + f"\n# … cut at {limit} characters\n"
    return diff


def push(
    worktree: Path,
    branch: str,
    remote: str = "origin",
    *,
    lease: str | None = None,
    host: SshHost | None = None,
) -> None:
    """Push without force; a rejection is reported with git's reason, never retried harder.
    ``lease`` (a commit): replace the remote branch only if it is still that commit (a
    rebased branch; ``--force-with-lease``), never anyone else's push. ``host``: from the
    run's worktree on that host, to its clone's remote with its own credentials."""
    forced = [f"--force-with-lease=refs/heads/{branch}:{lease}"] if lease else []
    result = git(
        worktree,
        "push",
        "--porcelain",
        *forced,
        "--set-upstream",
        remote,
        f"refs/heads/{branch}:refs/heads/{branch}",
        check=False,
        host=host,
    )
    if result.returncode == 0:
        return
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines()]
    reason = next((line for line in lines if line.startswith("!")), "") or "; ".join(
        line for line in lines if line and not line.startswith(("To ", "Done", "hint:"))
    )
    # What the remote said (a hook's or the forge's own words: a protected branch…).
    said = [line[7:].strip() for line in lines if line.startswith("remote:") and line[7:].strip()]
    if said and said[0] not in reason:
        reason += f" (remote: {'; '.join(said[:5])[:300]})"
    where = f" from host {host.name!r}" if host is not None else ""
    raise GitError(f"push of branch {branch}{where} to {remote} was rejected: {reason}")


def refuse_dirty(worktree: Path) -> None:
    """Raise, naming the files, when ``worktree`` exists and has uncommitted changes."""
    dirty = dirty_files(worktree) if worktree.exists() else []
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise GitError(f"worktree {worktree} has uncommitted changes: {shown} (--force drops them)")


def remove_worktree(repo: Path, worktree: Path, *, force: bool = False) -> None:
    """Remove a run's worktree (its branch stays); refuses uncommitted changes unless forced."""
    if not worktree.exists():
        git(repo, "worktree", "prune")
        return
    if not force:
        refuse_dirty(worktree)
    git(repo, "worktree", "remove", "--force", str(worktree))
