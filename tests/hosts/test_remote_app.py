"""The app tiles agents on a remote host beside this machine's (issue 17, item 1), over a real
sshd: one mirror per target, tiles and actions keyed by host and pane, a dropped host shown
as such on its tiles while the others stay live, and everything back when it returns."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

from rich.text import Text

from tests.support.cli import agenttui_json, agenttui_result, in_a_terminal
from tests.support.pilot import open_agents, tile_of, until
from tests.support.sshd import SshdHost
from tests.support.tmux import demo_prompts
from tests.support.tmux_guard import live_sockets, stop_server
from tests.support.waiting import wait_until
from tui.app import TILE_POLL_S, build_app
from tui.services import Services
from widgets.pane_tile import PaneTile
from workflows.agents.app_presence import app_is_watching
from workflows.base.target import TmuxTarget
from workflows.tmux.mirror_set import pane_key

SOCKET = "remote"  # the app's socket name, here and on the host (as --socket names both)


async def verb(*args: str, host: bool = False) -> tuple[int, Any]:
    """An agenttui verb (on the host with ``host``), off the app's event loop."""
    where = ["--host", "remote"] if host else []
    done = await asyncio.to_thread(
        agenttui_result, *where, "--socket", SOCKET, "--json", *args, timeout=60
    )
    out = done.stdout.strip()
    return done.returncode, json.loads(out.splitlines()[-1]) if out else done.stderr


def screen_of(tile: PaneTile | None) -> str:
    model = tile.view.model if tile is not None else None
    return "\n".join(model.text_lines()) if model is not None else ""


def remote_pane_pid(ssh_host: SshdHost, pane: str) -> int:
    out = ssh_host.ssh(f"tmux -L {SOCKET} display-message -p -t {pane} '#{{pane_pid}}'").stdout
    return int(out.strip())


async def test_the_app_tiles_a_remote_agent_beside_a_local_one_and_survives_the_host_dropping(
    ssh_host: SshdHost, private_tmux_dir: Path, tmp_path: Path
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    code, local = await verb("spawn", "--agent", "demo", "--name", "l1", "--cwd", str(here))
    assert code == 0, local
    code, remote = await verb("spawn", "--agent", "demo", "--name", "r1", host=True)
    assert code == 0, remote
    # Two fresh tmux servers: both agents have the same pane id, yet are two tiles.
    assert local["pane"] == remote["pane"]
    assert (await verb("send", "l1", "hello from here"))[0] == 0
    assert (await verb("send", "r1", "hello over there", host=True))[0] == 0

    app = build_app(TmuxTarget(SOCKET, "agenttui"))
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            screen = await open_agents(pilot, app, ["l1", "r1"])
            l1, r1 = tile_of(app, "l1"), tile_of(app, "r1")
            assert l1 is not None and r1 is not None and l1 is not r1
            assert (l1.info.host, r1.info.host) == ("", "remote")
            assert "@ remote" in str(r1.border_title) and "@" not in str(l1.border_title)
            # Each tile mirrors its own agent's screen, through its own target's mirror.
            await until(
                pilot,
                lambda: "Done #1" in screen_of(tile_of(app, "r1")),
                message="the remote tile mirrored",
                timeout=60,
            )
            await until(pilot, lambda: "Done #1" in screen_of(tile_of(app, "l1")), message="l1")
            assert "hello over there" in screen_of(r1) and "hello from here" not in screen_of(r1)
            assert "hello from here" in screen_of(l1) and "hello over there" not in screen_of(l1)
            assert sorted(app.mirrors.hosts) == ["", "remote"]
            assert app_is_watching(ssh_host.target(socket_name=SOCKET))  # runs there need not tell

            # A one-key approve on the remote tile answers the remote agent's dialog.
            asked = await verb("send", "r1", "please run command `echo remote-ok`", host=True)
            assert asked[0] == 0, asked
            await until(
                pilot,
                lambda: tile_of(app, "r1").info.state == "awaiting_approval",  # type: ignore[union-attr]
                message="the remote agent asks",
            )
            assert tile_of(app, "l1").info.state == "idle"  # type: ignore[union-attr]
            screen.grid.focus_tile(tile_of(app, "r1"))  # type: ignore[arg-type]
            await pilot.pause()
            await pilot.press("a")
            await until(
                pilot,
                lambda: "ran `echo remote-ok`" in screen_of(tile_of(app, "r1")),
                message="the approved command ran there",
            )
            code, read = await verb("read", "r1", host=True)
            assert code == 0 and "ran `echo remote-ok`" in "\n".join(read["lines"])
            await until(
                pilot,
                lambda: tile_of(app, "r1").info.state == "idle",  # type: ignore[union-attr]
                message="the remote agent idle again",
            )

            # The host drops mid-turn: sshd goes away and agenttui's ssh connection is
            # SIGKILLed, as a network cut would. Its agent works on in the host's tmux.
            pid = remote_pane_pid(ssh_host, remote["pane"])
            assert (await verb("send", "r1", "a long task [work 6s]", host=True))[0] == 0
            await until(
                pilot,
                lambda: "esc to interrupt" in screen_of(tile_of(app, "r1")),
                message="the remote agent busy",
            )
            master = ssh_host.master_pid()
            assert ssh_host.process is not None and master is not None
            os.killpg(ssh_host.process.pid, signal.SIGTERM)
            ssh_host.process.wait(timeout=10)
            os.kill(master, signal.SIGKILL)

            reason = await until(
                pilot,
                lambda: tile_of(app, "r1").info.unreachable,  # type: ignore[union-attr]
                timeout=15,
                message="the remote tile shows its host dropped",
            )
            assert "Connection refused" in reason, reason
            r1 = tile_of(app, "r1")
            assert r1 is not None and "host unreachable" in str(r1.border_subtitle)
            assert "host remote unreachable" in str(r1.notice.render())
            assert "a" not in {
                key for key, active in app.screen.active_bindings.items() if active.enabled
            }  # nothing can be done on it meanwhile
            # The local tile stays live meanwhile.
            assert not tile_of(app, "l1").info.unreachable  # type: ignore[union-attr]
            assert (await verb("send", "l1", "while the host is away"))[0] == 0
            await until(
                pilot,
                lambda: "Done #2" in screen_of(tile_of(app, "l1")),
                message="the local tile still live",
            )
            # The remote agent kept running: same process, its turn finished while away.
            assert Path(f"/proc/{pid}").exists()
            await until(
                pilot,
                (ssh_host.repo / ".demo-agent" / "reply-3.md").exists,
                timeout=30,
                message="the remote turn finished while the host was away",
            )
            assert tile_of(app, "r1").info.unreachable  # type: ignore[union-attr]
            assert "Done #3" not in screen_of(tile_of(app, "r1"))  # not seen from here yet

            ssh_host.start()  # the host is back: everything reconnects by itself
            await until(
                pilot,
                lambda: not tile_of(app, "r1").info.unreachable,  # type: ignore[union-attr]
                timeout=30,
                message="the remote tile reachable again",
            )
            await until(
                pilot,
                lambda: "Done #3" in screen_of(tile_of(app, "r1")),
                timeout=30,
                message="the turn that finished meanwhile shown",
            )
            assert tile_of(app, "r1").info.state == "idle"  # type: ignore[union-attr]
            assert remote_pane_pid(ssh_host, remote["pane"]) == pid
            assert demo_prompts(ssh_host.repo) == [
                "hello over there",
                "please run command `echo remote-ok`",
                "a long task [work 6s]",
            ]
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


async def test_a_host_without_agents_costs_no_connection_until_one_starts_there(
    ssh_host: SshdHost, private_tmux_dir: Path, tmp_path: Path
) -> None:
    code, local = await verb("spawn", "--agent", "demo", "--name", "l1", "--cwd", str(tmp_path))
    assert code == 0, local
    app = build_app(TmuxTarget(SOCKET, "agenttui"))
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await open_agents(pilot, app, ["l1"])
            await until(pilot, lambda: app.mirror is not None, message="the local mirror")
            await pilot.pause(3 * TILE_POLL_S)  # three polls: the host is never asked anything
            assert ssh_host.master_pid() is None and app.mirrors.hosts == [""]

            code, remote = await verb("spawn", "--agent", "demo", "--name", "r1", host=True)
            assert code == 0, remote
            await until(pilot, lambda: tile_of(app, "r1"), message="the new remote agent's tile")
            await until(pilot, lambda: "remote" in app.mirrors.hosts, message="its mirror")
            assert app_is_watching(ssh_host.target(socket_name=SOCKET))

            assert (await verb("kill", "r1", host=True))[0] == 0
            await until(pilot, lambda: tile_of(app, "r1") is None, message="its tile gone")
            await until(
                pilot, lambda: app.mirrors.hosts == [""], message="the host's mirror closed"
            )
            assert app.services.hosts_with_agents() == []  # and the host forgotten
            assert not app_is_watching(ssh_host.target(socket_name=SOCKET))
            assert tile_of(app, "l1") is not None
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


async def test_a_quiet_tile_shows_what_changed_while_its_host_was_away(
    ssh_host: SshdHost, private_tmux_dir: Path
) -> None:
    code, remote = await verb("spawn", "--agent", "demo", "--name", "r1", host=True)
    assert code == 0, remote
    app = build_app(TmuxTarget(SOCKET, "agenttui"))
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await open_agents(pilot, app, ["r1"])
            await until(pilot, lambda: "❯" in screen_of(tile_of(app, "r1")), message="mirrored")
            await pilot.pause(1.0)  # the idle pane captured: nothing left dirty
            master = ssh_host.master_pid()
            assert ssh_host.process is not None and master is not None
            os.killpg(ssh_host.process.pid, signal.SIGTERM)
            ssh_host.process.wait(timeout=10)
            os.kill(master, signal.SIGKILL)
            await until(
                pilot,
                lambda: tile_of(app, "r1").info.unreachable,  # type: ignore[union-attr]
                timeout=15,
                message="unreachable",
            )
            # Meanwhile somebody on the host types into the agent: its screen changes once,
            # then stays quiet (nothing it prints after the return would show it).
            (server,) = live_sockets(ssh_host.tmux_dir)
            subprocess.run(
                ["tmux", "-S", str(server), "send-keys", "-t", remote["pane"], "-l", "typed there"],
                check=True,
            )
            ssh_host.start()
            await until(
                pilot,
                lambda: "typed there" in screen_of(tile_of(app, "r1")),
                timeout=30,
                message="the quiet tile captured again once the host answered",
            )
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


def test_the_app_s_talk_attach_and_kill_reach_the_agent_on_its_host(
    ssh_host: SshdHost, private_tmux_dir: Path, tmp_path: Path
) -> None:
    """The same pane id here and there: each action by key reaches the host's agent only."""
    code, local = agenttui_json("--socket", SOCKET, "--json", "spawn", "--agent", "demo",
                                "--name", "l1", "--cwd", str(tmp_path))  # fmt: skip
    assert code == 0, local
    code, remote = agenttui_json("--host", "remote", "--socket", SOCKET, "--json", "spawn",
                                 "--agent", "demo", "--name", "r1")  # fmt: skip
    assert code == 0, remote
    assert local["pane"] == remote["pane"]
    key = pane_key("remote", remote["pane"])
    services = Services(TmuxTarget(SOCKET, "agenttui"))
    try:
        assert services.send_to_agent(key, "only over there").startswith("sent:")
        assert demo_prompts(ssh_host.repo) == ["only over there"] and demo_prompts(tmp_path) == []

        def there(command: str) -> str:
            return ssh_host.ssh(f"tmux -L {SOCKET} {command}", check=False).stdout.strip()

        def person_clients() -> list[str]:  # not the control clients of agenttui
            listed = there("list-clients -F '#{client_control_mode}:#{pane_id}'").split()
            return [line[2:] for line in listed if line.startswith("0:")]

        size = services.window_size(key)
        own = there(
            f"display-message -p -t {remote['pane']} '#{{window_width}}x#{{window_height}}'"
        )
        command = shlex.join(services.attach_argv(key))
        person = in_a_terminal(command)
        try:
            wait_until(
                lambda: person_clients() == [remote["pane"]],
                timeout=30,
                message="a client attached there, showing the agent",
            )
            there("detach-client -a; tmux -L remote detach-client")
            assert person.wait(timeout=30) == 0
        finally:
            if person.poll() is None:
                person.kill()
                person.wait()
        services.end_attach(size, key)
        assert "-view-" not in there("list-sessions -F '#{session_name}'")  # closed there
        assert (
            there(f"display-message -p -t {remote['pane']} '#{{window_width}}x#{{window_height}}'")
            == own
        )

        services.end_agent(key)
        wait_until(
            lambda: not [p.name for p in services.driver_for("remote").panes() if p.name],
            timeout=15,
            message="the host's agent killed",
        )
        assert [pane.name for pane in services.driver.panes() if pane.name] == ["l1"]
    finally:
        services.close()
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


async def test_a_host_down_when_the_app_starts_is_shown_until_it_answers(
    ssh_host: SshdHost, private_tmux_dir: Path
) -> None:
    code, remote = await verb("spawn", "--agent", "demo", "--name", "r1", host=True)
    assert code == 0, remote
    ssh_host.stop()
    app = build_app(TmuxTarget(SOCKET, "agenttui"))
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await pilot.press("2")
            tile = await until(
                pilot,
                lambda: next(iter(app.screen.query(PaneTile)), None),
                message="a tile for the host's agents",
            )
            assert tile.info.host == "remote" and "Connection refused" in tile.info.unreachable
            assert Text.from_markup(str(tile.border_title)).plain == "agents @ remote"
            assert "host remote unreachable" in str(tile.notice.render())
            ssh_host.start()
            r1 = await until(pilot, lambda: tile_of(app, "r1"), message="its agent's tile")
            assert not r1.info.unreachable
            await until(
                pilot, lambda: len(app.screen.query(PaneTile)) == 1, message="the stand-in gone"
            )
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


async def test_an_app_pointed_at_a_host_shows_its_agents_once(
    ssh_host: SshdHost, private_tmux_dir: Path
) -> None:
    code, remote = await verb("spawn", "--agent", "demo", "--name", "r1", host=True)
    assert code == 0, remote
    app = build_app(ssh_host.target(socket_name=SOCKET))  # agenttui --host remote app
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await open_agents(pilot, app, ["r1"])
            await pilot.pause(3 * TILE_POLL_S)  # three polls: the host is not added again
            assert [tile.info.name for tile in app.screen.query(PaneTile)] == ["r1"]
            assert app.mirrors.hosts == [""]
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)
