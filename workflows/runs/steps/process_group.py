"""A step's command in a process group of its own, known to the store before it runs.

A runner can be SIGKILLed at any instruction; what it started keeps running. So the command
starts held (its shell waits for a line on its stdin), the group's id goes into the run's
context, and only then is it let go: a runner killed in between leaves a command that reads
end-of-file and exits without running anything. A resumed runner stops a recorded group
that is still alive, and waits until its last process is gone, before the step runs again:
a step never runs twice at once.

The group's members are told apart from a later group that reuses the id by the leader's
start time and by ``AGENTTUI_STEP_GROUP`` (a token per start) in every member's environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from workflows.base.crashpoints import reached

MARKER = "AGENTTUI_STEP_GROUP"
STOP_GRACE_S = 10.0  # SIGTERM first; what still runs after this gets SIGKILL
GONE_WAIT_S = 5.0
# Waits for "go" on stdin (the store knows the group by then), then runs the command with
# stdin from /dev/null. End-of-file (the runner died first) ends it without running anything.
HELD = 'IFS= read -r go && [ "$go" = go ] && exec "$@" </dev/null'


@dataclass(frozen=True)
class GroupRecord:
    """What the store keeps of a running step's group (the run's context ``shell``)."""

    pgid: int
    leader_started: str
    token: str

    def as_json(self) -> list[str | int]:
        return [self.pgid, self.leader_started, self.token]

    @classmethod
    def from_json(cls, value: Any) -> GroupRecord | None:
        if not value:
            return None
        items = list(value)
        token = str(items[2]) if len(items) > 2 else ""  # stores from before the token
        return cls(int(items[0]), str(items[1]), token)


def start_held(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: IO[str],
    record: Callable[[GroupRecord], None],
) -> subprocess.Popen[Any]:
    """Start ``argv`` in a new process group, ``record`` it, then let it run."""
    token = secrets.token_hex(8)
    process = subprocess.Popen(
        ["sh", "-c", HELD, "sh", *argv],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**env, MARKER: token},
        start_new_session=True,
        text=True,
    )
    assert process.stdin is not None
    record(GroupRecord(process.pid, started_at(process.pid), token))
    reached("shell-step-recorded")  # tests: a runner killed before its command is let go
    with contextlib.suppress(BrokenPipeError):
        process.stdin.write("go\n")
        process.stdin.close()
    return process


def started_at(pid: int) -> str:
    """The process's start time (clock ticks since boot): tells a reused pid apart."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else ""


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (state first); [] once gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def members(group: GroupRecord) -> list[int]:
    """The live processes of ``group`` (zombies are done: they only wait to be reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        fields = _stat(pid)
        if len(fields) < 20 or int(fields[2]) != group.pgid or fields[0] in ("Z", "X"):
            continue
        if (pid == group.pgid and fields[19] == group.leader_started) or _marked(pid, group.token):
            found.append(pid)
    return found


def _marked(pid: int, token: str) -> bool:
    if not token:
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER}={token}".encode() in environ.split(b"\0")


def stop(group: GroupRecord, *, grace: float = STOP_GRACE_S) -> bool:
    """SIGTERM the group, SIGKILL what is left after ``grace``; True once none of it runs
    (False: something of it survived even SIGKILL, e.g. stuck in the kernel)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, GONE_WAIT_S)):
        if not members(group):
            return True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group.pgid, sig)
        deadline = time.monotonic() + wait
        while members(group) and time.monotonic() < deadline:
            time.sleep(0.05)
    return not members(group)
