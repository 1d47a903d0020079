"""Agent states of every pane in a session, re-classified only when something changed.

``observe.read_state`` reads one pane from scratch (capture, tmux formats, hook events). A
poller that calls it for 100 panes every second spends its time, and the GIL, on panes
that did nothing. This one lists all panes in one round trip per poll and asks the store
once which panes got hook events since the last poll; a pane is re-classified (capture,
its hook events, :func:`classifier.classify` — the same inputs ``read_state`` gathers) only
when:

- its screen may have changed: the caller's ``dirty`` panes (the control connection's
  ``%output``), or everything when the caller cannot tell;
- a hook event arrived for it;
- anything tmux reports about it changed (dead, exit status, title, size, command…);
- a deadline passed: the reading's own ``recheck_in`` (quiet time adding up to idle or
  blocked, a permission hook's budget running out) or the grace period of a fresh hook
  (the inputs of ``classify`` that age);
- its profile file changed (profiles are re-read every ``PROFILE_RELOAD_S``);
- it has not been read for about ``sweep_s`` (a safety sweep: a ``%output`` lost while the
  control connection reconnected must not leave a pane's state stale for ever). Each pane's
  sweep time is spread over 0.75–1.25 × ``sweep_s`` by its id, so 100 panes do not all
  re-read in the same poll.

An idle pane then costs one line of ``list-panes`` per poll, and one read per sweep.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.agents.classifier import HOOK_GRACE_S, classify
from workflows.agents.hooks import open_events, recent_events
from workflows.agents.observe import (
    GENERIC,
    default_store,
    read_state,
    screen_digest,
    server_for,
)
from workflows.agents.profiles import Profile
from workflows.agents.settings import load_profile
from workflows.agents.state import AgentState, HookEvent, StateReading
from workflows.base.errors import AgentTuiError

if TYPE_CHECKING:
    from workflows.base.store import Store
    from workflows.tmux.driver import PaneInfo, TmuxDriver

PROFILE_RELOAD_S = 10.0
SWEEP_S = 30.0
ACTIVITY_FORMAT = "#{pane_id} #{window_activity}"


@dataclass
class _Tracked:
    pane: PaneInfo
    reading: StateReading
    digest: str
    changed_at: float
    """When the screen last changed as far as we know (unix time)."""
    recheck_at: float
    """Re-classify at this time even if nothing else happens (``inf``: never)."""


class StatePoller:
    """``poll()`` returns ``(pane, reading)`` for every agent pane (named or with a profile).

    Thread-safe (one poll at a time). ``classified`` and ``reads`` count re-classifications
    (tests and benchmarks check that idle panes cost none between sweeps).
    """

    def __init__(
        self, driver: TmuxDriver, *, store: Store | None = None, sweep_s: float = SWEEP_S
    ) -> None:
        self.driver = driver
        self._store = store
        self.sweep_s = sweep_s
        self._tracked: dict[str, _Tracked] = {}
        self._profiles: dict[str, Profile] = {}
        self._profiles_at = -math.inf
        self._pending: set[str] | None = None  # dirty panes not yet classified; None: all
        self._last_event_id: int | None = None
        self._lock = threading.Lock()
        self.reads: Counter[str] = Counter()
        """Re-classifications per pane id."""

    @property
    def classified(self) -> int:
        """Re-classifications of all panes."""
        return self.reads.total()

    @property
    def store(self) -> Store:
        return self._store if self._store is not None else default_store()

    def poll(self, dirty: Iterable[str] | None = None) -> list[tuple[PaneInfo, StateReading]]:
        """All agent panes with their states; ``dirty`` as in the module docstring."""
        with self._lock:
            if dirty is None:
                self._pending = None
            elif self._pending is not None:
                self._pending |= set(dirty)
            result = self._poll()
            self._pending = set()  # only once the poll went through
            return result

    def _poll(self) -> list[tuple[PaneInfo, StateReading]]:
        now = time.time()
        panes = [pane for pane in self.driver.panes() if pane.name or pane.agent]
        changed_kinds = self._reload_profiles(now, {pane.agent for pane in panes})
        hooked = self._hooked_panes()
        live = {pane.pane_id for pane in panes}
        for gone in [pane_id for pane_id in self._tracked if pane_id not in live]:
            del self._tracked[gone]
        fresh = [pane.pane_id for pane in panes if pane.pane_id not in self._tracked]
        activity = self._window_activity() if fresh else {}
        result = []
        for pane in panes:
            tracked = self._tracked.get(pane.pane_id)
            if (
                tracked is None
                or self._pending is None
                or pane.pane_id in self._pending
                or pane.pane_id in hooked
                or pane.agent in changed_kinds
                or now >= tracked.recheck_at
                or pane != tracked.pane
            ):
                time.sleep(0)  # let the UI thread in between panes (this runs in a worker)
                try:
                    tracked = self._classify(pane, tracked, activity, now)
                except Exception as error:  # a pane that vanished mid-read
                    reading = StateReading(AgentState.UNKNOWN, {"error": str(error)}, "tmux")
                    tracked = _Tracked(pane, reading, "", now, now)  # try again next poll
                self._tracked[pane.pane_id] = tracked
            result.append((tracked.pane, tracked.reading))
        return result

    # -- what changed since the last poll ---------------------------------------------
    def _reload_profiles(self, now: float, kinds: set[str]) -> set[str]:
        """Profiles by agent kind, re-read now and then; the kinds whose profile changed."""
        missing = kinds - set(self._profiles)
        if now - self._profiles_at < PROFILE_RELOAD_S and not missing:
            return set()
        if now - self._profiles_at >= PROFILE_RELOAD_S:
            self._profiles_at = now
            missing = kinds
        changed = set()
        for kind in missing:
            profile = _load(kind)
            if kind in self._profiles and self._profiles[kind] != profile:
                changed.add(kind)
            self._profiles[kind] = profile
        return changed

    def _hooked_panes(self) -> set[str]:
        """Panes with hook events recorded since the last poll (one query for all)."""
        conn = open_events(self.store).connection()
        if self._last_event_id is None:
            row = conn.execute("SELECT MAX(id) FROM agent_events").fetchone()
            self._last_event_id = int(row[0] or 0)
            return set()
        rows = conn.execute(
            "SELECT pane_id, MAX(id) FROM agent_events WHERE id > ? GROUP BY pane_id",
            (self._last_event_id,),
        ).fetchall()
        if rows:
            self._last_event_id = max(int(row[1]) for row in rows)
        return {str(row[0]) for row in rows}

    def _window_activity(self) -> dict[str, float]:
        """Last activity of every pane's window (for panes seen for the first time)."""
        session = f"={self.driver.session}"
        try:
            lines = self.driver.command("list-panes", "-s", "-t", session, "-F", ACTIVITY_FORMAT)
        except Exception:
            return {}
        activity = {}
        for line in lines:
            pane_id, _, value = line.partition(" ")
            if value.isdigit():
                activity[pane_id] = float(value)
        return activity

    # -- one pane ----------------------------------------------------------------------
    def _classify(
        self, pane: PaneInfo, tracked: _Tracked | None, activity: dict[str, float], now: float
    ) -> _Tracked:
        self.reads[pane.pane_id] += 1
        profile = self._profiles.get(pane.agent) or _load(pane.agent)
        if pane.dead:
            if pane.dead_status is None and pane.dead_signal is None:
                # Not reaped yet: read_state waits for tmux to learn the status.
                return _Tracked(pane, read_state(self.driver, pane, profile=profile), "", now, now)
            reading = classify(
                profile, [], pane.title, [], 0.0,
                dead=True, dead_status=pane.dead_status, dead_signal=pane.dead_signal,
            )  # fmt: skip
            return _Tracked(pane, reading, "", now, math.inf)
        lines = self.driver.capture(pane.pane_id)
        digest = screen_digest(profile, lines)
        if tracked is not None and tracked.digest == digest:
            changed_at = tracked.changed_at
        elif tracked is not None and tracked.digest:
            changed_at = now
        else:  # first sight: the window's last activity (one-second resolution)
            changed_at = min(now, activity.get(pane.pane_id, now))
        server = server_for(self.driver, pane.pane_id)
        events = recent_events(self.store, pane_id=pane.pane_id, server=server, now=now)
        idle_seconds = max(0.0, now - changed_at)
        reading = classify(profile, lines, pane.title, events, idle_seconds)
        recheck_at = min(
            _recheck_at(reading, events, now),
            now + self.sweep_s * _spread(pane.pane_id),
        )
        return _Tracked(pane, reading, digest, changed_at, recheck_at)


def _recheck_at(reading: StateReading, events: list[HookEvent], now: float) -> float:
    """When the same inputs would classify differently by age alone."""
    at = math.inf if reading.recheck_in is None else now + max(0.0, reading.recheck_in)
    fresh = [event.age_s for event in events if event.age_s < HOOK_GRACE_S]
    if fresh:
        at = min(at, now + HOOK_GRACE_S - min(fresh))
    return at


def _spread(pane_id: str) -> float:
    """A factor in [0.75, 1.25) fixed per pane, to stagger the panes' sweeps."""
    digest = hashlib.blake2b(pane_id.encode(), digest_size=2).digest()
    return 0.75 + int.from_bytes(digest, "big") / 65536 / 2


def _load(kind: str) -> Profile:
    """The profile of an agent kind, as ``observe.profile_for`` picks it for a pane."""
    if not kind:
        return GENERIC
    try:
        return load_profile(kind)
    except AgentTuiError:
        return GENERIC
