"""Linear agent sessions as the tests drive them: the config, one watcher round, what
the app posted, the workflow whose agent asks."""

from __future__ import annotations

from typing import Any

from tests.support.git_repos import Project
from tests.support.linear_server import LinearServer
from tests.support.tmux import TmuxServer
from workflows.autonomy.watcher import Watcher, WatchOptions
from workflows.base.paths import config_file

POLL_S = 2.0


def write_config(project: Project, *, agent: str) -> None:
    from workflows.base.config import load_config

    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(
        f"""
[workflows]
agent = "{agent}"
repo = "{project.repo}"
github_repo = "acme/widgets"
test_command = "sh run_tests.sh"

[linear_agent]
poll_active = {POLL_S}
per_minute = 60

[watch]
workflow = "quick-fix"
filter = "handed"

[watch.filters.handed]
delegated = true
"""
    )
    load_config.cache_clear()


def watch_once(tmux_server: TmuxServer) -> list[dict[str, Any]]:
    options = WatchOptions.from_config()
    return Watcher(options, tmux_server.target).run_round().launched


def app_activities(server: LinearServer, session_id: str) -> list[dict[str, Any]]:
    return [a["content"] for a in server.workspace.activities_of(session_id)]


ASK_WORKFLOW = """
name = "ask"
description = "one agent step whose command needs a person's approval"
worktree = true

[[steps]]
id = "implement"
description = "running a command that needs approval"
prompt = "Please run command `echo approved-on-linear > approved.txt` and report."
output = ".agenttui/ask.md"
"""
