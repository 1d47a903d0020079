"""Event-driven state watching: re-classify a pane as soon as it prints.

A control connection (``tmux -C``) tells us which panes produced output; only those are
captured and classified, at once, so a dialog is reported within one capture of appearing
instead of one polling period later. A slow ``tick`` re-reads every pane anyway, for what
output cannot announce: quiescence, hook events, a pane that died.

    watcher = StateWatcher(driver, on_change=lambda pane, reading: ...)
    watcher.start() … watcher.close()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from workflows.agents.observe import default_store, read_state
from workflows.agents.state import StateReading
from workflows.base.store import Store
from workflows.tmux.control import ControlConnection

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

OnChange = Callable[["PaneInfo", StateReading], None]


class StateWatcher:
    def __init__(
        self,
        driver: TmuxDriver,
        *,
        on_change: OnChange,
        tick: float = 0.5,
        store: Store | None = None,
        panes: set[str] | None = None,
    ) -> None:
        self.driver = driver
        self.on_change = on_change
        self.tick = tick
        self.store = store or default_store()
        self.only = panes
        self._dirty: set[str] = set()
        self._wake = threading.Condition()
        self._last: dict[str, tuple[str, str]] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="state-watcher", daemon=True)
        self._output: ControlConnection | None = None

    def start(self) -> StateWatcher:
        self.driver.ensure_session()
        self._output = ControlConnection(self.driver.target, on_output=self._on_output)
        self._thread.start()
        return self

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._output is not None:
            self._output.close()
        self._thread.join(timeout=5)

    def _on_output(self, pane_id: str, _text: str) -> None:
        if self.only is not None and pane_id not in self.only:
            return
        with self._wake:
            self._dirty.add(pane_id)
            self._wake.notify()

    def _loop(self) -> None:
        next_sweep = time.monotonic()
        while True:
            with self._wake:
                timeout = max(0.0, next_sweep - time.monotonic())
                if not self._dirty and not self._closed:
                    self._wake.wait(timeout)
                if self._closed:
                    return
                dirty, self._dirty = self._dirty, set()
            sweep = time.monotonic() >= next_sweep
            if sweep:
                next_sweep = time.monotonic() + self.tick
            try:
                self._classify(dirty, sweep)
            except Exception:  # a pane vanished mid-read; the next sweep sees the truth
                continue

    def _classify(self, dirty: set[str], sweep: bool) -> None:
        panes = self.driver.panes()
        for pane in panes:
            if self.only is not None and pane.pane_id not in self.only:
                continue
            if not sweep and pane.pane_id not in dirty:
                continue
            reading = read_state(self.driver, pane, store=self.store)
            detail = {k: v for k, v in reading.detail.items() if k != "idle_seconds"}
            key = (reading.state.value, repr(sorted(detail.items())))
            if self._last.get(pane.pane_id) != key:
                self._last[pane.pane_id] = key
                self.on_change(pane, reading)
