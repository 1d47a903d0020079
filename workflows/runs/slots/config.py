"""``[slots.NAME]`` in config.toml: how to deploy a branch to a shared environment, how long a
holder may go silent, and how QA gives its verdict on the run's issues."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from workflows.base.config import ConfigError, table
from workflows.base.errors import UsageError

ON_QA_FAIL = ("keep", "requeue")


@dataclass(frozen=True)
class SlotConfig:
    name: str
    deploy: str = ""
    """The deploy command, split like a shell would (``./deploy-staging.sh {branch}``) but
    never run by one: ``{branch}``, ``{commit}``, ``{slot}`` and ``{run_id}`` are replaced
    inside the words, so a branch name stays one argument whatever it holds."""
    url: str | None = None  # the QA link; None: the last URL the deploy printed
    lease: float = 300.0  # seconds a holder may go without a heartbeat before it loses the slot
    heartbeat: float = 0.0  # seconds between renewals; 0: a third of the lease
    max_holders: int = 1
    priority: bool = False  # an issue's Linear priority (urgent first) may jump the queue
    deploy_timeout: float = 900.0
    qa_state: str | None = "In Review"  # where the issues go once deployed
    pass_state: str | None = None
    fail_state: str | None = None
    pass_label: str | None = None
    fail_label: str | None = None
    pass_word: str = "QA pass"  # a comment starting with it is the verdict
    fail_word: str = "QA fail"
    verdict_timeout: float = 86400.0  # no verdict by then: release, a person is asked
    poll: float = 15.0  # seconds between looks at the issues for a verdict
    on_qa_fail: str = "keep"  # keep the slot through the fix round, or "requeue"

    @property
    def renew_every(self) -> float:
        return self.heartbeat or self.lease / 3

    def deploy_argv(self, values: dict[str, str]) -> list[str]:
        """The deploy command as argv, each placeholder's value inside one word."""
        words = shlex.split(self.deploy)
        for key, value in values.items():
            words = [word.replace("{" + key + "}", value) for word in words]
        return words


def configured_slots() -> list[str]:
    return list(table("slots").values)


def load_slot(name: str) -> SlotConfig:
    """The slot's config, checked (file:line on a bad value)."""
    if name not in table("slots"):
        known = ", ".join(configured_slots()) or "none"
        raise UsageError(
            f'no slot {name!r}: add a [slots.{name}] table with deploy = "…" to config.toml '
            f"(configured slots: {known})"
        )
    config = table("slots", name)
    slot = SlotConfig(name=name, **config.fill(SlotConfig, exclude=("name",)))
    if not slot.deploy.strip():
        raise ConfigError(f'{config.where("deploy")}: [slots.{name}] needs deploy = "command"')
    try:
        shlex.split(slot.deploy)
    except ValueError as error:
        raise ConfigError(f"{config.where('deploy')}: [slots.{name}] deploy: {error}") from None
    if slot.on_qa_fail not in ON_QA_FAIL:
        raise config.error("on_qa_fail", '"keep" or "requeue"')
    for key in ("lease", "poll", "verdict_timeout", "deploy_timeout"):
        if getattr(slot, key) <= 0:
            raise config.error(key, "a number of seconds > 0")
    if slot.max_holders < 1:
        raise config.error("max_holders", "a whole number ≥ 1")
    if slot.renew_every >= slot.lease:
        raise config.error("heartbeat", f"shorter than the lease ({slot.lease:g} s)")
    return slot
