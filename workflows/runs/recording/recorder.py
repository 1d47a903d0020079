"""Record every agent pane of a run as asciicast v2, from the pane's full output stream.

The source is tmux's ``pipe-pane -O``: tmux writes each byte the agent prints into a pipe
whose end is handed to this recorder (``handoff``), which reads all of a run's panes in one
thread with one ``select``, stamping what arrived each tick (100 ms). It records only the
run's own panes, costs only per byte recorded, and never slows an agent: should the
recorder stall, tmux buffers; should it die, the pipe closes. (The mirror's ``%output`` is
no source: it is switched off for a pane until its next capture, and a control client
would get every pane of the session, escaped — bench/recording.py measures both.)

A recording starts with the pane's screen as it is (``capture-pane -e``, the cursor), taken
in the same batch of tmux commands that opens the pipe, so nothing is lost or doubled
between the two; a runner that resumes a run appends to the same file the same way. A size
change (polled each second) is recorded as an ``r`` event and the screen as tmux re-laid
it, with a new pipe opened in that batch too. A recording stops at the size limit with a
marker saying so, and when its pane dies or the runner ends.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.runs.recording.asciicast import CastWriter
from workflows.runs.recording.files import MIB, RecordingLimits, prune, run_folder
from workflows.runs.recording.handoff import Handoff
from workflows.runs.recording.host_recorder import HostRecorder, Hosts
from workflows.runs.recording.panes import (
    Opened,
    PaneRecorder,
    Report,
    _Pane,
    open_pipes,
    run_panes,
)
from workflows.tmux.driver import TmuxDriver

POLL_S = 1.0
READ_BYTES = 1 << 16
DRAIN_S = 2.0
HANDOFF_TIMEOUT_S = 10.0
QUIET_S = 0.05
SETTLE_S = 2.0
TICK_S = 0.1
_HANDOFF, _WAKE = object(), object()  # the selector's other two sources


@dataclass
class _Recording:
    pane_id: str
    name: str
    writer: CastWriter
    size: tuple[int, int]
    generation: int = 1
    """Which of the pane's pipes is the current one (each size change opens another)."""
    fd: int | None = None
    """Our end of it, once handed over."""
    asked_at: float = field(default_factory=time.monotonic)
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace")
    )


class RunRecorder(PaneRecorder):
    """Records the panes tmux marks as this run's (``@agenttui_run``), but its runner's."""

    def __init__(
        self,
        run_id: str,
        driver: TmuxDriver,
        *,
        skip: frozenset[str] = frozenset(),
        limits: RecordingLimits | None = None,
        report: Report | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(run_id, skip=skip, limits=limits, report=report, clock=clock)
        self.driver = driver
        self.folder = run_folder(run_id)
        self._handoff = Handoff()
        self._wake_read, self._wake_write = os.pipe()  # stop() wakes the loop at once
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._handoff, selectors.EVENT_READ, _HANDOFF)
        self._selector.register(self._wake_read, selectors.EVENT_READ, _WAKE)
        self._recordings: dict[str, _Recording] = {}
        self._finished: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- life ------------------------------------------------------------------------------
    def start(self) -> RunRecorder:
        self._thread = threading.Thread(target=self._loop, name="recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every pipe, keep what is in flight, close the files. (The runner waits for
        this before it exits, and a person may clean or resume the run right after: quick.)
        Once: a second call does nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        os.write(self._wake_write, b"x")
        if self._thread is not None:
            self._thread.join(15)
        self._await_handoffs()
        self._settle()
        with self._lock:
            for recording in list(self._recordings.values()):
                lost = recording.fd is None
                self._end(recording, "tmux's pipe never reached the recorder" if lost else None)
        self._selector.close()
        self._handoff.close()
        for fd in (self._wake_read, self._wake_write):
            os.close(fd)
        self.driver.close()

    def _await_handoffs(self) -> None:
        """Pipes tmux opened whose helper has not handed them over yet (a pane that started
        just before the run ended, on a busy machine) still carry what the pane printed
        since its first screen: take them before ending."""
        deadline = time.monotonic() + HANDOFF_TIMEOUT_S
        while time.monotonic() < deadline:
            with self._lock:
                if all(each.fd is not None for each in self._recordings.values()):
                    return
            self._serve(self._selector.select(max(0.0, deadline - time.monotonic())))

    def _settle(self) -> None:
        """Read every pipe until tmux has nothing more for any (QUIET_S without a byte, at
        most SETTLE_S): closing a pipe drops what tmux still holds for it, and it holds
        what did not fit the socket while nobody read (a stalled or late recorder)."""
        deadline = time.monotonic() + SETTLE_S
        while self._recordings and time.monotonic() < deadline:
            ready = self._selector.select(QUIET_S)
            if not any(isinstance(key.data, _Recording) for key, _ in ready):
                return
            self._serve(ready)

    def _serve(self, ready: list[tuple[selectors.SelectorKey, int]]) -> bool:
        """Act on what the selector found ready: handoffs, a wake-up, pipes' bytes.
        Whether any pipe was read."""
        read = False
        registered = self._selector.get_map()
        for key, _ in ready:
            if key.data is _HANDOFF:
                self._accept()
            elif key.data is _WAKE:
                os.read(self._wake_read, 64)
            elif key.fileobj in registered:
                self._read(key.data)
                read = True
        return read

    @property
    def recording(self) -> list[str]:
        """Panes whose bytes are being recorded now."""
        with self._lock:
            return sorted(key for key, each in self._recordings.items() if each.fd is not None)

    def _loop(self) -> None:
        try:
            self._run()
        except Exception as error:  # never silent: the run's log says recording stopped
            self.report("", f"recording stopped: {type(error).__name__}: {error}")
            raise

    def _run(self) -> None:
        next_poll = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_poll:
                next_poll = now + POLL_S
                with contextlib.suppress(AgentTuiError):  # tmux busy or gone: next poll
                    self.poll()
            ready = self._selector.select(max(0.0, next_poll - time.monotonic()))
            if self._serve(ready):
                # Let output gather: one wake-up and read per pane per tick instead of one
                # per write: times are kept to TICK_S (ten frames a second; at 25 the recorder
                # cost 1.6 % of a core for 32 busy panes, at 10 it costs 1.0 %). Handoffs
                # alone wait for no tick: each one was worth 100 ms of start-up.
                self._stop.wait(TICK_S)

    # -- panes come and go -----------------------------------------------------------------
    def poll(self) -> None:
        """Start recording new panes of the run, follow size changes, end dead panes."""
        panes = {pane.pane_id: pane for pane in self._panes() if self.ours(pane)}
        with self._lock:
            for pane_id, recording in list(self._recordings.items()):
                pane = panes.get(pane_id)
                if pane is None or pane.dead:
                    self._end(recording, None)
                    continue
                waited = time.monotonic() - recording.asked_at
                if recording.fd is None and waited > HANDOFF_TIMEOUT_S:
                    self._end(recording, "tmux's pipe never reached the recorder")
                    continue
                if pane.size != recording.size:
                    self._resync(recording)
                recording.writer.flush()
            self._begin(
                [
                    pane
                    for pane_id, pane in panes.items()
                    if pane_id not in self._recordings
                    and pane_id not in self._finished
                    and not pane.dead
                ]
            )

    def _panes(self) -> list[_Pane]:
        return run_panes(self.driver)

    def _begin(self, panes: list[_Pane]) -> None:
        """Start recording these panes, their pipes all opened in one batch of commands."""
        if not panes:
            return
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        opened = self._open_pipes([(pane.pane_id, 1) for pane in panes])
        for pane, result in zip(panes, opened, strict=True):
            name = pane.name or pane.pane_id.lstrip("%")
            if isinstance(result, AgentTuiError):
                self._finished.add(pane.pane_id)
                self.report(pane.pane_id, f"{name} is not recorded: {result}")
                continue
            size, screen = result
            writer = self.begin_cast(name, size, screen)
            self._recordings[pane.pane_id] = _Recording(pane.pane_id, name, writer, size)

    def _resync(self, recording: _Recording) -> None:
        """The pane changed size: tmux re-laid its screen out in ways no player repeats,
        so the recording gets the new size and the screen as tmux now has it. A new pipe
        replaces the old one in the same batch as the capture, and the old one is read to
        its end first, so the bytes and the picture still follow one another exactly."""
        try:
            size, screen = self._open_pipe(recording.pane_id, recording.generation + 1)
        except AgentTuiError:
            return  # the next poll tries again
        self._close_pipe(recording)
        recording.generation += 1
        recording.asked_at = time.monotonic()
        now = self.clock()
        recording.size = size
        recording.writer.resize(now, *size)
        recording.writer.output(now, screen)

    def _open_pipe(self, pane_id: str, generation: int) -> tuple[tuple[int, int], str]:
        (opened,) = self._open_pipes([(pane_id, generation)])
        if isinstance(opened, AgentTuiError):
            raise opened
        return opened

    def _open_pipes(self, pipes: list[tuple[str, int]]) -> list[Opened | AgentTuiError]:
        handoff = self._handoff.command
        return open_pipes(self.driver, [(pane, handoff(pane, each)) for pane, each in pipes])

    def _accept(self) -> None:
        for handed in self._handoff.accept_waiting():
            with self._lock:
                recording = self._recordings.get(handed.pane_id)
                if recording is None or handed.generation != recording.generation:
                    os.close(handed.fd)  # a pipe tmux has replaced already
                    continue
                recording.fd = handed.fd
                self._selector.register(handed.fd, selectors.EVENT_READ, recording)

    # -- bytes ----------------------------------------------------------------------------
    def _read(self, recording: _Recording) -> None:
        """(The loop's thread alone reads and writes while it runs: no lock on this path.)"""
        assert recording.fd is not None
        try:
            data = os.read(recording.fd, READ_BYTES)
        except BlockingIOError:
            return
        if not data:  # the pipe closed: the pane died, or tmux closed it
            with self._lock:
                self._end(recording, None, drained=True)
            return
        self._write(recording, data)
        if recording.writer.size > self.limits.max_bytes:
            megabytes = self.limits.max_bytes / MIB
            with self._lock:
                self._end(recording, f"the size limit ({megabytes:g} MiB) was reached")

    def _write(self, recording: _Recording, data: bytes) -> None:
        text = recording.decoder.decode(data)
        if text:
            recording.writer.output(self.clock(), text)

    def _close_pipe(self, recording: _Recording) -> None:
        """Read what tmux sent before it closed the pipe, up to its end; then let go."""
        fd, recording.fd = recording.fd, None
        if fd is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(fd)
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline:
            try:
                data = os.read(fd, READ_BYTES)
            except BlockingIOError:  # tmux has not closed its end yet
                time.sleep(0.005)
                continue
            if not data:
                break
            self._write(recording, data)
        os.close(fd)

    def _end(self, recording: _Recording, why: str | None, *, drained: bool = False) -> None:
        """Close the pipe (keeping what tmux already sent), then the file."""
        self._recordings.pop(recording.pane_id, None)
        self._finished.add(recording.pane_id)
        if not drained:
            with contextlib.suppress(AgentTuiError):
                self.driver.command("pipe-pane", "-t", recording.pane_id)  # closes it
        self._close_pipe(recording)
        if why:
            recording.writer.marker(self.clock(), f"recording stopped: {why}")
            self.report(recording.pane_id, f"recording of {recording.name} stopped: {why}")
        recording.writer.close()


def record_run(
    run_id: str,
    *,
    target: TmuxTarget,
    skip: frozenset[str],
    report: Report,
    hosts: Hosts | None = None,
) -> Callable[[], None] | None:
    """Start recording a run's agent panes, here and on the hosts ``hosts()`` names as its
    steps work there (``host_recorder``); what stops it all (None when ``[recordings]
    enabled = false``). Older recordings past the limits go first."""
    limits = RecordingLimits.from_config()
    if not limits.enabled:
        return None
    prune(limits, keep=run_id)
    here = RunRecorder(run_id, TmuxDriver(target), skip=skip, limits=limits, report=report)
    there = HostRecorder(run_id, target, hosts or set, skip=skip, limits=limits, report=report)
    here.start()
    there.start()

    def stop() -> None:
        here.stop()
        there.stop()

    return stop
