"""The tmux driver: one session holding every agent pane, each in its own window.

Commands go over a control connection (``tmux -C`` with ``no-output``) so reading panes never
forks a process. An agent starts through ``launch.launch_argv``: its argv, env and cwd travel
in a 0600 file, so env values (API keys) and multi-line prompts never appear on a tmux or
process command line, and every launch fits one control-mode command line.

A pane is created running a placeholder, marked ``remain-on-exit`` and named, then
``respawn-pane`` starts the agent: so even an agent that exits at once leaves its pane
behind with its exit status and signal. A pane can carry a launch token
(``@agenttui_token``): with the server's identity it tells an agent apart from whatever
pane gets its id after a tmux restart (``workflows.runs.run_agents``).

Creating the session, spawning and killing are serialised across processes
(``server.layout_lock``); ``server_identity()`` says which server answers and notices a
restart (``restarts``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.target import TmuxTarget
from workflows.tmux.control import ConnectionLost, ControlConnection
from workflows.tmux.launch import launch_argv, launch_file
from workflows.tmux.protocol import client_env
from workflows.tmux.server import IDENTITY_FORMAT, ServerIdentity, layout_lock, server_lock_key
from workflows.tmux.ssh import (
    UNREACHABLE,
    HostUnreachable,
    client_argv,
    directory_exists,
    remote_launch_argv,
    remove_file,
    write_private,
)

FIELD_SEP = "\x1f"
PANE_FIELDS = (
    "pane_id",
    "@agenttui_name",
    "@agenttui_agent",
    "@agenttui_run",
    "@agenttui_token",
    "window_id",
    "window_name",
    "session_name",
    "pane_pid",
    "pane_dead",
    "pane_dead_status",
    "pane_dead_signal",
    "pane_in_mode",
    "pane_width",
    "pane_height",
    "pane_current_path",
    "pane_current_command",
    "pane_title",  # last: free text
)
PANE_FORMAT = FIELD_SEP.join("#{%s}" % name for name in PANE_FIELDS)  # noqa: UP031
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
UNREAPED_NUDGES = 5
PLACEHOLDER = ["cat"]  # holds the new pane open until respawn-pane replaces it


class NoSession(UsageError):
    """The session (or its whole server) does not exist; says where it was looked for."""


@dataclass(frozen=True)
class PaneInfo:
    pane_id: str
    name: str
    agent: str
    run_id: str
    window_id: str
    window_name: str
    session: str
    pid: int | None
    dead: bool
    dead_status: int | None
    dead_signal: int | None
    in_mode: bool
    title: str
    width: int
    height: int
    cwd: str
    command: str
    token: str = ""  # the launch token agenttui gave the pane ("" for others)

    def as_json(self) -> dict[str, object]:
        return {
            "pane": self.pane_id,
            "name": self.name,
            "agent": self.agent,
            "run_id": self.run_id,
            "window": self.window_id,
            "window_name": self.window_name,
            "pid": self.pid,
            "dead": self.dead,
            "dead_status": self.dead_status,
            "dead_signal": self.dead_signal,
            "in_mode": self.in_mode,
            "title": self.title,
            "width": self.width,
            "height": self.height,
            "cwd": self.cwd,
            "command": self.command,
        }


def _int(value: str) -> int | None:
    return int(value) if value.strip().lstrip("-").isdigit() else None


def _pid_exists(pid: int | None) -> bool:
    """True while the process exists, even as a zombie its parent has not reaped yet."""
    return pid is not None and os.path.exists(f"/proc/{pid}")


def parse_pane_line(line: str) -> PaneInfo | None:
    parts = line.split(FIELD_SEP, len(PANE_FIELDS) - 1)
    if len(parts) != len(PANE_FIELDS) or not parts[0].startswith("%"):
        return None
    f = dict(zip(PANE_FIELDS, parts, strict=True))
    dead = f["pane_dead"] == "1"
    return PaneInfo(
        pane_id=f["pane_id"],
        name=f["@agenttui_name"],
        agent=f["@agenttui_agent"],
        run_id=f["@agenttui_run"],
        window_id=f["window_id"],
        window_name=f["window_name"],
        session=f["session_name"],
        pid=_int(f["pane_pid"]),
        dead=dead,
        dead_status=_int(f["pane_dead_status"]) if dead else None,
        dead_signal=_int(f["pane_dead_signal"]) if dead else None,
        in_mode=f["pane_in_mode"] == "1",
        title=f["pane_title"],
        width=_int(f["pane_width"]) or 0,
        height=_int(f["pane_height"]) or 0,
        cwd=f["pane_current_path"],
        command=f["pane_current_command"],
        token=f["@agenttui_token"],
    )


class TmuxDriver:
    """Spawn, list, read, steer and kill agent panes in one tmux session.

    Thread-safe: the control connection serialises commands. ``close()`` when done.
    """

    def __init__(self, target: TmuxTarget) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._control: ControlConnection | None = None
        self._nudged: dict[str, int] = {}  # pane id → times tmux was made to reap for it
        self._server: ServerIdentity | None = None
        self.restarts: list[tuple[ServerIdentity, ServerIdentity]] = []
        """Each server change this driver saw: (the one before, the one after)."""

    @property
    def socket(self) -> str | None:
        return self.target.socket

    @property
    def session(self) -> str:
        return self.target.session

    @property
    def lock_key(self) -> str | None:
        """What names this server in lock files: the socket, with the host for a remote one."""
        return server_lock_key(self.target)

    # -- plumbing -----------------------------------------------------------------------
    def _client(self, *args: str, timeout: float = 10.0) -> str:
        """Run one tmux client process (argv reaches the server unparsed)."""
        argv = client_argv(self.target, *args)
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=client_env(),
            )
        except FileNotFoundError as error:
            raise AgentTuiError("tmux is not installed (apt-get install tmux)") from error
        except subprocess.TimeoutExpired as error:
            raise AgentTuiError(f"tmux {args[0]} did not answer within {timeout}s") from error
        if done.returncode != 0:
            raise AgentTuiError(f"tmux {args[0]}: {done.stderr.strip() or done.returncode}")
        return done.stdout

    @property
    def where(self) -> str:
        """The session and server this driver looks at, for messages."""
        return self.target.where

    def control(self) -> ControlConnection:
        """The command connection (opened on first use, re-opened after a server restart).

        It attaches to the session and never creates it (nor a server): reading, listing
        and steering panes create nothing; ``spawn`` and ``ensure_session`` do.
        """
        with self._lock:
            if self._control is not None and self._control.alive:
                return self._control
        # Connecting and closing take the layout lock (server.py), always before our own.
        with layout_lock(self.socket), self._lock:
            if self._control is None or not self._control.alive:
                if self._control is not None:
                    self._control.close()
                    self._control = None
                if not self.has_session():
                    raise NoSession(f"no {self.where}")
                self._control = ControlConnection(self.target, no_output=True, create=False)
            return self._control

    def command(self, *args: str, timeout: float = 5.0) -> list[str]:
        """One tmux command over the control connection; its output lines.

        When the server went away (restarted), the command cannot have run there: it is
        retried once on a fresh connection, if the session exists again.
        """
        try:
            return self.control().command(*args, timeout=timeout)
        except ConnectionLost:
            self._drop_control()
            return self.control().command(*args, timeout=timeout)

    def command_alone(self, *args: str, timeout: float = 10.0) -> list[str]:
        """One tmux command as a client process of its own, not over a control connection:
        for when no control client of ours may connect (one identifying while tmux notifies
        of a person's client leaving crashes tmux 3.3a: bug #4980, see server.py)."""
        return self._client(*args, timeout=timeout).splitlines()

    @contextlib.contextmanager
    def layout(self) -> Iterator[None]:
        """Hold the server's layout lock (across processes) for a change of panes/windows."""
        with layout_lock(self.lock_key):  # re-entrant: nested changes share one hold
            yield

    def server_identity(self) -> ServerIdentity:
        """The server answering now (pid, start time, socket); a change since the last call
        is a restart: logged and kept in ``restarts``."""
        identity = ServerIdentity.parse(
            "".join(self.command("display-message", "-p", IDENTITY_FORMAT))
        )
        before, self._server = self._server, identity
        if before is not None and not before.same_server(identity):
            self.restarts.append((before, identity))
            logging.getLogger(__name__).warning(
                "tmux server on %s restarted: was %s, now %s",
                identity.socket_path,
                before,
                identity,
            )
        return identity

    # -- session and panes ----------------------------------------------------------------
    def has_session(self) -> bool:
        """Whether the session exists (asking never starts a server)."""
        try:
            probe = subprocess.run(
                client_argv(self.target, "has-session", "-t", f"={self.session}"),
                capture_output=True,
                check=False,
                timeout=10,
                env=client_env(),
            )
        except FileNotFoundError as error:
            raise AgentTuiError("tmux is not installed (apt-get install tmux)") from error
        except subprocess.TimeoutExpired as error:
            raise AgentTuiError(f"tmux has-session did not answer ({self.where})") from error
        if probe.returncode == UNREACHABLE and self.target.host is not None:
            message = probe.stderr.decode(errors="replace").strip()
            raise HostUnreachable(f"cannot reach host {self.target.host.name!r}: {message}")
        return probe.returncode == 0

    def ensure_session(self) -> None:
        """Create the session (starting the server if needed) unless it exists."""
        if self.has_session():
            return
        with self.layout():
            self._create_session()

    def _create_session(self) -> None:
        for attempt in range(3):
            if self.has_session():
                return
            try:
                self._client(
                    "new-session", "-d", "-s", self.session, "-n", "home", "-x", "200", "-y", "50"
                )
                return
            except AgentTuiError:
                # Another process created it meanwhile, or a dying server still held the
                # socket: look again.
                if attempt == 2:
                    raise

    def spawn(
        self,
        argv: Sequence[str],
        *,
        name: str,
        agent: str = "",
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        unset: Sequence[str] = (),
        window: str | None = None,
        run_id: str = "",
        token: str = "",
        width: int = 120,
        height: int = 40,
    ) -> PaneInfo:
        if not argv:
            raise UsageError("spawn needs a command")
        if cwd is not None and not self._directory_exists(cwd):
            where = f" on host {self.target.host.name!r}" if self.target.host else ""
            raise UsageError(f"working directory {cwd}{where} does not exist")
        if not NAME_RE.match(name):
            raise UsageError(f"bad agent name {name!r}: use letters, digits, '_', '.', '-'")
        for key in env or {}:
            if not key or "=" in key:
                raise UsageError(f"bad environment variable name {key!r}")
        with self.layout():
            live = [p for p in self.panes() if p.name and not p.dead]
            existing = [p for p in live if p.name == name]
            if existing:
                raise UsageError(
                    f"an agent named {name!r} is already running in {existing[0].pane_id}"
                )
            host = self.target.host
            if host is not None and host.max_agents and len(live) >= host.max_agents:
                raise UsageError(
                    f"host {host.name!r} already runs {len(live)} agents "
                    f"(max_agents = {host.max_agents} in [hosts.{host.name}])"
                )
            if host is None:
                words = launch_argv(argv, env=env, cwd=cwd, unset=unset)
            else:
                words = remote_launch_argv(host, argv, env=env, cwd=cwd, unset=unset)
            try:
                pane = self._new_pane(
                    words, name=name, agent=agent, window=window, run_id=run_id, token=token,
                    width=width, height=height,
                )  # fmt: skip
            except AgentTuiError:
                if host is not None:
                    with contextlib.suppress(AgentTuiError):
                        remove_file(host, words[-1])
                elif (unused := launch_file(words)) is not None:
                    Path(unused).unlink(missing_ok=True)
                raise
        return self.resolve(pane)

    def _directory_exists(self, path: str) -> bool:
        if self.target.host is None:
            return os.path.isdir(path)
        return directory_exists(self.target.host, path)

    def _new_pane(
        self,
        words: list[str],
        *,
        name: str,
        agent: str,
        window: str | None,
        run_id: str,
        token: str,
        width: int,
        height: int,
    ) -> str:
        window_name = (window or name).replace("\n", " ").replace("#", "##")  # -n: a format
        self.ensure_session()
        out = self.command(
            "new-window", "-d", "-P", "-F", "#{pane_id}",
            "-t", f"={self.session}:", "-n", window_name, "--", *PLACEHOLDER,
        )  # fmt: skip
        pane = out[0].strip()
        self.command("set-option", "-p", "-t", pane, "remain-on-exit", "on")
        options = (("name", name), ("agent", agent), ("run", run_id), ("token", token))
        for option, value in options:
            self.command("set-option", "-p", "-t", pane, f"@agenttui_{option}", value)
        self.command("set-option", "-w", "-t", pane, "automatic-rename", "off")
        self.command("resize-window", "-t", pane, "-x", str(width), "-y", str(height))
        self.command("respawn-pane", "-k", "-t", pane, "--", *words)
        return pane

    def panes(self) -> list[PaneInfo]:
        panes = self._list_panes()
        # A pane is dead at its pty's end of file; its exit status comes with SIGCHLD. tmux
        # 3.3a sometimes misses the SIGCHLD of an agent that exits at once (1 in 6 for
        # `true`, measured) and only reaps it at its next child's exit, leaving the status
        # unknown until then: make a child exit (a few times per pane, the process may still
        # be exiting), then look again.
        for _ in range(UNREAPED_NUDGES):
            unreaped = [p for p in panes if self._unreaped(p)]
            if not unreaped:
                break
            for pane in unreaped:
                self._nudged[pane.pane_id] = self._nudged.get(pane.pane_id, 0) + 1
            self.command("run-shell", "true", timeout=10.0)
            panes = self._list_panes()
        return panes

    def _unreaped(self, pane: PaneInfo) -> bool:
        return (
            pane.dead
            and pane.dead_status is None
            and pane.dead_signal is None
            and self._nudged.get(pane.pane_id, 0) < UNREAPED_NUDGES
            and (self.target.host is not None or _pid_exists(pane.pid))
        )

    def _list_panes(self) -> list[PaneInfo]:
        """The session's panes; none when there is no session (nothing is created)."""
        try:
            lines = self.command("list-panes", "-s", "-t", f"={self.session}", "-F", PANE_FORMAT)
        except NoSession:
            return []
        return [info for line in lines if (info := parse_pane_line(line)) is not None]

    def resolve(self, target: str) -> PaneInfo:
        panes = self.panes()
        if not panes and not self.has_session():
            raise NoSession(f"no agent {target!r}: there is no {self.where}")
        if target.startswith("%"):
            for pane in panes:
                if pane.pane_id == target:
                    return pane
            raise UsageError(f"no pane {target} in {self.where}")
        named = [p for p in panes if p.name == target]
        if not named:
            known = ", ".join(sorted({p.name for p in panes if p.name})) or "none"
            raise UsageError(f"no agent named {target!r} in {self.where} (known: {known})")
        live = [p for p in named if not p.dead]
        return max(live or named, key=lambda p: int(p.pane_id[1:]))

    def capture(self, pane_id: str, *, history: int = 0, escapes: bool = False) -> list[str]:
        args = ["capture-pane", "-p", "-t", pane_id]
        if escapes:
            args.append("-e")
        if history > 0:
            args += ["-S", str(-history)]
        return self.command(*args)

    def load_buffer(self, buffer: str, data: bytes) -> None:
        """Put ``data`` in the paste buffer ``buffer`` through a 0600 file where the server
        runs (here, or on the host over ssh): tmux parses none of it, newlines included."""
        host = self.target.host
        if host is not None:
            path = write_private(host, data)
            try:
                with self.layout():  # %paste-buffer-changed (server.py)
                    self.command("load-buffer", "-b", buffer, path)
            finally:
                with contextlib.suppress(AgentTuiError):
                    remove_file(host, path)
            return
        fd, local = tempfile.mkstemp(prefix="agenttui-send-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            with self.layout():
                self.command("load-buffer", "-b", buffer, local)
        finally:
            os.unlink(local)

    def send_keys(self, pane_id: str, *keys: str) -> None:
        """Send named keys; an Escape goes alone and is followed by a short pause.

        Sent together, Escape and the next key would arrive as Meta-<key>.
        """
        batch: list[str] = []
        for key in keys:
            if key == "Escape":
                if batch:
                    self.command("send-keys", "-t", pane_id, "--", *batch)
                    batch = []
                self.command("send-keys", "-t", pane_id, "--", key)
                threading.Event().wait(0.1)
            else:
                batch.append(key)
        if batch:
            self.command("send-keys", "-t", pane_id, "--", *batch)

    def kill(self, pane_id: str) -> None:
        with self.layout():
            self.command("kill-pane", "-t", pane_id)

    def close(self) -> None:
        self._drop_control()

    def _drop_control(self) -> None:
        with self._lock:
            control, self._control = self._control, None
        if control is not None:
            control.close()  # outside our lock: closing waits for the layout lock
