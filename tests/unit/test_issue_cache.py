"""The issue cache: instant load of the last list, refresh, details kept across refreshes."""

from __future__ import annotations

from pathlib import Path

from tests.support.linear_server import LinearServer
from workflows.base.store import Store
from workflows.issues.cache import IssueCache, cache_key
from workflows.issues.linear import LinearSource
from workflows.issues.local import LocalSource
from workflows.issues.model import IssueFilters


def test_load_is_empty_then_returns_the_last_refresh() -> None:
    source = LocalSource()
    cache = IssueCache()
    assert cache.load(cache_key(source)) == []
    assert cache.refreshed_at(cache_key(source)) is None
    fresh = cache.refresh(source)
    again = IssueCache(Store()).load(cache_key(source))  # another process, same store
    assert [i.identifier for i in again] == [i.identifier for i in fresh]
    assert again[0] == fresh[0]
    assert cache.refreshed_at(cache_key(source)) is not None


def test_details_survive_a_slim_refresh_and_updates_merge(linear_server: LinearServer) -> None:
    source = LinearSource(url=linear_server.url)
    cache = IssueCache()
    key = cache_key(source)
    assert key == f"linear:{linear_server.url}"
    cache.refresh(source)
    cache.store_detail(key, source.get_issue("ENG-3"))
    cache.refresh(source)  # slim listing, ENG-3 unchanged
    [epic] = [i for i in cache.load(key) if i.identifier == "ENG-3"]
    assert epic.detailed and sorted(epic.children) == ["ENG-4", "ENG-5"]

    source.comment("ENG-3", "changes updatedAt")
    order = [i.identifier for i in cache.load(key)]
    updated = cache.refresh(source, IssueFilters(updated_since="-PT1H"))
    assert [i.identifier for i in updated] == ["ENG-3"]  # what the filter matched, only
    merged = cache.load(key)
    assert merged[0].identifier == "ENG-3" and not merged[0].detailed  # newer: slim wins
    assert len(merged) == 12  # merged into the full list, nothing lost
    rest = [identifier for identifier in order if identifier != "ENG-3"]
    assert [i.identifier for i in merged[1:]] == rest  # unchanged ones keep their order


def test_a_filtered_listing_returns_only_its_issues_whatever_the_cache_holds() -> None:
    source = LocalSource()
    cache = IssueCache()
    everything = cache.refresh(source)
    bugs = cache.refresh(source, IssueFilters(labels=["bug"]))
    assert bugs and len(bugs) < len(everything)
    assert all("bug" in issue.labels for issue in bugs)
    assert [i.identifier for i in cache.load(cache_key(source))] == [
        i.identifier for i in everything
    ]  # the cache still holds every issue, in its order


def test_cache_never_holds_the_key(linear_server: LinearServer, tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite3")
    IssueCache(store).refresh(LinearSource(url=linear_server.url))
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("cache.sqlite3*"))
    assert raw and linear_server.api_key.encode() not in raw


def test_with_details_fetches_only_what_is_missing(linear_server: LinearServer) -> None:
    source = LinearSource(url=linear_server.url)
    cache = IssueCache()
    listed = {i.identifier: i for i in cache.refresh(source)}
    already = source.get_issue("ENG-4")
    before = len(linear_server.operations("issue"))
    detailed = cache.with_details(source, [listed["ENG-3"], already, listed["OPS-2"]])
    assert [i.identifier for i in detailed] == ["ENG-3", "ENG-4", "OPS-2"]
    assert all(i.detailed for i in detailed)
    fetched = [op.variables["id"] for op in linear_server.operations("issue")[before:]]
    assert fetched == ["ENG-3", "OPS-2"]
    assert [(r.type, r.issue) for r in detailed[2].relations] == [("blocks", "OPS-1")]
    [cached] = [i for i in cache.load(cache_key(source)) if i.identifier == "OPS-2"]
    assert cached.detailed
