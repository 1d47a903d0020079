"""Deny-list judgements of git commands: what ``Bash(git:*)`` or ``Bash(git push:*)`` would
otherwise let through.

- ``force-push``: ``git push`` with ``--force``/``-f``/``--force-with-lease``/``--mirror`` or
  a ``+refspec``;
- ``remote-delete``: ``git push`` deleting remote branches (``origin :main``, ``--delete``,
  ``-d``, ``--prune``);
- ``git-runs-command``: configuration that makes git run a program — ``-c``/``--config-env``
  (``core.pager``, ``core.sshCommand``, ``core.fsmonitor``, ``core.hooksPath``,
  ``diff.external``, filters, credential helpers, includes…), an alias whose value starts
  with ``!``, the same keys written with ``git config``, ``GIT_PAGER=…``-style variables and
  ``--exec-path=DIR``;
- ``recursive-delete``: ``git clean`` of anything outside the worktree (``git clean -fdx ~``,
  ``git -C ~ clean -fdx``); cleaning the worktree itself is ordinary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from workflows.approvals.destructive import DenyHit, judge_target
from workflows.approvals.paths import PathContext

# Keys (lower case; ``*`` is any subsection) whose value git runs as a command or uses to
# find code to run.
_EXEC_KEYS = [
    r"core\.(pager|sshcommand|fsmonitor|hookspath|editor|askpass|gitproxy)",
    r"core\.alternaterefscommand",
    r"pager\..+",
    r"diff\.external",
    r"diff\..+\.(textconv|command)",
    r"merge\..+\.driver",
    r"filter\..+\.(clean|smudge|process)",
    r"credential\.(.+\.)?helper",
    r"sequence\.editor",
    r"gpg\.(.+\.)?program",
    r"uploadpack\.packobjectshook",
    r"remote\..+\.(uploadpack|receivepack|vcs)",
    r"protocol\.(.+\.)?allow",
    r"include\.path",
    r"includeif\..+\.path",
    r"init\.templatedir",
    r"(diff|merge)tool\..+\.(cmd|path)",
    r"(web\.browser|browser\..+\.(cmd|path)|man\..+\.(cmd|path))",
    r"instaweb\.httpd",
]
EXEC_KEY = re.compile("^(" + "|".join(_EXEC_KEYS) + ")$")
BANG_KEY = re.compile(r"^(alias\..+|submodule\..+\.update)$")  # a command when it starts "!"
EXEC_ENV = re.compile(
    r"^(GIT_(PAGER|EDITOR|SEQUENCE_EDITOR|SSH|SSH_COMMAND|EXTERNAL_DIFF|ASKPASS|EXEC_PATH"
    r"|PROXY_COMMAND|TEMPLATE_DIR|CONFIG_PARAMETERS|CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_GLOBAL"
    r"|CONFIG_SYSTEM|CONFIG)|PAGER|EDITOR|VISUAL)="
)
GLOBAL_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)
CONFIG_READS = frozenset(
    {"--get", "--get-all", "--get-regexp", "--get-urlmatch", "--get-color", "--get-colorbool"}
    | {"-l", "--list", "--unset", "--unset-all", "--remove-section", "--rename-section"}
    | {"-e", "--edit", "--show-origin", "--show-scope", "--name-only"}
)
CONFIG_WITH_VALUE = frozenset({"-f", "--file", "--blob", "--type", "--default", "--comment"})
CONFIG_VERBS = frozenset({"set", "get", "unset", "list", "rename-section", "remove-section"})
CLEAN_WITH_VALUE = frozenset({"-e", "--exclude"})


def split_git_args(args: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(global options as (option, value), the subcommand and its arguments)."""
    options: list[tuple[str, str]] = []
    index = 0
    while index < len(args) and args[index].startswith("-"):
        option = args[index]
        name, eq, value = option.partition("=")
        if option in GLOBAL_WITH_VALUE and index + 1 < len(args):
            options.append((option, args[index + 1]))
            index += 2
            continue
        if option.startswith("-c") and len(option) > 2:  # -ckey=value
            options.append(("-c", option[2:]))
        else:
            options.append((name, value if eq else ""))
        index += 1
    return options, args[index:]


def git_hits(
    name: str, argv: list[str], wrapping: list[str], ctx: PathContext
) -> Iterator[DenyHit]:
    if name != "git":
        return
    options, sub = split_git_args(argv[1:])
    for word in wrapping:
        if EXEC_ENV.match(word):
            yield DenyHit("git-runs-command", f"git with {word.split('=', 1)[0]} set")
    for option, value in options:
        if option == "-c" and (why := _exec_setting(*_key_value(value))):
            yield DenyHit("git-runs-command", f"git -c {why}")
        elif option == "--config-env" and _exec_setting(value.split("=", 1)[0], "!"):
            yield DenyHit("git-runs-command", f"git --config-env {value}")
        elif option == "--exec-path" and value:
            yield DenyHit("git-runs-command", f"git --exec-path={value} runs programs from there")
    if not sub:
        return
    verb, rest = sub[0], sub[1:]
    if verb == "config":
        yield from _config_hits(rest)
    elif verb == "push":
        yield from _push_hits(rest)
    elif verb == "clean":
        yield from _clean_hits(rest, options, ctx)


def _key_value(setting: str) -> tuple[str, str]:
    key, _, value = setting.partition("=")
    return key, value


def _exec_setting(key: str, value: str) -> str | None:
    """``key=value`` shortened, when git would run something because of it."""
    lowered = key.strip().lower()
    if EXEC_KEY.match(lowered) or (BANG_KEY.match(lowered) and value.lstrip().startswith("!")):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"{key}={shown} makes git run a command"
    return None


def _config_hits(args: list[str]) -> Iterator[DenyHit]:
    if any(arg.split("=", 1)[0] in CONFIG_READS for arg in args):
        return
    operands: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in CONFIG_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            operands.append(arg)
    if operands and operands[0] in CONFIG_VERBS:
        if operands[0] != "set":
            return
        operands = operands[1:]
    if len(operands) >= 2 and (why := _exec_setting(operands[0], operands[1])):
        yield DenyHit("git-runs-command", f"git config {why}")


def force_push(name: str, argv: list[str]) -> Iterator[DenyHit]:
    if name != "git":
        return
    _, sub = split_git_args(argv[1:])
    if not sub or sub[0] != "push":
        return
    for arg in sub[1:]:
        if (
            arg.startswith(("--force", "--mirror", "+"))
            or re.match(r"^-[a-zA-Z]*f[a-zA-Z]*$", arg)
            or (":" in arg and arg.split(":", 1)[0].startswith("+"))
        ):
            yield DenyHit("force-push", f"git push {arg}")


def _push_hits(args: list[str]) -> Iterator[DenyHit]:
    for arg in args:
        if arg in ("--delete", "--prune") or re.match(r"^-[a-zA-Z]*d[a-zA-Z]*$", arg):
            yield DenyHit("remote-delete", f"git push {arg} deletes remote branches")
        elif arg.startswith(":") and len(arg) > 1:
            yield DenyHit("remote-delete", f"git push {arg} deletes the remote branch {arg[1:]}")


def _clean_hits(
    args: list[str], options: list[tuple[str, str]], ctx: PathContext
) -> Iterator[DenyHit]:
    for option, value in options:
        if option == "-C":
            ctx = ctx.after_cd(value)
    targets: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            targets += args[index + 1 :]
            break
        elif arg in CLEAN_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            targets.append(arg)
    for target in targets or ["."]:
        yield from judge_target(target, ctx, "recursive-delete", "git clean", whole=True)
