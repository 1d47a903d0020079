"""Deny-list judgements of commands that destroy: recursive deletes and recursive permission
changes outside the worktree (``chmod -R 777 /``); git's own are in :mod:`.git_rules`.

A delete whose target the policy can see is refused when it is not strictly inside the
worktree; one whose target it cannot know (``rm -rf "$BUILD_DIR"``, ``rm -rf $X/*``, a
relative path after ``cd $DIR``) is neither passed nor refused: a person decides, told why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from workflows.approvals.paths import PathContext, delete_target_reason, unknown_target_reason
from workflows.approvals.unwrap import Unwrapped, basename


@dataclass(frozen=True)
class DenyHit:
    category: str
    detail: str
    behavior: str = "deny"  # "deny", or "ask": the policy cannot know, a person decides

    def __str__(self) -> str:
        return f"{self.category}: {self.detail}"


def recursive_delete(
    name: str, argv: list[str], stage: Unwrapped, ctx: PathContext
) -> Iterator[DenyHit]:
    if name == "find":
        yield from _find_delete(argv, ctx)
        return
    if name != "rm":
        return
    flags = [arg for arg in argv[1:] if arg.startswith("-") and arg != "--"]
    recursive = any(
        arg in ("--recursive", "-r", "-R") or (not arg.startswith("--") and set(arg) & {"r", "R"})
        for arg in flags
    )
    if not recursive:
        return
    targets = _operands(argv[1:])
    if stage.stdin_arguments:  # xargs adds the paths it reads (or puts them in -I's {})
        yield DenyHit("recursive-delete", "recursive delete of paths read from input")
    for target in targets:
        yield from judge_target(target, ctx)


def recursive_permissions(name: str, argv: list[str], ctx: PathContext) -> Iterator[DenyHit]:
    """``chmod``/``chown``/``chgrp -R`` of anything outside the worktree (``/``, ``~``…)."""
    if name not in ("chmod", "chown", "chgrp"):
        return
    args = argv[1:]
    if not any(
        arg == "--recursive" or (arg[:1] == "-" and arg[1:2] != "-" and "R" in arg) for arg in args
    ):
        return
    operands = _operands(args)
    by_reference = any(arg.startswith("--reference") for arg in args)
    action = f"recursive {name}"
    for target in operands if by_reference else operands[1:]:  # after the mode or owner
        yield from judge_target(target, ctx, "recursive-permissions", action, whole=True)


def judge_target(
    target: str,
    ctx: PathContext,
    category: str = "recursive-delete",
    action: str = "recursive delete",
    *,
    whole: bool = False,
) -> Iterator[DenyHit]:
    if reason := delete_target_reason(target, ctx, action, whole_worktree=whole):
        yield DenyHit(category, reason)
    elif reason := unknown_target_reason(target, ctx, action):
        yield DenyHit(category, f"{reason}: a person must check it", "ask")


def _operands(args: list[str]) -> list[str]:
    if "--" in args:
        split = args.index("--")
        return [a for a in args[:split] if not a.startswith("-")] + args[split + 1 :]
    return [arg for arg in args if not arg.startswith("-")]


def _find_delete(argv: list[str], ctx: PathContext) -> Iterator[DenyHit]:
    exec_rm = any(
        arg in ("-exec", "-execdir", "-ok")
        and index + 1 < len(argv)
        and basename(argv[index + 1]) in ("rm", "rmdir", "shred")
        for index, arg in enumerate(argv)
    )
    if "-delete" not in argv and not exec_rm:
        return
    roots = []
    for arg in argv[1:]:
        if arg.startswith("-") or arg in ("(", "!"):
            break
        roots.append(arg)
    for written in roots or ["."]:
        root = written.rstrip("/") or "/"
        if not unknown_target_reason(root, ctx) and os.path.realpath(
            os.path.join(ctx.cwd or ctx.worktree, root)
        ) == str(ctx.worktree):
            yield DenyHit("recursive-delete", f"find deletes across the whole worktree ({root})")
        yield from judge_target(root, ctx)
