"""Shell and preview steps: run a command in the worktree; its exit code decides.

A shell step with ``host`` runs over ssh in the run's worktree on that host (``on_host``);
its output is kept here all the same.

Placeholders reach the command through environment variables (see
``placeholders.shell_command``), never spliced into the script. The command runs code the
agents wrote: it gets the runner's environment without agenttui's secrets, except those the
workflow names in ``env_from`` (``workflows.base.childenv.shell_env``). Output is kept (the tail,
for the store and for ``{failure}``) and written in full to ``.agenttui/<step>.log``.
A preview step is a shell step whose last printed URL is reported on the issues.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from workflows.base.childenv import passed_through, shell_env
from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost, host_named
from workflows.definitions.placeholders import render, shell_command
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.process_group import GroupRecord, members, start_held
from workflows.runs.steps.process_group import stop as stop_group
from workflows.tmux.ssh import (
    UNREACHABLE,
    RemoteShell,
    new_pidfile,
    remote_shell,
    remove_file,
    stop_remote_group,
)

TAIL_CHARS = 8000
COMMAND_NOT_FOUND, NOT_EXECUTABLE = 127, 126  # what sh exits with when it cannot run it
URL = re.compile(r"https?://[^\s\"'<>]+")


def run_shell(ctx: StepContext) -> StepResult:
    template = ctx.step.run or ""
    script, env = shell_command(template, ctx.values)
    if not script.strip():
        why = (
            "no test command: pass --test-command or set [workflows] test_command"
            if "{test_command}" in template
            else f"its command {template!r} is empty"
        )
        ctx.event("skipped", f"step {ctx.step.id!r} not run: {why}")
        return StepResult(ok=True, outputs={"output": "", "exit_code": 0, "skipped": why})
    # The log stays here (in the run's worktree), also for a command run on a host.
    log_path = Path(ctx.run.context.get("worktree") or ctx.worktree)
    log_path = log_path / ".agenttui" / f"{ctx.step.id}.log"
    where = f" on host {ctx.host.name!r}" if ctx.host is not None else ""
    ctx.event("shell", f"running{where}: {script}")
    start = (
        on_host(ctx, ctx.host, script, {**env, **passed_through(ctx.workflow.env_from)})
        if ctx.host is not None
        else local_process(ctx, ["sh", "-c", script], shell_env(env, ctx.workflow.env_from))
    )
    code = run_logged(ctx, start, log_path, shown=script)
    output = log_path.read_text(encoding="utf-8", errors="replace")[-TAIL_CHARS:]
    if ctx.host is not None and code == UNREACHABLE:
        said = output.strip().splitlines()[-1:] or ["ssh failed"]
        raise StepFailed(f"cannot reach host {ctx.host.name!r} to run {script}: {said[0]}")
    if code in (COMMAND_NOT_FOUND, NOT_EXECUTABLE):
        # The shell could not run it: no agent can fix that by changing the code.
        what = "test command" if "{test_command}" in template else "command"
        problem = "not found" if code == COMMAND_NOT_FOUND else "not executable"
        said = output.strip().splitlines()[-1:] or [f"exit code {code}"]
        raise StepFailed(f"{what} {problem}: {script} ({said[0]})")
    ok = code == 0 and (not ctx.step.until or ctx.step.until in output)
    ctx.event("shell", f"exit code {code}", exit_code=code)
    if not output.strip():
        failure = f"`{script}` exited with code {code} and printed nothing."
    elif code == 0:  # `until` did not hold
        failure = f"`{script}` printed no {ctx.step.until!r}.\nIts output (last part):\n\n{output}"
    else:
        failure = f"`{script}` exited with code {code}.\nIts output (last part):\n\n{output}"
    return StepResult(ok=ok, outputs={"output": output, "exit_code": code}, failure=failure)


Start = Callable[[IO[str]], "subprocess.Popen[Any] | RemoteShell"]


def on_host(ctx: StepContext, host: SshHost, script: str, env: dict[str, str]) -> Start:
    """How to start ``script`` over ssh on ``host`` in the step's worktree there
    (``remote_shell``); the file that will hold its pid there is recorded in the store
    first (``shell_host``), so a resumed runner stops what a killed one left running."""

    def start(log: IO[str]) -> RemoteShell:
        pidfile = new_pidfile(host)
        ctx.runs.update_context(ctx.run.id, shell_host=[host.name, pidfile])
        return remote_shell(host, str(ctx.worktree), script, env, stdout=log, pidfile=pidfile)

    return start


def local_process(ctx: StepContext, argv: list[str], env: dict[str, str]) -> Start:
    """How to start ``argv`` in the worktree, in its own process group, recorded in the
    store before it runs (``process_group``), so a resumed runner stops what a killed one
    left running."""

    def start(log: IO[str]) -> subprocess.Popen[Any]:
        def record(group: GroupRecord) -> None:
            ctx.runs.update_context(ctx.run.id, shell=group.as_json())

        return start_held(argv, cwd=ctx.worktree, env=env, log=log, record=record)

    return start


def run_logged(
    ctx: StepContext, start: Start, log_path: Path, *, shown: str, timeout: float | None = None
) -> int:
    """Run what ``start`` starts, its output into ``log_path``, as long as the step's timeout
    (or ``timeout``) and the run are not cancelled; returns its exit code. Its process group
    is stopped however the wait ends."""
    _stop_leftover(ctx)
    log_path.parent.mkdir(exist_ok=True)
    limit = timeout or ctx.step.effective_timeout()
    with log_path.open("w", encoding="utf-8") as log:
        started = start(log)
        process = started.process if isinstance(started, RemoteShell) else started
        deadline = time.monotonic() + limit
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    raise StepFailed(
                        f"step {ctx.step.id!r}: command still running after {limit:.0f}s: {shown}"
                    )
                ctx.sleep(0.2)
        finally:
            if process.poll() is None and isinstance(started, RemoteShell):
                started.stop()  # the command on the host, then its ssh here
            elif process.poll() is None:
                _stop_group(ctx, process.pid)
                process.wait()
    if isinstance(started, RemoteShell):  # ended there: nothing left to stop
        with contextlib.suppress(AgentTuiError):
            remove_file(started.host, started.pidfile)
        ctx.runs.update_context(ctx.run.id, shell_host=None)
    else:
        ctx.runs.update_context(ctx.run.id, shell=None)
    return process.returncode


def _stop_group(ctx: StepContext, pid: int) -> None:
    """Stop the recorded group led by ``pid`` (this runner's own command), all of it."""
    group = GroupRecord.from_json(ctx.runs.get(ctx.run.id).context.get("shell"))
    if group is not None and group.pgid == pid and not stop_group(group):
        ctx.event("shell", f"the command's process group {pid} survived SIGKILL")


def _stop_leftover(ctx: StepContext) -> None:
    """A runner killed mid-command left its process group running (here or on a host): stop
    it, and wait until its last process is gone, before the step starts again (never two at
    once)."""
    context = ctx.runs.get(ctx.run.id).context
    if context.get("shell_host"):
        _stop_leftover_on_host(ctx, str(context["shell_host"][0]), str(context["shell_host"][1]))
    group = GroupRecord.from_json(context.get("shell"))
    if group is None:
        return
    if members(group):
        started = time.monotonic()
        if not stop_group(group):
            raise StepFailed(
                f"step {ctx.step.id!r}: the command a previous runner left running "
                f"(process group {group.pgid}) survived SIGKILL; not starting it again"
            )
        ctx.event(
            "shell",
            f"stopped the command a previous runner left running (pid {group.pgid}), "
            f"gone after {time.monotonic() - started:.1f}s",
        )
    ctx.runs.update_context(ctx.run.id, shell=None)


def _stop_leftover_on_host(ctx: StepContext, name: str, pidfile: str) -> None:
    started = time.monotonic()
    try:
        said = stop_remote_group(host_named(name), pidfile)
    except AgentTuiError as error:  # never start it again beside one that may still run
        raise StepFailed(
            f"step {ctx.step.id!r}: cannot stop the command a previous runner left running "
            f"on host {name!r}: {error}"
        ) from error
    if said == "survived":
        raise StepFailed(
            f"step {ctx.step.id!r}: the command a previous runner left running on host "
            f"{name!r} survived SIGKILL; not starting it again"
        )
    if said == "stopped":
        ctx.event(
            "shell",
            f"stopped the command a previous runner left running on host {name!r}, "
            f"gone after {time.monotonic() - started:.1f}s",
            host=name,
        )
    ctx.runs.update_context(ctx.run.id, shell_host=None)


def run_preview(ctx: StepContext) -> StepResult:
    result = run_shell(ctx)
    urls = URL.findall(str(result.outputs.get("output", "")))
    if not result.ok:
        return result
    if not urls:
        raise StepFailed(f"step {ctx.step.id!r}: the preview command printed no URL")
    result.outputs["url"] = urls[-1]
    ctx.values["preview_url"] = urls[-1]
    ctx.event("preview", f"preview at {urls[-1]}", url=urls[-1])
    if ctx.step.comment:
        from workflows.runs.steps.linear import post_to_issues

        post_to_issues(ctx, comment=render(ctx.step.comment, ctx.values))
    return result
