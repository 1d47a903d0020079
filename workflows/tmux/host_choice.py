"""Choosing a host for new work when ``host`` names a pool (``[hosts.NAME] pool = [...]``):
the reachable member with the most room (fewest live agents, counted in its tmux, below its
``max_agents``), the first listed on a tie. A single host is taken as it is."""

from __future__ import annotations

from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost, host_named, load_pools
from workflows.base.target import TmuxTarget
from workflows.tmux.driver import TmuxDriver


def live_agents(target: TmuxTarget) -> int:
    driver = TmuxDriver(target)
    try:
        return len([pane for pane in driver.panes() if pane.name and not pane.dead])
    finally:
        driver.close()


def choose_host(name: str, target: TmuxTarget) -> SshHost:
    """The host ``name``, or the member of pool ``name`` with the most room; ``target``
    names the tmux socket and session to count agents in. An error says why none fits."""
    members = load_pools().get(name)
    if members is None:
        return host_named(name)
    reasons: list[str] = []
    best: tuple[int, SshHost] | None = None
    for member in members:
        host = host_named(member)
        try:
            count = live_agents(TmuxTarget(target.socket, target.session, host))
        except AgentTuiError as error:
            reasons.append(f"{member}: {error}")
            continue
        if host.max_agents and count >= host.max_agents:
            reasons.append(f"{member}: {count} of max_agents {host.max_agents} running")
        elif best is None or count < best[0]:
            best = (count, host)
    if best is None:
        raise AgentTuiError(f"no host of pool {name!r} can take an agent: {'; '.join(reasons)}")
    return best[1]
