"""The panes of several tmux targets, mirrored: this machine's and each host's with agents.

Pane ids are only unique within one tmux server, so two hosts' ``%3`` are told apart by a
pane key: the pane id itself here (the local path is unchanged), ``HOST:%3`` on a host
(``pane_key``/``split_key``). Each target has its own :class:`Mirror` over that target's
one control-mode connection (a host's: ``ssh HOST tmux -C`` on its shared ssh connection);
this set routes what the UI says by key to the right mirror and reports changes by key.
A mirror reconnects by itself when its host comes back (``control.py``); ``refresh`` has
the panes shown captured again, since what they printed meanwhile was never seen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

from workflows.tmux.mirror import Mirror
from workflows.tmux.mirror_screen import PaneModel

LOCAL = ""
"""The host name of this machine's target."""


def pane_key(host: str, pane_id: str) -> str:
    """The pane's key among all targets (``%3`` here, ``HOST:%3`` on a host)."""
    return f"{host}:{pane_id}" if host else pane_id


def split_key(key: str) -> tuple[str, str]:
    """(host, pane id) of a pane key (a pane id never holds ``:``; a host name may)."""
    host, _, pane_id = key.rpartition(":")
    return host, pane_id


class MirrorSet:
    """Host name (``LOCAL`` for this machine) → its started :class:`Mirror`."""

    def __init__(self, on_update: Callable[[set[str]], None]) -> None:
        self.on_update = on_update
        self._mirrors: dict[str, Mirror] = {}
        self._lock = threading.Lock()

    def updates_for(self, host: str) -> Callable[[set[str]], None]:
        """The ``on_update`` for ``host``'s mirror: its pane ids reported as keys."""
        if not host:
            return self.on_update
        return lambda pane_ids: self.on_update({pane_key(host, pane) for pane in pane_ids})

    def add(self, host: str, mirror: Mirror) -> None:
        """A started mirror for ``host`` (made with ``updates_for(host)``)."""
        with self._lock:
            self._mirrors[host] = mirror

    def get(self, host: str) -> Mirror | None:
        return self._mirrors.get(host)

    def remove(self, host: str) -> Mirror | None:
        """Take ``host``'s mirror out (the caller closes it)."""
        with self._lock:
            return self._mirrors.pop(host, None)

    @property
    def hosts(self) -> list[str]:
        return list(self._mirrors)

    def mirrored(self, key: str) -> PaneModel | None:
        """The pane's model in its host's mirror; None while that host has no mirror."""
        host, pane_id = split_key(key)
        mirror = self._mirrors.get(host)
        return mirror.model(pane_id) if mirror is not None else None

    def model(self, key: str) -> PaneModel:
        """The pane's model, or an empty one until its host's mirror runs."""
        return self.mirrored(key) or PaneModel(split_key(key)[1])

    def set_visible(
        self,
        keys: Iterable[str],
        focused: str | None = None,
        rows: Mapping[str, int] | None = None,
    ) -> None:
        """``Mirror.set_visible`` for every mirror, with the panes of its host."""
        by_host: dict[str, list[str]] = {}
        for key in keys:
            host, pane_id = split_key(key)
            by_host.setdefault(host, []).append(pane_id)
        focus_host, focus_pane = split_key(focused) if focused else (None, None)
        for host, mirror in list(self._mirrors.items()):
            panes = by_host.get(host, [])
            heights = None
            if rows is not None:
                keyed = ((pane, pane_key(host, pane)) for pane in panes)
                heights = {pane: rows[key] for pane, key in keyed if key in rows}
            mirror.set_visible(panes, focus_pane if focus_host == host else None, heights)

    def refresh(self, host: str, pane_ids: Iterable[str]) -> None:
        """Capture these panes of ``host`` again (its connection came back: what they
        printed meanwhile was never seen, and a quiet pane would not print again)."""
        mirror = self._mirrors.get(host)
        if mirror is not None:
            for pane_id in pane_ids:
                mirror.mark_dirty(pane_id)

    def close(self) -> None:
        with self._lock:
            mirrors, self._mirrors = list(self._mirrors.values()), {}
        for mirror in mirrors:
            mirror.close()
