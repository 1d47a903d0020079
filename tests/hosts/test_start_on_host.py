"""The app's start form (n) starts an agent on a host, as `agenttui spawn --host` does, over
a real sshd: the form lists each configured host (one that cannot be reached says so with
ssh's reason and cannot be started on), the agent runs in the host's tmux, its tile shows
"@ HOST" within a second, and a key from the tile reaches it there."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.widgets import Input, Select

from tests.support.environment import append_config
from tests.support.pilot import open_agents, tile_of, until
from tests.support.sshd import SshdHost, remote
from tests.support.tmux import demo_prompts
from tests.support.tmux_guard import stop_server
from tui.app import build_app
from tui.screens.agents import AgentsScreen
from tui.screens.start_agent import StartAgentScreen
from widgets.pane_tile import PaneTile
from workflows.base.target import TmuxTarget

SOCKET = "remote"  # the app's socket name, here and on the host (as --socket names both)
ASK = "please run command `echo started-from-the-form`"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: nothing listens there


def add_down_host(ssh_host: SshdHost) -> None:
    """A second configured host, ``down``, whose address refuses connections."""
    config = ssh_host.ssh_config.parent / "ssh_config_down"
    config.write_text(f"Host down\n  HostName 127.0.0.1\n  Port {closed_port()}\n")
    append_config(f'\n[hosts.down]\nssh = "down"\nssh_config = "{config}"\nrepo = "/nowhere"\n')


def option_labels(select: Select[Any]) -> dict[str, str]:
    return {str(value): Text.from_markup(str(label)).plain for label, value in select._options}


def error_of(form: StartAgentScreen) -> str:
    return str(form.query_one("#start-error").render())


def screen_of(tile: PaneTile | None) -> str:
    model = tile.view.model if tile is not None else None
    return "\n".join(model.text_lines()) if model is not None else ""


def shown_tile(app: Any, name: str) -> PaneTile | None:
    """The tile of agent ``name`` once mounted (its title drawn)."""
    tile = tile_of(app, name)
    return tile if tile is not None and tile.is_mounted and tile.border_title else None


def title_of(tile: PaneTile | None) -> str:
    assert tile is not None
    return Text.from_markup(str(tile.border_title)).plain


async def test_the_start_form_starts_an_agent_on_a_host_and_its_tile_answers_keys_there(
    ssh_host: SshdHost, private_tmux_dir: Path, tmp_path: Path
) -> None:
    add_down_host(ssh_host)
    app = build_app(TmuxTarget(SOCKET, "agenttui"))
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await pilot.press("2")
            await until(pilot, lambda: isinstance(app.screen, AgentsScreen))
            await pilot.press("n")
            form = await until(
                pilot, lambda: isinstance(app.screen, StartAgentScreen) and app.screen
            )
            where = form.query_one("#start-where", Select)
            labels = await until(
                pilot,
                lambda: "checking" not in str(option_labels(where)) and option_labels(where),
                timeout=30,
                message="both hosts asked",
            )
            assert labels[""] == "this machine"
            assert labels["remote"] == f"remote (remote) — repo {ssh_host.repo}"
            assert labels["down"].startswith("down (down) — unreachable: ")
            assert "Connection refused" in labels["down"], labels

            # The unreachable host: picked, the form says why; started, it refuses.
            form.query_one("#start-profile", Select).value = "demo"
            where.value = "down"
            await pilot.pause()
            assert "host down is unreachable" in error_of(form)
            assert "Connection refused" in error_of(form)
            form.query_one("#start-prompt", Input).focus()
            await pilot.press("enter")
            assert app.screen is form and "host down is unreachable" in error_of(form)

            # The reachable one: its repo is the folder, the agent starts there.
            where.value = "remote"
            await pilot.pause()
            assert error_of(form) == ""
            assert form.query_one("#start-folder", Input).value == str(ssh_host.repo)
            form.query_one("#start-name", Input).value = "r1"
            form.query_one("#start-prompt", Input).value = ASK
            form.query_one("#start-prompt", Input).focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, AgentsScreen), message="form gone")

            started = await until(
                pilot,
                lambda: next(
                    (n for n in app._notifications if n.message.startswith("started r1")), None
                ),
                timeout=60,
                message="the agent started",
            )
            started_at = time.monotonic()
            assert "on remote" in started.message and str(ssh_host.repo) in started.message
            r1 = await until(pilot, lambda: shown_tile(app, "r1"), message="its tile shown")
            assert time.monotonic() - started_at < 1.0, "the tile came later than a second"
            assert r1.info.host == "remote" and r1.info.key.startswith("remote:%")
            assert title_of(r1).startswith("r1 @ remote")

            # It runs in the host's tmux, not here; its first prompt reached it once.
            code, listed = await asyncio.to_thread(remote, "ls")
            assert code == 0 and [(row["name"], row["cwd"]) for row in listed] == [
                ("r1", str(ssh_host.repo))
            ], listed
            assert not [p.name for p in app.services.driver.panes() if p.name]
            assert demo_prompts(ssh_host.repo) == [ASK]

            # A key on its tile reaches it there: `a` approves the command it asks to run.
            await until(
                pilot,
                lambda: tile_of(app, "r1").info.state == "awaiting_approval",  # type: ignore[union-attr]
                timeout=30,
                message="the host's agent asks",
            )
            app.screen.grid.focus_tile(tile_of(app, "r1"))  # type: ignore[attr-defined]
            await pilot.pause()
            await pilot.press("a")
            await until(
                pilot,
                lambda: "ran `echo started-from-the-form`" in screen_of(tile_of(app, "r1")),
                timeout=30,
                message="the approved command ran, seen on the tile",
            )
            code, read = await asyncio.to_thread(remote, "read", "r1")
            assert code == 0 and "ran `echo started-from-the-form`" in "\n".join(read["lines"])
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


async def test_an_app_started_for_a_host_shows_it_on_its_tiles_and_starts_agents_there(
    ssh_host: SshdHost, private_tmux_dir: Path
) -> None:
    code, started = remote("spawn", "--agent", "demo", "--name", "r1")
    assert code == 0, started
    app = build_app(ssh_host.target(socket_name=SOCKET))  # agenttui --host remote app
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await open_agents(pilot, app, ["r1"])
            r1 = await until(pilot, lambda: shown_tile(app, "r1"), message="its tile shown")
            assert r1 is not None and r1.info.key == started["pane"]  # keyed as the app's own
            assert title_of(r1).startswith("r1 @ remote")

            # Its start form starts there too: the host's repo as the folder, no other place.
            await pilot.press("n")
            form = await until(
                pilot, lambda: isinstance(app.screen, StartAgentScreen) and app.screen
            )
            assert not form.query("#start-where")  # no host besides the app's own
            assert form.query_one("#start-folder", Input).value == str(ssh_host.repo)
            form.query_one("#start-profile", Select).value = "demo"
            form.query_one("#start-name", Input).value = "r2"
            form.query_one("#start-name", Input).focus()
            await pilot.press("enter")
            r2 = await until(pilot, lambda: shown_tile(app, "r2"), message="r2's tile")
            assert title_of(r2).startswith("r2 @ remote") and r2.info.host == ""
            code, listed = await asyncio.to_thread(remote, "ls")
            assert code == 0 and [row["name"] for row in listed] == ["r1", "r2"], listed
    finally:
        stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)


async def test_a_host_that_does_not_answer_holds_up_neither_the_form_nor_the_app(
    ssh_host: SshdHost, private_tmux_dir: Path
) -> None:
    """A host whose address takes the connection but never speaks (ssh waits for its
    banner): the form opens at once saying it is being asked, the other host answers
    meanwhile, and the form closed before it answers leaves the app as it was."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections wait in the backlog: nothing ever answers them
        config = ssh_host.ssh_config.parent / "ssh_config_quiet"
        config.write_text(f"Host quiet\n  HostName 127.0.0.1\n  Port {silent.getsockname()[1]}\n")
        append_config(f'\n[hosts.quiet]\nssh = "quiet"\nssh_config = "{config}"\nrepo = "/x"\n')
        app = build_app(TmuxTarget(SOCKET, "agenttui"))
        try:
            async with app.run_test(size=(200, 50)) as pilot:
                await pilot.press("2")
                await until(pilot, lambda: isinstance(app.screen, AgentsScreen))
                asked_at = time.monotonic()
                await pilot.press("n")
                form = await until(
                    pilot, lambda: isinstance(app.screen, StartAgentScreen) and app.screen
                )
                assert time.monotonic() - asked_at < 2.0, "the form waited for a host"
                where = form.query_one("#start-where", Select)
                assert option_labels(where)["quiet"] == "quiet (quiet) — checking…"
                await until(
                    pilot,
                    lambda: "repo" in option_labels(where)["remote"],
                    timeout=10,
                    message="the host that answers, shown meanwhile",
                )
                assert option_labels(where)["quiet"] == "quiet (quiet) — checking…"
                await pilot.press("escape")
                await until(pilot, lambda: isinstance(app.screen, AgentsScreen))
                reason = await until(
                    pilot,
                    lambda: form.unreachable["quiet"],
                    timeout=30,
                    message="the silent host's check ended",
                )
                await pilot.pause()
                assert app.is_running and isinstance(app.screen, AgentsScreen), reason
        finally:
            stop_server(private_tmux_dir / f"tmux-{os.getuid()}" / SOCKET)
