"""Path judgements shared by the deny-list: credential files, policy files, delete targets.

A shell word is judged as written (no globbing, no variable expansion except ``~`` and
``$HOME``): a word whose meaning depends on another variable cannot be proven safe.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from workflows.agents.hook_origin import current_origin
from workflows.approvals.shell import EXPANSION
from workflows.base.paths import config_dir, config_file, state_dir

CREDENTIAL_DIRS = frozenset({".ssh", ".gnupg"})
CREDENTIAL_NAMES = frozenset({".netrc", "_netrc", ".git-credentials", ".pypirc"})
CREDENTIAL_SUFFIXES = (
    ".aws/credentials",
    ".aws/config",
    ".config/gh/hosts.yml",
    ".docker/config.json",
    ".kube/config",
    ".codex/auth.json",
    ".claude/.credentials.json",
)
SSH_KEY = re.compile(r"^id_(rsa|dsa|ecdsa|ed25519)(_sk)?(\.pub)?$")
ENV_FILE = re.compile(r"^\.env(\..+)?$")
ENV_EXAMPLES = (".example", ".sample", ".template", ".dist")
PROC_ENVIRON = re.compile(r"/proc/[^/\s]+/environ")
# Files that decide what agents may do: an agent editing them would approve itself.
POLICY_SUFFIXES = (
    ".agenttui/policy.toml",
    "learned-policy.toml",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".codex/config.toml",
)
UNKNOWN_DIR = Path("/nonexistent/agenttui-unknown-cd")
VARIABLE = re.compile(r"\$(HOME\b|\{HOME\})")


@dataclass(frozen=True)
class PathContext:
    """Where an agent works: its worktree (deletes stay inside), the directory relative paths
    start from (the agent's cwd, moved by ``cd`` within a command line) and the home."""

    worktree: Path
    home: Path
    cwd: Path | None = None  # None: the worktree
    unknown_cd: str = ""  # the ``cd`` operand when the cwd depends on a variable

    @classmethod
    def for_cwd(cls, cwd: str | Path, worktree: str | Path | None = None) -> PathContext:
        root = Path(worktree if worktree is not None else cwd)
        origin = current_origin()  # an agent on a host: its home there
        return cls(
            worktree=Path(os.path.realpath(root)),
            home=Path(origin.home) if origin is not None and origin.home else Path.home(),
            cwd=Path(os.path.realpath(cwd)),
        )

    def after_cd(self, target: str | None) -> PathContext:
        """The context after ``cd target`` (``cd`` alone: home; a variable or ``-``: a
        directory the policy cannot know, so relative deletes go to a person)."""
        if target is None:
            return replace(self, cwd=self.home, unknown_cd="")
        expanded = expand_home(target, self.home)
        if "$" in expanded or "`" in expanded or expanded == "-":
            return replace(self, cwd=UNKNOWN_DIR, unknown_cd=target)
        if self.unknown_cd and not os.path.isabs(expanded):
            return self  # still somewhere unknown
        path = Path(os.path.realpath(_resolve(expanded, self)))
        return replace(self, cwd=path, unknown_cd="")


def expand_home(word: str, home: Path) -> str:
    """``~``, ``~/x``, ``$HOME/x``, ``${HOME}/x`` → absolute; other text unchanged."""
    if word == "~" or word.startswith("~/"):
        word = str(home) + word[1:]
    return VARIABLE.sub(lambda _m: str(home), word)


def _pieces(word: str) -> list[str]:
    """The file names a word can give: itself, or an option's value after ``=``, ``@`` or
    ``host:``. A shell word is one argument: the words of a sentence inside it name no file
    (text that a shell runs again is parsed as commands by the deny-list instead)."""
    pieces = {word}
    for mark in ("=", "@", ":"):
        if mark in word:
            pieces.add(word.split(mark, 1)[1])
    return [piece for piece in pieces if piece]


def credential_reason(word: str, ctx: PathContext) -> tuple[str, str] | None:
    """(category, why) when ``word`` names a credential file or a process environment."""
    for piece in _pieces(word):
        path = expand_home(piece, ctx.home).replace("\\", "/")
        if PROC_ENVIRON.search(path):
            return "environment-dump", f"reads a process environment ({piece})"
        parts = [part for part in path.split("/") if part]
        if not parts:
            continue
        name = parts[-1]
        if CREDENTIAL_DIRS & set(parts):
            return "credentials", f"touches a key directory ({piece})"
        if name in CREDENTIAL_NAMES or SSH_KEY.match(name):
            return "credentials", f"touches a credential file ({piece})"
        if ENV_FILE.match(name) and not name.endswith(ENV_EXAMPLES):
            return "credentials", f"touches an environment file ({piece})"
        if path.endswith(CREDENTIAL_SUFFIXES) or resolved_path(path, ctx) == os.path.normpath(
            config_file()
        ):
            return "credentials", f"touches a credential file ({piece})"
    return None


def policy_reason(word: str, ctx: PathContext) -> str | None:
    """Why ``word`` names a file that grants agents permissions, else None."""
    state = os.path.normpath(state_dir())
    protected = (os.path.normpath(config_dir() / "policy.toml"), state + "/claude-settings")
    for piece in _pieces(word):
        path = expand_home(piece, ctx.home).replace("\\", "/")
        resolved = resolved_path(path, ctx)  # strings: this runs for every word of every command
        if (
            path.endswith(POLICY_SUFFIXES)
            or any(resolved == p or resolved.startswith(p + "/") for p in protected)
            or (
                os.path.dirname(resolved) == state
                and os.path.basename(resolved).startswith("agenttui.sqlite3")
            )
        ):
            return f"changes an approval policy or agent settings ({piece})"
    return None


def resolved_path(path: str, ctx: PathContext) -> str:
    """``path`` made absolute from the agent's cwd, lexically (no symlinks followed)."""
    return os.path.normpath(os.path.join(ctx.cwd or ctx.worktree, path))


def _resolve(path: str, ctx: PathContext) -> Path:
    return Path(resolved_path(path, ctx))


def delete_target_reason(
    word: str, ctx: PathContext, action: str = "recursive delete", *, whole_worktree: bool = False
) -> str | None:
    """Why a recursive delete (or another ``action``) of ``word`` is not confined to the
    worktree, else None (``whole_worktree``: the worktree itself is fine for that action).

    Safe only when the target resolves (symlinks of its parent followed) strictly inside the
    worktree: ``/``, ``~``, ``..``, the worktree itself, ``.*`` (older shells match ``..``)
    are refused. A target whose value the policy cannot know (a variable other than HOME, a
    relative path after ``cd $DIR``) is not judged here: see :func:`unknown_target_reason`.
    """
    if unknown_target_reason(word, ctx, action):
        return None
    expanded = expand_home(word, ctx.home)
    if re.search(r"(^|/)\.[*?\[]", expanded):
        return f"{action} of a pattern that can match '..' ({word})"
    # A glob can only match names inside its fixed directory: judge that directory's child.
    literal = re.sub(r"[*?\[\]]", "x", expanded)
    lexical = _resolve(literal, ctx)
    parent = Path(os.path.realpath(lexical.parent))
    resolved = parent / lexical.name if lexical.name else parent
    if literal.endswith("/"):
        resolved = Path(os.path.realpath(resolved))
    home = Path(os.path.realpath(ctx.home))
    if resolved == home or resolved in home.parents or resolved == Path("/"):
        return f"{action} of {word} (home or filesystem root)"
    if resolved == ctx.worktree and not whole_worktree:
        return f"{action} of the whole worktree ({word})"
    if resolved == ctx.worktree:
        return None
    if ctx.worktree not in resolved.parents:
        return f"{action} outside the worktree ({word})"
    return None


def unknown_target_reason(
    word: str, ctx: PathContext, action: str = "recursive delete"
) -> str | None:
    """Why the policy cannot know what a delete target names, else None: a person decides."""
    expanded = expand_home(word, ctx.home)
    if "`" in expanded or "$(" in expanded:
        return f"{action} of {word}: the path is a command's output, unknown until run"
    names = sorted(set(EXPANSION.findall(expanded)))
    if "$" in expanded:
        which = ", ".join(f"${name}" for name in names) or "a shell parameter"
        return (
            f"{action} of {word}: the path depends on {which}, whose value the policy cannot know"
        )
    if ctx.unknown_cd and not os.path.isabs(expanded):
        return f"{action} of {word} after 'cd {ctx.unknown_cd}': the directory is unknown until run"
    return None
