"""Runs through one staging slot, for real: runners in tmux, demo agents, a real repository
with a bare remote, the offline forge and the local Linear server. Two runs: QA fails the
first once, its fix round re-deploys, QA passes, the slot passes to the second. Five runs
take turns in the order they asked. A killed holder's lease runs out and the next run
proceeds; a runner killed anywhere in the slot step resumes without deploying or posting
twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import kill_at, prompts_received, run_summary, start_run, wait_for_end
from tests.support.slots import (
    IMPLEMENT_PR_QA,
    QA_LINK,
    QA_ONLY,
    QaStandIn,
    check_every_change,
    deploys,
    slot_config,
)
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.crashpoints import ENV as STOP_AT
from workflows.base.untrusted import inert
from workflows.runs.run_store import RunStore
from workflows.runs.slots.book import SlotBook

QA_FAIL = "QA fail: the total is off by one\n`$(touch /tmp/pwned)` {failure} \x1b[31mred\x1b[0m"


def definition(tmp_path: Path, text: str) -> str:
    path = tmp_path / "workflow.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def launch(workflow: str, issue: str, project: Project, *extra: str) -> str:
    return start_run(
        workflow, "--issues", issue, "--repo", str(project.repo), "--source", "linear",
        "--github-repo", "acme/widgets", *extra,
    )  # fmt: skip


def wait_queued(run_id: str) -> None:
    wait_until(
        lambda: any(r["run_id"] == run_id for r in SlotBook().log("staging")),
        timeout=120,
        interval=0.1,
        message=f"run {run_id} at the slot",
    )


@dataclass
class Staging:
    """A test's project, Linear and forge, with a [slots.staging] that logs its deploys."""

    tmp_path: Path
    linear: LinearServer
    forge: GitHubServer
    project: Project

    @property
    def deploy_log(self) -> Path:
        return self.tmp_path / "deploys.log"

    def configure(self, *, lease: float = 30, extra: str = "") -> None:
        write_config(slot_config(self.deploy_log, lease=lease, extra=extra))

    def qa(self, answer: Callable[[str, int], str | None]) -> QaStandIn:
        return QaStandIn(self.linear, answer).start()

    def launch(self, text: str, issue: str) -> str:
        return launch(definition(self.tmp_path, text), issue, self.project)


@pytest.fixture
def staging(
    tmp_path: Path,
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
) -> Staging:
    return Staging(tmp_path, linear_server, github, project)


def changes(run_ids: dict[str, str]) -> list[tuple[str, str]]:
    """The slot's history with runs named as the test names them."""
    names = {run_id: name for name, run_id in run_ids.items()}
    return [(row["change"], names[row["run_id"]]) for row in SlotBook().log("staging")]


def test_qa_fail_fix_round_redeploy_pass_then_the_slot_passes_to_the_second_run(
    staging: Staging,
) -> None:
    staging.configure(extra='qa_state = "In Review"\n')
    first = staging.launch(IMPLEMENT_PR_QA, "ENG-1")
    wait_queued(first)
    second = staging.launch(IMPLEMENT_PR_QA, "ENG-2")
    wait_queued(second)  # QA answers once both are at the slot: the second waits meanwhile
    qa = staging.qa(lambda key, before: QA_FAIL if key == "ENG-1" and before == 0 else "QA pass")
    try:
        one, two = wait_for_end(first), wait_for_end(second)
    finally:
        qa.stop()
    assert one["status"] == "succeeded", agenttui("log", first).stdout
    assert two["status"] == "succeeded", agenttui("log", second).stdout
    runs = {"first": first, "second": second}

    # One holder at every change; the first kept the slot through its fix round.
    assert check_every_change(SlotBook().log("staging")) == [first, second]
    assert changes(runs) == [
        ("queued", "first"),
        ("acquired", "first"),
        ("queued", "second"),
        ("released", "first"),
        ("acquired", "second"),
        ("released", "second"),
    ]
    # Deployed twice for the first run (before and after the fix), then the second's.
    branch_one, branch_two = one["branch"], two["branch"]
    (a, b, c) = deploys(staging.deploy_log)
    assert (a[0], a[1]) == (b[0], b[1]) == (first, branch_one) and a[2] != b[2]
    assert (c[0], c[1]) == (second, branch_two)
    # The fix was pushed: the PR's branch on the remote is the re-deployed commit.
    assert run_git(staging.project.remote, "rev-parse", branch_one) == b[2]
    assert [pull["head"]["ref"] for pull in staging.forge.pulls] == [branch_one, branch_two]
    # QA's words reached the implementing agent verbatim, as the fix round's prompt.
    prompts = prompts_received(Path(one["worktree"]))
    assert len(prompts) == 2 and inert(QA_FAIL) in prompts[1]  # ESC arrives as ␛, inert
    assert "QA failed the deploy of" in prompts[1]
    assert not Path("/tmp/pwned").exists()
    # Every deploy was announced on the issue with its commit, and the issue moved to QA.
    workspace = staging.linear.workspace
    links = [body for body in workspace.comments_on("ENG-1") if QA_LINK in body]
    assert [commit in body for body, commit in zip(links, (a[2], b[2]), strict=True)] == [True] * 2
    assert "http://127.0.0.1:9/staging/" in links[0]
    assert workspace.issue_state("ENG-1") == "In Review"
    log = agenttui("log", first).stdout
    assert "keeps staging through the fix round" in log and "QA passed on staging" in log


def test_five_runs_take_turns_in_the_order_they_asked(staging: Staging) -> None:
    staging.configure()
    qa = staging.qa(lambda key, before: "QA pass")
    run_ids = []
    for number in range(1, 6):
        run_ids.append(staging.launch(QA_ONLY, f"ENG-{number}"))
        wait_queued(run_ids[-1])
    try:
        ends = [wait_for_end(run_id) for run_id in run_ids]
    finally:
        qa.stop()
    assert [end["status"] for end in ends] == ["succeeded"] * 5
    assert check_every_change(SlotBook().log("staging")) == run_ids
    assert [run for run, _, _ in deploys(staging.deploy_log)] == run_ids  # each deployed once


def test_a_killed_holders_lease_runs_out_and_the_next_run_proceeds(
    staging: Staging, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging.configure(lease=3)
    qa = staging.qa(lambda key, before: "QA pass")
    monkeypatch.setenv(STOP_AT, "slot-waiting")
    first = staging.launch(QA_ONLY, "ENG-1")
    kill_at("slot-waiting", first, monkeypatch)  # the first holds the slot, deployed, dies
    second = staging.launch(QA_ONLY, "ENG-2")
    try:
        assert wait_for_end(second)["status"] == "succeeded", agenttui("log", second).stdout
        agenttui("resume", first)  # the first comes back: it queues and deploys again
        assert wait_for_end(first)["status"] == "succeeded", agenttui("log", first).stdout
    finally:
        qa.stop()
    assert check_every_change(SlotBook().log("staging")) == [first, second, first]
    seen = changes({"first": first, "second": second})
    # The second arrives before the dead holder's lease ran out, or (on a loaded machine,
    # launching took longer than the lease) just after: its first call expires it first.
    assert sorted(seen[2:4]) == [("expired", "first"), ("queued", "second")], seen
    assert seen[:2] + seen[4:] == [
        ("queued", "first"),
        ("acquired", "first"),
        ("acquired", "second"),
        ("released", "second"),
        ("queued", "first"),
        ("acquired", "first"),
        ("released", "first"),
    ]
    expired = next(row for row in SlotBook().log("staging") if row["change"] == "expired")
    assert float(str(expired["detail"]).split()[3]) >= 3.0  # silent for the whole lease
    # Staging ran the second run's code meanwhile, so the first deployed again.
    assert [run for run, _, _ in deploys(staging.deploy_log)] == [first, second, first]


@pytest.mark.parametrize("point", ["slot-held", "slot-deployed", "slot-waiting"])
def test_a_runner_killed_in_the_slot_step_resumes_without_doing_anything_twice(
    staging: Staging, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    staging.configure(lease=60)
    monkeypatch.setenv(STOP_AT, point)
    run_id = staging.launch(QA_ONLY, "ENG-1")
    kill_at(point, run_id, monkeypatch)
    # QA answers while the runner is dead (when the link is out already): not lost.
    qa = staging.qa(lambda key, before: "QA pass")
    try:
        if point == "slot-waiting":
            wait_until(lambda: qa.said, timeout=30, message="QA's verdict")
        agenttui("resume", run_id)
        summary = wait_for_end(run_id)
    finally:
        qa.stop()
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert len(deploys(staging.deploy_log)) == 1  # the hold outlived the runner: no redeploy
    links = [c for c in staging.linear.workspace.comments_on("ENG-1") if QA_LINK in c]
    assert len(links) == 1
    assert check_every_change(SlotBook().log("staging")) == [run_id]
    assert [row["change"] for row in SlotBook().log("staging")] == [
        "queued",
        "acquired",
        "released",
    ]
    assert RunStore().get(run_id).status == "succeeded"


def test_no_verdict_in_time_releases_the_slot_and_asks_a_person_and_a_late_pass_goes_on(
    staging: Staging,
) -> None:
    staging.configure(extra="verdict_timeout = 2\n")
    run_id = staging.launch(QA_ONLY, "ENG-1")
    wait_until(lambda: run_summary(run_id).get("attention"), timeout=120, message="a person asked")
    attention = run_summary(run_id)["attention"]
    assert attention == "QA's verdict: none in 2 s on staging; the slot was released"
    assert [row["change"] for row in SlotBook().log("staging")] == [
        "queued",
        "acquired",
        "released",
    ]
    comments = staging.linear.workspace.comments_on("ENG-1")
    assert any(c.startswith("No QA verdict within 2 s: staging was released") for c in comments)
    qa = staging.qa(lambda key, before: "QA pass")  # QA comes back late: the run goes on
    try:
        summary = wait_for_end(run_id)
    finally:
        qa.stop()
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert summary["attention"] is None
    assert len(deploys(staging.deploy_log)) == 1


def test_a_push_by_someone_else_while_on_staging_is_said_in_the_log_and_on_the_issue(
    staging: Staging,
) -> None:
    staging.configure()
    run_id = staging.launch(QA_ONLY, "ENG-1")
    wait_until(lambda: deploys(staging.deploy_log), timeout=120, message="the deploy")
    (_, branch, deployed) = deploys(staging.deploy_log)[0]
    other = staging.tmp_path / "someone-else"
    run_git(staging.tmp_path, "clone", "-q", "-b", branch, str(staging.project.remote), str(other))
    (other / "theirs.txt").write_text("a colleague's change\n")
    run_git(other, "add", "-A")
    run_git(other, "-c", "user.name=C", "-c", "user.email=c@example.invalid", "commit", "-qm", "x")
    run_git(other, "push", "-q", "origin", branch)
    theirs = run_git(other, "rev-parse", "HEAD")
    said = (
        f"Branch {branch} was pushed by someone else while on staging: it is now at "
        f"{theirs[:10]}, staging runs {deployed[:10]}"
    )
    wait_until(
        lambda: said in staging.linear.workspace.comments_on("ENG-1"),
        timeout=60,
        message="the push said on the issue",
    )
    qa = staging.qa(lambda key, before: "QA pass")
    try:
        summary = wait_for_end(run_id)
    finally:
        qa.stop()
    assert summary["status"] == "succeeded"
    warnings = [e["message"] for e in RunStore().events(run_id) if e["kind"] == "warning"]
    assert warnings == [said]  # said once in the log (and once on the issue)
    assert staging.linear.workspace.comments_on("ENG-1").count(said) == 1


def test_the_hold_outlives_a_fix_round_longer_than_its_lease_and_requeue_gives_it_up(
    staging: Staging,
) -> None:
    """keep (the default): the runner's heartbeat renews a 2 s lease through a 6 s fix
    round; requeue: the slot is released at the fail and asked for again after the fix."""
    agent = slow_demo_profile(6.0)
    staging.configure(lease=2)
    qa = staging.qa(lambda key, before: "QA fail: broken" if before == 0 else "QA pass")
    kept = staging.launch(IMPLEMENT_PR_QA.replace('"demo"', f'"{agent}"'), "ENG-1")
    try:
        assert wait_for_end(kept)["status"] == "succeeded", agenttui("log", kept).stdout
        assert [row["change"] for row in SlotBook().log("staging")] == [
            "queued",
            "acquired",
            "released",
        ]
        staging.configure(lease=2, extra='on_qa_fail = "requeue"\n')
        requeued = staging.launch(IMPLEMENT_PR_QA, "ENG-2")
        assert wait_for_end(requeued)["status"] == "succeeded", agenttui("log", requeued).stdout
    finally:
        qa.stop()
    second = [row for row in SlotBook().log("staging") if row["run_id"] == requeued]
    assert [(row["change"], row["detail"]) for row in second] == [
        ("queued", "priority 5"),
        ("acquired", ""),
        ("released", "QA failed; queueing again after the fix"),
        ("queued", "priority 5"),
        ("acquired", ""),
        ("released", "QA passed (comment by Ada Lovelace on ENG-2)"),
    ]
    assert check_every_change(SlotBook().log("staging")) == [kept, requeued, requeued]


def test_verdicts_by_state_and_label_count_only_what_changed_after_each_deploy(
    staging: Staging,
) -> None:
    """QA fails round 1 and round 2 by moving the issue to the fail state (round 2 starts
    where round 1 left it), then passes round 3 with a label: each read once, none missed."""
    staging.configure(extra='fail_state = "Todo"\npass_label = "qa-passed"\n')
    workspace = staging.linear.workspace
    run_id = staging.launch(IMPLEMENT_PR_QA, "ENG-1")

    def links() -> int:
        return sum(QA_LINK in body for body in workspace.comments_on("ENG-1"))

    def asked(count: int) -> bool:  # QA acts as soon as the link is there
        if links() != count:
            return False
        assert workspace.issue_state("ENG-1") == "In Review"  # moved before the link
        return True

    for deploy in (1, 2):
        wait_until(lambda n=deploy: asked(n), timeout=120, message=f"QA asked, {deploy}")
        workspace.find_issue("ENG-1")["stateId"] = workspace.state("ENG", "Todo")["id"]
    wait_until(lambda: asked(3), timeout=120, message="QA asked, 3")
    workspace.add_labels("ENG-1", "qa-passed")
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    verdicts = [e["message"] for e in RunStore().events(run_id) if e["kind"] == "qa"]
    assert [v for v in verdicts if not v.startswith("waiting")] == [
        "QA failed on staging (state Todo on ENG-1): moved to Todo",
        "QA failed on staging (state Todo on ENG-1): moved to Todo",
        "QA passed on staging (label qa-passed on ENG-1)",
    ]
    assert len(deploys(staging.deploy_log)) == 3


def test_a_fail_with_no_fix_round_left_releases_the_slot_before_the_run_goes_on(
    staging: Staging,
) -> None:
    staging.configure()
    qa = staging.qa(lambda key, before: "QA fail: still broken")
    text = QA_ONLY + 'exhausted = "continue"\n\n[[steps]]\nid = "after"\nrun = "sleep 2"\n'
    run_id = staging.launch(text, "ENG-1")
    try:
        assert wait_for_end(run_id)["status"] == "succeeded", agenttui("log", run_id).stdout
    finally:
        qa.stop()
    released = [row for row in SlotBook().log("staging") if row["change"] == "released"]
    assert [row["detail"] for row in released] == ["QA failed; no fix round left"]
    after = next(a for a in RunStore().attempts(run_id) if a.step_id == "after")
    assert released[0]["at"] <= after.started_at  # not held through the steps after it


def test_with_priority_an_urgent_issue_jumps_the_queue_but_not_the_holder(
    staging: Staging,
) -> None:
    staging.configure(extra="priority = true\n")
    holder = staging.launch(QA_ONLY, "ENG-4")  # no priority
    wait_queued(holder)
    low = staging.launch(QA_ONLY, "ENG-3")  # priority 3 (medium)
    wait_queued(low)
    urgent = staging.launch(QA_ONLY, "ENG-1")  # priority 1 (urgent)
    wait_queued(urgent)
    qa = staging.qa(lambda key, before: "QA pass")
    try:
        for run_id in (holder, low, urgent):
            assert wait_for_end(run_id)["status"] == "succeeded", agenttui("log", run_id).stdout
    finally:
        qa.stop()
    log = SlotBook().log("staging")
    assert check_every_change(log, priority=True) == [holder, urgent, low]
    queued = {row["run_id"]: row["detail"] for row in log if row["change"] == "queued"}
    assert queued == {holder: "priority 5", low: "priority 3", urgent: "priority 1"}
