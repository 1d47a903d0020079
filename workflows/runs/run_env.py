"""What a run's processes get besides their own: ``agenttui run --env`` for its agents, and
the ``env_from`` values its runner must carry to them.

``--env`` values may be keys, so they never reach the store or the log (the store keeps the
names): they are kept in ``state_dir/runs/<id>.env`` (0600) for the runner, which reads them
when it starts an agent (a resumed run too), and removed once the run can no longer be
resumed (succeeded, cancelled or cleaned).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping

from workflows.base.childenv import agenttui_env, passed_through
from workflows.runs.records import run_file


def save_run_env(run_id: str, env: Mapping[str, str]) -> None:
    if not env:
        return
    path = run_file(run_id, "env")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(dict(env), handle)


def load_run_env(run_id: str) -> dict[str, str]:
    try:
        data = json.loads(run_file(run_id, "env").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(key): str(value) for key, value in data.items()}


def forget_run_env(run_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        run_file(run_id, "env").unlink()


def runner_env(agent_names: Iterable[str], workflow_env_from: Iterable[str] = ()) -> dict[str, str]:
    """The runner's environment: agenttui's (with the secrets it uses) plus every ``env_from``
    value its agents and its workflow's shell steps take from ours."""
    from workflows.agents.settings import load_profile

    names = {name for agent in set(agent_names) for name in load_profile(agent).env_from}
    names.update(workflow_env_from)
    return {**agenttui_env(), **passed_through(sorted(names))}
