"""Which agent (profile) each agent step of a run uses, decided once when the run starts.

Highest first:

1. ``--agent STEP=NAME`` on the command line;
2. ``--agent NAME`` on the command line (every agent step);
3. ``[workflows.agents]`` in config.toml: ``STEP = "NAME"``;
4. ``[workflows] agent = "NAME"`` in config.toml (every agent step);
5. the step's own ``agent`` in the workflow file;
6. the workflow's ``agent``.

``STEP`` is a step id (``review``) or a session name (``reviewer``: every step in it). Steps
sharing a session share one agent pane, so choices that differ within a session are refused.
A command-line ``STEP`` this workflow does not have is refused; a config key is only used by
the workflows that have it.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.base.config import table
from workflows.base.errors import UsageError
from workflows.definitions.model import Step, Workflow

SESSION_KINDS = ("agent", "spawn", "workers")


@dataclass(frozen=True)
class Choice:
    agent: str
    why: str  # where the choice came from, for errors and the run's log


def agent_steps(workflow: Workflow) -> list[Step]:
    return [step for step in workflow.steps if step.kind in SESSION_KINDS]


def _per_step(pairs: dict[str, tuple[str, str]], step: Step) -> tuple[str, str] | None:
    return pairs.get(step.id) or pairs.get(step.session)


def parse_cli(words: list[str]) -> tuple[str | None, dict[str, tuple[str, str]]]:
    """``--agent`` words: the all-steps one (the last plain NAME) and the ``STEP=NAME`` ones."""
    everywhere: str | None = None
    per_step: dict[str, tuple[str, str]] = {}
    for word in words:
        key, sep, name = word.partition("=")
        if not sep:
            everywhere = word
        elif not key or not name:
            raise UsageError(f"--agent wants NAME or STEP=NAME, got {word!r}")
        else:
            per_step[key] = (name, f"--agent {word}")
    return everywhere, per_step


def _config() -> tuple[tuple[str, str] | None, dict[str, tuple[str, str]]]:
    workflows = table("workflows")
    name = workflows.get_str("agent")
    everywhere = (name, f"{workflows.where('agent')} [workflows] agent") if name else None
    if "agents" not in workflows:
        return everywhere, {}
    agents = workflows.sub("agents")
    pairs = {}
    for key in agents.values:
        name = agents.get_str(key)
        pairs[key] = (str(name), f"{agents.where(key)} [workflows.agents] {key}")
    return everywhere, pairs


def choose_agents(workflow: Workflow, cli: list[str] | None = None) -> dict[str, Choice]:
    """Each agent step's agent (see the module doc), checked against the profiles."""
    from workflows.agents.profiles import list_profiles

    cli_all, cli_steps = parse_cli(cli or [])
    config_all, config_steps = _config()
    steps = agent_steps(workflow)
    names = {step.id for step in steps} | {step.session for step in steps}
    unknown = sorted(set(cli_steps) - names)
    if unknown:
        raise UsageError(
            f"--agent {unknown[0]}=…: workflow {workflow.name!r} has no agent step or session "
            f"{unknown[0]!r}; its agent steps: {', '.join(step.id for step in steps)}"
        )
    chosen: dict[str, Choice] = {}
    for step in steps:
        picked = (
            _per_step(cli_steps, step)
            or ((cli_all, "--agent") if cli_all else None)
            or _per_step(config_steps, step)
            or config_all
            or ((step.agent, f"step {step.id!r}") if step.agent else None)
            or (workflow.agent, f"workflow {workflow.name!r}")
        )
        chosen[step.id] = Choice(*picked)
    known = list_profiles()
    for step_id, choice in chosen.items():
        if choice.agent not in known:
            raise UsageError(
                f"{choice.why}: no agent profile {choice.agent!r} (step {step_id!r}); "
                f"known: {', '.join(known)}"
            )
    _check_sessions(steps, chosen)
    return chosen


def _check_sessions(steps: list[Step], chosen: dict[str, Choice]) -> None:
    first: dict[str, Step] = {}
    for step in steps:
        if step.kind == "workers":
            continue  # its agents have sessions of their own (<step>-<n>)
        other = first.setdefault(step.session, step)
        if chosen[other.id].agent != chosen[step.id].agent:
            raise UsageError(
                f"steps {other.id!r} and {step.id!r} share session {step.session!r} (one agent "
                f"pane) but would use {chosen[other.id].agent!r} ({chosen[other.id].why}) and "
                f"{chosen[step.id].agent!r} ({chosen[step.id].why}); choose one agent for the "
                f"session: --agent {step.session}=NAME"
            )
