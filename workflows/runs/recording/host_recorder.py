"""Record the agent panes a run has on other hosts (steps with ``host = "NAME"``).

Their tmux is the host's, so tmux's pipe cannot be handed to this machine: on the host,
``pipe-pane -O`` feeds a small standard-library Python (run by ``[hosts.NAME] python``)
that appends what the pane prints, stamped with the seconds since its pipe opened, to a
0600 file of its own under the host's agenttui folder. The pipe opens in the same batch of
tmux commands as the ``capture-pane -e`` of the pane's screen, as here, so nothing is lost
or doubled between the two. What that file gained is fetched over the host's shared ssh
connection (every ``FETCH_S``, when a pane ends, and when the run ends or resumes) and
appended to the run's recording here, ``state_dir/recordings/<run>/<agent>.cast``: the same
file, writer, limits and replay as a local pane's. How far each file was fetched is kept
next to the recording (``.<agent>.host.json``): a host that drops keeps its file growing,
and whatever fetches next (this runner, or the one that resumes the run) goes on from
there, never twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost, host_named
from workflows.base.target import TmuxTarget
from workflows.runs.recording.asciicast import CastWriter, Header
from workflows.runs.recording.files import MIB, RecordingLimits, cast_path, run_folder
from workflows.runs.recording.panes import PaneRecorder, Report, open_pipes, run_panes
from workflows.tmux.driver import TmuxDriver
from workflows.tmux.ssh import host_dir, run_remote

POLL_S = 1.0
FETCH_S = 5.0
CHUNK = 8 * MIB  # fetched at most this much per ssh command
END_WAIT_S = 3.0
# Runs on the host, fed by pipe-pane: one JSON line per read, [seconds, text], and [seconds]
# at the end of the pipe. A read waits a tick (0.1 s) first, as the local recorder does:
# one line per tick, not per write. (One line: a tmux command line carries no newline.)
STAMPER_SOURCE = """
import codecs, json, os, sys, time
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
start = time.monotonic()
decoder = codecs.getincrementaldecoder("utf-8")("replace")
while True:
    data = os.read(0, 65536)
    at = round(time.monotonic() - start, 6)
    text = decoder.decode(data, final=not data)
    if text:
        os.write(out, (json.dumps([at, text]) + "\\n").encode())
    if not data:
        os.write(out, (json.dumps([at]) + "\\n").encode())
        break
    time.sleep(0.1)
"""
STAMPER = f"exec({STAMPER_SOURCE!r})"
Hosts = Callable[[], set[str]]  # the hosts the run works on now (by name)


@dataclass
class _HostCast:
    """One pane's recording on a host: the file there and how far it was fetched."""

    host: SshHost
    pane_id: str
    name: str
    remote: str
    offset: int
    opened_at: float
    """This machine's time when the pipe opened: the stamper's seconds count from it."""
    last: float = 0.0
    size: tuple[int, int] = (0, 0)
    ended: bool = False
    """The stamper wrote its last line (its pipe closed)."""

    def as_json(self) -> dict[str, object]:
        return {
            "host": self.host.name,
            "pane_id": self.pane_id,
            "remote": self.remote,
            "offset": self.offset,
            "opened_at": self.opened_at,
            "last": self.last,
            "size": list(self.size),
        }


def _state_path(run_id: str, name: str) -> Path:
    return run_folder(run_id) / f".{name}.host.json"


class HostRecorder(PaneRecorder):
    """Records the run's panes on the hosts ``hosts()`` names (and those an earlier runner
    left files on), in its own thread: ssh waiting on a host never delays local panes."""

    def __init__(
        self,
        run_id: str,
        target: TmuxTarget,
        hosts: Hosts,
        *,
        skip: frozenset[str] = frozenset(),
        limits: RecordingLimits | None = None,
        report: Report | None = None,
    ) -> None:
        super().__init__(run_id, skip=skip, limits=limits, report=report)
        self.target = target
        self.hosts = hosts
        self._drivers: dict[str, TmuxDriver] = {}
        self._casts: dict[tuple[str, str], _HostCast] = {}  # (host, agent name)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fetched_at = 0.0
        self._said: set[str] = set()  # hosts whose unreachability the log has already
        self._ended: dict[str, str] = {}  # agent name: the pane whose recording ended

    def start(self) -> HostRecorder:
        self._thread = threading.Thread(target=self._loop, name="host-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Fetch everything, close the pipes there, fetch their last lines. A host that
        cannot be reached keeps its files (and this machine how far they were fetched):
        resuming the run fetches the rest."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
        with self._lock:
            for cast in list(self._casts.values()):
                try:
                    self._finish(cast, close=True)
                except AgentTuiError as error:
                    self.report(cast.pane_id, f"recording of {cast.name} on host "
                                f"{cast.host.name!r} not fetched yet: {error}")  # fmt: skip
            said = {name for _, name in self._casts}
            self._casts.clear()
            self._adopt(but=said)  # pipes whose opening failed (their answer lost)
        for driver in self._drivers.values():
            driver.close()

    # -- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            with self._lock:
                self._adopt()
            while not self._stop.wait(POLL_S):
                self.poll()
        except Exception as error:  # never silent
            self.report("", f"recording on hosts stopped: {type(error).__name__}: {error}")
            raise

    @property
    def recording(self) -> list[str]:
        """The panes being recorded now, as "HOST AGENT"."""
        with self._lock:
            return sorted(f"{host} {name}" for host, name in self._casts)

    def poll(self, *, fetch: bool | None = None) -> None:
        """Start recording the run's new panes on its hosts, follow size changes; fetch
        every ``FETCH_S`` (or as ``fetch`` says), and when a pane is gone."""
        with self._lock:
            names = set(self.hosts()) | {cast.host.name for cast in self._casts.values()}
            if fetch is None:
                fetch = time.monotonic() - self._fetched_at >= FETCH_S
            for name in sorted(names):
                try:
                    self._poll_host(host_named(name), fetch=fetch)
                    self._said.discard(name)
                except AgentTuiError as error:  # down: its files keep growing there
                    if name not in self._said:
                        self._said.add(name)
                        self.report("", f"recording on host {name!r} waits for it: {error}")
            if fetch:
                self._fetched_at = time.monotonic()

    def _driver(self, host: SshHost) -> TmuxDriver:
        if host.name not in self._drivers:
            target = TmuxTarget(self.target.socket, self.target.session, host)
            self._drivers[host.name] = TmuxDriver(target)
        return self._drivers[host.name]

    def _poll_host(self, host: SshHost, *, fetch: bool) -> None:
        panes = {
            pane.name or pane.pane_id.lstrip("%"): pane
            for pane in run_panes(self._driver(host))
            if self.ours(pane)
        }
        for (host_name, name), cast in list(self._casts.items()):
            if host_name != host.name:
                continue
            pane = panes.get(name)
            if pane is None or pane.dead or pane.pane_id != cast.pane_id:
                self._ended[name] = cast.pane_id
                self._finish(cast, close=pane is not None and pane.pane_id == cast.pane_id)
                self._casts.pop((host_name, name), None)
            elif cast.ended:
                continue  # stopped at the size limit
            elif pane.size != cast.size:
                self._resync(cast)
            elif fetch:
                self._fetch(cast)
        new = [
            (name, pane.pane_id)
            for name, pane in panes.items()
            if (host.name, name) not in self._casts and not pane.dead
            and not self._recorded(name, pane.pane_id)
        ]  # fmt: skip
        if new:
            self._begin(host, new)

    def _recorded(self, name: str, pane_id: str) -> bool:
        """Whether this runner ended this pane's recording already (it died, or its
        pipe could not open): not started again."""
        return self._ended.get(name) == pane_id

    # -- one pane --------------------------------------------------------------------------
    def _begin(self, host: SshHost, panes: list[tuple[str, str]]) -> None:
        """Record these panes (agent name, pane id), their pipes opened in one batch;
        first the rest of an earlier pipe of theirs (an earlier runner's) into the file."""
        for name, _pane_id in panes:
            if (earlier := self._load(name)) is not None:
                self._finish(earlier, close=True)  # unreachable: raises, the state stays
        run_folder(self.run_id).mkdir(mode=0o700, parents=True, exist_ok=True)
        remotes = {name: self._remote_file(host, name) for name, _ in panes}
        pipes = [(pane_id, self._stamping(host, remotes[name])) for name, pane_id in panes]
        for name, pane_id in panes:  # known before tmux may start a stamper: should the
            # batch's answer be lost (the host drops), the next try stops it and removes its file
            self._save(_HostCast(host, pane_id, name, remotes[name], 0, 0.0))
        opened = open_pipes(self._driver(host), pipes)
        for (name, pane_id), result in zip(panes, opened, strict=True):
            if isinstance(result, AgentTuiError):
                self._ended[name] = pane_id
                self.report(pane_id, f"{name} on host {host.name!r} is not recorded: {result}")
                continue
            size, screen = result
            self.begin_cast(name, size, screen).close()
            now = self.clock()  # (the stamper's seconds count from here on)
            cast = _HostCast(host, pane_id, name, remotes[name], 0, now, now, size)
            self._casts[(host.name, name)] = cast
            self._save(cast)

    def _remote_file(self, host: SshHost, name: str) -> str:
        """A new file on the host for one pipe of agent ``name`` (its folder made 0700)."""
        folder = f"{host_dir(host)}/recordings/{self.run_id}"
        run_remote(host, f"umask 077 && mkdir -p {shlex.quote(folder)}")
        return f"{folder}/{name}-{secrets.token_hex(4)}.events"

    @staticmethod
    def _stamping(host: SshHost, remote: str) -> str:
        """What ``pipe-pane`` runs on the host: the stamper, writing to ``remote``."""
        return "exec " + shlex.join([host.python, "-I", "-S", "-c", STAMPER, remote])

    def _resync(self, cast: _HostCast) -> None:
        """The pane changed size: as here (``recorder``), a new pipe opens in the batch
        that captures the screen as tmux re-laid it (closing the old pipe, whose file is
        then fetched to its end), and the recording gets the new size and that screen."""
        remote = self._remote_file(cast.host, cast.name)
        pipe = (cast.pane_id, self._stamping(cast.host, remote))
        (result,) = open_pipes(self._driver(cast.host), [pipe])
        if isinstance(result, AgentTuiError):
            return  # the next poll tries again
        self._finish(cast, close=False)  # its stamper saw its pipe close: its last lines
        size, screen = result
        now = max(cast.last, self.clock())
        writer = CastWriter(cast_path(self.run_id, cast.name), Header(*size, now))
        writer.resize(now, *size)
        writer.output(now, screen)
        writer.close()
        fresh = _HostCast(cast.host, cast.pane_id, cast.name, remote, 0, now, now, size)
        self._casts[(cast.host.name, cast.name)] = fresh
        self._save(fresh)

    def _fetch(self, cast: _HostCast) -> None:
        """Append what the host's file gained since the last fetch to the recording."""
        while not cast.ended:
            text = run_remote(
                cast.host,
                f"tail -c +{cast.offset + 1} {shlex.quote(cast.remote)} 2>/dev/null"
                f" | head -c {CHUNK}; true",
            )
            complete = text[: text.rfind("\n") + 1]  # a line being written waits
            if not complete:
                return
            self._append(cast, complete)
            if len(text) < CHUNK:
                return

    def _append(self, cast: _HostCast, lines: str) -> None:
        path = cast_path(self.run_id, cast.name)
        writer = CastWriter(path, Header(1, 1, cast.opened_at))
        for line in lines.splitlines():
            event = json.loads(line)  # the stamper's own lines: JSON, ASCII only
            # This machine's clock from the pipe's opening on: another host's clock may
            # differ, and a recording's times never run backwards.
            at = max(cast.last, cast.opened_at + float(event[0]))
            cast.last = at
            if len(event) == 1:
                cast.ended = True
                break
            writer.output(at, str(event[1]))
            if writer.size > self.limits.max_bytes:
                megabytes = self.limits.max_bytes / MIB
                why = f"the size limit ({megabytes:g} MiB) was reached"
                writer.marker(at, f"recording stopped: {why}")
                self.report(cast.pane_id, f"recording of {cast.name} stopped: {why}")
                cast.ended = True
                self._close_pipe(cast)  # nothing more is recorded: the stamper may end
                break
        writer.close()
        cast.offset += len(lines.encode())
        self._save(cast)

    def _close_pipe(self, cast: _HostCast) -> None:
        with contextlib.suppress(AgentTuiError):
            self._driver(cast.host).command("pipe-pane", "-t", cast.pane_id)

    def _finish(self, cast: _HostCast, *, close: bool) -> None:
        """Fetch a pane's file to its end (closing its pipe first when the pane is still
        there), then remove it there and its state here."""
        if close:
            self._close_pipe(cast)
        deadline = time.monotonic() + END_WAIT_S
        if cast.size == (0, 0):
            cast.ended = True  # its screen was never taken: a pipe the next one replaces
        self._fetch(cast)
        while not cast.ended and time.monotonic() < deadline:
            time.sleep(0.05)  # the stamper writes its last line as its pipe closes
            self._fetch(cast)
        run_remote(cast.host, f"rm -f -- {shlex.quote(cast.remote)}")
        _state_path(self.run_id, cast.name).unlink(missing_ok=True)

    def _save(self, cast: _HostCast) -> None:
        path = _state_path(self.run_id, cast.name)
        temporary = path.with_suffix(".new")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(cast.as_json(), handle)
        temporary.replace(path)

    def _load(self, name: str) -> _HostCast | None:
        """An earlier pipe's state for agent ``name`` (an earlier runner's), if any."""
        state = _state_path(self.run_id, name)
        if not state.exists():
            return None
        try:
            saved = json.loads(state.read_text(encoding="utf-8"))
            return _HostCast(
                host_named(str(saved["host"])),
                str(saved["pane_id"]),
                name,
                str(saved["remote"]),
                int(saved["offset"]),
                float(saved["opened_at"]),
                float(saved["last"]),
                (int(saved["size"][0]), int(saved["size"][1])),
            )
        except (AgentTuiError, ValueError, KeyError, TypeError) as error:
            self.report("", f"recording of {name}: {state} is unreadable ({error}); set aside")
            state.unlink(missing_ok=True)
            return None

    def _adopt(self, *, but: set[str] | None = None) -> None:
        """Files an earlier runner of this run did not finish fetching (its host was down,
        or it was killed): fetched to their end first, their pipes closed; a pane still
        there gets a new pipe and its screen again in its recording at the next poll, as a
        local pane does on resume. A host still down: tried again when the pane is."""
        folder = run_folder(self.run_id)
        if not folder.is_dir():
            return
        for state in sorted(folder.glob(".*.host.json")):
            name = state.name[1 : -len(".host.json")]
            cast = None if name in (but or set()) else self._load(name)
            if cast is None:
                continue
            try:
                self._finish(cast, close=True)
            except AgentTuiError as error:
                self.report(cast.pane_id, f"recording of {cast.name} on host "
                            f"{cast.host.name!r} not fetched yet: {error}")  # fmt: skip
