"""The mirror thread is woken when what the tiles show changes, not when the screens
re-tell it the same picture (they do so every second)."""

from __future__ import annotations

from workflows.base.target import TmuxTarget
from workflows.tmux.mirror import Mirror


def woken(mirror: Mirror) -> bool:
    was = mirror._wake.is_set()
    mirror._wake.clear()
    return was


def test_the_same_visible_panes_again_do_not_wake_the_mirror_thread() -> None:
    mirror = Mirror(TmuxTarget("agenttui-never-started", "s"))  # no thread, no tmux
    mirror.set_visible(["%1", "%2"], "%1", {"%1": 5, "%2": 5})
    assert woken(mirror)
    for _ in range(3):
        mirror.set_visible(["%2", "%1"], "%1", {"%2": 5, "%1": 5})
        assert not woken(mirror)
    mirror.set_visible(["%1", "%2"], "%2", {"%1": 5, "%2": 5})  # the focus moved
    assert woken(mirror)
    mirror.set_visible(["%1", "%2"], "%2", {"%1": 5, "%2": 7})  # a taller tile
    assert woken(mirror)
    mirror.set_visible(["%1"], "%2", {"%1": 5})  # one scrolled away
    assert woken(mirror)
    mirror.set_visible(["%1", "%3"], "%2", {"%1": 5, "%3": 5})  # one scrolled in
    assert woken(mirror)
    mirror.set_visible(["%1", "%3"], "%2", {"%1": 5, "%3": 5})
    assert not woken(mirror)
