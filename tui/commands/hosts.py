"""The ``hosts`` verb: each configured host (``[hosts.NAME]``), its load and its agents."""

from __future__ import annotations

import argparse
from typing import Any

from tui.human import agent_line


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser(
        "hosts", parents=[common], help="remote hosts ([hosts.NAME]): reachable, load, agents"
    )
    p.set_defaults(handler=run_hosts, formatter=_format_hosts)


def run_hosts(args: argparse.Namespace) -> Any:
    from workflows.base.hosts import load_hosts

    return {"hosts": [_status(args, host) for host in load_hosts().values()]}


def _status(args: argparse.Namespace, host: Any) -> dict[str, Any]:
    """One host: reachable (else ssh's reason), load, agents with their states."""
    from workflows.agents.observe import read_state, reading_json
    from workflows.base.errors import AgentTuiError
    from workflows.base.target import TmuxTarget
    from workflows.tmux.driver import TmuxDriver
    from workflows.tmux.host_status import host_load

    status: dict[str, Any] = {"host": host.name, "ssh": host.ssh, "max_agents": host.max_agents}
    try:
        load = host_load(host)
        driver = TmuxDriver(TmuxTarget(args.tmux.socket, args.tmux.session, host))
        try:
            agents = [
                {**pane.as_json(), **reading_json(pane, read_state(driver, pane))}
                for pane in driver.panes()
                if pane.name
            ]
        finally:
            driver.close()
    except AgentTuiError as error:
        return {**status, "reachable": False, "error": str(error), "agents": []}
    relay = _relay(host)  # after the reads: a read starts an ended relay again
    return {**status, "reachable": True, "load": load.load, "cores": load.cores,
            "agents": agents, "hook_relay": relay}  # fmt: skip


def _relay(host: Any) -> dict[str, Any]:
    """This machine's hook relay for the host: running, the socket it forwards there or why
    it cannot (its agents' decisions then go to a person)."""
    from workflows.agents.hook_relay import relay_running, relay_status

    status = relay_status(host)
    running = relay_running(host)
    return {
        "running": running,
        "forwarded": status.get("forwarded") if running else None,
        "error": status.get("error") if running else None,
    }


def _format_hosts(result: dict[str, Any]) -> str:
    if not result["hosts"]:
        return 'no hosts: add a [hosts.NAME] table with ssh = "…" to config.toml'
    lines: list[str] = []
    for host in result["hosts"]:
        head = f"{host['host']} ({host['ssh']})"
        if not host["reachable"]:
            lines.append(f"{head}: unreachable: {host['error']}")
            continue
        cores = f" on {host['cores']} cores" if host["cores"] else ""
        load = f"load {host['load']:.2f}{cores}" if host["load"] is not None else "load unknown"
        limit = f"/{host['max_agents']}" if host["max_agents"] else ""
        lines.append(f"{head}: {load}, {len(host['agents'])}{limit} agents")
        relay = host["hook_relay"]
        if relay["running"]:
            said = f"forwarded to {relay['forwarded']}" if relay["forwarded"] else relay["error"]
            lines.append(f"  hook relay: {said or 'starting'}")
        lines.extend(f"  {agent_line(agent)}" for agent in host["agents"])
    return "\n".join(lines)
