"""Verified send against a real tmux server: exactly once, byte for byte, or NotDelivered."""

from __future__ import annotations

import dataclasses
import re
import threading
from pathlib import Path

import pytest

from tests.support.hostile import HOSTILE_PROMPTS
from tests.support.tmux import (
    RAW_PROFILE,
    demo_prompts,
    raw_expected,
    spawn_demo,
    spawn_raw,
    wait_ready,
)
from tests.support.waiting import wait_until
from workflows.agents.delivery import SendFailed, input_rows, send_text
from workflows.agents.profiles import StateRule
from workflows.agents.settings import load_profile
from workflows.base.errors import NotDelivered, UsageError
from workflows.tmux.driver import TmuxDriver


def test_hostile_prompts_reach_the_demo_agent_exactly_once(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    for prompt in HOSTILE_PROMPTS:
        result = send_text(driver, pane, prompt, timeout=30)
        assert (result.delivered, result.submitted, result.attempts) == (True, True, 1)
        assert [step["step"] for step in result.steps] == [
            "preflight", "paste", "visible", "settle", "enter", "confirm",
        ]  # fmt: skip
    wait_until(lambda: len(demo_prompts(tmp_path)) >= len(HOSTILE_PROMPTS), timeout=30)
    assert demo_prompts(tmp_path) == HOSTILE_PROMPTS


def test_hostile_prompts_reach_a_raw_reader_byte_for_byte(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    log = tmp_path / "raw.log"
    pane = spawn_raw(driver, log, name="raw")
    wait_until(lambda: wait_ready(driver, pane, RAW_PROFILE), message="raw reader prompt")
    for prompt in HOSTILE_PROMPTS:
        result = send_text(driver, pane, prompt, timeout=30, profile=RAW_PROFILE)
        assert (result.delivered, result.submitted, result.attempts) == (True, True, 1)
    expected = raw_expected(HOSTILE_PROMPTS)
    wait_until(lambda: log.exists() and len(log.read_bytes()) >= len(expected), timeout=30)
    assert log.read_bytes() == expected


def test_no_submit_pastes_without_enter(driver: TmuxDriver, tmp_path: Path) -> None:
    log = tmp_path / "raw.log"
    pane = spawn_raw(driver, log, name="raw")
    wait_until(lambda: wait_ready(driver, pane, RAW_PROFILE), message="raw reader prompt")
    result = send_text(driver, pane, "draft only;", submit=False, profile=RAW_PROFILE)
    assert (result.delivered, result.submitted) == (True, False)
    assert log.read_bytes() == raw_expected(["draft only;"], submit=False)


def test_text_that_never_shows_is_not_submitted(
    driver: TmuxDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "raw.log"
    pane = spawn_raw(driver, log, name="silent", echo=False)
    wait_until(lambda: wait_ready(driver, pane, RAW_PROFILE), message="raw reader prompt")
    monkeypatch.setattr("workflows.agents.delivery.VISIBLE_GRACE_S", 1.0)
    with pytest.raises(SendFailed) as failure:
        send_text(driver, pane, "invisible text", timeout=1.5, profile=RAW_PROFILE)
    assert [step["step"] for step in failure.value.steps[-2:]] == ["visible", "clear"]
    assert failure.value.exit_code == 4
    # This profile has no clear keys: the error says the text may still be in the box.
    assert failure.value.cleared is False
    assert "may still be in it" in str(failure.value)
    # The paste arrived, the Enter never did.
    assert log.read_bytes() == raw_expected(["invisible text"], submit=False)


def type_and_submit(driver: TmuxDriver, pane_id: str, text: str) -> None:
    """What a person does: type literal text, then Enter."""
    driver.command("send-keys", "-t", pane_id, "-l", "--", text)
    driver.send_keys(pane_id, "Enter")


def test_enter_that_never_submits_clears_the_box(driver: TmuxDriver, tmp_path: Path) -> None:
    """Every Enter is swallowed as a newline: NotDelivered, and the box is empty again, so
    the next prompt is not appended to the failed one."""
    profile = dataclasses.replace(load_profile("demo"), settle_ms=0)
    argv = profile.launch_argv(extra=["--work", "0.05", "--swallow-enters", "3"])
    pane = driver.spawn(argv, name="deaf", agent="demo", cwd=str(tmp_path))
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    with pytest.raises(SendFailed, match="still in the input box; input box cleared") as failure:
        send_text(driver, pane, "never submitted", timeout=30, profile=profile)
    assert failure.value.cleared is True and failure.value.exit_code == 4
    steps = [step["step"] for step in failure.value.steps]
    assert steps[-2:] == ["confirm", "clear"] and steps.count("enter") == 3
    assert wait_ready(driver, pane, profile)  # the box shows empty right now
    type_and_submit(driver, pane.pane_id, "typed after the failure")
    wait_until(lambda: demo_prompts(tmp_path), message="the typed prompt")
    assert demo_prompts(tmp_path) == ["typed after the failure"]


def test_text_that_never_shows_is_cleared(
    driver: TmuxDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The paste went in but the sender never recognised it (here: a profile that does not
    know the placeholder): the placeholder is removed before NotDelivered."""
    profile = dataclasses.replace(load_profile("demo"), paste_placeholder=None)
    pane = spawn_demo(driver, tmp_path, name="demo")
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    monkeypatch.setattr("workflows.agents.delivery.VISIBLE_GRACE_S", 1.0)
    with pytest.raises(SendFailed, match=r"never became visible.*input box cleared") as failure:
        send_text(driver, pane, "first line\nsecond line", timeout=1.5, profile=profile)
    assert failure.value.cleared is True
    assert [step["step"] for step in failure.value.steps[-2:]] == ["visible", "clear"]
    assert not any("Pasted text" in line for line in driver.capture(pane.pane_id))
    type_and_submit(driver, pane.pane_id, "typed after the failure")
    wait_until(lambda: demo_prompts(tmp_path), message="the typed prompt")
    assert demo_prompts(tmp_path) == ["typed after the failure"]


def test_a_persons_draft_is_never_touched(driver: TmuxDriver, tmp_path: Path) -> None:
    """Text a person typed before the send: no paste, no clear keys; the draft survives."""
    pane = spawn_demo(driver, tmp_path, name="demo")
    profile = load_profile("demo")
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    driver.command("send-keys", "-t", pane.pane_id, "-l", "--", "my own draft")
    wait_until(lambda: any("my own draft" in line for line in driver.capture(pane.pane_id)))
    with pytest.raises(SendFailed, match="input box not empty") as failure:
        send_text(driver, pane, "from agenttui", timeout=1.0)
    assert failure.value.cleared is None
    assert [step["step"] for step in failure.value.steps] == ["preflight"]
    driver.send_keys(pane.pane_id, "Enter")
    wait_until(lambda: demo_prompts(tmp_path), message="the draft submitted")
    assert demo_prompts(tmp_path) == ["my own draft"]


def test_input_rows_counts_lines_wraps_and_wide_characters() -> None:
    assert input_rows("short", 120) == 1
    assert input_rows("a\nb\n", 120) == 3
    assert input_rows("x" * 250, 120) == 3  # 114 columns a row
    assert input_rows("字" * 60, 120) == 2  # two columns each


def test_copy_mode_is_left_before_pasting(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    profile = load_profile("demo")
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    driver.command("copy-mode", "-t", pane.pane_id)
    assert driver.resolve(pane.pane_id).in_mode
    result = send_text(driver, pane, "after copy mode", timeout=20)
    assert result.submitted
    assert "left copy mode" in str(result.steps[0]["detail"])
    wait_until(lambda: demo_prompts(tmp_path) == ["after copy mode"], message="one prompt")


def test_dead_pane_is_not_delivered(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = driver.spawn(["sh", "-c", "exit 7"], name="gone", cwd=str(tmp_path))
    wait_until(lambda: driver.resolve(pane.pane_id).dead, message="pane dead")
    with pytest.raises(NotDelivered, match=r"exited \(status 7"):
        send_text(driver, pane.pane_id, "hello")


def test_missing_pane_is_a_usage_error(driver: TmuxDriver) -> None:
    driver.ensure_session()
    with pytest.raises(UsageError, match="no pane %999"):
        send_text(driver, "%999", "hello")
    with pytest.raises(UsageError, match="no agent named 'nobody'"):
        send_text(driver, "nobody", "hello")


def test_busy_agent_is_waited_for_then_gets_the_prompt_once(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    assert send_text(driver, pane, "first [work 6s]", timeout=20).submitted
    # Busy for 6 s: a short timeout gives up before typing anything...
    with pytest.raises(SendFailed, match="not ready for input: working") as failure:
        send_text(driver, pane, "too early", timeout=0.5)
    assert [step["step"] for step in failure.value.steps] == ["preflight"]
    # ...a long one waits until the agent is idle, then delivers exactly once.
    result = send_text(driver, pane, "second", timeout=30)
    assert result.submitted and result.attempts == 1
    wait_until(lambda: len(demo_prompts(tmp_path)) == 2, message="two prompts")
    assert demo_prompts(tmp_path) == ["first [work 6s]", "second"]


def test_agent_awaiting_approval_is_busy(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    assert send_text(driver, pane, "please run command `true`", timeout=20).submitted
    wait_until(lambda: any("Run command" in line for line in driver.capture(pane.pane_id)))
    with pytest.raises(SendFailed, match="awaiting_approval"):
        send_text(driver, pane, "not into the dialog", timeout=0.5)
    driver.send_keys(pane.pane_id, "3")  # deny
    assert send_text(driver, pane, "after the dialog", timeout=20).submitted
    wait_until(lambda: len(demo_prompts(tmp_path)) == 2, message="two prompts")
    assert demo_prompts(tmp_path) == ["please run command `true`", "after the dialog"]


def test_a_swallowed_enter_is_retried_once_and_submits_once(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """Codex-style paste burst: the first Enter after the paste only adds a newline."""
    profile = dataclasses.replace(load_profile("demo"), settle_ms=0)
    argv = profile.launch_argv(extra=["--work", "0.05", "--swallow-enters", "1"])
    pane = driver.spawn(argv, name="bursty", agent="demo", cwd=str(tmp_path))
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    result = send_text(driver, pane, "burst", timeout=30, profile=profile)
    assert (result.submitted, result.attempts) == (True, 2)
    confirms = [step for step in result.steps if step["step"] == "confirm"]
    assert [step["ok"] for step in confirms] == [False, True]
    wait_until(lambda: demo_prompts(tmp_path), message="the prompt")
    assert demo_prompts(tmp_path) == ["burst\n"]  # once, with the newline the burst typed


def test_an_agent_busy_again_after_the_paste_gets_its_enter_once_idle(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """Gemini CLI runs a model call of its own after a turn and ignores Enter meanwhile: the
    Enter waits until it is idle, and "working" with our text still typed confirms nothing."""
    profile = load_profile("demo")
    argv = profile.launch_argv(extra=["--work", "0.05", "--busy-after-paste", "1.5"])
    pane = driver.spawn(argv, name="checker", agent="demo", cwd=str(tmp_path))
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    result = send_text(driver, pane, "after its own check", timeout=30, profile=profile)
    assert (result.submitted, result.attempts) == (True, 1)
    assert result.steps[-2]["step"] == "enter" and float(str(result.steps[-2]["ms"])) >= 1000
    wait_until(lambda: demo_prompts(tmp_path), message="the prompt")
    assert demo_prompts(tmp_path) == ["after its own check"]


def test_a_busy_title_is_read_fresh_before_the_enter(driver: TmuxDriver, tmp_path: Path) -> None:
    """Busy by its title alone (as Gemini CLI's "Working…"; the demo agent's title reads
    "⠿ demo working"): the title read when the text showed is stale by the time the agent is
    idle again; only a fresh one lets the Enter go."""
    demo = load_profile("demo")
    by_title = StateRule("working", title=re.compile("demo working"))
    rules = [by_title, *(rule for rule in demo.rules if rule.state != "working")]
    profile = dataclasses.replace(demo, rules=rules)
    argv = profile.launch_argv(extra=["--work", "0.05", "--busy-after-paste", "1.5"])
    pane = driver.spawn(argv, name="titled", agent="demo", cwd=str(tmp_path))
    wait_until(lambda: wait_ready(driver, pane, profile), message="demo agent ready")
    result = send_text(driver, pane, "after a busy title", timeout=30, profile=profile)
    assert (result.submitted, result.attempts) == (True, 1), result.steps
    assert result.steps[-2]["step"] == "enter" and float(str(result.steps[-2]["ms"])) >= 1000
    wait_until(lambda: demo_prompts(tmp_path), message="the prompt")
    assert demo_prompts(tmp_path) == ["after a busy title"]


def test_concurrent_senders_take_turns(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    texts = [f"sender {n}: " + "words " * 20 for n in range(3)]
    results: list[object] = []

    def send(text: str) -> None:
        results.append(send_text(driver, pane, text, timeout=60).submitted)

    threads = [threading.Thread(target=send, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True, True, True]
    wait_until(lambda: len(demo_prompts(tmp_path)) >= 3, timeout=30, message="3 prompts")
    assert sorted(demo_prompts(tmp_path)) == sorted(texts)
