"""The approval policy answering the real Claude Code through its PermissionRequest hook.

Claude Code (npm, offline against a scripted Anthropic server, inside ``unshare -n``) asks
for two Bash commands: one an allow rule covers — it runs with no key pressed — and a force
push, which the hard deny-list refuses even though a broad allow rule exists; Claude gets the
refusal message as the tool result. Both decisions are in the audit log.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, OpenAIServer, Reply
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.approvals.audit import entries
from workflows.approvals.guard import Guard
from workflows.base.paths import config_dir
from workflows.base.store import Store
from workflows.runs.run_store import run_worktree
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_policy_answers_claude_through_the_hook(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path
) -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(touch:*)", "Bash(git push:*)"]\n')
    anthropic.script(
        Reply.bash("touch allowed-a1.txt"),
        Reply.text("Created it, marker-a2."),
        Reply.bash("git push --force origin main"),
        Reply.text("Understood, marker-d3."),
        Reply.bash("cat .env"),
        Reply.text("Fine, marker-e4."),
    )
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="w1")
    agent.wait_state("idle")

    assert agent.send("create the file please").submitted
    try:
        wait_until(
            (agent.project / "allowed-a1.txt").exists,
            timeout=30,
            message="the allowed command to run without a key press",
        )
    except AssertionError:
        print("\n".join(agent.screen()))
        print(events_for_agent(Store(), "w1"))
        print(entries(Store()))
        raise
    agent.wait_screen("marker-a2")
    agent.wait_state("idle")

    assert agent.send("now force push").submitted
    agent.wait_screen("marker-d3")
    agent.wait_state("idle")

    # Claude reads files in its project without asking: only PreToolUse can refuse this one.
    (agent.project / ".env").write_text("API_TOKEN=hunter2-e5\n")
    assert agent.send("show me the env file").submitted
    agent.wait_screen("marker-e4")
    agent.wait_state("idle")

    results = anthropic.tool_results()
    refused = [text for text in results if "agenttui policy refused" in text]
    assert len(refused) == 2
    assert "deny-list:force-push" in refused[0] and "deny-list:credentials" in refused[1]
    assert not any("hunter2-e5" in text for text in results)

    # Only the touch reached a permission dialog: the others were refused before it.
    permissions = events_for_agent(Store(), "w1", kind="permission")
    assert [e["payload"]["tool_input"]["command"] for e in permissions] == ["touch allowed-a1.txt"]
    audit = [
        (e.agent, e.tool, e.summary, e.decision, e.decided_by) for e in reversed(entries(Store()))
    ]
    assert audit == [
        ("w1", "Bash", "touch allowed-a1.txt", "allow", "rule:Bash(touch:*)"),
        ("w1", "Bash", "git push --force origin main", "deny", "deny-list:force-push"),
        ("w1", "Bash", "cat .env", "deny", "deny-list:credentials"),
    ]
    assert anthropic.prompts() == [
        "create the file please",
        "now force push",
        "show me the env file",
    ]


def test_guard_answers_the_real_codex_with_keys(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path
) -> None:
    """Codex has no permission hook: the guard reads its dialog and presses its keys."""
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(touch:*)", "Bash(git push:*)"]\n')
    openai.script(
        Reply.exec("touch guarded-x1.txt"),
        Reply.text("Created it, marker-x2."),
        Reply.exec("git push --force origin main"),
    )
    agent = AgentPane.codex(driver, openai, tmp_path, name="x9")
    guard = Guard(driver, run_worktree)
    thread = threading.Thread(target=guard.run, daemon=True)
    thread.start()
    try:
        agent.wait_state("idle")
        assert agent.send("create the file please").submitted
        wait_until(
            (agent.project / "guarded-x1.txt").exists,
            timeout=60,
            message="the allowed command to run with no person",
        )
        agent.wait_screen("marker-x2")
        agent.wait_state("idle")

        assert agent.send("now force push").submitted
        wait_until(lambda: len(entries(Store())) == 2, timeout=60, message="the push judged")
        agent.wait_state("idle")  # Codex takes the refusal (Esc) and waits for new input
    finally:
        guard.stop.set()
        thread.join(timeout=10)
    audit = [(e.agent, e.summary, e.decision, e.decided_by) for e in reversed(entries(Store()))]
    assert audit == [
        ("x9", "touch guarded-x1.txt", "allow", "rule:Bash(touch:*)"),
        ("x9", "git push --force origin main", "deny", "deny-list:force-push"),
    ]


def test_codex_hooks_refuse_a_sandboxed_secret_read(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path
) -> None:
    """Codex runs sandboxed commands without asking; its PreToolUse hook still refuses."""
    openai.script(
        Reply.exec("cat .env", escalated=False),
        Reply.text("Fine, marker-c2."),
    )
    agent = AgentPane.codex(driver, openai, tmp_path, name="x8")
    (agent.project / ".env").write_text("API_TOKEN=hunter2-c1\n")
    agent.wait_state("idle")
    assert agent.send("show me the env file").submitted
    agent.wait_screen("marker-c2", timeout=90)
    agent.wait_state("idle")
    sent_back = json.dumps([r.body for r in openai.requests])
    assert "hunter2-c1" not in sent_back
    assert "agenttui policy refused" in sent_back
    audit = [(e.agent, e.summary, e.decision, e.decided_by) for e in entries(Store())]
    assert audit == [("x8", "cat .env", "deny", "deny-list:credentials")]


def test_claude_asks_a_person_about_a_delete_the_policy_cannot_judge(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path
) -> None:
    """``rm -rf "$PWD/build-q1"``: an allow rule covers rm, but the deny-list cannot know the
    target, so PreToolUse answers "ask" and Claude shows its dialog with agenttui's reason
    (the PermissionRequest that follows audits the question); the person approves it."""
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(rm:*)"]\n')
    anthropic.script(
        Reply.bash('rm -rf "$PWD/build-q1"'),
        Reply.text("Removed it, marker-q2."),
    )
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="w2")
    (agent.project / "build-q1").mkdir()
    agent.wait_state("idle")
    assert agent.send("clean the build please").submitted
    reading = agent.wait_state("awaiting_approval")
    try:
        # The reason the person reads names the variable the policy cannot know.
        screen = "\n".join(agent.wait_screen("cannot know", timeout=10))
        assert "deny-list-ask:recursive-delete" in screen and "$PWD" in screen
        assert (agent.project / "build-q1").exists()
    except AssertionError:
        print("\n".join(agent.screen()), reading, entries(Store()))
        raise
    agent.act("approve")
    wait_until(lambda: not (agent.project / "build-q1").exists(), timeout=30,
               message="the approved delete to run")  # fmt: skip
    agent.wait_screen("marker-q2")
    audit = [(e.summary, e.decision, e.decided_by) for e in reversed(entries(Store()))]
    assert audit[-1] == ('rm -rf "$PWD/build-q1"', "allow", "person")
    assert ('rm -rf "$PWD/build-q1"', "ask", "deny-list-ask:recursive-delete") in audit


def test_codex_refuses_what_it_could_not_ask_about(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path
) -> None:
    """Codex runs a call its PreToolUse hook answers "ask": the hook refuses it instead,
    and the refusal names the variable the policy cannot know."""
    openai.script(
        Reply.exec('rm -rf "$PWD/build-c1"', escalated=False),
        Reply.text("Understood, marker-c3."),
    )
    agent = AgentPane.codex(driver, openai, tmp_path, name="x7")
    (agent.project / "build-c1").mkdir()
    agent.wait_state("idle")
    assert agent.send("clean the build please").submitted
    agent.wait_screen("marker-c3", timeout=90)
    assert (agent.project / "build-c1").exists()
    sent_back = json.dumps([r.body for r in openai.requests])
    assert "cannot ask a person" in sent_back and "$PWD" in sent_back
    audit = [(e.summary, e.decision, e.decided_by) for e in entries(Store())]
    assert audit == [('rm -rf "$PWD/build-c1"', "deny", "deny-list:recursive-delete")]
