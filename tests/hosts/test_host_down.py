"""The test host going down (``SshdHost.stop``) is a host gone for every connection to it, as
the tests of unreachable hosts assume: none goes on reaching it, none is left behind here."""

from __future__ import annotations

import subprocess
import sys

from tests.support.sshd import SshdHost, ssh_clients
from tests.support.tmux_guard import live_sockets
from workflows.tmux.ssh import HostUnreachable, control_dir, run_remote, ssh_argv


def test_a_stopped_host_ends_every_connection_and_leaves_no_shared_one_behind(
    ssh_host: SshdHost,
) -> None:
    run_remote(ssh_host.host, "true")  # agenttui's shared connection, open
    # A connection of its own: what an ssh keeps that opened the shared connection at the
    # same moment as another (ssh: "ControlSocket … already exists, disabling multiplexing").
    own = subprocess.Popen(
        ["ssh", "-F", str(ssh_host.ssh_config), "-o", "ControlMaster=no", "-T", "remote",
         "echo up; sleep 60"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    # And a session on the shared connection, running.
    shared = subprocess.Popen(
        ssh_argv(ssh_host.host, "echo up; sleep 60"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        for client in (own, shared):
            assert client.stdout is not None and client.stdout.readline() == "up\n"
        ssh_host.stop()
        assert own.wait(timeout=10) == 255  # ssh: the connection was closed
        assert shared.poll() == 255  # ended when stop() returned: it was agenttui's
        assert not ssh_clients(control_dir())
        assert not live_sockets(control_dir())
        try:
            run_remote(ssh_host.host, "true")
        except HostUnreachable as error:
            assert "Connection refused" in str(error)
        else:
            raise AssertionError("the stopped host still answered")
    finally:
        for client in (own, shared):
            client.kill()
            client.wait()


def test_commands_started_at_once_share_one_connection_to_the_host(ssh_host: SshdHost) -> None:
    """A dozen agents launched at once each start ssh commands at the same moment; with
    ControlMaster=auto alone, every ssh that finds no shared connection opens one, and the
    losers of that race keep connections of their own (each a login, counted by sshd's
    MaxStartups). They all go over one."""
    logins_before = ssh_host.log.read_text(errors="replace").count("Accepted publickey")
    script = (
        "import sys\nfrom workflows.base.hosts import host_named\n"
        "from workflows.tmux.ssh import run_remote\n"
        "print(run_remote(host_named('remote'), 'echo up'), end='')\n"
    )
    commands = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    assert [command.communicate(timeout=60)[0] for command in commands] == ["up\n"] * 6
    logins = ssh_host.log.read_text(errors="replace").count("Accepted publickey")
    assert logins - logins_before == 1, ssh_host.log.read_text(errors="replace")[-3000:]
