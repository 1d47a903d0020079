"""The slot book in one process, with the clock given: queue order, leases, hand-over, ETA,
the deploy argv and the QA verdict rules."""

from __future__ import annotations

import pytest

from tests.support.environment import write_config
from workflows.base.config import ConfigError
from workflows.base.errors import UsageError
from workflows.issues.model import Comment, Issue
from workflows.runs.slots.book import SlotBook
from workflows.runs.slots.config import SlotConfig, load_slot
from workflows.runs.slots.verdict import Baseline, run_verdict, verdict_of

LEASE = 10.0


def take(book: SlotBook, run: str, now: float, **extra: object) -> bool:
    return book.acquire("staging", run, lease=LEASE, now=now, **extra)  # type: ignore[arg-type]


def test_first_come_first_served_and_one_holder() -> None:
    book = SlotBook()
    assert take(book, "a", 0.0)
    assert not take(book, "b", 1.0)
    assert not take(book, "c", 2.0)
    assert not take(book, "c", 3.0)  # asking again keeps its place
    view = book.view("staging", lease=LEASE, now=3.0)
    assert [h.run_id for h in view.holders] == ["a"]
    assert [w.run_id for w in view.queue] == ["b", "c"]
    assert not take(book, "c", 4.0)  # not its turn even once the slot is free below
    assert book.release("staging", "a", "done", now=5.0)
    assert not take(book, "c", 5.5)  # b is first
    assert take(book, "b", 6.0)
    assert book.release("staging", "b", now=7.0)
    assert take(book, "c", 8.0)
    changes = [(row["change"], row["run_id"], row["holders"]) for row in book.log("staging")]
    assert changes == [
        ("queued", "a", 0),
        ("acquired", "a", 1),
        ("queued", "b", 1),
        ("queued", "c", 1),
        ("released", "a", 0),
        ("acquired", "b", 1),
        ("released", "b", 0),
        ("acquired", "c", 1),
    ]


def test_a_silent_holder_loses_the_slot_when_its_lease_runs_out() -> None:
    book = SlotBook()
    assert take(book, "a", 0.0)
    assert book.renew("staging", "a", lease=LEASE, now=8.0)  # lease now until 18
    assert not take(book, "b", 17.0)
    assert take(book, "b", 18.5)  # a went silent for 10.5 s
    assert not book.renew("staging", "a", lease=LEASE, now=19.0)  # a learns it lost it
    expired = [row for row in book.log("staging") if row["change"] == "expired"]
    assert [(row["run_id"], row["detail"]) for row in expired] == [("a", "no heartbeat for 10.5 s")]


def test_priority_jumps_the_queue_when_asked_and_a_silent_waiter_is_passed_over() -> None:
    book = SlotBook()
    assert take(book, "a", 0.0)
    assert not take(book, "b", 1.0)
    assert not take(book, "c", 2.0, priority=1)
    by_priority = book.view("staging", lease=LEASE, use_priority=True, now=3.0).queue
    assert [w.run_id for w in by_priority] == ["c", "b"]
    assert [w.run_id for w in book.view("staging", lease=LEASE, now=3.0).queue] == ["b", "c"]
    book.release("staging", "a", now=5.0)
    assert not take(book, "c", 5.5)  # first come, first served: b
    assert take(book, "c", 6.0, use_priority=True)  # urgent first, when configured
    assert not take(book, "d", 7.0)
    assert not take(book, "e", 8.0)
    for now in (12.0, 16.0):  # e keeps asking; d went silent after 7.0
        assert not take(book, "e", now)
        book.renew("staging", "c", lease=LEASE, now=now)
    book.release("staging", "c", now=18.0)
    assert take(book, "e", 19.0)
    dropped = [row["run_id"] for row in book.log("staging") if row["change"] == "dropped"]
    assert dropped == ["b", "d"]  # b at 11.0, d at 17.0 or later: silent for a lease


def test_hand_over_and_release_by_hand() -> None:
    book = SlotBook()
    take(book, "a", 0.0)
    take(book, "b", 1.0)
    take(book, "c", 2.0)
    assert book.hand_over("staging", "c", lease=LEASE, now=3.0) == ["a"]
    assert [h.run_id for h in book.view("staging", lease=LEASE, now=3.0).holders] == ["c"]
    assert not book.renew("staging", "a", lease=LEASE, now=3.5)
    assert take(book, "c", 4.0)  # its step finds it holds it
    assert book.release_run("c", "run failed") == ["staging"]
    assert book.release_run("b", "run cancelled") == []  # b only waited: it leaves the queue
    assert book.view("staging", lease=LEASE, now=5.0).queue == []
    assert max(row["holders"] for row in book.log()) == 1


def test_eta_from_past_holds() -> None:
    book, lease = SlotBook(), 1000.0
    view = book.view("staging", lease=lease, now=0.0)
    assert view.eta(0, 0.0) is None  # nothing to go by yet

    def take(run: str, now: float) -> bool:
        return book.acquire("staging", run, lease=lease, now=now)

    take("a", 0.0)
    book.release("staging", "a", now=100.0)
    take("b", 200.0)
    book.renew("staging", "b", lease=10.0, now=225.0)
    take("c", 205.0)
    take("d", 206.0)
    view = book.view("staging", lease=lease, now=230.0)
    assert view.mean_hold == 100.0
    assert view.eta(0, 230.0) == 70.0  # b has held 30 s of the usual 100
    assert view.eta(1, 230.0) == 170.0
    shown = view.as_json(230.0)
    assert shown["holders"][0]["run"] == "b" and shown["holders"][0]["lease_left"] == 5.0  # type: ignore[index]
    assert [(w["run"], w["eta"]) for w in shown["queue"]] == [("c", 70.0), ("d", 170.0)]  # type: ignore[index, union-attr]


def test_deploy_argv_keeps_a_hostile_branch_one_word() -> None:
    slot = SlotConfig(name="staging", deploy="./deploy-staging.sh --branch={branch} {commit}")
    branch = "x; rm -rf ~ $(touch /tmp/pwned) 'q\" y"
    assert slot.deploy_argv({"branch": branch, "commit": "abc"}) == [
        "./deploy-staging.sh",
        f"--branch={branch}",
        "abc",
    ]


def test_slot_config_errors_name_file_and_line() -> None:
    write_config('[slots.staging]\ndeploy = "./d.sh {branch}"\nlease = "long"\n')
    with pytest.raises(ConfigError, match=r"config\.toml:3: \[slots\.staging\] lease must be"):
        load_slot("staging")
    write_config('[slots.staging]\ndeploy = "./d.sh {branch}"\non_qa_fail = "retry"\n')
    with pytest.raises(ConfigError, match="on_qa_fail must be"):
        load_slot("staging")
    write_config('[slots.staging]\nurl = "http://127.0.0.1:1/"\n')
    with pytest.raises(ConfigError, match="needs deploy"):
        load_slot("staging")
    with pytest.raises(UsageError, match=r"no slot 'qa'.*\[slots\.qa\]"):
        load_slot("qa")
    write_config('[slots.staging]\ndeploy = "./d.sh"\nlease = 30\n')
    assert load_slot("staging").renew_every == 10.0


SLOT = SlotConfig(
    name="staging",
    deploy="d",
    fail_state="Todo",
    pass_label="qa-ok",
    fail_label="qa-bad",
)


def issue(state: str = "In Review", labels: tuple[str, ...] = (), *comments: Comment) -> Issue:
    return Issue("1", "ENG-1", "t", state=state, labels=list(labels), comments=list(comments))


def test_verdicts_only_count_what_happened_after_the_deploy() -> None:
    base = Baseline("In Review", ("qa-bad",), since=1000.0)  # last round's label still on
    assert verdict_of(issue("In Review", ("qa-bad",)), SLOT, base) is None
    old = Comment("QA fail: old round", "Grace", "1970-01-01T00:10:00+00:00")  # 600 s
    assert verdict_of(issue("In Review", (), old), SLOT, base) is None
    new = Comment(
        "  qa FAIL: the button $(rm -rf ~) is gone\nsecond line", "Grace", "1970-01-01T00:20:00Z"
    )
    found = verdict_of(issue("In Review", (), new), SLOT, base)
    assert found is not None and not found.passed and found.text == new.body
    assert found.how == "comment by Grace"
    moved = verdict_of(issue("Todo"), SLOT, base)
    assert moved is not None and not moved.passed and moved.how == "state Todo"
    labelled = verdict_of(issue("In Review", ("qa-ok", "qa-bad")), SLOT, base)
    assert labelled is not None and labelled.passed
    passed = Comment("QA pass", None, "1970-01-01T00:20:00Z")
    both = verdict_of(issue("In Review", (), passed, new), SLOT, base)
    assert both is not None and not both.passed  # a fail wins


def test_a_fail_on_any_issue_fails_the_run_and_a_pass_on_one_passes_it() -> None:
    base = Baseline("In Review", (), since=0.0)
    ok = Comment("QA pass: looks good", "Grace", "1970-01-01T00:20:00Z")
    bad = Comment("QA fail: broken", "Grace", "1970-01-01T00:20:00Z")
    one = Issue("1", "ENG-1", "t", state="In Review", comments=[ok])
    two = Issue("2", "ENG-2", "t", state="In Review")
    baselines = {"ENG-1": base, "ENG-2": base}
    found = run_verdict([one, two], SLOT, baselines)
    assert found is not None and found.passed and found.issue == "ENG-1"
    two.comments.append(bad)
    found = run_verdict([one, two], SLOT, baselines)
    assert found is not None and not found.passed and found.issue == "ENG-2"
    assert run_verdict([Issue("3", "ENG-3", "t")], SLOT, baselines) is None
