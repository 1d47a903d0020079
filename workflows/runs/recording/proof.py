"""A run's recordings as proof of work on its pull request.

The recordings so far (each agent's ``.cast``) are committed on a ref of their own,
``refs/agenttui/recordings/<run>``, and pushed with the branch: never on the branch itself,
so the pull request's diff stays the work. The PR body links each file at that commit.
Opt-in (``[recordings] attach_to_pr``): recordings hold whatever the agents printed, secrets
included, and a pushed ref is as readable as the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workflows.base.hosts import SshHost
from workflows.forge.git import GitError, git, identity_args
from workflows.runs.recording.files import run_casts

REF_PREFIX = "refs/agenttui/recordings/"


@dataclass(frozen=True)
class Published:
    commit: str
    ref: str
    links: list[tuple[str, str]]  # (agent, URL of its recording)

    def markdown(self) -> str:
        """The PR body's section: one link per agent and how to play it."""
        lines = [f"- [{agent}]({url})" for agent, url in self.links]
        return (
            "\n\n**Recordings** of the agents' panes (asciicast v2: `asciinema play URL`, "
            f"or `agenttui replay`), on `{self.ref}`:\n" + "\n".join(lines) + "\n"
        )


def publish(
    worktree: Path,
    run_id: str,
    github_repo: str,
    remote: str = "origin",
    *,
    host: SshHost | None = None,
) -> Published | None:
    """Commit and push the run's recordings as they are now; None when it has none.
    ``host``: ``worktree`` is the run's worktree there, and the push is made from there
    (the files go over on git's stdin)."""
    casts = run_casts(run_id)
    if not casts:
        return None
    entries = []
    for path in casts:
        if host is None:
            blob = git(worktree, "hash-object", "-w", "--", str(path)).stdout.strip()
        else:
            data = path.read_text(encoding="utf-8", errors="surrogateescape")
            hashed = git(worktree, "hash-object", "-w", "--stdin", stdin=data, host=host)
            blob = hashed.stdout.strip()
        entries.append(f"100644 blob {blob}\t{path.name}")
    tree = git(worktree, "mktree", stdin="\n".join(entries) + "\n", host=host).stdout.strip()
    message = f"agenttui: the recordings of run {run_id}"
    commit = git(
        worktree, *identity_args(worktree, host), "commit-tree", tree, "-m", message, host=host
    ).stdout.strip()
    ref = REF_PREFIX + run_id
    pushed = git(
        worktree, "push", "--porcelain", remote, f"+{commit}:{ref}", check=False, host=host
    )
    if pushed.returncode != 0:  # a ref of its own: forced, it replaces only an earlier try
        detail = (pushed.stderr or pushed.stdout).strip().splitlines()
        raise GitError(f"push of {ref} to {remote} failed: {detail[-1] if detail else '?'}")
    base = f"https://github.com/{github_repo}/blob/{commit}"
    return Published(commit, ref, [(path.stem, f"{base}/{path.name}") for path in casts])
