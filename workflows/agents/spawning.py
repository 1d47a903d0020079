"""An agent a person starts: ``agenttui spawn`` and the app's start form, one path.

Both name it (``PROFILE-N`` unless given), pick its folder (on a host: the host's ``repo``
unless given), launch it through :func:`workflows.agents.startup.start_agent` (on a host
when the driver's target names one), wait until it takes input and then send a first prompt
the profile cannot take on its command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.agents.delivery import SendFailed, SendResult, send_text
from workflows.agents.profiles import Profile
from workflows.agents.startup import wait_until_ready
from workflows.base.errors import UsageError
from workflows.base.hosts import SshHost

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver


def free_name(driver: TmuxDriver, agent: str) -> str:
    """``AGENT-N``: the first number no pane of the driver's session is named with."""
    taken = {pane.name for pane in driver.panes()}
    number = 1
    while f"{agent}-{number}" in taken:
        number += 1
    return f"{agent}-{number}"


def agent_folder(host: SshHost | None, folder: str | None) -> str:
    """Where the agent starts: ``folder``, else here; on ``host`` its ``repo`` (the folder
    is then checked there, by the driver that launches it)."""
    if host is not None:
        if not (folder or host.repo):
            raise UsageError(f'give a folder: [hosts.{host.name}] has no repo = "PATH"')
        return str(folder or host.repo)
    cwd = str(Path(folder or os.getcwd()).expanduser().resolve())
    if not Path(cwd).is_dir():
        raise UsageError(f"{cwd} is not a directory")
    return cwd


@dataclass
class FirstPrompt:
    """What became of the first prompt sent once the agent was ready."""

    sent: SendResult | None = None
    failed: SendFailed | None = None


def ready_and_prompted(
    driver: TmuxDriver,
    pane: PaneInfo,
    profile: Profile,
    prompt: str | None,
    *,
    timeout: float = 60.0,
    wait: bool = True,
) -> FirstPrompt:
    """Wait until the launched agent takes input (its trust dialog answered) unless not
    ``wait``, then send ``prompt`` unless it went on the command line. A prompt that could
    not be delivered is returned (the agent runs: the caller says where); an agent that
    does not get ready raises (StartupFailed, StartupTimeout)."""
    if wait:
        wait_until_ready(driver, pane, profile=profile, timeout=timeout)
    if prompt is None or profile.prompt == "argv":
        return FirstPrompt()
    try:
        return FirstPrompt(sent=send_text(driver, pane, prompt, timeout=timeout, profile=profile))
    except SendFailed as error:
        return FirstPrompt(failed=error)
