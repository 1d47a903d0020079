"""Mirror agent panes into screen models, cheaply and without ever stalling an agent.

FIELD-NOTES §1 measured the cheapest way: one control connection whose ``%output`` only
marks a pane dirty (on its reader: the bytes are never unescaped or decoded), and a second
``no-output`` control connection that carries ``capture-pane`` for the dirty panes somebody
is looking at. A pane's output is paused once it printed and continued with its capture
(output_switch.py): only its first ``%output`` after a capture says anything, and tmux
spends nothing on the rest; a pane that prints faster than its rate stays paused and is
captured blind at its rate (busy_panes.py). Each pane is captured at most about
``focused_hz`` (the focused tile) or ``other_hz`` times a second (a pane may be taken a
quarter interval early to join a batch), and only the rows its tile shows
(capture_rows.py); panes nobody sees are never captured. Captures go in batches
(capture_schedule.py): one write of commands and one wake-up for their replies, since the
fixed cost of waking up outweighs the capture itself.
All tmux I/O happens on one mirror thread; ``on_update`` is called from that thread with
the panes whose models changed (the focused pane's on its own, first).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping

from workflows.base.errors import AgentTuiError, WaitTimeout
from workflows.base.target import TmuxTarget
from workflows.tmux.busy_panes import BusyPanes
from workflows.tmux.capture_rows import CaptureRows
from workflows.tmux.capture_schedule import due_panes
from workflows.tmux.control import ConnectionLost, ControlConnection
from workflows.tmux.mirror_screen import PaneModel
from workflows.tmux.output_switch import OutputSwitch

SIZE_REFRESH_S = 2.0
REPORT_S = 0.01  # a batch taking longer reports the panes applied so far this often
_LAYOUT_EVENTS = {
    "layout-change",
    "window-add",
    "window-close",
    "unlinked-window-add",
    "session-window-changed",
    "sessions-changed",
}


class Mirror:
    """Pane id → :class:`PaneModel`, refreshed on a rate-limited tick."""

    def __init__(
        self,
        target: TmuxTarget,
        *,
        on_update: Callable[[set[str]], None] | None = None,
        focused_hz: float = 30.0,
        other_hz: float = 10.0,
    ) -> None:
        self.target = target
        self.session = target.session
        self.on_update = on_update
        self.focused_interval = 1.0 / focused_hz
        self.other_interval = 1.0 / other_hz
        self.models: dict[str, PaneModel] = {}
        self.captures = 0
        self.batches = 0  # batches of capture commands sent
        self.capture_counts: dict[str, int] = {}
        self.errors = 0
        self._dirty: set[str] = set()
        self._active: set[str] = set()
        self._visible: frozenset[str] = frozenset()
        self._focused: str | None = None
        self._rows = CaptureRows()
        self._last_capture: dict[str, float] = {}
        self._next_wake = math.inf
        self._sizes: dict[str, tuple[int, int]] = {}
        self._sizes_at = 0.0
        self._sizes_stale = True
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._output: ControlConnection | None = None
        self._commands: ControlConnection | None = None
        self._switch = OutputSwitch()  # panes whose %output is off until captured
        self._busy = BusyPanes()  # captured blind (see busy_panes)
        self._blind_due = math.inf  # when the first pane captured blind is due again

    # -- lifecycle -------------------------------------------------------------------
    def start(self, attempts: int = 3) -> None:
        """Open both control connections (retried: under load tmux 3.3a sometimes holds a
        new control client's first reply for seconds) and start the mirror thread."""
        for attempt in range(attempts):
            try:
                self._commands = self._commands or ControlConnection(self.target, no_output=True)
                self._output = ControlConnection(
                    self.target,
                    on_activity=self._on_activity,
                    on_notification=self._on_notification,
                    notifications=_LAYOUT_EVENTS,
                    keep_paused=self._switch.paused.__contains__,
                )
                break
            except AgentTuiError:
                if attempt == attempts - 1:
                    self.close()
                    raise
        self._thread = threading.Thread(target=self._loop, name="agenttui-mirror", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        for channel in (self._output, self._commands):
            if channel is not None:
                channel.close()
        self._output = self._commands = None

    # -- what the UI tells us --------------------------------------------------------
    def set_visible(
        self,
        pane_ids: Iterable[str],
        focused: str | None = None,
        rows: Mapping[str, int] | None = None,
    ) -> None:
        """Only these panes are captured; newly visible ones are captured at once. With
        ``rows`` (pane → how many rows its view shows), only the part of the pane that a
        view that tall shows is captured (PaneModel.view_rows): the rows above it keep
        what they had. A pane without a count is captured whole."""
        visible = frozenset(pane_ids)
        with self._lock:
            resized = self._rows.set(rows or {}, visible)
            shown = (visible - self._visible) | resized
            self._dirty |= shown
            hidden = self._visible - visible
            self._active |= self._busy.forget(hidden)  # a blind pane's last output is unseen
            refocused = focused != self._focused
            self._visible = visible
            self._focused = focused
        if hidden & self._switch.paused:  # no capture will switch them on: their next
            self._send_switch(hidden)  # output must still reach take_active
        if shown or hidden or refocused:  # the screens re-tell it each second: the
            self._wake.set()  # same picture again must not wake the mirror thread

    def view_height(self, pane_id: str) -> int | None:
        """How many rows of the pane its view shows (None: it is captured whole)."""
        return self._rows.heights.get(pane_id)

    def model(self, pane_id: str) -> PaneModel:
        with self._lock:
            model = self.models.get(pane_id)
            if model is None:
                model = self.models[pane_id] = PaneModel(pane_id)
            return model

    def mark_dirty(self, pane_id: str) -> None:
        with self._lock:
            self._dirty.add(pane_id)
        self._wake_if_due(pane_id)

    def _wake_if_due(self, pane_id: str) -> None:
        if pane_id not in self._visible:
            return
        # Wake the mirror thread only if this pane is due before it would wake anyway:
        # a pane printing 100 times a second then costs 10 wake-ups, not 100, and the
        # panes of one capture group (due together) wake it once.
        due_at = self._last_capture.get(pane_id, 0.0) + self._interval(pane_id)
        if due_at < self._next_wake:
            self._wake.set()

    # -- control-mode callbacks --------------------------------------------------------
    def _on_activity(self, pane_id: str) -> None:
        """A pane printed (called on the output connection's reader: flags only). Its
        output is paused until it is captured (see output_switch)."""
        with self._lock:
            self._active.add(pane_id)
            self._dirty.add(pane_id)
            self._busy.printed(pane_id, time.monotonic())
            to_pause = self._switch.printed(pane_id)
        if pane_id in self._visible:
            self._wake_if_due(pane_id)
        elif to_pause and self._next_wake > time.monotonic() + self.other_interval:
            self._wake.set()  # nothing to capture: just pause it

    def take_active(self) -> set[str]:
        """Panes (visible or not) that printed something since the last call (a pane
        captured blind counts as printing: see _capture). Those nobody sees are
        continued, so that their next output is noticed too."""
        with self._lock:
            active, self._active = self._active, set()
            hidden = active - self._visible
            self._busy.forget(hidden)
        if hidden:
            self._send_switch(hidden)
        return active

    def _send_switch(self, resume: Collection[str] = ()) -> None:
        """Pause the panes that printed, and continue ``resume``, outside a capture."""
        commands = self._commands
        if commands is None:
            return
        with self._switch.lock:
            switch = self._switch_command(resume)
            if switch and not commands.send_nowait(*switch):
                self._switch.failed(switch)

    def _switch_command(self, resume: Collection[str]) -> list[str]:
        """With the switch's lock held: pause the panes that printed and are still
        dirty, continue ``resume`` (see OutputSwitch.command)."""
        client = self._output.client_name if self._output is not None else None
        with self._lock:
            printed = self._switch.take_printed(self._dirty)
        return self._switch.command(client, printed, resume)

    @property
    def paused(self) -> frozenset[str]:
        """Panes whose output tmux holds back from the mirror until their capture."""
        return frozenset(self._switch.paused)

    @property
    def pauses(self) -> int:
        return self._switch.pauses

    def _on_notification(self, name: str, _args: list[str]) -> None:
        if name == "connection-restored" and self._output is not None:
            with self._switch.lock:  # a new output client: every pane runs for it
                self._switch.sync(self._output.client_name)
            return
        if name.lstrip("%") in _LAYOUT_EVENTS:
            self._sizes_stale = True
            with self._lock:
                self._dirty |= self._visible
            self._wake.set()

    # -- the mirror thread -----------------------------------------------------------
    def _interval(self, pane_id: str) -> float:
        return self.focused_interval if pane_id == self._focused else self.other_interval

    def _due(self, now: float) -> tuple[list[str], float | None]:
        """The panes to capture now (no longer dirty), and when the next one is due
        (capture_schedule)."""
        with self._lock:
            ready = {
                pane_id: (self._last_capture.get(pane_id, 0.0) + interval, interval)
                for pane_id in self._dirty & self._visible
                for interval in (self._interval(pane_id),)
            }
            due, next_at = due_panes(ready, self._focused, now)
            self._dirty.difference_update(due)
        return due, next_at

    def _loop(self) -> None:
        next_at: float | None = None
        while not self._stop.is_set():
            now = time.monotonic()
            wake_at = next_at if next_at is not None else now + SIZE_REFRESH_S
            # The pane due first decides; panes dirtied meanwhile that are due no
            # earlier (its group) do not wake the thread (see mark_dirty).
            self._next_wake = wake_at
            self._wake.wait(timeout=max(0.0, wake_at - now))
            self._next_wake = math.inf  # awake: a pane dirtied now sets the event again
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                next_at = self._tick()
            except Exception:  # one bad capture must not freeze every tile
                self.errors += 1
                next_at = time.monotonic() + self.other_interval

    def _tick(self) -> float | None:
        """Capture the panes that are due; return when the next one is."""
        now = time.monotonic()
        if self._sizes_stale or now - self._sizes_at > SIZE_REFRESH_S:
            self._refresh_sizes(now)
        due, next_at = self._due(now)
        if any(pane_id not in self._sizes for pane_id in due) and self._sizes_at < now:
            self._refresh_sizes(now)  # a pane we have not seen yet
        unsized = {pane_id for pane_id in due if pane_id not in self._sizes}
        if unsized and self._sizes_stale:  # tmux did not answer: try them again, or a
            with self._lock:  # pane that printed once and went quiet stays blank
                self._dirty |= unsized
            next_at = min(next_at or math.inf, now + self.other_interval)
        self._blind_due = math.inf
        self._capture(due)
        if self._switch.pending:  # no capture took the switch along
            self._send_switch()
        if self._blind_due < (next_at or math.inf):
            next_at = self._blind_due
        return next_at

    def _refresh_sizes(self, now: float) -> None:
        if self._commands is None:
            return
        fmt = "#{pane_id} #{pane_width} #{pane_height}"
        try:
            lines = self._commands.command("list-panes", "-s", "-t", self.session, "-F", fmt)
        except AgentTuiError:
            self._sizes_stale = True
            return
        sizes = {}
        for line in lines:
            parts = line.split()
            if len(parts) == 3:
                sizes[parts[0]] = (int(parts[1]), int(parts[2]))
        self._sizes, self._sizes_at, self._sizes_stale = sizes, now, False
        with self._lock:
            # A pane on screen that was never captured (whatever lost its turn) is taken
            # now: a quiet one would otherwise stay blank until it printed again.
            self._dirty |= {p for p in self._visible & sizes.keys() if p not in self.capture_counts}
        with self._lock:  # forget panes that are gone (and no tile shows any more)
            gone = [p for p in self.models if p not in sizes and p not in self._visible]
            for pane_id in gone:
                del self.models[pane_id]
                self._last_capture.pop(pane_id, None)
                self._rows.forget(pane_id)

    def _capture(self, pane_ids: list[str], *, whole: bool = False) -> None:
        """Capture these panes (the part their views show, or ``whole``) and report the
        changed ones: the focused pane alone first (its tile waits for no other), then
        the rest in one batch of commands.

        A paused pane is continued before its capture, unless it is busy (busy_panes):
        then it is captured blind, and counts as dirty and active again at once."""
        commands = self._commands
        pane_ids = [pane_id for pane_id in pane_ids if pane_id in self._sizes]
        if commands is None or not pane_ids:
            return
        if pane_ids[0] == self._focused and len(pane_ids) > 1:
            self._capture([pane_ids.pop(0)])
        now = time.monotonic()
        due = {
            pane_id: (self._last_capture.get(pane_id, 0.0) + interval, interval)
            for pane_id in pane_ids
            for interval in (self._interval(pane_id),)
        }
        for pane_id in pane_ids:
            self._last_capture[pane_id] = now
        self.batches += 1
        firsts = [
            0 if whole else self._rows.first(p, self.models.get(p), self._sizes.get(p))
            for p in pane_ids
        ]
        batch = [
            ["capture-pane", "-p", "-e", "-N", *(["-S", str(first)] if first else []), "-t", pane]
            for pane, first in zip(pane_ids, firsts, strict=True)
        ]
        with self._switch.lock:  # continued before the capture: no output goes unseen
            with self._lock:
                printing = {p for p in pane_ids if self._switch.printing(p)}
                blind, held = self._busy.plan(due, printing, self._switch.paused)
                if self._focused in held:  # the focused tile is captured when it prints
                    blind.discard(self._focused)
                    held.discard(self._focused)
            switch = self._switch_command([p for p in pane_ids if p not in blind])
            try:
                sent = commands.send_batch([switch, *batch] if switch else batch)
            except AgentTuiError:  # the connection is gone: these panes are captured again
                self._switch.failed(switch)
                sent = None
        if sent is None:
            self._sizes_stale = True
            with self._lock:
                self._dirty.update(pane_ids)
            return
        replies = commands.batch_results([switch, *batch] if switch else batch, sent)
        if switch and isinstance(replies.pop(0), AgentTuiError):
            with self._switch.lock:
                self._switch.failed(switch)
        self._apply(pane_ids, firsts, replies, held, blind)

    def _apply(
        self,
        pane_ids: list[str],
        firsts: list[int],
        replies: list[list[str] | AgentTuiError],
        held: set[str],
        blind: set[str],
    ) -> None:
        """Apply captured panes to their models and report the changed ones; ``held``
        and ``blind`` as BusyPanes.plan found them."""
        changed: set[str] = set()
        reported_at = time.monotonic()
        moved_up: list[str] = []  # views that now start above what was captured
        for pane_id, first, lines in zip(pane_ids, firsts, replies, strict=True):
            if isinstance(lines, AgentTuiError):
                self._sizes_stale = True  # the pane is gone, most likely
                if isinstance(lines, (ConnectionLost, WaitTimeout)):
                    with self._lock:  # or the answer was lost: capture it again
                        self._dirty.add(pane_id)
                continue
            self.captures += 1
            self.capture_counts[pane_id] = self.capture_counts.get(pane_id, 0) + 1
            columns, height = self._sizes[pane_id]
            model = self.model(pane_id)
            if model.apply_capture(lines, columns, height, first):
                changed.add(pane_id)
            self._captured(pane_id, pane_id in changed, pane_id in held, pane_id in blind)
            if self._rows.moved_up(pane_id, model, self._sizes.get(pane_id), first):
                moved_up.append(pane_id)
            # A long batch (busy panes) neither holds back the tiles applied so far nor
            # the focused pane falling due meanwhile.
            now = time.monotonic()
            focused_due = len(pane_ids) > 1 and self._take_focused(now)
            if focused_due or now - reported_at > REPORT_S:
                self._report(changed)
                changed, reported_at = set(), now
            if focused_due and self._focused is not None:
                self._capture([self._focused])
        self._report(changed)
        if moved_up:  # what they show now depends on rows not captured: take them whole
            self._capture(moved_up, whole=True)

    def _captured(self, pane_id: str, changed: bool, held: bool, blind: bool) -> None:
        """Bookkeeping after a capture: is the pane busy; a blind one is presumed dirty."""
        with self._lock:
            self._busy.captured(pane_id, changed, held)
            if not blind:
                return
            self._dirty.add(pane_id)  # what it prints from now on is not announced
            self._active.add(pane_id)
        due_at = self._last_capture[pane_id] + self._interval(pane_id)
        self._blind_due = min(self._blind_due, due_at)

    def _take_focused(self, now: float) -> bool:
        """Whether the focused pane is dirty and due (then it is no longer dirty)."""
        focused = self._focused
        if focused is None or focused not in self._visible:
            return False
        ready_at = self._last_capture.get(focused, 0.0) + self.focused_interval
        with self._lock:
            if focused not in self._dirty or ready_at > now:
                return False
            self._dirty.discard(focused)
        return True

    def _report(self, changed: set[str]) -> None:
        if changed and self.on_update is not None:
            self.on_update(changed)
