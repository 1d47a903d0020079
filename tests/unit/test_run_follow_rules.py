"""``[runs.follow]`` (issue 15 item 2): which issue changes stop a run and which resume it."""

from __future__ import annotations

import pytest

from tests.support.environment import write_config
from workflows.base.config import ConfigError
from workflows.issues.model import Issue
from workflows.runs.follow import FollowRules
from workflows.runs.run_store import RunRecord, RunStore


def launched(runs: RunStore, assignee: str | None = "Ada") -> RunRecord:
    run = runs.create("w", {"steps": []}, ["ENG-1"], {})
    snapshot = {"identifier": "ENG-1", "assignee": assignee}
    runs.update_context(run.id, issues=[snapshot])
    return runs.get(run.id)


def now(state: str, state_type: str, assignee: str | None = "Ada") -> dict[str, Issue]:
    issue = Issue("id1", "ENG-1", "t", state=state, state_type=state_type, assignee=assignee)
    return {"ENG-1": issue}


def test_defaults_stop_on_canceled_done_and_unassigned() -> None:
    rules, run = FollowRules.from_config(), launched(RunStore())
    assert rules.why_stop(run, now("In Progress", "started")) is None
    assert rules.why_stop(run, now("Canceled", "canceled")) == (
        "ENG-1 was moved to Canceled (canceled)"
    )
    assert rules.why_stop(run, now("Done", "completed")) == "ENG-1 was moved to Done (completed)"
    assert rules.why_stop(run, now("Todo", "unstarted", None)) == "ENG-1 is unassigned (was Ada)"
    assert rules.why_stop(run, now("Todo", "unstarted", "Bob")) == (
        "ENG-1 is assigned to Bob (was Ada)"
    )
    assert rules.why_stop(launched(RunStore(), None), now("Todo", "unstarted", "Bob")) is None


def test_a_state_the_run_set_itself_does_not_stop_it() -> None:
    runs = RunStore()
    run = launched(runs)
    runs.event(run.id, "linear", "state", data={"action": "state", "issue": "ENG-1",
                                                "state": "Done", "previous": "Todo"})  # fmt: skip
    assert FollowRules.from_config().why_stop(run, now("Done", "completed")) is None


def test_configured_per_state_type_and_resumes_only_what_it_stopped() -> None:
    write_config('[runs.follow]\nstop_on = ["canceled"]\nstop_unassigned = false\n'
           'resume_on = ["started"]\n')  # fmt: skip
    rules, runs = FollowRules.from_config(), RunStore()
    run = launched(runs)
    assert rules.why_stop(run, now("Done", "completed")) is None
    assert rules.why_stop(run, now("Todo", "unstarted", None)) is None
    assert not rules.resumes(run, now("In Progress", "started"))  # it was never stopped
    runs.update_context(run.id, stop_for="ENG-1 was moved to Canceled (canceled)")
    stopped = runs.get(run.id)
    assert not rules.resumes(stopped, now("Todo", "unstarted"))
    assert rules.resumes(stopped, now("In Progress", "started"))


def test_a_wrong_state_type_or_key_is_named_with_its_line() -> None:
    write_config('[runs.follow]\nstop_on = ["cancelled"]\n')
    with pytest.raises(ConfigError, match=r"config.toml:2: \[runs.follow\] stop_on must be a list"):
        FollowRules.from_config()
    write_config("[runs.follow]\nresume = true\n")
    with pytest.raises(ConfigError, match="unknown key 'resume'"):
        FollowRules.from_config()
