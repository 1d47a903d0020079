"""Files that run code later, outside the agent's turn: shell start-up files, git hooks and
config, cron tables, autostart and systemd user units, the directories on a person's PATH.

An agent that writes one of them outside its worktree (``~/.bashrc``, ``~/.config/fish/…``)
gets code run by the person's next shell, login or commit, past every approval. Git hooks and
a repository's ``.git/config`` (``core.fsmonitor`` runs on ``git status``) are refused
wherever they are: git never tracks them, so no change to a project needs them.
"""

from __future__ import annotations

import os
import re

from workflows.approvals.paths import PathContext, expand_home, resolved_path
from workflows.approvals.words import file_words

STARTUP_NAMES = frozenset(
    {
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".bash_logout",
        ".bash_aliases",
        ".profile",
        ".zshrc",
        ".zshenv",
        ".zprofile",
        ".zlogin",
        ".zlogout",
        ".kshrc",
        ".mkshrc",
        ".cshrc",
        ".tcshrc",
        ".login",
        ".logout",
        ".xprofile",
        ".xinitrc",
        ".xsession",
        ".xsessionrc",
        ".tmux.conf",
        ".vimrc",
        ".exrc",
        ".gvimrc",
        ".gitconfig",
        ".npmrc",
        ".pam_environment",
    }
)
STARTUP_DIRS = (
    ".config/fish/",
    ".config/git/",
    ".config/nvim/",
    ".config/tmux/",
    ".config/autostart/",
    ".config/systemd/user/",
    ".config/environment.d/",
    ".local/bin/",
    "/etc/profile.d/",
    "/etc/zsh/",
    "/etc/cron",
    "/var/spool/cron/",
    "/etc/systemd/",
)
SYSTEM_FILES = frozenset(
    {"/etc/profile", "/etc/bash.bashrc", "/etc/environment", "/etc/rc.local", "/etc/crontab"}
)
# Programs whose last operand (or ``-t DIR``) is the one file they write.
COPIERS = frozenset({"cp", "mv", "install", "ln", "rsync", "scp"})
SOURCING = frozenset({"source", ".", "bat", "stat", "file", "test", "[", "md5sum", "sha256sum"})
GIT_CODE = re.compile(r"(^|/)\.git/(hooks(/|$)|config$|modules/.+/(hooks(/|$)|config$))")


def runs_code_reason(word: str, ctx: PathContext) -> str | None:
    """Why writing ``word`` would plant code that runs later, else None."""
    path = expand_home(word, ctx.home).replace("\\", "/")
    if "$" in path or "`" in path or not path:
        return None
    resolved = resolved_path(path, ctx)
    if GIT_CODE.search(path) or GIT_CODE.search(resolved):
        return f"writes a git hook or repository config, which git runs ({word})"
    inside = resolved == str(ctx.worktree) or resolved.startswith(str(ctx.worktree) + os.sep)
    if inside:
        return None
    if (
        os.path.basename(resolved) in STARTUP_NAMES
        or resolved in SYSTEM_FILES
        or any(part in resolved + "/" for part in STARTUP_DIRS)
    ):
        return f"writes a start-up file outside the worktree, run by a later shell ({word})"
    return None


def written_words(name: str, argv: list[str]) -> list[str]:
    """The words of a command that may be files it writes (a value after ``=`` too)."""
    if name in SOURCING:
        return []
    words = file_words(argv)[1:]
    if name in COPIERS:
        operands = [word for word in argv[1:] if not word.startswith("-")]
        if "-t" in argv[:-1]:
            return [argv[argv.index("-t") + 1]]
        words = [w for w in argv if w.startswith("--target-directory=")] + operands[-1:]
    return [piece for word in words for piece in {word, word.split("=", 1)[-1]} if piece]


def schedules_code(name: str, argv: list[str]) -> str | None:
    """Why a command hands commands to cron or at to run later, else None."""
    if name == "crontab" and not {"-l", "-r"} & set(argv[1:]):
        return "crontab installs commands that cron runs later"
    if name in ("at", "batch") and not {"-l", "-d", "-r", "-c"} & set(argv[1:]):
        return f"{name} queues commands to run later"
    return None
