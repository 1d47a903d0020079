"""A run's agent session on the local Linear server, driven step by step (no tmux): what is
posted, in which order, once; what Linear refuses; restarts; the budget."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.support.linear_server import LinearServer
from workflows.issues.linear_agent.linear_backend import LinearSessions
from workflows.issues.linear_agent.settings import AgentSettings
from workflows.issues.linear_http import ApiKey
from workflows.runs.agent_sessions.store import posts
from workflows.runs.agent_sessions.sync import SessionSync
from workflows.runs.run_store import RunStore

WORKFLOW: dict[str, Any] = {
    "name": "quick-fix",
    "description": "",
    "agent": "demo",
    "worktree": True,
    "path": "quick-fix.toml",
    "steps": [
        {"id": "implement", "kind": "agent", "prompt": "fix it", "description": "fixing it"},
        {"id": "test", "kind": "shell", "run": "make test", "on_fail": "implement"},
        {"id": "pr", "kind": "pull_request"},
    ],
}


def backend(server: LinearServer) -> LinearSessions:
    return LinearSessions(ApiKey(f"Bearer {server.app_token}"), url=server.url, backoff=0.01)


def new_run(issue: str = "ENG-2") -> str:
    from workflows.definitions.model import Workflow

    definition = Workflow.from_json(WORKFLOW).to_json()
    return RunStore().create("quick-fix", definition, [issue], {"source": "linear"}).id


def play(run_id: str, *, upto: str = "all") -> None:
    """What a runner records while the run goes through implement, test and pr."""
    runs = RunStore()
    runs.start_attempt(run_id, 0, "implement", 1, "step")
    runs.event(run_id, "step", "started (agent step, round 1)", step_id="implement")
    if upto == "implement":
        return
    runs.finish_attempt(run_id, 0, status="succeeded", outputs={}, error=None, cursor={})
    runs.start_attempt(run_id, 1, "test", 1, "step")
    runs.event(run_id, "step", "started (shell step, round 1)", step_id="test")
    runs.event(run_id, "shell", "running: make test", step_id="test")
    runs.event(run_id, "shell", "exit code 0", step_id="test", data={"exit_code": 0})
    runs.finish_attempt(run_id, 1, status="succeeded", outputs={}, error=None, cursor={})
    runs.start_attempt(run_id, 2, "pr", 1, "step")
    url = "https://github.com/acme/widgets/pull/7"
    runs.event(run_id, "pull_request", f"opened {url}", step_id="pr", data={"url": url})
    runs.update(run_id, pr_url=url)
    runs.finish_attempt(run_id, 2, status="succeeded", outputs={"url": url}, error=None, cursor={})
    runs.finish(run_id, "succeeded")


def kinds(server: LinearServer, session_id: str) -> list[tuple[str, str]]:
    found = []
    for activity in server.workspace.activities_of(session_id):
        content = activity["content"]
        found.append((content["type"], content.get("body") or content.get("action")))
    return found


def test_a_run_is_told_in_order_once_with_its_plan_and_pr(linear_server: LinearServer) -> None:
    session = linear_server.workspace.delegate("ENG-2")  # Linear opened it for the app
    run_id = new_run()
    play(run_id)
    sync = SessionSync(run_id, backend(linear_server), settings=AgentSettings(per_minute=60))
    assert sync.drain(10)
    assert [s.session_id for s in sync.sessions()] == [session["id"]]  # adopted, not doubled
    assert len(linear_server.workspace.sessions_on("ENG-2")) == 1
    assert kinds(linear_server, session["id"]) == [
        ("thought", "**implement**: fixing it"),
        ("thought", "**test**: running the tests"),
        ("action", "Ran tests"),
        ("action", "Opened pull request"),
        ("response", "Pull request: https://github.com/acme/widgets/pull/7\n\nSteps done:\n"
         "- implement: fixing it\n- test: running the tests\n- pr: opening the pull request"),
    ]  # fmt: skip
    tests_action = linear_server.workspace.activities_of(session["id"])[2]["content"]
    assert tests_action["parameter"] == "make test" and tests_action["result"] == "passed"
    row = linear_server.workspace.agent_sessions[session["id"]]
    assert row["status"] == "complete"
    assert row["externalLinks"] == [
        {"label": "Pull request", "url": "https://github.com/acme/widgets/pull/7"}
    ]
    assert [step["status"] for step in row["plan"]] == ["completed"] * 3
    assert all(r.actor == "app" for r in linear_server.mutations())


def test_a_restarted_runner_posts_nothing_twice(linear_server: LinearServer) -> None:
    session = linear_server.workspace.delegate("ENG-2")
    run_id = new_run()
    play(run_id, upto="implement")
    first = SessionSync(run_id, backend(linear_server), settings=AgentSettings(per_minute=60))
    first.step()
    # The second activity's answer is lost: Linear made it, the runner never heard.
    play_rest = RunStore()
    play_rest.event(run_id, "loop", "did not pass; 'implement' fixes it", step_id="implement")
    linear_server.lose_answer(3.0, operation="agentActivityCreate")
    first.backend.client.timeout = 0.5
    first.backend.client.max_retries = 0
    first.step()
    assert [p.status for p in posts(first.store, run_id)] == ["posted", "sending"]
    # A new runner (resume) re-reads every event: the same step start, the lost one.
    RunStore().event(run_id, "step", "started (agent step, round 1)", step_id="implement")
    second = SessionSync(run_id, backend(linear_server), settings=AgentSettings(per_minute=60))
    assert second.drain(10)
    bodies = [body for _, body in kinds(linear_server, session["id"])]
    assert bodies == [
        "**implement**: fixing it",
        "**implement**: did not pass; 'implement' fixes it",
    ]
    sent = [r.variables["input"]["id"] for r in linear_server.mutations("agentActivityCreate")]
    assert len(sent) == len(set(sent)) == 2  # the lost one was looked up, not sent again


def test_success_false_is_reported_and_not_retried_forever(linear_server: LinearServer) -> None:
    session = linear_server.workspace.delegate("ENG-2")
    run_id = new_run()
    play(run_id)
    linear_server.unsuccessful("agentActivityCreate", times=50)
    sync = SessionSync(
        run_id, backend(linear_server), settings=AgentSettings(per_minute=600, max_attempts=3)
    )
    for _ in range(20):
        sync.step()
    refused = [r for r in linear_server.received if "agentActivityCreate" in r.root_fields]
    first_id = refused[0].variables["input"]["id"]
    assert sum(r.variables["input"]["id"] == first_id for r in refused) == 3
    failed = posts(sync.store, run_id, status=("failed",))
    assert failed and failed[0].attempts == 3 and "success: false" in failed[0].error
    log = [e["message"] for e in RunStore().events(run_id) if e["kind"] == "linear-session"]
    assert any("refused the thought activity 3 time(s), not trying again" in m for m in log)
    assert kinds(linear_server, session["id"]) == []  # every answer said success: false
    assert len(refused) <= 3 * len(posts(sync.store, run_id))  # bounded, never forever


def test_the_budget_merges_what_waits(linear_server: LinearServer) -> None:
    session = linear_server.workspace.delegate("ENG-2")
    run_id = new_run()
    runs = RunStore()
    for index in range(12):
        runs.event(run_id, "loop", f"round {index}", step_id="implement")
    sync = SessionSync(run_id, backend(linear_server), settings=AgentSettings(per_minute=4))
    for _ in range(5):
        sync.step()
    activities = linear_server.workspace.activities_of(session["id"])
    bodies = "\n".join(a["content"]["body"] for a in activities)
    assert len(activities) == 4  # 12 thoughts in the 4 requests the budget allowed
    assert all(f"round {index}" in bodies for index in range(12))
    assert bodies.index("round 0") < bodies.index("round 5") < bodies.index("round 11")
    assert len(linear_server.mutations()) == 4  # the plan waits for the next minute


def test_the_ended_run_s_plan_is_complete_before_its_response_within_the_budget(
    linear_server: LinearServer,
) -> None:
    """One request a look for an ended run: the plan (and the PR link) is completed before
    the response is posted, and nothing is pending until it is (it was left unsent)."""
    session = linear_server.workspace.delegate("ENG-2")
    run_id = new_run()
    play(run_id)
    now = [0.0]
    sync = SessionSync(
        run_id, backend(linear_server), settings=AgentSettings(per_minute=2),
        clock=lambda: now[0],
    )  # fmt: skip
    for _ in range(40):  # the runner's drain, one request's worth of budget a look
        sync.step()
        if not sync.pending():
            break
        now[0] += 30.0
    assert not sync.pending()
    row = linear_server.workspace.agent_sessions[session["id"]]
    assert [step["status"] for step in row["plan"]] == ["completed"] * 3
    assert row["externalLinks"] == [
        {"label": "Pull request", "url": "https://github.com/acme/widgets/pull/7"}
    ]
    names = [
        "update"
        if "agentSessionUpdate" in r.root_fields
        else r.variables["input"]["content"]["type"]
        for r in linear_server.mutations()
    ]
    assert names.count("update") == 1 and names[-1] == "response", names


def test_the_final_drain_never_overtakes_a_step_in_progress(linear_server: LinearServer) -> None:
    """The runner's final drain can start while the session thread is still in a step (its
    join timed out under load). The step had taken the follow-up's event off the cursor but
    not yet queued it: the response must still come last."""
    session = linear_server.workspace.delegate("ENG-2")
    run_id = new_run()
    play(run_id, upto="implement")
    runs = RunStore()
    runs.event(run_id, "linear-prompt", "follow-up from Linear delivered to demo-1")
    sync = SessionSync(run_id, backend(linear_server), settings=AgentSettings(per_minute=600))
    translate, inside, release = sync.translator.run_event, threading.Event(), threading.Event()

    def slow_translate(event: dict[str, Any]) -> Any:
        if event["kind"] == "linear-prompt" and not inside.is_set():
            inside.set()  # the session thread, preempted mid-collect
            release.wait(10)
        return translate(event)

    sync.translator.run_event = slow_translate  # type: ignore[method-assign]
    session_thread = threading.Thread(target=sync.step)
    session_thread.start()
    assert inside.wait(10)
    runs.finish_attempt(run_id, 0, status="succeeded", outputs={}, error=None, cursor={})
    runs.finish(run_id, "succeeded")

    def resume_when_answered() -> None:  # at once once the response is out, or after 3 s
        kinds_now = lambda: [k for k, _ in kinds(linear_server, session["id"])]  # noqa: E731
        deadline = time.monotonic() + 3.0
        while "response" not in kinds_now() and time.monotonic() < deadline:
            time.sleep(0.02)
        release.set()

    threading.Thread(target=resume_when_answered).start()
    assert sync.drain(20)
    session_thread.join(10)
    assert sync.drain(10)
    told = kinds(linear_server, session["id"])
    assert told[-1][0] == "response", told
    assert ("action", "Your message") in told


@pytest.mark.parametrize("mode", ["0644", "missing"])
def test_a_token_file_open_to_others_is_refused(
    tmp_path: Any, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows.base.config import load_config
    from workflows.base.errors import UsageError
    from workflows.base.paths import config_file
    from workflows.issues.linear_agent.settings import app_token

    token = tmp_path / "app-token"
    if mode != "missing":
        token.write_text("lin_oauth_secret\n")
        token.chmod(0o644)
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(f'[linear_agent]\ntoken_file = "{token}"\n')
    load_config.cache_clear()
    with pytest.raises(UsageError) as error:
        app_token()
    assert str(token) in str(error.value) and "lin_oauth_secret" not in str(error.value)
    if mode == "0644":
        assert "chmod 600" in str(error.value)
        token.chmod(0o600)
        key = app_token()
        assert key is not None and key.authorization() == "Bearer lin_oauth_secret"
        assert "lin_oauth" not in repr(key)
