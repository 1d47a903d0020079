"""Start an agent in a pane without its env values or argv words on any command line.

``launch_argv(argv, env=…, cwd=…, unset=…)`` writes the launch (argv, extra env, names to
remove from the inherited env, cwd) to a 0600 JSON
file under ``state_dir()/launch`` and returns the short command a pane runs instead:
``python -I …/launch.py FILE``. That command reads the file, deletes it, changes directory
and ``execvpe``s the agent: the agent replaces the launcher in the same process, so the pane
pid, exit status and signal are the agent's own. So API keys never show in ``ps``, tmux's
``pane_start_command`` or the tmux server's memory, and a multi-line prompt needs no
forked ``tmux`` client (a control-mode command line cannot carry a newline).

Run as a script with ``-I`` (not ``-m``): only the standard library is needed, so it does
not depend on how agenttui is installed, and neither the agent's cwd nor its PYTHON* vars
can shadow what it imports.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

EXEC_FAILED = 127  # what a shell reports for a command it cannot run
STALE_S = 600.0


def launch_argv(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    unset: Sequence[str] = (),
) -> list[str]:
    """Write the launch file; the command line that runs ``argv`` with ``env`` in ``cwd``.

    ``unset`` names variables the pane inherits from the tmux server that the agent must not
    see (secrets a server started by someone else may hold)."""
    from workflows.base.paths import state_dir  # here: the launcher itself runs without workflows

    folder = state_dir() / "launch"
    folder.mkdir(mode=0o700, exist_ok=True)
    _forget_stale(folder)
    path = folder / f"{secrets.token_hex(8)}.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(launch_payload(argv, env=env, cwd=cwd, unset=unset))
    return [sys.executable, "-I", os.path.abspath(__file__), str(path)]


def launch_payload(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    unset: Sequence[str] = (),
) -> bytes:
    """A launch file's contents (also written on remote hosts: ``workflows.tmux.ssh``)."""
    payload = {"argv": list(argv), "env": dict(env or {}), "cwd": cwd, "unset": list(unset)}
    return json.dumps(payload).encode("utf-8")


def _forget_stale(folder: Path) -> None:
    """Delete launch files no launcher read (its pane was killed before it started)."""
    cutoff = time.time() - STALE_S
    for old in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()


def launch_file(words: Sequence[str]) -> str | None:
    """The launch file named in a ``launch_argv`` command line (to delete it if unused)."""
    return words[-1] if len(words) == 4 and words[2] == os.path.abspath(__file__) else None


def main(args: list[str]) -> int:
    if len(args) != 1:
        print("usage: launch.py LAUNCH-FILE", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"agenttui launch: cannot read {args[0]}: {error}", file=sys.stderr)
        return EXEC_FAILED
    finally:
        with contextlib.suppress(OSError):
            os.unlink(args[0])  # read once: the secrets in it live no longer than needed
    argv = [str(word) for word in payload["argv"]]
    unset = {str(name) for name in payload.get("unset", [])}
    inherited = {key: value for key, value in os.environ.items() if key not in unset}
    environ = {**inherited, **{str(k): str(v) for k, v in payload["env"].items()}}
    # Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored across exec.
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        if payload.get("cwd"):
            os.chdir(payload["cwd"])
    except OSError as error:
        print(f"agenttui launch: cannot enter {payload['cwd']}: {error.strerror}", file=sys.stderr)
        return EXEC_FAILED
    try:
        os.execvpe(argv[0], argv, environ)
    except OSError as error:
        print(f"agenttui launch: cannot run {argv[0]!r}: {error.strerror}", file=sys.stderr)
    return EXEC_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
