"""The real Claude Code and Codex on a host, end to end (issue 17, item 1), decided here.

The host is a real sshd on 127.0.0.1 (tests/support/sshd.py) with a HOME of its own; the CLI
(``$AGENTTUI_NPM_BIN``, the newest release) runs there jailed in ``unshare -n`` against the
scripted model server of tests/e2e, so nothing can reach a non-loopback address. It starts
with its built-in profile in a git repo on the host it never opened (its trust dialog
answered as here), and its hooks call the agenttui there, which hands them to this machine's
hook relay. For Claude, this machine's policy allows ``touch`` and denies ``mkdir``; the
host's own agenttui policy says the opposite, so a decision taken there would show.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w

from tests.e2e.agents import (
    JAIL_PORT_CLAUDE,
    JAIL_PORT_CODEX,
    npm_bin,
    prepare_claude_home,
    prepare_codex_home,
)
from tests.e2e.model_server import AnthropicServer, ModelServer, OpenAIServer, Reply
from tests.e2e.netjail import jail_argv
from tests.e2e.new_user import gateway_config
from tests.support.environment import append_config
from tests.support.sshd import SshdHost, host_config, remote
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.approvals.audit import entries
from workflows.base.paths import config_dir
from workflows.base.store import Store

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def on_the_hosts_path(ssh_host: SshdHost, name: str, port: int, server: ModelServer) -> None:
    """``name`` first on the host's PATH runs the real CLI jailed: only the model server is
    reachable, as 127.0.0.1:``port`` inside the jail."""
    jailed = jail_argv(port, str(server.unix_path), [npm_bin(name)])
    wrapper = ssh_host.home / "bin" / name
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.join(jailed)} "$@"\n')
    wrapper.chmod(0o755)


def a_turn(agent: str, prompt: str, done: Callable[[], object], message: str) -> None:
    """``prompt`` sent to ``agent`` on the host; back once ``done()`` holds and it is idle."""
    code, sent = remote("send", agent, prompt)
    assert code == 0 and sent["submitted"] is True, sent
    wait_until(done, timeout=60, message=message)
    assert remote("wait", agent, "--state", "idle", "--timeout", "60")[0] == 0


def a_repo_never_opened(ssh_host: SshdHost) -> Path:
    repo = ssh_host.repo
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    return repo


def test_claude_on_a_host_is_approved_and_refused_by_this_machines_policy(
    ssh_host: SshdHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = a_repo_never_opened(ssh_host)
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text(
        'allow = ["Bash(touch:*)"]\ndeny = ["Bash(mkdir:*)"]\n'
    )
    host_agenttui = ssh_host.home / ".config" / "agenttui"
    host_agenttui.mkdir(parents=True)
    (host_agenttui / "policy.toml").write_text(
        'allow = ["Bash(mkdir:*)"]\ndeny = ["Bash(touch:*)"]\n'
    )
    with AnthropicServer() as server:
        on_the_hosts_path(ssh_host, "claude", JAIL_PORT_CLAUDE, server)
        # Claude's onboarding done in the host's HOME, but that repo never opened.
        prepare_claude_home(ssh_host.home, ssh_host.home / "some-other-project", server.api_key)
        # The key only in agenttui's environment here (env_from), the agent's HOME the host's.
        gateway_config(config_dir(), server, ssh_host.home, monkeypatch)
        append_config(host_config("remote", ssh_host.ssh_config, repo))  # written over
        server.script(
            Reply.bash("touch allowed-here.txt"),
            Reply.text("Created it, marker-h1."),
            Reply.bash("mkdir refused-here"),
            Reply.text("Understood, marker-h2."),
        )
        code, spawned = remote("spawn", "--agent", "claude", "--name", "c1", "--timeout", "120")
        assert code == 0, spawned
        assert spawned["state"] == "idle" and spawned["cwd"] == str(repo), spawned
        # The trust dialog was answered as it is here: Claude recorded the repo as trusted.
        claude_state = json.loads((ssh_host.home / ".claude.json").read_text())
        assert claude_state["projects"][str(repo)]["hasTrustDialogAccepted"] is True
        assert events_for_agent(Store(), "c1", kind="trust_answered")

        a_turn(
            "c1",
            "create the file please",
            (repo / "allowed-here.txt").exists,
            "the command this machine allows to run without a key press",
        )
        a_turn(
            "c1",
            "now make the directory",
            lambda: any("refused" in text for text in server.tool_results()),
            "the refusal back to the model",
        )
        code, read = remote("read", "c1")  # its state, read from here
        assert code == 0 and read["state"] == "idle", read
        assert "marker-h2" in "\n".join(read["lines"])

        assert not (repo / "refused-here").exists()
        (refused,) = [text for text in server.tool_results() if "refused" in text]
        assert "agenttui policy refused this (rule:Bash(mkdir:*)" in refused
        assert server.prompts() == ["create the file please", "now make the directory"]

    # Decided and audited here, by this machine's rules; the host's store decided nothing.
    audit = [(e.agent, e.summary, e.decision, e.decided_by) for e in reversed(entries(Store()))]
    assert audit == [
        ("c1", "touch allowed-here.txt", "allow", "rule:Bash(touch:*)"),
        ("c1", "mkdir refused-here", "deny", "rule:Bash(mkdir:*)"),
    ]
    host_store = Store(ssh_host.home / ".cache" / "agenttui" / "state" / "agenttui.sqlite3")
    assert entries(host_store) == []
    kinds = [event["kind"] for event in events_for_agent(Store(), "c1")]
    assert kinds.count("permission") == 2 and kinds.count("answered") == 2
    assert kinds.count("submit") == 2 and kinds.count("stop") >= 2


def test_codex_on_a_host_has_its_hooks_judged_and_audited_here(
    ssh_host: SshdHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Codex runs a sandboxed ``cat .env`` without asking: its PreToolUse hook, on the host,
    is refused by this machine's deny-list through the relay, and audited here; its turn's
    notify reaches this store."""
    repo = a_repo_never_opened(ssh_host)
    (repo / ".env").write_text("API_TOKEN=hunter2-h3\n")
    with OpenAIServer() as server:
        on_the_hosts_path(ssh_host, "codex", JAIL_PORT_CODEX, server)
        codex_home = ssh_host.home / ".codex"  # no approval policy: "Trust this folder?"
        prepare_codex_home(codex_home, repo, trusted=False)
        (ssh_host.home / "tmp").mkdir()
        monkeypatch.setenv("E2E_OPENAI_KEY", server.api_key)
        env = {"CODEX_HOME": str(codex_home), "TMPDIR": str(ssh_host.home / "tmp")}
        agents = {"codex": {"env": env, "env_from": ["E2E_OPENAI_KEY"]}}
        append_config(tomli_w.dumps({"agents": agents}))
        server.script(Reply.exec("cat .env", escalated=False), Reply.text("Fine, marker-h4."))
        code, spawned = remote("spawn", "--agent", "codex", "--name", "x1", "--timeout", "120")
        assert code == 0, spawned
        assert spawned["state"] == "idle" and spawned["cwd"] == str(repo), spawned
        assert events_for_agent(Store(), "x1", kind="trust_answered")

        code, sent = remote("send", "x1", "show me the env file")
        assert code == 0 and sent["submitted"] is True, sent
        wait_until(
            lambda: events_for_agent(Store(), "x1", kind="stop"),
            timeout=90,
            message="the turn's notify, here",
        )
        code, read = remote("read", "x1")
        assert code == 0 and read["state"] == "idle", read
        assert "marker-h4" in "\n".join(read["lines"])
        sent_back = json.dumps([request.body for request in server.requests])
        assert "hunter2-h3" not in sent_back and "agenttui policy refused" in sent_back

    audit = [(e.agent, e.summary, e.decision, e.decided_by) for e in entries(Store())]
    assert audit == [("x1", "cat .env", "deny", "deny-list:credentials")]
    host_store = Store(ssh_host.home / ".cache" / "agenttui" / "state" / "agenttui.sqlite3")
    assert entries(host_store) == [] and events_for_agent(host_store, "x1") == []
