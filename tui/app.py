"""The agenttui application: three screens (issues, agents, runs), help and a palette.

The app owns the shared state: the pane mirrors (one per app and tmux target, so tiles
survive screen switches) and the agent states, polled once a second (only panes that may
have changed are re-read); it announces agents that start waiting for a person. Besides
this machine's tmux it watches each configured host that has agents (``host_agents``):
that host's tiles are polled in a worker of their own, so a slow or dropped host never
holds up the others, and shown "unreachable" with ssh's reason until it answers again.
Screens own their views. All I/O runs in thread workers or the mirror threads, which only
post messages. ``build_app`` is the one factory used by the CLI and by the tests.
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
from dataclasses import replace
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
from workflows.tmux.mirror_set import LOCAL, MirrorSet

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
        def __init__(self, infos: list[TileInfo], host: str = LOCAL, error: str = "") -> None:
            super().__init__()
            self.infos = infos
            self.host = host
            self.error = error
            """Why ``host`` could not be polled (its last tiles are shown unreachable)."""

    class HostsFound(Message):
        def __init__(self, hosts: list[str]) -> None:
            super().__init__()
            self.hosts = hosts

    class PanesChanged(Message):
        """The mirror updated some models; coalesced so a burst is one repaint."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, AgentTuiApp.PanesChanged)

    class MirrorReady(Message):
        def __init__(self, host: str = LOCAL) -> None:
            super().__init__()
            self.host = host

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
        self.mirrors = MirrorSet(self._mirror_updated)
        """One mirror per tmux target with tiles: here, and each host with agents."""
        self._changed: set[str] = set()
        self._changed_lock = threading.Lock()
        self._presence: AppPresence | None = None
        self._host_presence: dict[str, AppPresence] = {}  # hosts whose agents it shows
        self._polled_mirrors: dict[str, Mirror] = {}
        self._tiles_by_host: dict[str, list[TileInfo]] = {}
        self._hosts_polling: set[str] = set()
        self._mirrors_starting: set[str] = set()
        self._unreachable: set[str] = set()
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
        for presence in [self._presence, *self._host_presence.values()]:
            if presence is not None:
                presence.close()
        self.mirrors.close()
        self.services.close()

    @property
    def mirror(self) -> Mirror | None:
        """This machine's mirror (once it runs)."""
        return self.mirrors.get(LOCAL)

    # -- the mirrors: every agent pane's screen, and which panes printed something ------
    def start_mirror(self, host: str = LOCAL) -> None:
        """Start ``host``'s mirror (``LOCAL``: this machine's) unless it runs or starts."""
        if host in self._mirrors_starting or self.mirrors.get(host) is not None:
            return
        self._mirrors_starting.add(host)
        self.run_worker(
            partial(self._connect_mirror, host),
            thread=True,
            group=f"mirror:{host}",
            name=f"mirror {host or 'here'}",
        )

    def _connect_mirror(self, host: str) -> None:
        """Connect the mirror; keep trying (tmux may be starting or busy, a host down)
        until it works."""
        worker = get_current_worker()
        told = False
        where = f" on host {host}" if host else ""
        while not worker.is_cancelled:
            mirror = self.services.mirror(self.mirrors.updates_for(host), host)
            try:
                mirror.start()
            except Exception as error:
                if not told:
                    told = True
                    self.call_from_thread(
                        self.notify, f"Cannot mirror panes{where} yet: {error}", severity="warning"
                    )
                time.sleep(MIRROR_RETRY_S)
                continue
            if _cancelled(worker):  # the app closed meanwhile
                mirror.close()
                return
            self.mirrors.add(host, mirror)
            self.post_message(self.MirrorReady(host))
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

    def on_agent_tui_app_mirror_ready(self, message: MirrorReady) -> None:
        self._mirrors_starting.discard(message.host)
        self.mutate_reactive(AgentTuiApp.tile_infos)  # the tiles get their pane models now

    # -- agent tiles (polled here so waiting agents are announced on every screen) -----
    def load_tiles(self) -> None:
        """Poll agent states now: this machine's, and each host's that has agents."""
        self.load_local_tiles()
        self.find_hosts()

    @work(thread=True, exclusive=True, group="tiles")
    def load_local_tiles(self) -> None:
        """Read agent states. Only panes that printed something (the mirror's ``%output``),
        got a hook event, changed in tmux or reached a deadline are re-read: 100 idle agents
        cost one ``list-panes`` a second. Nothing is posted when nothing changed."""
        mirror = self.mirror
        dirty: set[str] | None = None
        if mirror is not None:
            dirty = mirror.take_active()
            if mirror is not self._polled_mirrors.get(LOCAL):  # what printed before it
                self._polled_mirrors[LOCAL], dirty = mirror, None  # started is unknown
        try:
            infos = self.services.tiles(dirty=dirty)
        except Exception as error:
            self.call_from_thread(self.notify, f"tmux: {error}", severity="error")
            return
        known = self._tiles_by_host.get(LOCAL)
        if infos != known or self._known_waiting is None:  # the first poll counts
            self.post_message(self.TilesPolled(infos))

    @work(thread=True, exclusive=True, group="hosts")
    def find_hosts(self) -> None:
        """Which hosts have agents (the store says; nothing is asked of a host)."""
        try:
            hosts = self.services.hosts_with_agents()
        except Exception as error:  # a broken [hosts] table: said once per change
            self.call_from_thread(self.notify, f"hosts: {error}", severity="error")
            return
        if hosts or self._tiles_by_host.keys() - {LOCAL}:
            self.post_message(self.HostsFound(hosts))

    def on_agent_tui_app_hosts_found(self, message: HostsFound) -> None:
        for host in message.hosts:
            if host not in self._hosts_polling:  # a host still answering is not asked twice
                self._hosts_polling.add(host)
                self.run_worker(partial(self._poll_host, host), thread=True, group=f"tiles:{host}")
        for gone in self._tiles_by_host.keys() - {LOCAL, *message.hosts}:
            self.post_message(self.TilesPolled([], gone))  # forgotten (no agent left there)

    def _poll_host(self, host: str) -> None:
        """One host's tiles (a worker per host); a host seen without agents is forgotten
        and its mirror closed."""
        started = time.time()
        infos: list[TileInfo] = []
        error = ""
        try:
            mirror = self.mirrors.get(host)
            dirty = mirror.take_active() if mirror is not None else None
            if mirror is not self._polled_mirrors.get(host):
                dirty = None  # what printed before it started is unknown
                if mirror is not None:
                    self._polled_mirrors[host] = mirror
            infos = self.services.tiles(dirty=dirty, host=host)
            if not infos:
                self.services.forget_host(host, started)
                closed = self.mirrors.remove(host)
                if closed is not None:
                    closed.close()
        except Exception as failure:  # the host dropped: ssh's reason, shown on its tiles
            error = str(failure) or type(failure).__name__
        finally:
            self.post_message(self.TilesPolled(infos, host, error))

    def on_agent_tui_app_tiles_polled(self, message: TilesPolled) -> None:
        host = message.host
        infos = message.infos
        if host:
            self._hosts_polling.discard(host)
            before = self._tiles_by_host.get(host, [])
            if message.error:  # the last known tiles stay, marked with the reason
                # None known (down since the app started): one tile says so for its agents.
                known = before or [TileInfo(pane_id="", name="agents", host=host)]
                infos = [replace(info, unreachable=message.error) for info in known]
                if host not in self._unreachable:
                    self._unreachable.add(host)
                    self.notify(f"host {host}: {message.error}", severity="warning", timeout=8)
            else:
                if host in self._unreachable:  # back: its panes are captured again
                    self._unreachable.discard(host)
                    self.mirrors.refresh(host, [info.pane_id for info in infos])
                    self.notify(f"host {host} is reachable again")
                if infos:
                    self.start_mirror(host)
                    if host not in self._host_presence:  # its runs need not tell the person
                        self._host_presence[host] = AppPresence(self.services.target_for(host))
        self._tiles_by_host[host] = infos
        if not infos and host:
            del self._tiles_by_host[host]
            presence = self._host_presence.pop(host, None)
            if presence is not None:
                presence.close()
        every = [info for tiles in self._tiles_by_host.values() for info in tiles]
        if host:  # several targets: one order for all (a run's agents together)
            every.sort(key=lambda info: (info.run_id, info.name, info.host))
        if every == self.tile_infos and self._known_waiting is not None:
            return
        self.tile_infos = every
        waiting = {info.key for info in every if info.waiting}
        if self._known_waiting is not None:
            for info in every:
                if info.key in waiting - self._known_waiting:
                    self.announce_waiting(info)
        self._known_waiting = waiting
        self.set_glance(self.glance.with_agents(info.state for info in every))

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
