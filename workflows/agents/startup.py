"""The one start-up of an agent: launch it wired to agenttui, get it past trust, wait until
it takes input. ``agenttui spawn``, a run's agent steps and the demo all start agents here.

:func:`start_agent` launches the profile's command with its hooks (a per-pane Claude settings
file, Codex ``notify``) and the environment of :func:`workflows.base.childenv.agent_env`.
:func:`wait_until_ready` then waits until the agent takes input (or is already busy). A
trust dialog is answered by :mod:`workflows.agents.trust` (the trusting option chosen
explicitly, never a blind key); what the start-up does is recorded as events, so ``read``,
``wait`` and the tiles show ``starting`` while it answers and ``trust`` (a person must
answer, with the reason) once it cannot. Whatever a person is needed for is reported while
it lasts (a run logs it and shows it in ``agenttui runs``), and a start-up that times out
says what the agent was stuck on and how its screen ended.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workflows.agents.hook_origin import RELAY_ENV
from workflows.agents.hook_relay import ensure_relay, remote_socket, require_relay_support
from workflows.agents.hooks import hook_launch_args, record_event
from workflows.agents.host_agents import note_agent_started
from workflows.agents.observe import default_store, profile_for, read_state, server_for
from workflows.agents.profiles import Profile
from workflows.agents.state import AgentState, StateReading
from workflows.agents.trust import answer_trust, dialog_shown
from workflows.base.childenv import ChildEnv, agent_env
from workflows.base.errors import AgentTuiError, UsageError, WaitTimeout
from workflows.base.hosts import SshHost
from workflows.base.store import Store

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

READY = (AgentState.IDLE, AgentState.WORKING, AgentState.AWAITING_APPROVAL, AgentState.ASKING)
TRUST_BUDGET_S = 30.0
"""How long one answer to a trust dialog may take (it normally takes 1–2 s)."""
MAX_TRUST_ANSWERS = 3
"""A trust dialog that comes back after this many answers is left to a person."""
SCREEN_TAIL = 1500


class StartupFailed(AgentTuiError):
    """The agent exited while starting; the message ends with its screen."""


class StartupTimeout(WaitTimeout):
    """The agent did not take input in time; the message says what it was stuck on."""

    def __init__(self, message: str, reading: StateReading) -> None:
        super().__init__(message)
        self.reading = reading


def _quiet(*_: Any) -> None:
    return None


@dataclass
class StartupReport:
    """Where a start-up tells what happens: ``event(kind, text)`` for the log, ``waiting(text)``
    when a person is needed (``None``: no longer), ``poll()`` on every look (a run checks for
    a cancel there)."""

    event: Callable[[str, str], None] = _quiet
    waiting: Callable[[str | None], None] = _quiet
    poll: Callable[[], None] = _quiet


def agent_argv(
    profile: Profile,
    name: str,
    *,
    prompt: str | None = None,
    extra: Sequence[str] = (),
    host: SshHost | None = None,
) -> list[str]:
    """The agent's command line with its hooks wired to report as ``name`` (on ``host``:
    to the agenttui there)."""
    hooks = hook_launch_args(profile.hooks, name, host)
    return profile.launch_argv(prompt, extra=[*hooks, *extra])


def require_env_from(profile: Profile, environ: Mapping[str, str] | None = None) -> None:
    """Every ``env_from`` name of the profile is set here (else the agent would start
    without its key and fail later, somewhere less clear)."""
    source = os.environ if environ is None else environ
    missing = [name for name in profile.env_from if name not in source]
    if missing:
        raise UsageError(
            f"agent {profile.name} takes {', '.join(missing)} from agenttui's environment "
            f"(env_from), but it is not set; export it, or see `agenttui profiles show "
            f"{profile.name}` for where env_from is configured"
        )


def start_agent(
    driver: TmuxDriver,
    profile: Profile,
    *,
    name: str,
    cwd: str,
    prompt: str | None = None,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    window: str | None = None,
    run_id: str = "",
    token: str = "",
) -> PaneInfo:
    """Launch ``profile``'s agent as ``name`` in its own window; ``prompt`` goes on its command
    line when the profile takes one there (else send it once ready). The environment: the
    profile's ``env``, its ``env_from`` names from ours, ``env`` (``--env``), then agenttui's
    locations (workflows.base.childenv.agent_env). ``token``: a run's launch token for the
    pane (``workflows.runs.run_agents``)."""
    require_env_from(profile)
    child = agent_env(
        profile_env=profile.env,
        env_from=profile.env_from,
        extra=env,
        target=driver.target,
    )
    argv_prompt = prompt if profile.prompt == "argv" else None
    host = driver.target.host
    if host is not None and profile.hooks != "none":
        child = relayed_env(child, host)
    pane = driver.spawn(
        agent_argv(profile, name, prompt=argv_prompt, extra=extra_args, host=host),
        name=name,
        agent=profile.name,
        cwd=cwd,
        env=child.set,
        unset=child.unset,
        window=window,
        run_id=run_id,
        token=token,
    )
    if host is not None:  # the app watches the hosts that have agents (host_agents)
        note_agent_started(default_store(), host.name)
    return pane


def relayed_env(child: ChildEnv, host: SshHost) -> ChildEnv:
    """An agent on a host: its hooks reach this machine's relay (started if need be), so
    this machine's policy decides for it (``agents.hook_relay``)."""
    require_relay_support(host)
    ensure_relay(host)
    return ChildEnv({**child.set, RELAY_ENV: remote_socket(host)}, child.unset)


def wait_until_ready(
    driver: TmuxDriver,
    pane: PaneInfo,
    *,
    profile: Profile | None = None,
    store: Store | None = None,
    timeout: float = 60.0,
    answer_trust_dialog: bool = True,
    report: StartupReport | None = None,
) -> StateReading:
    """Wait until the agent takes input (or is already busy), answering its trust dialog."""
    return _Startup(
        driver,
        pane,
        profile=profile if profile is not None else profile_for(pane),
        store=store or default_store(),
        report=report or StartupReport(),
        answer=answer_trust_dialog,
    ).run(timeout)


class _Startup:
    def __init__(
        self,
        driver: TmuxDriver,
        pane: PaneInfo,
        *,
        profile: Profile,
        store: Store,
        report: StartupReport,
        answer: bool,
    ) -> None:
        self.driver = driver
        self.pane = pane
        self.label = pane.name or pane.pane_id
        self.profile = profile
        self.store = store
        self.report = report
        self.answer = answer and profile.trust_answer is not None
        self.answers = 0
        self.trust_stuck = ""  # why a person must answer the trust dialog
        self.told: str | None = None  # what the person was last told

    def run(self, timeout: float) -> StateReading:
        deadline = time.monotonic() + timeout
        if self.answer:
            # From launch on, a trust dialog is this start-up's to answer, not a person's:
            # other readers (the app's bell, ``wait``) see it before the answering starts.
            self._record("trust_watching", {"budget_s": timeout})
        # (since, look) of a ready reading: with start_settle_ms it must hold that long. An idle
        # look is its screen (Codex draws its composer ~0.1 s before keys land); a busy one is
        # its state (Codex flashes a spinner title, "working", for ~0.1 s after its trust
        # dialog).
        settling: tuple[float, tuple[AgentState, list[str]]] | None = None
        while True:
            self.report.poll()
            current = self.driver.resolve(self.pane.pane_id)
            lines = [] if current.dead else self.driver.capture(current.pane_id)
            if lines and dialog_shown(self.profile, lines):
                settling = None
                if self._may_answer():
                    self._answer_trust(deadline)
                    continue
                reading = StateReading(AgentState.TRUST, {"reason": self._trust_reason()})
            else:
                reading = read_state(self.driver, current, store=self.store, profile=self.profile)
                if reading.state in READY:
                    settle = self.profile.start_settle_ms / 1000
                    idle = reading.state is AgentState.IDLE
                    look = (reading.state, lines if idle else [])
                    if settling is None or settling[1] != look:
                        settling = (time.monotonic(), look)
                    if time.monotonic() - settling[0] >= settle:
                        self._tell(None)
                        return reading
                else:
                    settling = None
            self._tell_person(reading)
            if reading.state is AgentState.EXITED:
                raise StartupFailed(
                    f"{self.label} exited while starting ({_detail(reading)}); "
                    f"its screen ends:\n{self._screen_tail()}"
                )
            if time.monotonic() > deadline:
                raise StartupTimeout(
                    f"{self.label} was not ready after {timeout:.0f}s: stuck on "
                    f"{reading.state.value} ({_detail(reading)}); its screen ends:\n"
                    f"{self._screen_tail()}",
                    reading,
                )
            time.sleep(0.05 if settling else 0.1)

    def _may_answer(self) -> bool:
        return self.answer and not self.trust_stuck and self.answers < MAX_TRUST_ANSWERS

    def _trust_reason(self) -> str:
        if self.trust_stuck:
            return self.trust_stuck
        if self.answers >= MAX_TRUST_ANSWERS:
            return f"the trust dialog came back after {self.answers} answers"
        if self.profile.trust_answer is None:
            return self.profile.trust_unanswered
        return "agenttui was asked not to answer it"

    def _answer_trust(self, deadline: float) -> None:
        self.answers += 1
        budget = max(1.0, min(TRUST_BUDGET_S, deadline - time.monotonic()))
        self._record("trust_answering", {"budget_s": budget})
        outcome = answer_trust(
            self.driver, self.pane.pane_id, self.profile, deadline=time.monotonic() + budget
        )
        if outcome.answered:
            self._record("trust_answered", {"keys": outcome.keys})
            keys = " ".join(outcome.keys) or "none"
            self.report.event("trust", f"answered the trust dialog of {self.label} (keys: {keys})")
        elif not outcome.exited:
            self.trust_stuck = f"agenttui could not answer it: {outcome.reason}"
            self._record("trust_stuck", {"reason": self.trust_stuck, "keys": outcome.keys})

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        record_event(
            self.store,
            agent=self.pane.name,
            kind=kind,
            payload=payload,
            pane_id=self.pane.pane_id,
            server=server_for(self.driver, self.pane.pane_id),
        )

    def _tell_person(self, reading: StateReading) -> None:
        if reading.state.needs_person:
            self._tell(f"{self.label} ({self.pane.pane_id}) is {reading.state.value}: "
                       f"{_detail(reading)}")  # fmt: skip
        else:
            self._tell(None)

    def _tell(self, text: str | None) -> None:
        if text != self.told:
            self.told = text
            self.report.waiting(text)

    def _screen_tail(self) -> str:
        try:
            lines = self.driver.capture(self.pane.pane_id)
        except AgentTuiError:
            return "(no screen: the pane is gone)"
        return "\n".join(line for line in lines if line.strip())[-SCREEN_TAIL:]


def _detail(reading: StateReading) -> str:
    """What the agent is stuck on, for a person: a trust dialog's reason, else the reading's
    own summary (a blocked screen's reason and message, an approval's command)."""
    detail = reading.detail
    if "reason" in detail and reading.state is AgentState.TRUST:
        return str(detail["reason"])
    if reading.state is AgentState.EXITED:
        return ", ".join(f"{key}: {value}" for key, value in detail.items())
    summary = reading.summary()
    prefix = f"{reading.state.value}: "
    return summary[len(prefix) :] if summary.startswith(prefix) else "no detail"
