"""The app's one door to the headless core (tmux, agents, issues, runs, workflows).

Screens call these from worker threads only. Every method delegates to the module that
owns the behaviour (the driver, ``observe.read_state``, the approve logic, the issue
cache, the run store); nothing here decides anything on its own. Tests build the app
with a ``Services`` pointed at a private tmux server and an isolated store. Its issue and
run parts are mixed in from ``tui.issue_services`` and ``tui.run_services``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.issue_services import IssueServices
from tui.run_services import RunServices
from widgets.pane_tile import TileInfo
from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.tmux.mirror_set import LOCAL, split_key

if TYPE_CHECKING:
    from workflows.agents.state_poller import StatePoller
    from workflows.issues.model import Issue
    from workflows.tmux.driver import TmuxDriver
    from workflows.tmux.mirror import Mirror

TILE_ACTIONS = ("approve", "approve_always", "deny", "interrupt")
USAGE_EVERY_S = 5.0


@dataclass(frozen=True)
class StartChoices:
    """What the start-agent form offers."""

    profiles: list[tuple[str, str]]  # (name, description)
    folder: str  # the default folder (where the app was started)
    repo: str | None = None  # [workflows] repo: a new worktree can be made there
    default_profile: str = ""
    hosts: list[HostChoice] = field(default_factory=list)  # besides the app's own target
    own_host: str = ""  # the host of the app's own target (app --host); "": this machine


@dataclass(frozen=True)
class HostChoice:
    """A configured host the form offers (whether it answers is asked apart: ``reach``)."""

    name: str
    ssh: str
    repo: str  # where its agents start unless a folder is given


@dataclass(frozen=True)
class StartRequest:
    profile: str
    folder: str = ""
    new_worktree: bool = False
    name: str = ""
    prompt: str = ""
    extra: list[str] = field(default_factory=list)
    host: str = LOCAL  # a [hosts.NAME]: started there, as ``agenttui spawn --host NAME``


@dataclass
class Services(IssueServices, RunServices):
    target: TmuxTarget
    """The tmux server and session the app shows and launches into (no default here)."""
    attach_command: Sequence[str] | None = None
    """argv prefix run to attach (tests pass a stub); the pane id is appended."""
    _drivers: dict[str, TmuxDriver] = field(default_factory=dict, repr=False)
    _source: Any = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)
    _pollers: dict[str, StatePoller] = field(default_factory=dict, repr=False)
    _run_issue_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _usage_cache: tuple[float, set[str], dict[str, str]] = field(
        default_factory=lambda: (-USAGE_EVERY_S, set(), {}), repr=False
    )
    _details: dict[str, tuple[float, Issue]] = field(default_factory=dict, repr=False)
    _views: int = field(default=0, repr=False)
    _open_views: list[tuple[str, str]] = field(default_factory=list, repr=False)

    # -- tmux / agents (here, and on each host that has agents) -----------------------
    @property
    def driver(self) -> TmuxDriver:
        """This machine's tmux."""
        return self.driver_for(LOCAL)

    def target_for(self, host: str) -> TmuxTarget:
        """The app's tmux socket and session, here or on ``host`` (as ``--host`` makes it)."""
        if not host:
            return self.target
        from workflows.base.hosts import host_named

        return TmuxTarget(self.target.socket, self.target.session, host_named(host))

    def driver_for(self, host: str) -> TmuxDriver:
        """The tmux of ``host`` (``LOCAL``: this machine), one connection each."""
        if self._closed:
            raise AgentTuiError("the app is closing")
        driver = self._drivers.get(host)
        if driver is None:
            from workflows.tmux.driver import TmuxDriver

            driver = self._drivers.setdefault(host, TmuxDriver(self.target_for(host)))
        return driver

    def _pane(self, key: str) -> tuple[TmuxDriver, str]:
        """The driver and pane id of a tile's pane key (``TileInfo.key``)."""
        host, pane_id = split_key(key)
        return self.driver_for(host), pane_id

    def close(self) -> None:
        """Close the tmux connections; a worker still running afterwards gets an error
        instead of opening a new connection nobody would close."""
        self._closed = True
        drivers, self._drivers = list(self._drivers.values()), {}
        for driver in drivers:
            driver.close()

    def mirror(self, on_update: Any, host: str = LOCAL) -> Mirror:
        from workflows.tmux.mirror import Mirror

        return Mirror(self.target_for(host), on_update=on_update)

    def hosts_with_agents(self) -> list[str]:
        """The configured hosts agents were started on (``workflows.agents.host_agents``):
        the only ones the app connects to."""
        from workflows.agents.host_agents import hosts_with_agents
        from workflows.agents.observe import default_store
        from workflows.base.hosts import load_hosts

        configured = load_hosts()
        if self.target.host is not None:  # the app's own target (app --host): shown already
            configured.pop(self.target.host.name, None)
        if not configured:
            return []
        return [host for host in hosts_with_agents(default_store()) if host in configured]

    def forget_host(self, host: str, seen_empty_at: float) -> None:
        from workflows.agents.host_agents import forget_host
        from workflows.agents.observe import default_store

        forget_host(default_store(), host, seen_empty_at=seen_empty_at)

    def tiles(self, *, dirty: set[str] | None = None, host: str = LOCAL) -> list[TileInfo]:
        """Every agent pane of the session (here, or on ``host``) with its state, ordered
        by run then name; a host that cannot be reached raises with ssh's reason.

        ``dirty``: the panes that printed since the last call (None: unknown, read all);
        the others are re-read only when tmux, a hook or a deadline says they may have
        changed (``workflows.agents.state_poller``).
        """
        readings = self.poller_for(host).poll(dirty)
        own = self.target.host
        own_host = own.name if own is not None and host == LOCAL else ""
        issues = self._run_issues({pane.run_id for pane, _ in readings if pane.run_id})
        usage = self._agent_usage({pane.run_id for pane, _ in readings if pane.run_id})
        infos = [
            TileInfo(
                pane_id=pane.pane_id,
                name=pane.name or pane.pane_id,
                agent=pane.agent,
                run_id=pane.run_id,
                issue=issues.get(pane.run_id, ""),
                state=reading.state,
                detail=dict(reading.detail),
                usage=usage.get(pane.name, ""),
                host=host,
                own_host=own_host,
            )
            for pane, reading in readings
        ]
        infos.sort(key=lambda info: (info.run_id, info.name))
        return infos

    @property
    def poller(self) -> StatePoller:
        return self.poller_for(LOCAL)

    def poller_for(self, host: str) -> StatePoller:
        driver = self.driver_for(host)
        poller = self._pollers.get(host)
        if poller is None or poller.driver is not driver:
            from workflows.agents.state_poller import StatePoller

            poller = self._pollers[host] = StatePoller(driver)
        return poller

    def _run_issues(self, run_ids: set[str]) -> dict[str, str]:
        """Run id → its issues ("ENG-1, ENG-2"), for the runs that have agent panes."""
        if not run_ids:
            return {}
        from workflows.runs.run_store import RunStore

        runs, issues = RunStore(), {}
        for run_id in run_ids:
            known = self._run_issue_cache.get(run_id)
            if known is not None:  # a run's issues never change
                issues[run_id] = known
                continue
            try:
                issues[run_id] = self._run_issue_cache[run_id] = ", ".join(runs.get(run_id).issues)
            except Exception:  # a pane of a run this store does not know
                continue
        return issues

    def _agent_usage(self, run_ids: set[str]) -> dict[str, str]:
        """Agent name → its tokens and cost so far, read at most every USAGE_EVERY_S (the
        runner records them every 30 s; tiles poll far more often)."""
        if not run_ids:
            return {}
        now = time.monotonic()
        cached_at, cached_ids, texts = self._usage_cache
        if now - cached_at < USAGE_EVERY_S and run_ids <= cached_ids:
            return texts
        from workflows.base.store import Store
        from workflows.runs.usage import agent_usage_texts

        try:
            texts = agent_usage_texts(Store(), run_ids)
        except (AgentTuiError, sqlite3.Error):  # a price table gone wrong: said by `cost`
            texts = {}
        self._usage_cache = (now, set(run_ids), texts)
        return texts

    def tile_action(self, key: str, action: str) -> str:
        """approve / approve_always / deny / interrupt, through the agents' own logic, on
        the tmux (here or on its host) of the pane ``key``."""
        from workflows.approvals.answer import answer

        return str(answer(*self._pane(key), action))

    def _tmux(self) -> list[str]:
        from workflows.tmux.protocol import tmux_base_argv

        return tmux_base_argv(self.target.socket)

    def always_proposal(self, key: str) -> Any:
        """The rule "always" would learn for the pane's pending request (nothing saved)."""
        from workflows.approvals.always import pending_proposal
        from workflows.runs.run_store import run_repo

        driver, pane_id = self._pane(key)
        return pending_proposal(driver, driver.resolve(pane_id), run_repo=run_repo)

    def confirm_always(self, key: str, proposal: Any) -> str:
        """Save exactly the shown rule and approve the request once."""
        from workflows.approvals.always import confirm
        from workflows.runs.run_store import run_repo

        driver, pane_id = self._pane(key)
        return str(confirm(driver, driver.resolve(pane_id), proposal, run_repo))

    def send_to_agent(self, key: str, text: str) -> str:
        """Deliver ``text`` through the verified send (exactly once, or NotDelivered)."""
        from workflows.agents.delivery import send_text

        result = send_text(*self._pane(key), text)
        if not result.submitted:
            from workflows.base.errors import NotDelivered

            raise NotDelivered("pasted, but the agent did not take it (Enter not confirmed)")
        short = " ".join(text.split())
        return f"sent: {short[:60]}{'…' if len(short) > 60 else ''}"

    def start_choices(self) -> StartChoices:
        """What the start-agent form offers: profiles, the default folder, the repo, the
        configured hosts (read from config; none is connected to here)."""
        from workflows.agents.profiles import list_profiles
        from workflows.agents.settings import load_profile
        from workflows.base.config import section
        from workflows.base.hosts import load_hosts

        profiles = []
        for name in list_profiles():
            try:
                profiles.append((name, load_profile(name).description))
            except Exception as error:  # a broken user profile is shown, not hidden
                profiles.append((name, f"(invalid: {error})"))
        workflows = section("workflows")
        repo = workflows.get("repo")
        own = self.target.host.name if self.target.host is not None else None
        hosts = [
            HostChoice(host.name, host.ssh, host.repo)
            for host in load_hosts().values()
            if host.name != own  # an app started with --host starts there already
        ]
        return StartChoices(
            profiles=profiles,
            folder=(self.target.host.repo if self.target.host is not None else os.getcwd()),
            repo=str(repo) if repo else None,
            default_profile=str(workflows.get("agent") or "claude"),
            hosts=hosts,
            own_host=own or "",
        )

    def reach(self, host: str) -> str:
        """Why ``host``'s tmux cannot be reached now (ssh's reason), or "" when it can
        (asked without starting a tmux server there)."""
        try:
            self.driver_for(host).has_session()
        except AgentTuiError as error:
            return str(error)
        return ""

    def start_agent(self, request: Any) -> str:
        """Start an agent as ``agenttui spawn`` (``--host``) does: launched with its hooks
        (there: decided here, through the hook relay), taken past start-up, then given the
        first prompt (on its command line when it takes one)."""
        from workflows.agents.settings import load_profile
        from workflows.agents.spawning import agent_folder, free_name, ready_and_prompted
        from workflows.agents.startup import start_agent

        profile = load_profile(request.profile)
        driver = self.driver_for(request.host)
        name = request.name or free_name(driver, profile.name)
        if request.new_worktree:
            if driver.target.host is not None:
                raise AgentTuiError("a new worktree is made on this machine only; give a folder")
            cwd = self._new_worktree(name)
        else:
            cwd = agent_folder(driver.target.host, request.folder or None)
        prompt = request.prompt or None
        pane = start_agent(
            driver, profile, name=name, cwd=cwd, prompt=prompt, extra_args=list(request.extra)
        )
        where = f" on {driver.target.host.name}" if driver.target.host is not None else ""
        said = f"started {name} ({profile.name}){where} in {cwd}"
        try:
            first = ready_and_prompted(driver, pane, profile, prompt)
        except AgentTuiError as error:  # it runs: say so, and what became of the prompt
            sent = "its first prompt was not sent" if prompt is not None else "it is not ready"
            raise AgentTuiError(f"{said}, but {sent}: {error}") from error
        if first.failed is not None:
            raise AgentTuiError(f"{said}, but its first prompt was not sent: {first.failed}")
        return said + ("; first prompt sent" if first.sent is not None else "")

    def _new_worktree(self, name: str) -> str:
        """A new worktree of the configured repository, on branch ``agenttui/NAME``."""
        from pathlib import Path

        from workflows.base.config import section
        from workflows.base.errors import UsageError
        from workflows.forge import git

        configured = section("workflows").get("repo")
        if not configured:
            raise UsageError("no [workflows] repo in config.toml to make a worktree of")
        repo = git.repo_root(Path(str(configured)).expanduser())
        path = git.worktree_root() / f"{repo.name}-{name}"
        git.prepare_worktree(repo, f"agenttui/{name}", git.default_base(repo), path)
        return str(path)

    def end_agent(self, key: str) -> None:
        """Kill a live agent's pane, or close an exited one's (its window goes with it)."""
        driver, pane_id = self._pane(key)
        driver.kill(driver.resolve(pane_id).pane_id)

    def notify_waiting(self, command: list[str] | None, waiting: Any) -> str:
        from workflows.agents.notify import notify_waiting

        return notify_waiting(command, waiting, tmux=self._tmux())

    def attach_argv(self, key: str) -> list[str]:
        """A tmux client showing the pane at its terminal's size (``tui.attach``); for a
        host's pane that client runs there, over ssh with a terminal."""
        if self.attach_command is not None:
            return [*self.attach_command, key]
        from tui.attach import attach_argv
        from workflows.tmux.ssh import client_argv

        driver, pane_id = self._pane(key)
        self._views += 1
        view = f"{self.target.session}-view-{os.getpid()}-{self._views}"
        self._open_views.append((split_key(key)[0], view))
        pane = driver.resolve(pane_id)
        return client_argv(driver.target, *attach_argv([], driver.session, view, pane), tty=True)

    def attach_in_popup(self, key: str) -> None:
        """Inside tmux: the attach client in a popup over the app, until it detaches."""
        from tui.attach import attach_in_popup

        app_pane = os.environ.get("TMUX_PANE", "")
        argv = self.attach_argv(key)
        host, view = self._open_views[-1]
        on = self.driver_for(host)
        attach_in_popup(self._tmux(), self.driver, app_pane, argv, on=on, view=view)

    def window_size(self, key: str) -> tuple[str, str, str]:
        from tui.attach import window_size

        return window_size(*self._pane(key))

    def end_attach(self, size: tuple[str, str, str], key: str = "") -> None:
        """After the person detached: their view's session goes, the agent's size returns
        (``key``: the pane attached to, for its host)."""
        from tui.attach import close_view, restore_size

        while self._open_views:
            host, view = self._open_views.pop()
            close_view(self.driver_for(host), view)
        restore_size(self._pane(key)[0], size)

    def inside_same_tmux(self) -> bool:
        """True when this app runs in a pane of the agents' tmux server."""
        tmux_env = os.environ.get("TMUX", "")
        if not tmux_env or self.attach_command is not None:
            return False
        try:
            lines = self.driver.command("display-message", "-p", "#{socket_path}")
        except Exception:
            return False
        return bool(lines) and lines[0] == tmux_env.split(",")[0]

    def return_person(self) -> list[str]:
        """Before the app quits inside tmux: clients showing it go back where the person
        was, never into an agent's window (``tui.leave``)."""
        pane = os.environ.get("TMUX_PANE", "")
        if not pane or not self.inside_same_tmux():
            return []
        from tui.leave import return_person

        return return_person(self._tmux(), pane)

    # -- runs (the rest: tui.run_services) ------------------------------------------
    def clean_plans(self, run_ids: list[str]) -> list[Any]:
        """What cleaning each run would close and remove (nothing is touched)."""
        from workflows.runs.cleanup import clean_plan

        panes = self.driver.panes()
        return [clean_plan(run_id, panes) for run_id in run_ids]
