"""A host's load as ``agenttui hosts`` shows it: the 1-minute load average and its cores."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.base.hosts import SshHost
from workflows.tmux.ssh import run_remote

LOAD_SCRIPT = "cat /proc/loadavg; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN"


@dataclass(frozen=True)
class HostLoad:
    load: float | None
    """The 1-minute load average (None where the host does not say)."""
    cores: int | None


def parse_load(text: str) -> HostLoad:
    lines = text.split("\n")
    try:
        load: float | None = float(lines[0].split()[0])
    except (IndexError, ValueError):
        load = None
    cores = int(lines[1]) if len(lines) > 1 and lines[1].strip().isdigit() else None
    return HostLoad(load, cores)


def host_load(host: SshHost) -> HostLoad:
    """Ask the host over ssh (HostUnreachable when it cannot be reached)."""
    return parse_load(run_remote(host, LOAD_SCRIPT, timeout=15.0))
