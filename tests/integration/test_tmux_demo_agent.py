"""The offline demo agent in tmux: answer files, implement diffs, approvals, interrupts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.tmux import demo_prompts, spawn_demo
from tests.support.waiting import wait_until
from workflows.agents.delivery import send_text
from workflows.agents.observe import read_state
from workflows.agents.state import AgentState
from workflows.tmux.driver import TmuxDriver


def state(driver: TmuxDriver, pane_id: str) -> AgentState:
    return read_state(driver, driver.resolve(pane_id)).state


def test_answer_file_verdict_and_implement_diff(driver: TmuxDriver, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    pane = spawn_demo(driver, tmp_path, name="demo")
    send_text(driver, pane, "Plan it.\nWrite your answer to the file: notes/plan.md", timeout=30)
    send_text(driver, pane, "Review. Say VERDICT.\nWrite your answer to the file: notes/review.md")
    send_text(driver, pane, "Now implement the plan.", timeout=30)
    wait_until((tmp_path / "DEMO_CHANGES.md").exists, timeout=30, message="implement change")
    assert (tmp_path / "notes/plan.md").read_text().startswith("# Answer to prompt #1")
    assert (tmp_path / "notes/review.md").read_text().startswith("VERDICT: PASS")
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "DEMO_CHANGES.md" in status and ".demo-agent" not in status  # its log is ignored


def test_approval_dialog_states_and_answers(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    send_text(driver, pane, "run command `echo one > one.txt`", timeout=30)
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.AWAITING_APPROVAL)
    reading = read_state(driver, driver.resolve(pane.pane_id))
    assert reading.detail["command"] == "echo one > one.txt"
    driver.send_keys(pane.pane_id, "3")  # No
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.IDLE)
    assert not (tmp_path / "one.txt").exists()
    send_text(driver, pane, "run command `echo two > two.txt`", timeout=30)
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.AWAITING_APPROVAL)
    driver.send_keys(pane.pane_id, "2")  # Always
    wait_until((tmp_path / "two.txt").exists, message="approved command ran")
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.IDLE)
    send_text(driver, pane, "run command `echo three > three.txt`", timeout=30)
    wait_until((tmp_path / "three.txt").exists, message="always-approved command ran")


def test_escape_interrupts_work(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    send_text(driver, pane, "a long job [work 60s]", timeout=30)
    assert state(driver, pane.pane_id) is AgentState.WORKING
    driver.send_keys(pane.pane_id, "Escape")
    wait_until(lambda: any("Interrupted" in line for line in driver.capture(pane.pane_id)))
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.IDLE)
    assert not (tmp_path / ".demo-agent" / "reply-1.md").exists()
    assert demo_prompts(tmp_path) == ["a long job [work 60s]"]


def test_first_prompt_on_the_command_line(driver: TmuxDriver, tmp_path: Path) -> None:
    from workflows.agents.settings import load_profile

    argv = load_profile("demo").launch_argv(extra=["--work", "0.05", "hello from argv;"])
    pane = driver.spawn(argv, name="argv", cwd=str(tmp_path))
    wait_until(lambda: demo_prompts(tmp_path) == ["hello from argv;"])
    wait_until((tmp_path / ".demo-agent" / "reply-1.md").exists)
    assert driver.resolve(pane.pane_id).dead is False


def test_a_question_is_asking_until_answered(driver: TmuxDriver, tmp_path: Path) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    send_text(driver, pane, "Before you start, ask me which approach.", timeout=30)
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.ASKING)
    reading = read_state(driver, driver.resolve(pane.pane_id))
    assert reading.detail["question"] == "Which approach should I take?"
    driver.send_keys(pane.pane_id, "2")
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.IDLE)
    reply = tmp_path / ".demo-agent" / "reply-1.md"
    wait_until(reply.exists)
    assert "Answer to my question: The thorough one" in reply.read_text()


def test_dot_directory_answer_file_and_a_transcript_above_the_input_box(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    pane = spawn_demo(driver, tmp_path, name="demo")
    send_text(driver, pane, "Refine it. Write your answer to the file: `.agenttui/x.md`.")
    wait_until((tmp_path / ".agenttui" / "x.md").exists, message="answer in the dot directory")
    assert not (tmp_path / "agenttui").exists()
    send_text(driver, pane, "Plan it, then run command `ls -la` to look around", timeout=30)
    wait_until(lambda: state(driver, pane.pane_id) is AgentState.AWAITING_APPROVAL)
    driver.send_keys(pane.pane_id, "1")

    def transcript() -> list[str]:
        lines = driver.capture(pane.pane_id)
        boxes = [i for i, line in enumerate(lines) if line.startswith("❯")]
        return [line for line in lines[: boxes[-1] - 1] if line.strip()] if boxes else []

    wait_until(
        lambda: any(row.startswith("✓ Done #2") for row in transcript()),
        message="the second job done",
    )
    rows = transcript()
    assert rows[1:5] == [
        "> Refine it. Write your answer to the file: `.agenttui/x.md`.",
        "⏺ On it: Refine it.",
        "  ⎿ wrote .agenttui/x.md",
        rows[4],  # ✓ Done #1 in Ns
    ]
    assert rows[4].startswith("✓ Done #1 in ")
    assert rows[5:8] == [
        "> Plan it, then run command `ls -la` to look around",
        "⏺ On it: Plan it, then run command `ls -la` to look around",
        "  ⎿ ran `ls -la` (exit 0)",
    ]
    # Newest rows sit just above the input box: a tile showing the pane's bottom shows them.
    lines = driver.capture(pane.pane_id)
    box = max(i for i, line in enumerate(lines) if line.startswith("❯"))
    assert lines[box - 3].startswith("✓ Done #2") and lines[box - 2] == ""
