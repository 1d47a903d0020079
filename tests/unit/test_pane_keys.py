"""Pane keys: two hosts' (or a host's and this machine's) ``%3`` are different tiles."""

from __future__ import annotations

import re

from widgets.pane_tile import TileInfo, tile_id
from workflows.tmux.mirror_set import pane_key, split_key

HOSTS = ["", "remote", "a.b", "a_b", "a-b", "gpu:1", "ü"]


def test_a_pane_key_names_the_host_and_comes_apart_again() -> None:
    assert pane_key("", "%3") == "%3"  # this machine's keys are its pane ids, as before
    assert pane_key("remote", "%3") == "remote:%3"
    for host in HOSTS:
        assert split_key(pane_key(host, "%3")) == (host, "%3")
    assert len({pane_key(host, "%3") for host in HOSTS}) == len(HOSTS)


def test_tiles_of_the_same_pane_id_on_different_hosts_never_share_a_widget_id() -> None:
    ids = [tile_id(TileInfo(pane_id="%3", name="x", host=host).key) for host in HOSTS]
    assert ids[0] == "tile-3"
    assert len(set(ids)) == len(HOSTS)
    assert all(re.fullmatch(r"[A-Za-z_-][A-Za-z0-9_-]*", each) for each in ids), ids
    assert tile_id(pane_key("remote", "%31")) != tile_id(pane_key("remote", "%3"))


def test_a_tile_of_an_unreachable_host_is_not_waiting_for_a_person() -> None:
    asking = TileInfo(pane_id="%3", name="x", host="remote", state="awaiting_approval")  # type: ignore[arg-type]
    assert asking.waiting
    assert not TileInfo(**{**asking.__dict__, "unreachable": "Connection refused"}).waiting
