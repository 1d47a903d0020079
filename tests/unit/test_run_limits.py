"""``[runs]`` limits (issue 15 item 1): read from config.toml, and which limit keeps a queued
run waiting beside the runs at work."""

from __future__ import annotations

import time

import pytest

from tests.support.environment import write_config
from workflows.agents.usage_limits import record_limit
from workflows.base.config import ConfigError
from workflows.runs.queue import Limits, admit
from workflows.runs.run_store import RunStore


def make(runs: RunStore, repo: str, *agents: str, status: str = "queued") -> str:
    params = {"repo": repo, "agents": {f"s{n}": name for n, name in enumerate(agents)}}
    return runs.create("w", {"steps": []}, ["ENG-1"], params, status=status).id


def test_no_config_is_no_limit() -> None:
    assert Limits.from_config() == Limits(None, None, {})


def test_limits_are_read_and_bad_values_named_with_their_line() -> None:
    write_config(
        "[runs]\nmax_running = 4\nmax_running_per_repo = 2\n\n"
        "[runs.max_running_per_agent]\nclaude = 3\n"
    )
    assert Limits.from_config() == Limits(4, 2, {"claude": 3})
    write_config('[runs]\nmax_running = "two"\n')
    with pytest.raises(ConfigError, match=r"config.toml:2: \[runs\] max_running must be a whole"):
        Limits.from_config()
    write_config("[runs.max_running_per_agent]\ncodex = 0\n")
    with pytest.raises(ConfigError, match="codex must be a whole number ≥ 1"):
        Limits.from_config()


def test_each_limit_is_named_when_it_keeps_a_run_waiting() -> None:
    runs = RunStore()
    working = [runs.get(make(runs, "/a", "claude", status="pending"))]
    same_repo = runs.get(make(runs, "/a", "codex"))
    other_repo_claude = runs.get(make(runs, "/b", "claude", "codex"))
    other_repo_codex = runs.get(make(runs, "/b", "codex"))
    limits = Limits(total=2, per_repo=1, per_agent={"claude": 1})
    assert "max_running_per_repo 1 reached in /a" in str(limits.blocked(same_repo, working))
    assert "max_running_per_agent claude = 1" in str(limits.blocked(other_repo_claude, working))
    assert limits.blocked(other_repo_codex, working) is None
    working.append(other_repo_codex)
    assert "max_running 2 reached" in str(limits.blocked(other_repo_codex, working))


def test_admission_skips_a_run_held_by_its_own_limit_and_keeps_launch_order() -> None:
    write_config("[runs]\nmax_running = 2\nmax_running_per_repo = 1\n")
    runs = RunStore()
    first, second, third, fourth = (make(runs, repo) for repo in ("/a", "/a", "/b", "/c"))
    admitted = [admission.run_id for admission in admit(runs)]
    assert admitted == [first, third]  # second waits for /a; fourth for a global slot
    assert runs.get(second).context["queued_for"].startswith("max_running_per_repo 1")
    assert runs.get(fourth).context["queued_for"].startswith("max_running 2 reached")
    assert admit(runs) == []  # the pending runs hold their slots while they start
    runs.finish(first, "succeeded")
    assert [admission.run_id for admission in admit(runs)] == [second]
    assert runs.get(fourth).context["queued_for"] == (
        f"max_running 2 reached ({second}, {third} working)"
    )  # what it waits for now (the app and `agenttui runs` show it)
    waits = [event["message"] for event in runs.events(fourth) if event["kind"] == "queued"]
    assert waits == [f"waits: max_running 2 reached ({first}, {third} working)"]  # logged once


def test_a_run_whose_profile_is_at_its_usage_limit_lets_the_others_go_first() -> None:
    # Started, it only waits in its runner for the reset: a slot another queued run could
    # use goes to that run; a slot nobody else wants it takes (kept queued for the limit,
    # nothing would admit it when the limit lifts).
    write_config("[runs]\nmax_running = 1\n")
    runs = RunStore()
    record_limit(runs.store, "claude", time.time() + 600, "You've hit your session limit")
    on_claude, on_codex = make(runs, "/a", "claude"), make(runs, "/b", "codex")
    assert [admission.run_id for admission in admit(runs)] == [on_codex]
    assert runs.get(on_claude).context["queued_for"].startswith("max_running 1 reached")
    runs.finish(on_codex, "succeeded")
    assert [admission.run_id for admission in admit(runs)] == [on_claude]
