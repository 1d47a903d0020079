"""The agenttui application: three screens (issues, agents, runs), help and a palette.

The app owns the shared state: the pane mirror (one per app, so tiles survive screen
switches) and the agent states, polled once a second (only panes that may have changed
are re-read); it announces agents that start waiting for a person. Screens own their
views. All I/O runs in thread workers or the mirror thread, which only post messages.
``build_app`` is the one factory used by the CLI and by the tests.
"""

from __future__ import annotations

import os

# Textual composes a frame at most TEXTUAL_FPS times a second (default 60): at 120 a key
# reaches the screen ~8 ms sooner on average. Read once when Textual is first imported,
# so it is set here, before that import (a user's own setting wins).
os.environ.setdefault("TEXTUAL_FPS", "120")

import asyncio
import gc
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, get_current_worker

from tui.host import Host
from tui.keymap import tui_settings
from tui.screens.agents import AgentsScreen
from tui.screens.help import HelpScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.run_log import RunLogScreen
from tui.screens.runs import RunsScreen
from tui.screens.triage import TriageScreen
from tui.services import Services
from widgets.glance_bar import Glance
from widgets.pane_tile import TileInfo
from workflows.agents.app_presence import AppPresence
from workflows.agents.notify import Waiting, waiting_what
from workflows.base.target import TmuxTarget
from workflows.runs.records import RunSummary
from workflows.tmux.mirror import Mirror

TILE_POLL_S = 1.0
RUNS_COUNT_S = 2.0
MIRROR_RETRY_S = 2.0
HEAP_FREEZE_AFTER_S = 3.0
HEAP_REFREEZE_S = 600.0
HEAP_REFREEZE_MIN_S = 30.0


class AgentTuiApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "agenttui"
    MODES: ClassVar[dict[str, Any]] = {
        "triage": TriageScreen,
        "agents": AgentsScreen,
        "runs": RunsScreen,
    }
    DEFAULT_MODE = "triage"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('triage')", "Issues", id="app.issues"),
        Binding("2", "switch_mode('agents')", "Agents", id="app.agents"),
        Binding("3", "switch_mode('runs')", "Runs", id="app.runs"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    tile_infos: reactive[list[TileInfo]] = reactive(list, init=False, always_update=False)
    """Every agent's tile state as last polled; tile screens watch it."""

    class TilesPolled(Message):
        def __init__(self, infos: list[TileInfo]) -> None:
            super().__init__()
            self.infos = infos

    class PanesChanged(Message):
        """The mirror updated some models; coalesced so a burst is one repaint."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, AgentTuiApp.PanesChanged)

    class MirrorReady(Message):
        pass

    class RunsCounted(Message):
        def __init__(self, runs: list[RunSummary]) -> None:
            super().__init__()
            self.runs = runs

    def __init__(
        self,
        services: Services,
        *,
        bell: bool = True,
        keymap: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        poll_tiles: bool = True,
        notify_command: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.ring_bell = bell
        self.notify_command = notify_command
        self.glance = Glance()
        """Counts shown on every screen's GlanceBar; ``glance_signal`` fires on a change."""
        self.glance_signal: Signal[Glance] = Signal(self, "glance")
        self.clock = clock
        self.panes_changed: Signal[set[str]] = Signal(self, "panes-changed")
        self._known_waiting: set[str] | None = None
        self._poll_tiles = poll_tiles
        self.mirror: Mirror | None = None
        self._changed: set[str] = set()
        self._changed_lock = threading.Lock()
        self._polled_mirror: Mirror | None = None
        self._presence: AppPresence | None = None
        self._heap_frozen_at = -HEAP_REFREEZE_MIN_S
        self.heap_freezing: bool | None = None
        """Freeze the heap (see freeze_heap); None: only in a real terminal, not in tests."""
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        if self._poll_tiles:  # it tells the person when an agent waits: runs need not
            self._presence = AppPresence(self.services.target)
            self.start_mirror()
            self.load_tiles()
            self.set_interval(TILE_POLL_S, self.load_tiles)
        self.count_runs()
        self.set_interval(RUNS_COUNT_S, self.count_runs)
        self.set_timer(HEAP_FREEZE_AFTER_S, self.freeze_heap)
        self.set_interval(HEAP_REFREEZE_S, self.freeze_heap)

    def freeze_heap(self) -> None:
        """Move long-lived objects (widgets, tiles, screen models) out of the garbage
        collector's reach. With many tiles its full passes otherwise stall the UI for
        30–180 ms at random; unfreezing and collecting first, now and then, still frees
        garbage among them (one short pause at a time of our choosing)."""
        enabled = self.heap_freezing if self.heap_freezing is not None else not self.is_headless
        now = time.monotonic()
        if not enabled or now - self._heap_frozen_at < HEAP_REFREEZE_MIN_S:
            return
        self._heap_frozen_at = now
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        if self._presence is not None:
            self._presence.close()
        if self.mirror is not None:
            self.mirror.close()
        self.services.close()

    # -- the mirror: every agent pane's screen, and which panes printed something -------
    @work(thread=True, exclusive=True, group="mirror")
    def start_mirror(self) -> None:
        """Connect the mirror; keep trying (tmux may be starting or busy) until it works."""
        worker = get_current_worker()
        told = False
        while not worker.is_cancelled:
            mirror = self.services.mirror(self._mirror_updated)
            try:
                mirror.start()
            except Exception as error:
                if not told:
                    told = True
                    self.call_from_thread(
                        self.notify, f"Cannot mirror panes yet: {error}", severity="warning"
                    )
                time.sleep(MIRROR_RETRY_S)
                continue
            if _cancelled(worker):  # the app closed meanwhile
                mirror.close()
                return
            self.mirror = mirror
            self.post_message(self.MirrorReady())
            return

    def _mirror_updated(self, pane_ids: set[str]) -> None:
        """Mirror thread: remember what changed, wake the UI once."""
        with self._changed_lock:
            self._changed |= pane_ids
        self.post_message(self.PanesChanged())

    def on_agent_tui_app_panes_changed(self, _message: PanesChanged) -> None:
        with self._changed_lock:
            changed, self._changed = self._changed, set()
        self.panes_changed.publish(changed)

    def on_agent_tui_app_mirror_ready(self, _message: MirrorReady) -> None:
        self.mutate_reactive(AgentTuiApp.tile_infos)  # the tiles get their pane models now

    # -- agent tiles (polled here so waiting agents are announced on every screen) -----
    @work(thread=True, exclusive=True, group="tiles")
    def load_tiles(self) -> None:
        """Read agent states. Only panes that printed something (the mirror's ``%output``),
        got a hook event, changed in tmux or reached a deadline are re-read: 100 idle agents
        cost one ``list-panes`` a second. Nothing is posted when nothing changed."""
        mirror = self.mirror
        dirty: set[str] | None = None
        if mirror is not None:
            dirty = mirror.take_active()
            if mirror is not self._polled_mirror:  # what printed before it started is unknown
                self._polled_mirror, dirty = mirror, None
        try:
            infos = self.services.tiles(dirty=dirty)
        except Exception as error:
            self.call_from_thread(self.notify, f"tmux: {error}", severity="error")
            return
        if infos != self.tile_infos or self._known_waiting is None:  # the first poll counts
            self.post_message(self.TilesPolled(infos))

    def on_agent_tui_app_tiles_polled(self, message: TilesPolled) -> None:
        self.tile_infos = message.infos
        waiting = {info.pane_id for info in message.infos if info.waiting}
        if self._known_waiting is not None:
            for info in message.infos:
                if info.pane_id in waiting - self._known_waiting:
                    self.announce_waiting(info)
        self._known_waiting = waiting
        self.set_glance(self.glance.with_agents(info.state for info in message.infos))

    # -- at a glance: counts on every screen ---------------------------------------------
    @work(thread=True, exclusive=True, group="count-runs")
    def count_runs(self) -> None:
        try:
            runs = self.services.runs()
        except Exception:  # the runs screen says what is wrong with the store
            return
        self.post_message(self.RunsCounted(runs))

    def on_agent_tui_app_runs_counted(self, message: RunsCounted) -> None:
        self.set_glance(self.glance.with_runs(message.runs))

    def set_glance(self, glance: Glance) -> None:
        if glance != self.glance:
            self.glance = glance
            self.glance_signal.publish(glance)

    def announce_waiting(self, info: TileInfo) -> None:
        what = waiting_what(info.detail, info.state)
        self.notify(f"{info.name} is waiting: {what}", title="Agent needs you", timeout=8)
        if self.ring_bell:
            self.bell()
        self.notify_outside(Waiting(info.name, info.state, str(what), info.run_id))

    @work(thread=True, group="notify-outside")
    def notify_outside(self, waiting: Waiting) -> None:
        """The person's notification command ([tui] notify_command), off the UI loop."""
        try:
            self.services.notify_waiting(self.notify_command, waiting)
        except Exception as error:
            self.call_from_thread(self.notify, f"notification: {error}", severity="warning")

    # -- helpers for screens -----------------------------------------------------------
    def run_external(self, argv: Sequence[str]) -> int:
        """Run an interactive command (attach) with the terminal handed over to it."""
        from textual.app import SuspendNotSupported

        env = {key: value for key, value in os.environ.items() if key != "TMUX"}  # no nesting
        try:
            with self.suspend():
                return subprocess.call(list(argv), env=env)
        except SuspendNotSupported:  # headless (tests) or a web driver
            return subprocess.call(list(argv), stdin=subprocess.DEVNULL, env=env)

    def open_run_log(self, run_id: str) -> None:
        self.push_screen(RunLogScreen(run_id, self.services.run_log(run_id)))

    def open_run_detail(self, run_id: str) -> None:
        self.push_screen(RunDetailScreen(run_id))

    async def action_quit(self) -> None:
        """Quit; inside tmux the person lands where they were first (``tui.leave``)."""
        try:
            await asyncio.to_thread(self.services.return_person)
        finally:
            self.exit()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key action that applies right now is also a palette command (once: the
        ones Textual offers itself, such as Quit, are not repeated)."""
        builtin = list(super().get_system_commands(screen))
        seen = {command.title.casefold() for command in builtin}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            title = binding.description
            if not active.enabled or not title or title.casefold() in seen:
                continue
            seen.add(title.casefold())
            yield SystemCommand(
                title,
                f"key: {self.get_key_display(binding)} ({key})",
                partial(self.run_action, binding.action, active.node),
            )
        yield from builtin


def build_app(
    target: TmuxTarget,
    *,
    attach_command: Sequence[str] | None = None,
    clock: Callable[[], float] = time.time,
    poll_tiles: bool = True,
) -> AgentTuiApp:
    """The app for the CLI and the tests; settings come from the config's ``[tui]`` table."""
    settings = tui_settings()
    services = Services(target, attach_command=attach_command)
    return AgentTuiApp(
        services,
        bell=settings.bell,
        keymap=settings.keys,
        clock=clock,
        poll_tiles=poll_tiles,
        notify_command=settings.notify_command,
    )


def _cancelled(worker: Worker[None]) -> bool:
    """Asked again after a blocking call (mypy would take the loop's test as still true)."""
    return worker.is_cancelled


def _conforms(app: AgentTuiApp) -> Host:
    return app  # mypy checks here that the app offers the screens what tui/host.py names
