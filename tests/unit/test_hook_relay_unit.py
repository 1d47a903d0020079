"""The hook relay's two ends without a host: a relay out of reach decides nothing; a request
the relay answers is judged and keyed as its host sent it (tests/hosts has the real ssh)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from workflows.agents.hooks import events_for_agent
from workflows.approvals.audit import entries
from workflows.approvals.relay import answer_request
from workflows.base.paths import config_dir
from workflows.base.store import Store

PERMISSION = {
    "hook_event_name": "PermissionRequest",
    "cwd": "/",
    "tool_name": "Bash",
    "tool_input": {"command": "echo hi"},
}


def hook(kind: str, payload: dict[str, Any], relay: str, name: str = "h1") -> str:
    """``agenttui hook`` as an agent on a host calls it, its relay at ``relay``."""
    env = {**os.environ, "AGENTTUI_HOOK_RELAY": relay, "TMUX_PANE": "%4"}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "hook", "--pane", name, kind],
        input=json.dumps(payload), capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_relay_out_of_reach_leaves_every_decision_to_a_person_with_the_reason(
    tmp_path: Path,
) -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash"]\n')  # this host's: not asked
    gone = str(tmp_path / "no-relay.sock")
    assert hook("claude", PERMISSION, gone) == ""  # Claude shows its dialog
    permission, left = events_for_agent(Store(), "h1")
    assert (permission["kind"], left["kind"], left["pane_id"]) == ("permission", "undecided", "%4")
    assert left["payload"]["by"] == "relay"
    assert "out of reach" in left["payload"]["reason"] and gone in left["payload"]["reason"]
    assert entries(Store()) == []  # nothing decided, so nothing audited here

    pre_tool = {**PERMISSION, "hook_event_name": "PreToolUse"}
    asked = json.loads(hook("claude", pre_tool, gone))["hookSpecificOutput"]
    assert (
        asked["permissionDecision"] == "ask" and "out of reach" in asked["permissionDecisionReason"]
    )
    refused = json.loads(hook("codex", pre_tool, gone, name="c1"))["hookSpecificOutput"]
    assert refused["permissionDecision"] == "deny"  # Codex runs the call when told "ask"
    assert "cannot ask a person" in refused["permissionDecisionReason"]


def test_a_relay_that_closes_without_an_answer_decides_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mute.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        assert hook("claude", PERMISSION, str(path)) == ""
    finally:
        listener.close()
    reason = events_for_agent(Store(), "h1", kind="undecided")[0]["payload"]["reason"]
    assert "closed without an answer" in reason


def test_the_relay_judges_a_request_with_this_policy_keyed_by_the_hosts_pane() -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('deny = ["Bash(echo:*)"]\n')
    request = {
        "agent_kind": "claude",
        "name": "h1",
        "raw": json.dumps(PERMISSION),
        "pane": "%9",
        "server": "/there/tmux-1/default,77",
        "home": "/home/there",
        "worktree": "/home/there/repo",
    }
    answer = answer_request(json.dumps(request).encode(), lambda _run: None)
    assert answer["reply"]["hookSpecificOutput"]["decision"]["behavior"] == "deny"
    events = events_for_agent(Store(), "h1")
    assert [(e["kind"], e["pane_id"]) for e in events] == [("permission", "%9"), ("answered", "%9")]
    (entry,) = entries(Store())
    assert (entry.decision, entry.decided_by) == ("deny", "rule:Bash(echo:*)")

    assert "error" in answer_request(b"{not json", lambda _run: None)
    missing = answer_request(json.dumps({"agent_kind": "claude"}).encode(), lambda _run: None)
    assert "text fields" in missing["error"]
    other = answer_request(json.dumps({**request, "agent_kind": "sh"}).encode(), lambda _r: None)
    assert "unknown agent kind" in other["error"]


def test_a_hosts_request_gets_no_project_of_this_machine_even_at_the_same_path(
    tmp_path: Path,
) -> None:
    """The host's checkout path may exist here too (the same layout on both machines): that
    project's rules are this machine's checkout's, not the host's agent's."""
    repo = tmp_path / "src" / "app"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".agenttui").mkdir()
    (repo / ".agenttui" / "policy.toml").write_text('allow = ["Bash(echo:*)"]\n')
    payload = {**PERMISSION, "cwd": str(repo)}
    request = {
        "agent_kind": "claude",
        "name": "h2",
        "raw": json.dumps(payload),
        "pane": "%1",
        "server": "/there/tmux-1/default,77",
        "home": "/home/there",
        "worktree": str(repo),
    }
    answer = answer_request(json.dumps(request).encode(), lambda _run: None)
    assert answer["reply"] is None  # no rule decides it: a person does
    local = json.loads(hook("claude", payload, "", name="local"))  # a local agent there
    assert local["hookSpecificOutput"]["decision"]["behavior"] == "allow"


def git_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(
        ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t",
         "commit", "-q", "--allow-empty", "-m", "first"],
        check=True,
    )  # fmt: skip
    return path


def test_a_hosts_repo_and_its_worktrees_are_decided_by_the_project_agenttui_runs_for(
    tmp_path: Path,
) -> None:
    """Its checkout there maps to ``[workflows] repo`` here: that project's policy and the
    rules learned for it decide; another checkout there, or no ``[workflows] repo``, keeps
    the global rules and those learned for every project."""
    from tests.support.environment import append_config
    from workflows.approvals.relay_client import relay_request
    from workflows.base.hosts import SshHost

    here = git_repo(tmp_path / "here")  # the project agenttui runs for
    (here / ".agenttui").mkdir()
    (here / ".agenttui" / "policy.toml").write_text('deny = ["Bash(echo hi:*)"]\n')
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(echo:*)"]\n')
    (config_dir() / "learned-policy.toml").write_text(
        f'[[rules]]\nrule = "Bash(ls:*)"\nbehavior = "allow"\nproject = "{here}"\n'
    )
    # The host's side, played by folders here: its repo (as ~/repo) and a worktree of it.
    home = tmp_path / "there"
    repo = git_repo(home / "repo")
    worktree = home / "wt"
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", str(worktree)], check=True)
    other = git_repo(home / "other")
    host = SshHost("gpu", "gpu", repo="~/repo")
    append_config(f'[workflows]\nrepo = "{here}"\n')

    def decided(cwd: Path, command: str) -> str:
        payload = {**PERMISSION, "cwd": str(cwd), "tool_input": {"command": command}}
        request = json.loads(relay_request("claude", "h3", json.dumps(payload), payload))
        request["home"] = str(home)  # the host's ~
        reply = answer_request(json.dumps(request).encode(), lambda _run: None, host)["reply"]
        return "ask" if reply is None else str(reply["hookSpecificOutput"]["decision"]["behavior"])

    # The host sends its repository's main checkout: the repo, also from its worktree.
    payload = {**PERMISSION, "cwd": str(worktree / "sub")}
    (worktree / "sub").mkdir()
    assert json.loads(relay_request("claude", "h3", "{}", payload))["checkout"] == str(repo)

    assert decided(worktree / "sub", "echo hi") == "deny"  # the project's rule, not global
    assert decided(repo, "echo hi") == "deny"
    assert decided(worktree, "ls -la") == "allow"  # learned for that project
    assert decided(other, "echo hi") == "allow"  # another checkout there: global rules
    assert decided(other, "ls -la") == "ask"  # and not the project's learned ones
    audit = [(e.summary, e.decision, e.reason) for e in reversed(entries(Store()))]
    assert audit[:3] == [
        ("echo hi", "deny", "project policy"),
        ("echo hi", "deny", "project policy"),
        ("ls -la", "allow", "learned policy"),
    ]

    (config_dir() / "config.toml").unlink(missing_ok=True)
    append_config(f'[workflows]\nrepo = "{tmp_path / "no-such"}"\n')
    assert decided(repo, "echo hi") == "allow"  # it maps to no project here: global
