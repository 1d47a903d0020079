"""A host's agent working in the host's repo (here: a worktree of it) is decided with the
policy of the project agenttui runs for here, as a local agent in that project would be.

The real Claude Code runs on the host (a real sshd on 127.0.0.1), jailed against the scripted
model server; its PermissionRequest hooks go through the host's agenttui to this machine's
hook relay. The local project's ``.agenttui/policy.toml`` denies ``mkdir``, which the global
policy allows, and allows ``touch``, which no global rule decides: the project's rules win.
A run's agent there is decided by the run's repository here (a stand-in agent CLI).
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.e2e.agents import JAIL_PORT_CLAUDE, prepare_claude_home
from tests.e2e.model_server import AnthropicServer, Reply
from tests.e2e.new_user import gateway_config
from tests.hosts.test_hook_relay import HOOKED, behavior, hook_there
from tests.hosts.test_real_clis_on_host import a_turn, on_the_hosts_path
from tests.support.environment import append_config, write_config
from tests.support.profiles import write_profile
from tests.support.sshd import SshdHost, host_config, remote
from workflows.approvals.audit import entries
from workflows.base.paths import config_dir
from workflows.base.store import Store
from workflows.runs.run_store import RunStore


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def repo_with_a_commit(path: Path) -> Path:
    git("init", "-q", "-b", "main", str(path))
    (path / "README").write_text("project\n")
    git("-C", str(path), "add", "README")
    git("-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    return path


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_a_hosts_agent_in_a_worktree_of_its_repo_is_decided_by_the_local_projects_policy(
    ssh_host: SshdHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = repo_with_a_commit(tmp_path / "here" / "app")  # the project agenttui runs for
    (here / ".agenttui").mkdir()
    (here / ".agenttui" / "policy.toml").write_text(
        'allow = ["Bash(touch:*)"]\ndeny = ["Bash(mkdir:*)"]\n'
    )
    there = repo_with_a_commit(ssh_host.repo)  # its clone on the host: [hosts.remote] repo
    worktree = ssh_host.home / "worktrees" / "feature"
    git("-C", str(there), "worktree", "add", "-q", "-b", "feature", str(worktree))
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(mkdir:*)"]\n')
    with AnthropicServer() as server:
        on_the_hosts_path(ssh_host, "claude", JAIL_PORT_CLAUDE, server)
        prepare_claude_home(ssh_host.home, ssh_host.home / "some-other-project", server.api_key)
        gateway_config(config_dir(), server, ssh_host.home, monkeypatch)
        append_config(host_config("remote", ssh_host.ssh_config, there))  # written over
        append_config(f'[workflows]\nrepo = "{here}"\n')
        server.script(
            Reply.bash("mkdir refused-by-the-project"),
            Reply.text("Understood, marker-p1."),
            Reply.bash("touch allowed-by-the-project.txt"),
            Reply.text("Created it, marker-p2."),
        )
        code, spawned = remote(
            "spawn", "--agent", "claude", "--name", "c1", "--cwd", str(worktree),
            "--timeout", "120",
        )  # fmt: skip
        assert code == 0, spawned
        assert spawned["state"] == "idle" and spawned["cwd"] == str(worktree), spawned

        a_turn(
            "c1",
            "make the directory",
            lambda: any("refused" in text for text in server.tool_results()),
            "the project's refusal back to the model",
        )
        assert not (worktree / "refused-by-the-project").exists()
        a_turn(
            "c1",
            "now create the file",
            (worktree / "allowed-by-the-project.txt").exists,
            "the command the project allows, run without a key press",
        )
        (refused,) = [text for text in server.tool_results() if "refused" in text]
        assert "agenttui policy refused this (rule:Bash(mkdir:*)" in refused

    audit = [(e.summary, e.decision, e.decided_by, e.reason) for e in reversed(entries(Store()))]
    assert audit == [
        ("mkdir refused-by-the-project", "deny", "rule:Bash(mkdir:*)", "project policy"),
        ("touch allowed-by-the-project.txt", "allow", "rule:Bash(touch:*)", "project policy"),
    ]


def project_denying(path: Path, command: str) -> Path:
    repo = repo_with_a_commit(path)
    (repo / ".agenttui").mkdir()
    (repo / ".agenttui" / "policy.toml").write_text(f'deny = ["Bash({command}:*)"]\n')
    return repo


def test_a_run_s_agent_on_a_host_is_decided_by_the_run_s_project_and_others_by_the_configured(
    ssh_host: SshdHost, tmp_path: Path
) -> None:
    """Through the host's own `agenttui hook` (called as Claude Code calls it there) and the
    relay: the run's agent by the run's repository here, an agent of no run by
    `[workflows] repo`, one in another checkout there by the global rules only."""
    ran_for = project_denying(tmp_path / "run-project", "echo x")
    configured = project_denying(tmp_path / "configured", "echo y")
    repo_with_a_commit(ssh_host.repo)
    other = repo_with_a_commit(ssh_host.home / "other")
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(echo:*)"]\n')
    append_config(f'[workflows]\nrepo = "{configured}"\n')
    write_profile("hooked", HOOKED)
    run = RunStore().create("quick-fix", {}, ["ENG-1"], {"repo": str(ran_for), "host": "remote"})
    panes = {}
    for name, extra in (("h1", ["--run", run.id]), ("h2", [])):
        code, spawned = remote("spawn", "--agent", "hooked", "--name", name, "--no-wait", *extra)
        assert code == 0, spawned
        panes[name] = spawned["pane"]
    env = ssh_host.environ_of(panes["h1"])

    def decided(pane: str, command: str, cwd: Path = ssh_host.repo) -> str:
        return behavior(hook_there(ssh_host, env, pane, command, cwd=cwd))

    assert decided(panes["h1"], "echo x") == "deny"  # the run's project
    assert decided(panes["h1"], "echo y") == "allow"  # not the configured one's
    assert decided(panes["h2"], "echo y") == "deny"  # no run: [workflows] repo
    assert decided(panes["h2"], "echo x") == "allow"
    assert decided(panes["h2"], "echo y", other) == "allow"  # another checkout: global
    audit = [(e.summary, e.decision, e.reason) for e in reversed(entries(Store()))]
    assert audit == [
        ("echo x", "deny", "project policy"),
        ("echo y", "allow", "global policy"),
        ("echo y", "deny", "project policy"),
        ("echo x", "allow", "global policy"),
        ("echo y", "allow", "global policy"),
    ]


def test_a_hosts_repo_configured_through_a_symlink_is_still_the_project(
    ssh_host: SshdHost, tmp_path: Path
) -> None:
    """`[hosts.remote] repo` names a symlink to the clone there (``~/code`` → the disk it is
    on); the hooks send the real path: the agent there is still decided by the project."""
    configured = project_denying(tmp_path / "configured", "echo y")
    repo_with_a_commit(ssh_host.repo)
    link = ssh_host.home / "code"
    link.symlink_to(ssh_host.repo)
    write_config(host_config("remote", ssh_host.ssh_config, link))
    (config_dir() / "policy.toml").write_text('allow = ["Bash(echo:*)"]\n')
    append_config(f'[workflows]\nrepo = "{configured}"\n')
    write_profile("hooked", HOOKED)
    code, spawned = remote("spawn", "--agent", "hooked", "--name", "s1", "--no-wait")
    assert code == 0, spawned
    env = ssh_host.environ_of(spawned["pane"])
    decided = behavior(hook_there(ssh_host, env, spawned["pane"], "echo y", cwd=link))
    assert decided == "deny"  # the project's rule, not the global allow
    assert [e.reason for e in entries(Store())] == ["project policy"]


def test_always_on_a_hosts_agent_learns_for_the_project_its_hooks_are_decided_with(
    ssh_host: SshdHost, tmp_path: Path
) -> None:
    """`approve-always` on an agent in the host's repo learns for the local project its hooks
    are decided with (a run's agent: the run's), not for every project; one working in
    another checkout there still learns for every project."""
    ran_for = repo_with_a_commit(tmp_path / "run-project")
    configured = repo_with_a_commit(tmp_path / "configured")
    repo_with_a_commit(ssh_host.repo)
    other = repo_with_a_commit(ssh_host.home / "other")
    append_config(f'[workflows]\nrepo = "{configured}"\n')
    run = RunStore().create("quick-fix", {}, ["ENG-1"], {"repo": str(ran_for), "host": "remote"})
    agents = {
        "r1": ("always-r1", configured, []),
        "r2": ("always-r2", ran_for, ["--run", run.id]),
        "r3": ("always-r3", "", ["--cwd", str(other)]),
    }
    for name, (word, project, extra) in agents.items():
        code, spawned = remote("spawn", "--agent", "demo", "--name", name, *extra)
        assert code == 0, spawned
        assert remote("send", name, f"please run command `echo {word}`")[0] == 0
        code, waiting = remote("wait", name, "--state", "awaiting_approval", "--timeout", "30")
        assert code == 0, waiting
        code, shown = remote("approve-always", name)  # the default scope: the project
        assert code == 0 and shown["project"] == str(project), shown
        code, saved = remote("approve-always", name, "--yes")
        assert code == 0 and saved["saved"], saved
        assert remote("wait", name, "--state", "idle", "--timeout", "30")[0] == 0
    learned = tomllib.loads((config_dir() / "learned-policy.toml").read_text())["rules"]
    assert [(rule["rule"], rule.get("project", "")) for rule in learned] == [
        ("Bash(echo:*)", str(configured)),
        ("Bash(echo:*)", str(ran_for)),
        ("Bash(echo:*)", ""),
    ]
