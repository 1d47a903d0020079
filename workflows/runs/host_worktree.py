"""A step on another host works in a worktree there: the run's work goes over and back.

Before such a step, the run's worktree here is taken whole (commits and uncommitted
changes, untracked files too) as a snapshot commit that no branch points at, pushed with
git over the host's shared ssh connection into the host's repo (``[hosts.NAME] repo``, a
clone of the same project) as ``refs/agenttui/RUN``, and laid out in the host's worktree of
the run (``~/.cache/agenttui/worktrees/RUN`` there, on the run's branch): the branch at
the snapshot's parent, the files as the snapshot has them. After the step the same happens
the other way (``refs/agenttui/RUN-back``), so what the agent did there (commits and changes)
is in the run's worktree here, where later steps, tests, the run's diff and review see it.
Neither way touches the forge: the branch is pushed to ``origin`` from the host, by a pull
request step on it (``steps.pull_request``).

The snapshot uses its own index file, so neither side's index or branch moves to take it.
A step whose work is on the host (recorded in the run's context ``on_host``) is not sent
again when a killed runner resumes it: the host's worktree holds newer work than here.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.tmux.ssh import host_dir, run_remote, ssh_argv

IDENTITY = {
    "GIT_AUTHOR_NAME": "agenttui",
    "GIT_AUTHOR_EMAIL": "agenttui@localhost",
    "GIT_COMMITTER_NAME": "agenttui",
    "GIT_COMMITTER_EMAIL": "agenttui@localhost",
}
# In a worktree: print a commit holding every file as it is now (its parent: HEAD).
SNAPSHOT = (
    "index=$(mktemp) && trap 'rm -f \"$index\"' EXIT && "
    'GIT_INDEX_FILE="$index" git read-tree HEAD && '
    'GIT_INDEX_FILE="$index" git add -A && '
    'tree=$(GIT_INDEX_FILE="$index" git write-tree) && '
    'git commit-tree "$tree" -p HEAD -m "agenttui snapshot"'
)
# In a worktree on the run's branch, given $snap: the branch at its parent, files as in it.
RESTORE = (
    'git add -A && git read-tree -u --reset "$snap" && git reset -q --soft "$snap^" && git reset -q'
)


class SyncFailed(AgentTuiError):
    """The run's work could not be moved to or from the host."""


def _git_ssh(host: SshHost) -> str:
    """``GIT_SSH_COMMAND``: git's ssh over the host's shared connection (git appends the
    destination and its command)."""
    words = ssh_argv(host, "")[:-3]  # without "--", destination and command
    return shlex.join(words)


def _local(worktree: Path, script: str, **env: str) -> str:
    done = subprocess.run(
        ["sh", "-c", script],
        cwd=worktree,
        capture_output=True,
        text=True,
        env={**os.environ, **IDENTITY, "GIT_TERMINAL_PROMPT": "0", **env},
        check=False,
    )
    if done.returncode != 0:
        raise SyncFailed(f"in {worktree}: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def _remote(host: SshHost, script: str) -> str:
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in IDENTITY.items())
    try:
        return run_remote(host, f"export {exports} && {script}", timeout=120.0).strip()
    except AgentTuiError as error:
        raise SyncFailed(str(error)) from error


def remote_worktree(host: SshHost, run_id: str) -> str:
    return f"{host_dir(host)}/worktrees/{run_id}"


def to_host(host: SshHost, worktree: Path, *, run_id: str, branch: str) -> str:
    """The run's worktree here, laid out in its worktree on ``host``; that one's path."""
    if not host.repo:
        raise SyncFailed(f'[hosts.{host.name}] has no repo = "PATH" (a clone of the project)')
    snap = _local(worktree, SNAPSHOT)
    ref = f"refs/agenttui/{run_id}"
    _local(
        worktree,
        f"git push -q -f {shlex.quote(f'{host.ssh}:{host.repo}')} {snap}:{ref}",
        GIT_SSH_COMMAND=_git_ssh(host),
    )
    there = remote_worktree(host, run_id)
    quoted, repo = shlex.quote(there), shlex.quote(host.repo)
    _remote(
        host,
        f"snap={snap} && cd {repo} && "
        f"{{ [ -d {quoted} ] || git worktree add -q -B {shlex.quote(branch)} {quoted} "
        f'"$snap^"; }} && cd {quoted} && {RESTORE}',
    )
    return there


def from_host(host: SshHost, there: str, worktree: Path, *, run_id: str) -> None:
    """The run's worktree on ``host`` (``there``), laid out in its worktree here."""
    ref = f"refs/agenttui/{run_id}-back"
    snap = _remote(host, f"cd {shlex.quote(there)} && snap=$({SNAPSHOT}) && "
                   f'git update-ref {ref} "$snap" && printf %s "$snap"')  # fmt: skip
    _local(
        worktree,
        f"git fetch -q {shlex.quote(f'{host.ssh}:{host.repo}')} {ref} && snap={snap} && {RESTORE}",
        GIT_SSH_COMMAND=_git_ssh(host),
    )
