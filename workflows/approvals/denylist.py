"""The hard deny-list: requests no rule, learned or written, and no "always" can allow.

Checked before any rule. Shell commands are parsed (:mod:`.shell`) and judged through
``&&``/``;``/``|``, ``sh -c``/``bash -c``/``eval``, ``sudo``/``env``/``nice``/``timeout``/
``xargs`` wrappers and every ``$(…)``/backtick/process substitution. Categories:

- ``recursive-delete``: ``rm -r``/``-rf``/``--recursive`` (or ``find … -delete``/``-exec rm``)
  of anything not strictly inside the worktree (``/``, ``~``, ``..``, variables…);
- ``force-push``: ``git push`` with ``--force``/``-f``/``--force-with-lease``/``--mirror`` or
  a ``+refspec``;
- ``pipe-to-shell``: a download (``curl``/``wget``) piped or substituted into an interpreter;
- ``credentials``: any mention of ``~/.ssh``, ``.aws/credentials``, ``.netrc``,
  ``.git-credentials``, ``.env`` files, agenttui's own config (it holds the Linear key)…;
- ``environment-dump``: ``env``, ``printenv``, bare ``set``/``export -p``/``declare -p``,
  ``/proc/*/environ``, ``ps e``, printing ``os.environ``/``process.env`` whole, or expanding a
  variable whose name says it is a secret;
- ``self-approval``: an agent writing a file that decides what agents may do.
A command that cannot be parsed is scanned with conservative patterns instead.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.approvals.paths import (
    PathContext,
    credential_reason,
    delete_target_reason,
    policy_reason,
)
from workflows.approvals.shell import ParsedCommand, ShellSyntaxError, SimpleCommand, parse
from workflows.approvals.unwrap import Unwrapped, basename, unwrap

DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh"})
INTERPRETER = re.compile(
    r"^(sh|bash|zsh|dash|ksh|ash|fish|source|\.|eval|python[0-9.]*|perl|ruby|node|php|deno|bun)$"
)
READ_ONLY = frozenset({"cat", "less", "more", "head", "tail", "grep", "rg", "wc", "diff", "ls"})
SECRET_VARIABLE = re.compile(r"\$\{?\w*(KEY|TOKEN|SECRET|PASSW|CREDENTIAL)\w*", re.IGNORECASE)
ENVIRON_DUMP = re.compile(
    r"os\.environ(?!\s*(\[|\.get\b|\.setdefault\b|\.pop\b))|os\.getenv\(\s*\)"
    r"|process\.env(?!\s*(\.|\[))|%ENV\b"
)
FILE_FIELDS = ("file_path", "path", "notebook_path")
WRITING_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
MAX_DEPTH = 6

FALLBACK = (
    (re.compile(r"\brm\s+(-\S*[rR]|--recursive)"), "recursive-delete", "unparseable rm -r"),
    (re.compile(r"\bpush\b.*\s(-\S*f|--force|--mirror|\+)"), "force-push", "unparseable push"),
    (re.compile(r"\b(curl|wget)\b.*\|\s*\S*(sh|bash|python)"), "pipe-to-shell", "unparseable"),
    (re.compile(r"\.ssh|\.aws/|netrc|git-credentials|\.env\b|/environ"), "credentials", "path"),
    (re.compile(r"(^|[;&|]\s*)(env|printenv|set|export)\s*($|[;&|])"), "environment-dump", ""),
)


@dataclass(frozen=True)
class DenyHit:
    category: str
    detail: str

    def __str__(self) -> str:
        return f"{self.category}: {self.detail}"


def check_tool(tool_name: str, tool_input: Mapping[str, Any], ctx: PathContext) -> DenyHit | None:
    """The deny-list verdict for one tool request (any agent; ``command``/``cmd`` for shells)."""
    command = command_text(tool_input)
    if command is not None:
        return check_command(command, ctx)
    for field_name in FILE_FIELDS:
        value = tool_input.get(field_name)
        if not isinstance(value, str) or not value:
            continue
        if credential := credential_reason(value, ctx):
            return DenyHit(*credential)
        if tool_name in WRITING_TOOLS and (reason := policy_reason(value, ctx)):
            return DenyHit("self-approval", reason)
    return None


def command_text(tool_input: Mapping[str, Any]) -> str | None:
    """The shell command of a request: Claude's ``command``, Codex's ``cmd`` (str or argv)."""
    for key in ("command", "cmd"):
        value = tool_input.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return shlex.join(value)
    return None


def check_command(command: str, ctx: PathContext, depth: int = 0) -> DenyHit | None:
    if depth > MAX_DEPTH:
        return DenyHit("recursive-delete", "command nested too deeply to judge")
    try:
        parsed = parse(command)
    except ShellSyntaxError:
        return _fallback(command)
    return _check_parsed(parsed, ctx, depth)


def _fallback(command: str) -> DenyHit | None:
    for pattern, category, detail in FALLBACK:
        if pattern.search(command):
            return DenyHit(category, detail or f"matched {pattern.pattern!r}")
    return None


def _check_parsed(parsed: ParsedCommand, ctx: PathContext, depth: int) -> DenyHit | None:
    for body in parsed.substitutions:
        if hit := check_command(body, ctx, depth + 1):
            return hit
    for pipeline in parsed.pipelines:
        stages = [unwrap(command.argv) for command in pipeline]
        if hit := _pipe_to_shell(stages):
            return hit
        for command, stage in zip(pipeline, stages, strict=True):
            if hit := _check_simple(command, stage, ctx, depth):
                return hit
            if stage.argv and basename(stage.argv[0]) in ("cd", "pushd"):
                # Later relative paths start from there (a cd inside a pipe stays there).
                operands = [arg for arg in stage.argv[1:] if not arg.startswith("-")]
                ctx = ctx.after_cd(operands[0] if operands else None)
    return None


def _pipe_to_shell(stages: list[Unwrapped]) -> DenyHit | None:
    downloaded = False
    for stage in stages:
        name = basename(stage.argv[0]) if stage.argv else ""
        if downloaded and INTERPRETER.match(name):
            return DenyHit("pipe-to-shell", f"a download piped into {name}")
        downloaded = downloaded or name in DOWNLOADERS
    return None


def _check_simple(
    command: SimpleCommand, stage: Unwrapped, ctx: PathContext, depth: int
) -> DenyHit | None:
    for body in stage.nested:
        if hit := check_command(body, ctx, depth + 1):
            return hit
    words = _path_words(command.argv) + [target for _op, target in command.redirects]
    for word in command.argv + [target for _op, target in command.redirects]:
        if SECRET_VARIABLE.search(word):
            return DenyHit("environment-dump", f"expands a secret variable ({word})")
    for word in words:
        if credential := credential_reason(word, ctx):
            return DenyHit(*credential)
    for _op, target in command.redirects:
        if target and (reason := policy_reason(target, ctx)):
            return DenyHit("self-approval", reason)
    argv = stage.argv
    if not argv:
        return None
    name = basename(argv[0])
    if "$" in name or "`" in name:  # a command name chosen at run time: judge the worst case
        return _recursive_delete("rm", argv, stage, ctx) or _force_push("git", argv)
    if name not in READ_ONLY:
        for word in argv[1:]:
            if reason := policy_reason(word, ctx):
                return DenyHit("self-approval", reason)
    if INTERPRETER.match(name) and any(_has_download(word) for word in argv[1:]):
        return DenyHit("pipe-to-shell", f"{name} runs a downloaded script")
    return (
        _environment_dump(name, argv)
        or _recursive_delete(name, argv, stage, ctx)
        or _force_push(name, argv)
    )


def _path_words(argv: list[str]) -> list[str]:
    """The words that can name files: all of them (assignments and wrappers included) except
    a git commit/tag message (``-m TEXT``), which may mention ``.env`` without reading it."""
    if not any(basename(word) == "git" for word in argv):
        return argv
    words, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in ("-m", "--message"):
            skip = True
        elif not word.startswith("--message="):
            words.append(word)
    return words


def _has_download(word: str) -> bool:
    if not any(mark in word for mark in ("$(", "<(", "`")):
        return False
    try:
        inner = parse(word)
    except ShellSyntaxError:
        return True
    for body in inner.substitutions:
        try:
            names = {basename(unwrap(c.argv).argv[0]) for c in parse(body).commands if c.argv}
        except (ShellSyntaxError, IndexError):
            return True
        if names & DOWNLOADERS:
            return True
    return False


def _environment_dump(name: str, argv: list[str]) -> DenyHit | None:
    args = argv[1:]
    names = [arg for arg in args if not arg.startswith("-")]
    if name in ("env", "printenv"):
        return DenyHit("environment-dump", f"{name} prints the environment")
    if name == "set" and not args:
        return DenyHit("environment-dump", "set prints every variable")
    if name in ("export", "declare", "typeset") and not names:
        return DenyHit("environment-dump", f"{name} {' '.join(args)} prints variables".strip())
    if name == "compgen" and any(arg in ("-v", "-e") for arg in args):
        return DenyHit("environment-dump", "compgen lists variables")
    if name == "ps" and any(not arg.startswith("-") and "e" in arg for arg in args):
        return DenyHit("environment-dump", "ps e prints process environments")
    if re.match(r"^(python[0-9.]*|node|perl|ruby)$", name) and ENVIRON_DUMP.search(
        _inline_code(args)
    ):
        return DenyHit("environment-dump", f"{name} prints the whole environment")
    return None


def _inline_code(args: list[str]) -> str:
    """The program text of ``python -c CODE`` / ``node -e CODE`` (options after ``-m`` or a
    script belong to that program, not to the interpreter)."""
    for index, arg in enumerate(args):
        if arg in ("-c", "-e", "-p", "-E") and index + 1 < len(args):
            return args[index + 1]
        if arg == "-m" or not arg.startswith("-"):
            break
    return ""


def _recursive_delete(
    name: str, argv: list[str], stage: Unwrapped, ctx: PathContext
) -> DenyHit | None:
    if name == "find":
        return _find_delete(argv, ctx)
    if name != "rm":
        return None
    flags = [arg for arg in argv[1:] if arg.startswith("-") and arg != "--"]
    recursive = any(
        arg in ("--recursive", "-r", "-R") or (not arg.startswith("--") and set(arg) & {"r", "R"})
        for arg in flags
    )
    if not recursive:
        return None
    targets = _operands(argv[1:])
    if not targets and stage.stdin_arguments:
        return DenyHit("recursive-delete", "recursive delete of paths read from input")
    for target in targets:
        if reason := delete_target_reason(target, ctx):
            return DenyHit("recursive-delete", reason)
    return None


def _operands(args: list[str]) -> list[str]:
    if "--" in args:
        split = args.index("--")
        return [a for a in args[:split] if not a.startswith("-")] + args[split + 1 :]
    return [arg for arg in args if not arg.startswith("-")]


def _find_delete(argv: list[str], ctx: PathContext) -> DenyHit | None:
    exec_rm = any(
        arg in ("-exec", "-execdir", "-ok")
        and index + 1 < len(argv)
        and basename(argv[index + 1]) in ("rm", "rmdir", "shred")
        for index, arg in enumerate(argv)
    )
    if "-delete" not in argv and not exec_rm:
        return None
    roots = []
    for arg in argv[1:]:
        if arg.startswith("-") or arg in ("(", "!"):
            break
        roots.append(arg)
    for root in roots or ["."]:
        reason = delete_target_reason(root.rstrip("/") or "/", ctx)
        if reason is None and os.path.realpath(os.path.join(ctx.worktree, root)) == str(
            ctx.worktree
        ):
            reason = f"find deletes across the whole worktree ({root})"
        if reason:
            return DenyHit("recursive-delete", reason)
    return None


def _force_push(name: str, argv: list[str]) -> DenyHit | None:
    if name != "git":
        return None
    args = _git_subcommand_args(argv[1:])
    if not args or args[0] != "push":
        return None
    for arg in args[1:]:
        if arg.startswith(("--force", "--mirror")) or arg.startswith("+"):
            return DenyHit("force-push", f"git push {arg}")
        if re.match(r"^-[a-zA-Z]*f[a-zA-Z]*$", arg):
            return DenyHit("force-push", f"git push {arg}")
        if ":" in arg and arg.split(":", 1)[0].startswith("+"):
            return DenyHit("force-push", f"git push {arg}")
    return None


def _git_subcommand_args(args: list[str]) -> list[str]:
    """Drop git's global options (``-C dir``, ``-c k=v``…) to reach the subcommand."""
    with_value = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in with_value else 1
    return args[index:]
