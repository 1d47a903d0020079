"""The hard deny-list: requests no rule, learned or written, and no "always" can allow.

Checked before any rule. Shell commands are parsed (:mod:`.shell`) and judged through
``&&``/``;``/``|``, ``sh -c``/``bash -c``/``eval``, ``sudo``/``env``/``nice``/``timeout``/
``xargs`` wrappers and every ``$(…)``/backtick/process substitution. Categories:

- ``recursive-delete``: ``rm -r``/``-rf``/``--recursive`` (or ``find … -delete``/``-exec rm``)
  of anything not strictly inside the worktree (``/``, ``~``, ``..``…); a target whose value
  depends on a variable is a question for a person (a hit with behavior ``ask``), never a pass;
- ``recursive-permissions``: ``chmod``/``chown``/``chgrp -R`` of anything outside the worktree;
- ``pipe-to-shell``: a download (``curl``/``wget``) piped or substituted into an interpreter;
- ``credentials``: a word naming ``~/.ssh``, ``.aws/credentials``, ``.netrc``,
  ``.git-credentials``, ``.env`` files, agenttui's own config (it holds the Linear key)… as a
  file (:mod:`.words`: not text that ``echo`` prints or a message), or a string literal of
  inline code (``python -c "open('.env')"``);
- ``environment-dump``: ``env``, ``printenv``, bare ``set``/``export -p``/``declare -p``,
  ``/proc/*/environ``, ``ps e``, printing ``os.environ``/``process.env`` whole, or expanding a
  variable whose name says it is a secret (a real expansion: ``'$API_KEY'`` is text, unless
  it is piped into a shell or ``envsubst``);
- ``self-approval``: an agent writing a file that decides what agents may do;
- ``runs-code-later``: writing a shell start-up file or another file that runs code outside
  the worktree (``~/.bashrc``, ``~/.config/fish/…``, cron, git hooks; :mod:`.startup_files`);
- ``force-push``, ``remote-delete``, ``git-runs-command`` and ``git clean`` outside the
  worktree: :mod:`.git_rules`.
A command that cannot be parsed is scanned with conservative patterns instead. Text a shell
runs again (``sh -c``, ``eval``, ``ssh host CMD``, ``watch``, ``find -exec``, words piped or
here-string'ed into a shell) is judged as a command line of its own.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from workflows.approvals.destructive import DenyHit, recursive_delete, recursive_permissions
from workflows.approvals.git_rules import force_push, git_hits
from workflows.approvals.paths import PathContext, credential_reason, policy_reason
from workflows.approvals.shell import ParsedCommand, ShellSyntaxError, SimpleCommand, parse
from workflows.approvals.startup_files import runs_code_reason, schedules_code, written_words
from workflows.approvals.unwrap import SHELLS, Unwrapped, basename, unwrap
from workflows.approvals.words import (
    code_literals,
    file_words,
    inline_code,
    is_secret_name,
    shell_out_literals,
)

__all__ = ["DenyHit", "check_command", "check_tool", "command_text"]

DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh"})
INTERPRETER = re.compile(
    r"^(sh|bash|zsh|dash|ksh|ash|fish|source|\.|eval|python[0-9.]*|perl|ruby|node|php|deno|bun)$"
)
# Programs that expand $VARIABLES in the text they read (stdin or arguments).
EXPANDERS = (SHELLS - {"su"}) | {"envsubst"}
READ_ONLY = frozenset({"cat", "less", "more", "head", "tail", "grep", "rg", "wc", "diff", "ls"})
TEXT_REDIRECTS = frozenset({"<<", "<<<"})  # a heredoc delimiter, a here-string: not files
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
        if tool_name in WRITING_TOOLS and (reason := runs_code_reason(value, ctx)):
            return DenyHit("runs-code-later", reason)
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


def check_command(command: str, ctx: PathContext) -> DenyHit | None:
    """The first refusal anywhere in the command line, else the first question for a person
    (behavior ``ask``), else None."""
    return _verdict(_hits(command, ctx, 0))


def _verdict(hits: Iterable[DenyHit]) -> DenyHit | None:
    question = None
    for hit in hits:
        if hit.behavior == "deny":
            return hit
        question = question or hit
    return question


def _hits(command: str, ctx: PathContext, depth: int) -> Iterator[DenyHit]:
    if depth > MAX_DEPTH:
        yield DenyHit("recursive-delete", "command nested too deeply to judge")
        return
    try:
        parsed = parse(command)
    except ShellSyntaxError:
        yield from _fallback(command)
        return
    yield from _parsed_hits(parsed, ctx, depth)


def _fallback(command: str) -> Iterator[DenyHit]:
    for pattern, category, detail in FALLBACK:
        if pattern.search(command):
            yield DenyHit(category, detail or f"matched {pattern.pattern!r}")


def _parsed_hits(parsed: ParsedCommand, ctx: PathContext, depth: int) -> Iterator[DenyHit]:
    for body in parsed.substitutions:
        yield from _hits(body, ctx, depth + 1)
    for pipeline in parsed.pipelines:
        stages = [unwrap(command.argv) for command in pipeline]
        yield from _pipe_to_shell(stages)
        for position, (command, stage) in enumerate(zip(pipeline, stages, strict=True)):
            for text in _text_run_again(pipeline[:position], command, stage):
                yield from _hits(text, ctx, depth + 1)
            yield from _simple_hits(command, stage, ctx, depth)
            if stage.argv and basename(stage.argv[0]) in ("cd", "pushd"):
                # Later relative paths start from there (a cd inside a pipe stays there).
                operands = [arg for arg in stage.argv[1:] if not arg.startswith("-")]
                ctx = ctx.after_cd(operands[0] if operands else None)


def _text_run_again(
    upstream: list[SimpleCommand], command: SimpleCommand, stage: Unwrapped
) -> list[str]:
    """Text that a shell (or ``envsubst``) reading input expands and runs: the words and
    here-documents piped into it, its here-strings and here-documents, ``envsubst``'s own
    arguments; and the strings inline code hands to a shell (``os.system('…')``)."""
    name = basename(stage.argv[0]) if stage.argv else ""
    if name not in EXPANDERS or stage.nested:
        return shell_out_literals(inline_code(stage.argv))
    texts = [" ".join(earlier.argv[1:]) for earlier in upstream]
    texts += [body for earlier in upstream for body in earlier.heredocs]
    texts += [target for op, target in command.redirects if op == "<<<"] + command.heredocs
    if name == "envsubst":
        texts += stage.argv[1:]
    return [text for text in texts if text.strip()]


def _pipe_to_shell(stages: list[Unwrapped]) -> Iterator[DenyHit]:
    downloaded = False
    for stage in stages:
        name = basename(stage.argv[0]) if stage.argv else ""
        if downloaded and INTERPRETER.match(name):
            yield DenyHit("pipe-to-shell", f"a download piped into {name}")
        downloaded = downloaded or name in DOWNLOADERS


def _simple_hits(
    command: SimpleCommand, stage: Unwrapped, ctx: PathContext, depth: int
) -> Iterator[DenyHit]:
    for body in stage.nested:
        yield from _hits(body, ctx, depth + 1)
    for name in command.expansions:
        if is_secret_name(name):
            yield DenyHit("environment-dump", f"expands a secret variable (${name})")
    argv = stage.argv
    wrapping = command.argv[: len(command.argv) - len(argv)]  # assignments, sudo, env…
    targets = [target for op, target in command.redirects if op not in TEXT_REDIRECTS]
    code = inline_code(argv)
    for word in wrapping + file_words(argv) + targets + code_literals(code):
        if credential := credential_reason(word, ctx):
            yield DenyHit(*credential)
    for target in targets:
        if target and (reason := policy_reason(target, ctx)):
            yield DenyHit("self-approval", reason)
        if target and (reason := runs_code_reason(target, ctx)):
            yield DenyHit("runs-code-later", reason)
    if not argv:
        return
    name = basename(argv[0])
    if "$" in name or "`" in name:  # a command name chosen at run time: judge the worst case
        yield from recursive_delete("rm", argv, stage, ctx)
        yield from force_push("git", argv)
        return
    if name not in READ_ONLY:
        for word in argv[1:]:
            if reason := policy_reason(word, ctx):
                yield DenyHit("self-approval", reason)
        for word in written_words(name, argv):
            if reason := runs_code_reason(word, ctx):
                yield DenyHit("runs-code-later", reason)
    if reason := schedules_code(name, argv):
        yield DenyHit("runs-code-later", reason)
    if INTERPRETER.match(name) and any(_has_download(word) for word in argv[1:]):
        yield DenyHit("pipe-to-shell", f"{name} runs a downloaded script")
    if hit := _environment_dump(name, argv, code):
        yield hit
    yield from recursive_delete(name, argv, stage, ctx)
    yield from recursive_permissions(name, argv, ctx)
    yield from force_push(name, argv)
    yield from git_hits(name, argv, wrapping, ctx)


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


def _environment_dump(name: str, argv: list[str], code: str) -> DenyHit | None:
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
    if ENVIRON_DUMP.search(code):
        return DenyHit("environment-dump", f"{name} prints the whole environment")
    for variable in _environment_reads(code):
        if is_secret_name(variable):
            return DenyHit("environment-dump", f"{name} reads a secret variable ({variable})")
    return None


ENVIRON_READ = re.compile(
    r"""(?:environ(?:\.get)?\s*[\[(]\s*|getenv\s*\(\s*|ENV\s*[\[{]\s*|ENVIRON\s*\[\s*)"""
    r"""['"]?([A-Za-z_]\w*)|process\.env\.([A-Za-z_]\w*)"""
)


def _environment_reads(code: str) -> list[str]:
    """Variables inline code reads by name: ``os.environ["X"]``, ``os.getenv("X")``,
    ``process.env.X``, ``$ENV{X}``, ``ENV["X"]``."""
    return [a or b for a, b in ENVIRON_READ.findall(code)]
