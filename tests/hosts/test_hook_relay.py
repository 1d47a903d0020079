"""Hooks of an agent on a host are decided by THIS machine's policy (issue 17, item 1).

The host's hook (its own ``agenttui hook``, as Claude Code calls it there, with the event on
stdin) reaches this machine's hook relay through a unix socket forwarded over the host's
shared ssh connection; the decision, its audit and the events are this machine's. The host's
own policy says the opposite of this one's, so a decision taken there would show.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from tests.support.cli import agenttui_json, agenttui_result
from tests.support.environment import append_config
from tests.support.profiles import write_profile
from tests.support.sshd import SshdHost, alive, host_config, remote, running_sshd
from tests.support.waiting import wait_until
from workflows.agents.hook_relay import NO_AGENTS, relay_running, relay_status, stop_relay
from workflows.agents.hooks import events_for_agent
from workflows.approvals.audit import entries
from workflows.base.paths import config_dir, state_dir
from workflows.base.store import Store

HOOK_CALLER = Path(__file__).parents[1] / "support" / "hook_caller.py"
HOOKED = (
    f'name = "hooked"\ncommand = ["{sys.executable}", "{HOOK_CALLER}"]\n'
    'hooks = "claude-settings"\nprompt = "send"\nready = \'^> \'\n'
    "input_empty = '^>\\s*$'\n"
)
"""A stand-in agent CLI calling Claude Code's hooks (tests/support/hook_caller.py)."""
HERE_POLICY = 'allow = ["Bash(echo relay-ok:*)"]\ndeny = ["Bash(touch:*)"]\n'
HOST_POLICY = 'allow = ["Bash(touch:*)"]\ndeny = ["Bash(echo relay-ok:*)"]\n'


def spawn_hooked(ssh_host: SshdHost, host_policy: str) -> tuple[str, dict[str, str]]:
    """A stand-in agent with Claude's hooks on the host, ``HERE_POLICY`` here and
    ``host_policy`` in the host's own agenttui config; its pane and environment."""
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text(HERE_POLICY)
    host_config = ssh_host.home / ".config" / "agenttui"
    host_config.mkdir(parents=True)
    (host_config / "policy.toml").write_text(host_policy)
    write_profile("hooked", HOOKED)
    code, spawned = remote("spawn", "--agent", "hooked", "--name", "h1", "--no-wait")
    assert code == 0, spawned
    return str(spawned["pane"]), ssh_host.environ_of(spawned["pane"])


def test_hooks_of_an_agent_on_a_host_reach_this_store_over_ssh(ssh_host: SshdHost) -> None:
    pane, _env = spawn_hooked(ssh_host, "")
    store = Store()

    def kinds() -> list[str]:
        return [event["kind"] for event in events_for_agent(store, "h1")]

    wait_until(lambda: kinds() == ["session_start"], timeout=30, message="SessionStart here")
    # Its hooks ran the host's agenttui, with a settings file written there, which handed
    # each event to this machine's hook relay over the shared ssh connection (a forwarded
    # unix socket: nothing listens on a port), into this store at once, none kept there.
    there = ssh_host.home / ".cache" / "agenttui"
    (settings,) = [p for p in (there / "files").iterdir() if "hook --pane h1" in p.read_text()]
    assert (settings.stat().st_mode & 0o777) == 0o600
    remote_store = Store(there / "state" / "agenttui.sqlite3")
    assert events_for_agent(remote_store, "h1") == []
    assert not (state_dir() / "claude-settings").exists()

    code, sent = remote("send", "h1", "hello there")
    assert code == 0 and sent["submitted"] is True, sent
    wait_until(
        lambda: kinds() == ["session_start", "submit", "stop"], timeout=30, message="the turn"
    )
    (submit,) = events_for_agent(store, "h1", kind="submit")
    assert submit["payload"]["prompt"] == "hello there"
    assert submit["pane_id"] == pane
    remote("read", "h1")  # a read fetches what the host kept (nothing: all came here)
    assert kinds() == ["session_start", "submit", "stop"]  # each once


def hook_there(
    ssh_host: SshdHost, env: dict[str, str], pane: str, command: str, cwd: Path | None = None
) -> str:
    """What the host's ``agenttui hook`` prints for a PermissionRequest of ``command``, called
    as Claude Code calls it in the agent's pane (its environment, the event on stdin), the
    agent working in ``cwd`` there (default: the host's repo)."""
    cwd = cwd or ssh_host.repo
    payload = {
        "hook_event_name": "PermissionRequest",
        "session_id": "s1",
        "cwd": str(cwd),
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }
    names = ("AGENTTUI_HOOK_RELAY", "AGENTTUI_STATE_DIR", "TMUX")
    exports = " ".join(f"{name}={shlex.quote(env[name])}" for name in names if name in env)
    done = ssh_host.ssh(
        f"cd {shlex.quote(str(cwd))} && env {exports} TMUX_PANE={pane} "
        "agenttui hook --pane h1 claude",
        stdin=json.dumps(payload),
    )
    return done.stdout.strip()


def behavior(printed: str) -> str:
    """allow / deny from a PermissionRequest reply; "ask" when it printed nothing."""
    if not printed:
        return "ask"
    return str(json.loads(printed)["hookSpecificOutput"]["decision"]["behavior"])


def test_a_hosts_permission_hook_is_decided_by_this_machines_policy_and_audited_here(
    ssh_host: SshdHost,
) -> None:
    pane, env = spawn_hooked(ssh_host, HOST_POLICY)  # the host's: the opposite of here's
    relay = env["AGENTTUI_HOOK_RELAY"]
    # The socket there: in a 0700 folder of the host's runtime dir, 0600, no TCP port.
    modes = ssh_host.ssh(f"stat -c %a {shlex.quote(relay)} {shlex.quote(str(Path(relay).parent))}")
    assert modes.stdout.split() == ["600", "700"], modes
    assert relay_status(ssh_host.host)["forwarded"] == relay
    code, hosts = agenttui_json("--socket", "remote", "hosts", "--json")
    assert code == 0 and hosts["hosts"][0]["hook_relay"] == {
        "running": True,
        "forwarded": relay,
        "error": None,
    }, hosts
    shown = agenttui_result("--socket", "remote", "hosts").stdout
    assert f"  hook relay: forwarded to {relay}" in shown.splitlines(), shown

    assert behavior(hook_there(ssh_host, env, pane, "echo relay-ok")) == "allow"
    refused = hook_there(ssh_host, env, pane, "touch made-there")
    assert behavior(refused) == "deny"
    assert "rule:Bash(touch:*)" in refused
    # Untrusted text is data: a command with quotes and a substitution is judged, never run.
    odd = 'echo relay-ok "\'; touch pwned #" $(touch pwned2)'
    assert behavior(hook_there(ssh_host, env, pane, odd)) == "deny"  # the touch inside
    assert not (ssh_host.repo / "pwned").exists() and not (ssh_host.repo / "pwned2").exists()

    # Audited here, with the events keyed by the host's pane; nothing decided there.
    audit = [(e.agent, e.summary, e.decision, e.decided_by) for e in reversed(entries(Store()))]
    assert audit == [
        ("h1", "echo relay-ok", "allow", "rule:Bash(echo relay-ok:*)"),
        ("h1", "touch made-there", "deny", "rule:Bash(touch:*)"),
        ("h1", odd, "deny", "rule:Bash(touch:*)"),
    ]
    permissions = events_for_agent(Store(), "h1", kind="permission")
    assert [e["pane_id"] for e in permissions] == [pane] * 3
    host_store = Store(ssh_host.home / ".cache" / "agenttui" / "state" / "agenttui.sqlite3")
    assert entries(host_store) == []
    assert events_for_agent(host_store, "h1") == []


def test_without_its_relay_a_hosts_hook_leaves_the_decision_to_a_person_with_the_reason(
    ssh_host: SshdHost,
) -> None:
    pane, env = spawn_hooked(ssh_host, 'allow = ["Bash"]\n')  # the host allows anything
    assert behavior(hook_there(ssh_host, env, pane, "echo relay-ok")) == "allow"

    # The shared connection dropped: the relay forwards its socket again over a new one.
    first = relay_status(ssh_host.host)
    killed = ssh_host.drop_connection()
    wait_until(
        lambda: (
            relay_status(ssh_host.host).get("at", 0) > first["at"]
            and "forwarded" in relay_status(ssh_host.host)
            and ssh_host.master_pid() not in (None, killed)
        ),
        timeout=30,
        message="the relay forwarded again over a new connection",
    )
    assert behavior(hook_there(ssh_host, env, pane, "echo relay-ok")) == "allow"

    # The relay stopped: the host decides nothing (not even by its allow-all policy).
    stop_relay(ssh_host.host)
    wait_until(lambda: "stopped" in relay_status(ssh_host.host), timeout=20, message="stopped")
    assert behavior(hook_there(ssh_host, env, pane, "echo relay-ok")) == "ask"
    # What this machine shows: awaiting approval, with the reason (fetched from the host).
    code, read = remote("read", "h1")
    assert code == 0, read
    assert read["state"] == "awaiting_approval", read
    assert "out of reach" in read["detail"]["policy"], read
    assert read["detail"]["command"] == "echo relay-ok"
    audit = [(e.summary, e.decision) for e in reversed(entries(Store()))]
    assert audit == [("echo relay-ok", "allow"), ("echo relay-ok", "allow")]  # only here's

    # Reading the host's agents started the relay again: its hooks are decided here again.
    wait_until(
        lambda: "forwarded" in relay_status(ssh_host.host), timeout=30, message="relay again"
    )
    assert behavior(hook_there(ssh_host, env, pane, "touch made-there")) == "deny"


def test_always_on_a_hosts_agent_learns_for_every_project_never_for_one_here(
    ssh_host: SshdHost,
) -> None:
    # The host's checkout path is a git repo here too (the same layout on both machines).
    subprocess.run(["git", "init", "-q", str(ssh_host.repo)], check=True)
    code, spawned = remote("spawn", "--agent", "demo", "--name", "r1")
    assert code == 0, spawned
    assert remote("send", "r1", "please run command `echo always-ok`")[0] == 0
    code, waiting = remote("wait", "r1", "--state", "awaiting_approval", "--timeout", "30")
    assert code == 0, waiting
    code, shown = remote("approve-always", "r1")  # the default scope: the project
    assert code == 0, shown
    assert shown["project"] == "" and shown["rule"].startswith("Bash(echo"), shown
    code, saved = remote("approve-always", "r1", "--yes")
    assert code == 0 and saved["saved"], saved
    learned = (config_dir() / "learned-policy.toml").read_text()
    assert "echo" in learned and str(ssh_host.repo) not in learned
    assert remote("wait", "r1", "--state", "idle", "--timeout", "30")[0] == 0


def test_a_host_whose_agenttui_cannot_relay_gets_no_hooked_agent(ssh_host: SshdHost) -> None:
    """Its hooks would decide with the host's own policy (or not run): refused, with why."""
    append_config(host_config("old", ssh_host.ssh_config, ssh_host.repo).replace(
        'agenttui = "agenttui"', 'agenttui = "agenttui-without-relay"'
    ))  # fmt: skip
    write_profile("hooked", HOOKED)
    code, refused = agenttui_json("--host", "old", "--socket", "remote", "--json", "spawn",
                                  "--agent", "hooked", "--name", "h9", "--no-wait")  # fmt: skip
    assert code == 2 and "cannot hand an agent's hooks" in refused["error"], refused
    assert "agenttui-without-relay" in refused["error"] and "Traceback" not in str(refused)
    assert remote("ls")[1] == []  # nothing started there


def test_a_host_refusing_socket_forwarding_is_said_and_its_decisions_go_to_a_person(
    tmp_path: Path, private_tmux_dir: Path, isolated_env: Path
) -> None:
    """A hardened sshd (no unix socket forwarding): the agent starts, its hooks decide
    nothing there, and both `hosts` and the agent's state say why."""
    no_forwarding = "AllowStreamLocalForwarding no\n"
    with running_sshd(tmp_path, private_tmux_dir / "r", no_forwarding) as ssh_host:
        pane, env = spawn_hooked(ssh_host, 'allow = ["Bash"]\n')  # the host allows anything
        code, hosts = agenttui_json("--socket", "remote", "hosts", "--json")
        relay = hosts["hosts"][0]["hook_relay"]
        assert relay["running"] and relay["forwarded"] is None, relay
        assert "cannot forward a socket to host 'remote'" in relay["error"], relay
        assert behavior(hook_there(ssh_host, env, pane, "echo relay-ok")) == "ask"
        code, read = remote("read", "h1")
        assert code == 0 and read["state"] == "awaiting_approval", read
        assert "out of reach" in read["detail"]["policy"], read
        assert "`agenttui hosts` there says why" in read["detail"]["policy"], read
        assert entries(Store()) == []  # nothing decided anywhere


def test_the_relay_ends_with_the_hosts_last_agent_and_the_next_spawn_starts_it(
    ssh_host: SshdHost,
) -> None:
    host = ssh_host.host
    pane, env = spawn_hooked(ssh_host, "")
    first = relay_status(host)
    assert relay_running(host) and "forwarded" in first, first
    # While the agent lives, the relay's look at the host finds it and the relay stays.
    wait_until(lambda: relay_status(host).get("agents_seen"), timeout=30, message="a look")
    assert relay_running(host) and relay_status(host)["pid"] == first["pid"]
    assert behavior(hook_there(ssh_host, env, pane, "echo relay-ok")) == "allow"

    code, killed = remote("kill", "h1")
    assert code == 0, killed
    wait_until(lambda: not relay_running(host), timeout=40, message="the relay to end")
    ended = relay_status(host)
    assert ended["stopped"] is True and ended["reason"] == NO_AGENTS, ended
    wait_until(lambda: not alive(first["pid"]), timeout=10, message="the relay's exit")
    code, listed = remote("ls")  # reading the host starts no relay: nothing there uses one
    assert code == 0 and listed == [], listed
    assert not relay_running(host)

    # The next agent started there starts it again, and its hooks are decided here.
    code, spawned = remote("spawn", "--agent", "hooked", "--name", "h2", "--no-wait")
    assert code == 0, spawned
    again = relay_status(host)
    assert relay_running(host) and again["pid"] != first["pid"] and "forwarded" in again, again
    env2 = ssh_host.environ_of(spawned["pane"])
    assert env2["AGENTTUI_HOOK_RELAY"] == env["AGENTTUI_HOOK_RELAY"]
    assert behavior(hook_there(ssh_host, env2, spawned["pane"], "touch made-there")) == "deny"
