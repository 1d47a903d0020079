"""Remote hosts (``[hosts.NAME]`` in config.toml): where agents can run besides here.

A host is an ssh destination (an address or an alias of the ssh config: its keys, ports,
jump hosts and agent forwarding apply, because agenttui runs the person's own ``ssh``), the
repo path there, and how many agents it may run. agenttui never types a password: ssh runs
with ``BatchMode=yes``, so a host that wants one fails with ssh's own message instead of
hanging on a prompt nobody sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.base.config import ConfigError, table


@dataclass(frozen=True)
class SshHost:
    name: str
    """The host's name in config (``[hosts.NAME]``), what ``--host`` and ``host =`` take."""
    ssh: str
    """The ssh destination: ``user@address`` or an alias of the ssh config."""
    repo: str = ""
    """The repo's path on the host: where its agents start (and its worktrees go)."""
    max_agents: int = 0
    """How many agents may run there at once (0: no limit)."""
    ssh_config: str = ""
    """An ssh config file to use instead of ``~/.ssh/config`` (``ssh -F``)."""
    ssh_options: tuple[str, ...] = field(default=())
    """More ``ssh`` words, e.g. ``["-o", "ForwardAgent=yes"]``."""
    agenttui: str = "agenttui"
    """The agenttui command on the host (its agents' hooks and demo agents call it)."""
    python: str = "python3"
    """The Python on the host that runs agenttui's launcher (standard library only)."""


def load_hosts() -> dict[str, SshHost]:
    """Every ``[hosts.NAME]`` of the config, checked (file:line on a bad value); pools
    (``pool = [...]``) are :func:`load_pools`'."""
    hosts = table("hosts")
    found: dict[str, SshHost] = {}
    for name in hosts.values:
        sub = hosts.sub(name)
        if "pool" in sub:
            continue
        values = sub.fill(SshHost, exclude=("name",))
        if not values.get("ssh"):
            raise ConfigError(f'{sub.where()}: {sub.title} needs ssh = "user@host or alias"')
        if values.get("max_agents", 0) < 0:
            raise sub.error("max_agents", "a whole number ≥ 0")
        values["ssh_options"] = tuple(values.get("ssh_options", ()))
        found[name] = SshHost(name=name, **values)
    return found


def load_pools() -> dict[str, tuple[str, ...]]:
    """Every pool (``[hosts.NAME] pool = ["a", "b"]``): its hosts, each one configured."""
    hosts = table("hosts")
    known = load_hosts()
    pools: dict[str, tuple[str, ...]] = {}
    for name in hosts.values:
        sub = hosts.sub(name)
        if "pool" not in sub:
            continue
        sub.check_known(["pool"])
        members = sub.get_str_list("pool")
        unknown = [member for member in members if member not in known]
        if not members or unknown:
            what = f"names no configured host: {', '.join(unknown)}" if unknown else "is empty"
            raise ConfigError(f"{sub.where('pool')}: {sub.title} pool {what}")
        pools[name] = tuple(members)
    return pools


def host_named(name: str) -> SshHost:
    """The configured host ``name``; a usage error listing the known ones otherwise."""
    hosts = load_hosts()
    if name not in hosts:
        if name in load_pools():
            raise ConfigError(
                f"{name!r} is a pool of hosts ({', '.join(load_pools()[name])}): name one of "
                "them here (spawn and workflow steps choose within a pool themselves)"
            )
        known = ", ".join(sorted(hosts)) or "none: add a [hosts.NAME] table to config.toml"
        raise ConfigError(f"no host {name!r} in the config (known: {known})")
    return hosts[name]


def check_host(name: str) -> None:
    """A usage error unless ``name`` is a configured host or pool."""
    if name not in load_pools():
        host_named(name)
