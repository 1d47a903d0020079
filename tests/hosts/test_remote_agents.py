"""Agents on a remote host over a real sshd (issue 17, item 1): every verb works the same."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.cli import agenttui_json, in_a_terminal
from tests.support.environment import write_config
from tests.support.sshd import SshdHost, host_config, remote
from tests.support.tmux import demo_prompts
from tests.support.tmux_guard import live_sockets
from tests.support.waiting import wait_until
from workflows.tmux.driver import TmuxDriver
from workflows.tmux.mirror import Mirror


def test_spawn_send_approve_read_keys_ls_kill_on_a_remote_host(
    ssh_host: SshdHost, private_tmux_dir: Path
) -> None:
    code, spawned = remote("spawn", "--agent", "demo", "--name", "r1", "--", "--work", "0.2")
    assert code == 0, spawned
    assert isinstance(spawned, dict) and spawned["state"] in ("starting", "idle")
    assert spawned["cwd"] == str(ssh_host.repo)  # the host's repo = "…", not here
    pane = spawned["pane"]
    # It runs under the remote side's tmux server (its HOME, its TMUX_TMPDIR), and no
    # tmux server was started here.
    env = ssh_host.environ_of(pane)
    assert env["HOME"] == str(ssh_host.home)
    assert env["TMUX"].startswith(f"{ssh_host.tmux_dir}/")
    # this machine's paths mean nothing there: its hooks keep events in a store there
    assert env["AGENTTUI_STATE_DIR"] == f"{ssh_host.home}/.cache/agenttui/state"
    servers = [p for p in live_sockets(private_tmux_dir) if p.parent.name.startswith("tmux-")]
    assert servers and all(ssh_host.tmux_dir in path.parents for path in servers)

    code, sent = remote("send", "r1", "hello from here; $(not run)")
    assert code == 0 and isinstance(sent, dict) and sent["submitted"] is True, sent
    assert demo_prompts(ssh_host.repo) == ["hello from here; $(not run)"]

    assert remote("send", "r1", "please run command `echo remote-ok`")[0] == 0
    code, waiting = remote("wait", "r1", "--state", "awaiting_approval", "--timeout", "30")
    assert code == 0 and isinstance(waiting, dict), waiting
    assert waiting["detail"]["command"] == "echo remote-ok"
    code, approved = remote("approve", "r1")
    assert code == 0, approved
    assert remote("wait", "r1", "--state", "idle", "--timeout", "30")[0] == 0
    code, read = remote("read", "r1")
    assert code == 0 and isinstance(read, dict)
    assert "ran `echo remote-ok`" in "\n".join(read["lines"])

    # keys: a draft typed, then erased with the profile's keys
    assert remote("send", "r1", "a draft", "--no-submit", "--timeout", "30")[0] == 0
    assert remote("keys", "r1", "C-u")[0] == 0
    wait_until(
        lambda: "a draft" not in "\n".join(remote("read", "r1")[1]["lines"]),  # type: ignore[index]
        timeout=15,
        message="the draft erased by C-u",
    )

    code, listed = remote("ls")
    assert code == 0 and isinstance(listed, list)
    assert [(row["name"], row["state"]) for row in listed] == [("r1", "idle")]

    code, hosts = agenttui_json("--socket", "remote", "hosts", "--json")
    assert code == 0 and isinstance(hosts, dict), hosts
    (shown,) = hosts["hosts"]
    assert shown["host"] == "remote" and shown["reachable"] is True
    assert shown["load"] is not None and shown["cores"] >= 1
    assert [agent["name"] for agent in shown["agents"]] == ["r1"]

    code, killed = remote("kill", "r1")
    assert code == 0, killed
    assert remote("ls")[1] == []
    assert demo_prompts(ssh_host.repo) == [
        "hello from here; $(not run)",
        "please run command `echo remote-ok`",
    ]


def mirrored(mirror: Mirror, pane: str, needle: str) -> bool:
    return any(needle in line for line in mirror.model(pane).text_lines())


def test_mirror_tiles_a_remote_pane_and_everything_survives_a_dropped_connection(
    ssh_host: SshdHost,
) -> None:
    code, spawned = remote("spawn", "--agent", "demo", "--name", "r1", "--", "--work", "3")
    assert code == 0, spawned
    pane = spawned["pane"]
    driver = TmuxDriver(ssh_host.target())  # one process's connection, kept across the drop
    mirror = Mirror(ssh_host.target())
    mirror.start()
    try:
        mirror.set_visible([pane], focused=pane)
        wait_until(lambda: mirrored(mirror, pane, "❯"), timeout=30, message="the tile mirrored")
        assert [p.name for p in driver.panes() if p.name] == ["r1"]
        code, sent = remote("send", "r1", "first task")
        assert code == 0 and sent["submitted"] is True, sent
        wait_until(lambda: mirrored(mirror, pane, "esc to interrupt"), timeout=15, message="busy")

        killed = ssh_host.drop_connection()  # mid-turn: the agent is working

        # The agent keeps running in the host's tmux; this process's connections come back by
        # themselves (a new shared ssh connection), the mirror shows what happened meanwhile.
        wait_until(
            lambda: ssh_host.master_pid() not in (None, killed),
            timeout=30,
            message="a new shared connection",
        )
        wait_until(lambda: mirrored(mirror, pane, "Done #1"), timeout=30, message="turn 1 shown")
        assert [p.name for p in driver.panes() if p.name] == ["r1"]  # the old driver reconnected
        assert driver.resolve(pane).pid == spawned_pid(ssh_host, pane)  # the same process
        code, sent = remote("send", "r1", "second task")
        assert code == 0 and sent["submitted"] is True and sent["attempts"] == 1, sent
        wait_until(lambda: mirrored(mirror, pane, "second task"), timeout=15, message="turn 2")
        assert demo_prompts(ssh_host.repo) == ["first task", "second task"]  # each once
    finally:
        mirror.close()
        driver.close()


def spawned_pid(ssh_host: SshdHost, pane: str) -> int:
    out = ssh_host.ssh(f"tmux -L remote display-message -p -t {pane} '#{{pane_pid}}'").stdout
    return int(out.strip())


def test_an_unreachable_host_is_shown_with_ssh_s_reason_and_verbs_fail_cleanly(
    ssh_host: SshdHost,
) -> None:
    assert remote("spawn", "--agent", "demo", "--name", "r1")[0] == 0
    ssh_host.stop()
    code, hosts = agenttui_json("--socket", "remote", "hosts", "--json")
    assert code == 0, hosts
    (shown,) = hosts["hosts"]
    assert shown["reachable"] is False and "cannot reach host 'remote'" in shown["error"]
    assert "Connection refused" in shown["error"]
    code, error = remote("send", "r1", "hello")
    assert code != 0 and "Traceback" not in str(error)
    assert "host 'remote'" in str(error) and "Connection refused" in str(error)
    code, error = agenttui_json("--host", "nowhere", "ls", "--json")
    assert code == 2 and "no host 'nowhere' in the config (known: remote)" in error["error"]


def test_attach_to_a_remote_agent_fills_the_terminal_until_detach(ssh_host: SshdHost) -> None:
    code, spawned = remote("spawn", "--agent", "demo", "--name", "r1")
    assert code == 0, spawned

    def clients() -> list[str]:
        listing = ssh_host.ssh("tmux -L remote list-clients -F '#{pane_id}'", check=False)
        return listing.stdout.split()

    terminal = in_a_terminal(f"{sys.executable} -m tui --host remote --socket remote attach r1")
    try:
        wait_until(lambda: clients() == [spawned["pane"]], timeout=30, message="attached there")
        ssh_host.ssh("tmux -L remote detach-client -a; tmux -L remote detach-client")
        assert terminal.wait(timeout=30) == 0
        wait_until(lambda: clients() == [], timeout=15, message="no client left there")
        assert remote("read", "r1")[1]["state"] == "idle"  # the agent untouched by it all
    finally:
        if terminal.poll() is None:
            terminal.kill()
            terminal.wait()


def test_spawn_on_a_pool_takes_the_host_with_room(ssh_host: SshdHost) -> None:
    # Two names for the one sshd: "full" allows one agent, "roomy" any number.
    write_config(
        host_config("full", ssh_host.ssh_config, ssh_host.repo, max_agents=1)
        + host_config("roomy", ssh_host.ssh_config, ssh_host.repo)
        + '[hosts.farm]\npool = ["full", "roomy"]\n'
    )
    pool = ["--host", "farm", "--socket", "remote", "--json"]
    code, first = agenttui_json(*pool, "spawn", "--agent", "demo", "--name", "p1")
    assert code == 0, first
    code, full = agenttui_json("--host", "full", "--socket", "remote", "--json", "ls")
    assert [row["name"] for row in full] == ["p1"]  # the first listed had room
    code, second = agenttui_json(*pool, "spawn", "--agent", "demo", "--name", "p2")
    assert code == 0, second  # "full" is at its max_agents: "roomy" took it
    code, refused = agenttui_json("--host", "full", "--socket", "remote", "--json", "spawn",
                                  "--agent", "demo", "--name", "p3")  # fmt: skip
    assert code == 2 and "max_agents = 1" in refused["error"]
    code, named = agenttui_json(*pool, "ls")
    assert code == 2 and "'farm' is a pool of hosts (full, roomy)" in named["error"]
