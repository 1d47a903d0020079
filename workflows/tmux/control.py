"""A tmux control-mode connection (``tmux -C`` over pipes).

One reader thread turns tmux's stdout into: command replies (``%begin``/``%end``/``%error``
blocks, matched on all three numbers because captured text may itself contain a line
starting with ``%end``), pane output (``%output`` / ``%extended-output``, unescaped and
decoded as UTF-8 incrementally per pane, so a character split across two lines survives),
and notifications.

Callbacks (``on_output(pane_id, text)``, ``on_notification(name, args)``) run in order on
one dispatcher thread, never on the reader: the reader keeps draining tmux's pipe whatever
the callbacks do, because a control client that stops reading makes tmux stop reading the
agent's pane and the agent blocks on write (measured: a blocked reader froze a chatty pane).
A callback may call ``command()``, even on the same connection. Keep them quick anyway:
output waiting for a slow callback is queued up to ``MAX_BACKLOG`` bytes, then dropped
(``output-dropped`` notification with the pane id, once per overflow).
``on_activity(pane_id)`` is the exception: for a client that only needs to know which panes
printed (a mirror marking panes dirty), it runs on the reader for every output line, with
nothing unescaped or decoded and no thread hop; it must only set a flag, never block.
``name`` has no leading ``%`` (``"window-add"``, ``["@3"]``; free text such as a window name
stays one argument, see ``protocol.FREE_TEXT_AFTER``); ``notifications`` limits them to
those names (each costs a hop to the dispatcher thread). Synthetic notifications tell a
mirror to resync: ``connection-lost``, ``connection-restored``, ``output-dropped``.

Output connections set ``pause-after=2`` so a slow reader can never make tmux stop reading
an agent's pane (the agent would block on write): paused panes are continued at once, and
a heartbeat command every second flushes a ``%pause`` that tmux 3.3a sometimes holds back.
A pane for which ``keep_paused(pane_id)`` is true was paused on purpose (a mirror pauses
panes it will capture anyway) and is left to its owner.
With ``no_output=True`` the connection only carries commands and never receives output.
When the server goes away, callback connections reconnect by themselves once the session
exists again; ``command()`` on a dead connection reconnects first.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from workflows.base.errors import AgentTuiError, WaitTimeout
from workflows.base.target import TmuxTarget
from workflows.tmux import protocol
from workflows.tmux.server import layout_lock, server_lock_key
from workflows.tmux.ssh import client_argv

MAX_BACKLOG = 32 * 1024 * 1024
_SYNTHETIC = frozenset({"connection-lost", "connection-restored", "output-dropped"})
OutputCallback = Callable[[str, str], None]
NotificationCallback = Callable[[str, list[str]], None]


class ConnectionLost(AgentTuiError):
    """The tmux server (or our control client) went away before the command was answered."""


@dataclass
class _Reply:
    done: threading.Event = field(default_factory=threading.Event)
    lines: list[str] = field(default_factory=list)
    error: bool = False
    lost: bool = False


class ControlConnection:
    def __init__(
        self,
        target: TmuxTarget,
        *,
        on_output: OutputCallback | None = None,
        on_activity: Callable[[str], None] | None = None,
        on_notification: NotificationCallback | None = None,
        notifications: Collection[str] | None = None,
        keep_paused: Callable[[str], bool] | None = None,
        no_output: bool = False,
        create: bool = True,
        heartbeat: float = 1.0,
    ) -> None:
        self.target = target
        self.socket = target.socket
        self.session = target.session
        self.on_output = on_output
        self.on_activity = on_activity
        self.on_notification = on_notification
        self.notifications = None if notifications is None else frozenset(notifications)
        self.keep_paused = keep_paused
        self.no_output = no_output
        self.heartbeat = heartbeat
        self._write_lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._reconnecting = threading.Lock()  # held by the one reconnect loop
        self._pending: deque[_Reply] = deque()
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._attached = threading.Event()
        self._closing = threading.Event()  # set by close(); wakes its loops to end
        self._last_write = 0.0
        self._events: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._backlog = 0
        self._backlog_lock = threading.Lock()
        self._dropping: set[str] = set()
        if on_output is not None or on_notification is not None:
            threading.Thread(target=self._dispatch_loop, name="tmux-dispatch", daemon=True).start()
        self.client_name: str | None = None
        """tmux's name for our client (``client-<pid>``), for ``refresh-client -t``."""
        self._connect(create=create)
        if not no_output and heartbeat > 0:
            threading.Thread(
                target=self._heartbeat_loop, name="tmux-heartbeat", daemon=True
            ).start()

    # -- public -------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._attached.is_set()

    def command(self, *args: str, timeout: float = 5.0) -> list[str]:
        """Run one tmux command; returns its output lines, AgentTuiError on ``%error``.

        A lost connection is re-attached to the session, never re-created: a session
        made only when the connection opened (``create``), so a command arriving after
        its server was stopped cannot start a new one."""
        if not self.alive:
            self._connect(create=False)
        return self._answer(args, self._send(args), timeout)

    def command_batch(
        self, commands: Sequence[Sequence[str]], timeout: float = 5.0
    ) -> list[list[str] | AgentTuiError]:
        """Run several commands sent at once: one write, and one wake-up for all the
        replies instead of one round trip each. Per command, in order, its output lines
        or the AgentTuiError it failed with (one failing does not fail the others);
        ``timeout`` bounds the whole batch."""
        if not commands:
            return []
        if not self.alive:
            self._connect(create=False)
        return self.batch_results(commands, self.send_batch(commands), timeout)

    def send_batch(self, commands: Sequence[Sequence[str]]) -> list[_Reply]:
        """Write several commands at once without waiting; hand what it returns to
        :meth:`batch_results`. For a caller that must order the write with its own
        bookkeeping (under its lock) but wait outside it. AgentTuiError if not sent."""
        return self._send_many(commands)

    def send_nowait(self, *args: str) -> bool:
        """Write one command and never wait for its answer (nor reconnect): safe on a
        reader thread. Whether it was written."""
        try:
            self._send(args)
        except AgentTuiError:
            return False
        return True

    def batch_results(
        self, commands: Sequence[Sequence[str]], replies: list[_Reply], timeout: float = 5.0
    ) -> list[list[str] | AgentTuiError]:
        """The answers to a :meth:`send_batch`, as :meth:`command_batch` returns them."""
        deadline = time.monotonic() + timeout
        replies[-1].done.wait(timeout)  # tmux answers in order: then all are in
        results: list[list[str] | AgentTuiError] = []
        for args, reply in zip(commands, replies, strict=True):
            try:
                results.append(self._answer(args, reply, max(0.0, deadline - time.monotonic())))
            except AgentTuiError as error:
                results.append(error)
        return results

    @staticmethod
    def _answer(args: Sequence[str], reply: _Reply, timeout: float) -> list[str]:
        if not reply.done.wait(timeout):
            raise WaitTimeout(f"tmux {args[0]} did not answer within {timeout:.3g}s")
        if reply.lost:
            raise ConnectionLost(f"tmux {args[0]}: connection to the tmux server was lost")
        if reply.error:
            raise AgentTuiError(f"tmux {args[0]}: {' '.join(reply.lines).strip() or 'failed'}")
        return reply.lines

    def close(self) -> None:
        self._closing.set()
        self._events.put(None)
        proc = self._proc
        if proc is None:
            return
        with layout_lock(
            server_lock_key(self.target)
        ):  # its %client-detached goes out now (server.py)
            try:
                if proc.stdin is not None:
                    proc.stdin.close()  # tmux -C detaches at end of input
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    # -- connecting -----------------------------------------------------------------------
    @property
    def _client_flags(self) -> str:
        return "no-output" if self.no_output else "pause-after=2"

    def _connect(self, *, create: bool) -> None:
        # The client flags are set by the attach command itself. Set by a later command,
        # `no-output` wedged about 1 connection in 300 (tmux 3.3a, busy panes): pane output
        # that reached the client before the flag stays pending forever, and tmux stores
        # every later line, our replies too, behind it. The first command proves the
        # client answers; should it not, start over.
        for attempt in range(1, 5):
            self._attach(create=create)
            try:
                self.command("refresh-client", "-f", self._client_flags, timeout=2.0 * attempt)
                name = self.command("display-message", "-p", "#{client_name}")
                self.client_name = name[0] if name else None
                return
            except WaitTimeout:
                logging.getLogger(__name__).warning(
                    "tmux control client %s: first command unanswered (attempt %d); retrying",
                    self._proc.pid if self._proc else "?",
                    attempt,
                )
                self._kill_process()
        raise AgentTuiError(f"tmux session {self.session!r} does not answer commands")

    def _kill_process(self) -> None:
        with self._write_lock:
            proc, self._proc = self._proc, None  # its reader must not start a reconnect
            unanswered = list(self._pending)  # sent to this process: never answered now
            self._pending.clear()
        for reply in unanswered:
            reply.lost = True
            reply.done.set()
        if proc is not None and proc.poll() is None:
            with layout_lock(server_lock_key(self.target)):
                proc.kill()
                proc.wait()

    def _attach(self, *, create: bool) -> None:
        # The layout lock first, always: a thread holding it (a spawn) may reconnect us.
        with layout_lock(server_lock_key(self.target)), self._connect_lock:
            if self.alive:
                return
            if self._closing.is_set():
                raise AgentTuiError("control connection is closed")
            verb = (
                ["new-session", "-A", "-s", self.session, "-n", "home", "-x", "200", "-y", "50"]
                if create
                else ["attach-session", "-t", f"={self.session}"]
            ) + ["-f", self._client_flags]
            argv = client_argv(self.target, "-C", *verb)
            self._start_client(argv)  # no notification while it identifies (server.py)

    def _start_client(self, argv: list[str]) -> None:
        """Start ``tmux -C`` and wait until its attach is answered (with ``_connect_lock``)."""
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=protocol.client_env(),
            )
        except FileNotFoundError as error:
            raise AgentTuiError("tmux is not installed (apt-get install tmux)") from error
        attached = self._attached = threading.Event()
        self._events.put(("reset", None))
        self._proc = proc
        reader = threading.Thread(
            target=self._read_loop, args=(proc, attached), name="tmux-control", daemon=True
        )
        reader.start()
        deadline = time.monotonic() + 10.0
        while not self._attached.wait(0.02):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
        if not self._attached.is_set() or proc.poll() is not None:
            self._proc = None
            proc.kill()
            proc.wait()
            err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
            raise AgentTuiError(f"cannot attach to {self.target.where}: {err}")

    @property
    def reconnect_thread_name(self) -> str:
        """Its reconnect loop's thread: named after the server, so it is told apart."""
        return f"tmux-reconnect {server_lock_key(self.target) or 'default'}"

    def _reconnect_loop(self) -> None:
        try:
            self._notify("connection-lost", [])
            while not self._closing.is_set():
                try:
                    self._connect(create=False)
                except AgentTuiError:
                    self._closing.wait(0.5)
                    continue
                self._notify("connection-restored", [])
                return
        finally:
            self._reconnecting.release()

    # -- writing --------------------------------------------------------------------------
    def _send(self, args: Sequence[str]) -> _Reply:
        return self._send_many([args])[0]

    def _send_many(self, commands: Sequence[Sequence[str]]) -> list[_Reply]:
        data = b"".join(protocol.command_line(tuple(args)) for args in commands)
        replies = [_Reply() for _ in commands]
        proc = self._proc
        with self._write_lock:
            if proc is None or proc.stdin is None:
                raise AgentTuiError("tmux control connection is not open")
            self._pending.extend(replies)
            try:
                proc.stdin.write(data)
                proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as error:
                for reply in replies:
                    self._pending.remove(reply)
                raise ConnectionLost("connection to the tmux server was lost") from error
            self._last_write = time.monotonic()
        return replies

    def _heartbeat_loop(self) -> None:
        while not self._closing.wait(self.heartbeat):
            if self.alive and time.monotonic() - self._last_write >= self.heartbeat:
                with contextlib.suppress(AgentTuiError):
                    self._send(["display-message", "-p", "."])

    # -- reading --------------------------------------------------------------------------
    def _read_loop(self, proc: subprocess.Popen[bytes], attached: threading.Event) -> None:
        stdout: IO[bytes] | None = proc.stdout
        assert stdout is not None
        blocks = protocol.BlockReader()
        assert isinstance(stdout, io.BufferedReader)  # read1: what is there, a byte at least
        try:
            while data := stdout.read1(65536):
                for line in blocks.feed_data(data):
                    if isinstance(line, protocol.Block):
                        self._finish_block(line, attached)
                    elif line.startswith((b"%output ", b"%extended-output ")):
                        if self.on_activity is not None:
                            self._activity(line)
                        self._queue_output(line)
                    elif line.startswith(b"%"):
                        self._handle_notification(line, attached)
        except (OSError, ValueError):
            pass
        finally:
            proc.wait()
            self._on_disconnect(proc, attached)

    def _finish_block(self, block: protocol.Block, attached: threading.Event) -> None:
        if not block.ours:
            # The initial attach (or a hook): the client is attached once it ends. (This
            # process's own event: a killed predecessor's reader may still be draining.)
            attached.set()
            return
        with self._write_lock:
            reply = self._pending.popleft() if self._pending else None
        if reply is not None:
            reply.lines, reply.error = block.lines, block.error
            reply.done.set()

    def _activity(self, line: bytes) -> None:
        try:
            if self.on_activity is not None:
                self.on_activity(line.split(b" ", 2)[1].decode())
        except Exception:  # a failing callback must not stop the reader
            logging.getLogger(__name__).exception("tmux activity callback failed")

    def _queue_output(self, line: bytes) -> None:
        if self.on_output is None:
            return
        with self._backlog_lock:
            if self._backlog + len(line) > MAX_BACKLOG:
                pane = line.split(b" ", 2)[1].decode()
                if pane not in self._dropping:
                    self._dropping.add(pane)
                    self._events.put(("notify", ("output-dropped", [pane])))
                return
            self._backlog += len(line)
            self._dropping.clear()
        self._events.put(("output", line))

    def _dispatch_loop(self) -> None:
        while (item := self._events.get()) is not None:
            kind, value = item
            try:
                if kind == "output":
                    with self._backlog_lock:
                        self._backlog -= len(value)
                    output = protocol.parse_output(value)
                    if output is not None:
                        self._deliver_output(output)
                elif kind == "notify" and self.on_notification is not None:
                    self.on_notification(*value)
                elif kind == "reset":
                    self._decoders = {}
            except Exception:  # a failing callback must not stop the dispatcher
                logging.getLogger(__name__).exception("tmux control callback failed")

    def _deliver_output(self, output: protocol.Output) -> None:
        if self.on_output is None:
            return
        decoder = self._decoders.get(output.pane_id)
        if decoder is None:
            decoder = self._decoders[output.pane_id] = codecs.getincrementaldecoder("utf-8")(
                errors="replace"
            )
        text = decoder.decode(output.data)
        if text:
            self.on_output(output.pane_id, text)

    def _handle_notification(self, line: bytes, attached: threading.Event | None = None) -> None:
        name = line[1:].partition(b" ")[0].decode("utf-8", "replace")
        if name == "session-changed":
            (attached or self._attached).set()
        elif name == "pause":
            pane = line[7:].decode("utf-8", "replace")
            if pane and not (self.keep_paused and self.keep_paused(pane)):
                with contextlib.suppress(AgentTuiError):
                    self._send(["refresh-client", "-A", f"{pane}:continue"])
        if self.on_notification is not None and self._wanted(name):
            self._notify(*protocol.parse_notification(line.decode("utf-8", "replace")))

    def _wanted(self, name: str) -> bool:
        return self.notifications is None or name in self.notifications or name in _SYNTHETIC

    def _notify(self, name: str, args: list[str]) -> None:
        if self.on_notification is not None and self._wanted(name):
            self._events.put(("notify", (name, args)))

    def _on_disconnect(self, proc: subprocess.Popen[bytes], attached: threading.Event) -> None:
        with self._write_lock:
            # Replies still pending belong to this process, unless a new one replaced it.
            lost = list(self._pending) if self._proc in (proc, None) else []
            if lost:
                self._pending.clear()
        for reply in lost:
            reply.lost = True
            reply.done.set()
        wants_events = (
            self.on_output is not None
            or self.on_notification is not None
            or self.on_activity is not None
        )
        # Only a connection that was up reconnects (a failed attempt is the loop's business).
        if (
            proc is self._proc
            and attached.is_set()
            and not self._closing.is_set()
            and wants_events
            and self._reconnecting.acquire(blocking=False)  # a loop already runs otherwise
        ):
            threading.Thread(
                target=self._reconnect_loop, name=self.reconnect_thread_name, daemon=True
            ).start()
