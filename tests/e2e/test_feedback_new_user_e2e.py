"""A whole feedback run as a new user starts it, with the real Claude Code (current release,
jailed): a repository never opened with claude, the built-in claude profile with only the
environment a gateway needs (exported before tmux started, as a user's shell does), agenttui's
default locations under a fresh HOME, an allow policy. The run succeeds with nobody at the
keyboard, no dialog is ever announced as waiting for a person, and each prompt reaches the
model exactly once.

Announcements are counted as the app makes them: the app's own tile poll (``Services.tiles``,
what rings the bell and notifies), every 0.3 s, one announcement per agent that starts
waiting; plus the run's ``attention`` field (``agenttui runs``) and its log.
"""

from __future__ import annotations

import os
import shlex
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.agents import (
    JAIL_PORT_CLAUDE,
    JAIL_PORT_CODEX,
    claude_on_path,
    npm_bin,
    prepare_claude_home,
    prepare_codex_home,
)
from tests.e2e.model_server import AnthropicServer, OpenAIServer, Reply, refine_and_plan, write
from tests.e2e.netjail import jail_argv
from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import run_summary, start_run
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from tui.services import Services
from workflows.agents.hooks import events_for_agent
from workflows.base.store import Store
from workflows.base.target import TmuxTarget
from workflows.runs.run_store import RunStore
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
GATEWAY_ONLY = ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")


class Announcements:
    """What the app would announce: agents that start waiting for a person, from its poll."""

    def __init__(self) -> None:
        # The test's tmux server (tmux_server sets these), as the app would find it.
        socket, session = os.environ["AGENTTUI_TMUX_SOCKET"], os.environ["AGENTTUI_SESSION"]
        self.services = Services(TmuxTarget(socket, session))
        self.announced: list[tuple[str, str, dict[str, object]]] = []
        self.attention: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        waiting: set[str] = set()
        while not self._stop.wait(0.3):
            infos = self.services.tiles()
            now = {info.pane_id for info in infos if info.waiting}
            for info in infos:
                if info.pane_id in now - waiting:
                    self.announced.append((info.name, info.state, dict(info.detail)))
            waiting = now

    def __enter__(self) -> Announcements:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.services.close()


def ended(run_id: str, heard: Announcements) -> dict[str, Any] | None:
    """The run's summary once it ended; meanwhile who it says waits for a person."""
    summary = run_summary(run_id)
    if summary.get("attention"):
        heard.attention.append(str(summary["attention"]))
    return summary if summary["status"] in ("succeeded", "failed", "cancelled") else None


def run_without_a_person(issue: str, project: Project, *extra: str) -> tuple[str, dict[str, Any]]:
    """Run feedback on ``issue`` and check it succeeded with nobody called: nothing announced,
    no attention in ``agenttui runs``, nothing in the log for a person."""
    with Announcements() as heard:
        run_id = start_run(
            "feedback", "--issues", issue, "--repo", str(project.repo), "--source", "linear",
            "--github-repo", "acme/widgets", "--test-command", "test -f feature.txt", *extra,
        )  # fmt: skip
        summary = wait_until(lambda: ended(run_id, heard), timeout=500, interval=0.5)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert heard.announced == [], heard.announced  # no dialog was a person's
    assert heard.attention == [] and "a person is needed" not in log
    return run_id, summary


@pytest.fixture
def gateway(
    isolated_env: Path,
    tmux_server: TmuxServer,
    anthropic: AnthropicServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AnthropicServer:
    """A new user's machine: claude on PATH (jailed), the gateway's variables exported before
    tmux started, Claude Code onboarded elsewhere, an allow policy in the default config dir;
    no AGENTTUI_* locations: agenttui's defaults under the tmp HOME."""
    for name in ("AGENTTUI_STATE_DIR", "AGENTTUI_CONFIG_DIR", "AGENTTUI_CONFIG"):
        monkeypatch.delenv(name)
    claude_on_path(tmp_path / "bin", anthropic, monkeypatch)
    env = anthropic.claude_env(JAIL_PORT_CLAUDE)
    driver = TmuxDriver(tmux_server.target)
    driver.ensure_session()
    driver.close()
    for name in GATEWAY_ONLY:
        tmux_server.cmd("set-environment", "-g", name, env[name])
    tmux_server.cmd("set-environment", "-g", "PATH", os.environ["PATH"])
    prepare_claude_home(isolated_env, tmp_path / "another-project", anthropic.api_key)
    config = isolated_env / ".config" / "agenttui"  # agenttui's default config dir
    config.mkdir(parents=True, exist_ok=True)
    (config / "policy.toml").write_text('allow = ["Write", "Edit", "Read", "Bash(touch:*)"]\n')
    return anthropic


def test_a_new_users_feedback_run_with_the_current_claude_code_needs_nobody(
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    gateway: AnthropicServer,
) -> None:
    home, anthropic = Path.home(), gateway
    tmp_path = project.repo.parent
    branch = linear_server.workspace.find_issue("ENG-2")["branchName"]
    worktree = tmp_path / "worktree"  # new: never opened with claude
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    notes = worktree / ".agenttui"
    anthropic.script(
        *refine_and_plan(notes),
        Reply.bash("touch feature.txt"),
        write(notes / "implement.md", "Fixed.\n"), Reply.text("ok"),
        write(notes / "review.md", "Looks right.\nVERDICT: PASS\n"), Reply.text("ok"),
    )  # fmt: skip
    run_id, summary = run_without_a_person("ENG-2", project)
    assert summary["worktree"] == str(worktree)

    prompts = anthropic.prompts()
    for marker in (
        "First refinement", "Second refinement", "Third refinement", "Now plan the change",
        "Implement the plan now", "You are reviewing a change",
    ):  # fmt: skip
        assert sum(marker in p for p in prompts) == 1, (marker, prompts)
    assert len(RunStore().deliveries(run_id)) == 6
    # The dialogs were the policy's: asked through the hook, allowed, none left to a person.
    store = Store()
    for agent in (f"{run_id}-main", f"{run_id}-reviewer"):
        assert not events_for_agent(store, agent, kind="undecided"), agent
    for agent, calls in ((f"{run_id}-main", 6), (f"{run_id}-reviewer", 1)):
        allowed = events_for_agent(store, agent, kind="answered")  # five Writes and the touch
        assert [e["payload"]["action"] for e in allowed] == ["policy-allow"] * calls, agent
    (pull,) = github.pulls
    assert "VERDICT: PASS" in pull["body"]
    assert workspace_state(linear_server) == "In Review"
    assert (home / ".local/state/agenttui/agenttui.sqlite3").exists()  # the default store


def workspace_state(server: LinearServer) -> str:
    return str(server.workspace.issue_state("ENG-2"))


@pytest.fixture
def codex_too(
    gateway: AnthropicServer,
    openai: OpenAIServer,
    tmux_server: TmuxServer,
    tmp_path: Path,
) -> OpenAIServer:
    """The same user also has Codex (jailed on PATH), set up for the gateway in its own
    ~/.codex (a provider whose key comes from the environment), no folder trusted yet."""
    bin_dir = tmp_path / "bin"
    jailed = jail_argv(JAIL_PORT_CODEX, str(openai.unix_path), [npm_bin("codex")])
    (bin_dir / "codex").write_text(f'#!/bin/sh\nexec {shlex.join(jailed)} "$@"\n')
    (bin_dir / "codex").chmod(0o755)
    home = Path.home()
    prepare_codex_home(home / ".codex", tmp_path / "another-project", trusted=False)
    config = home / ".codex" / "config.toml"  # the user lets Codex write in its workspace
    config.write_text('sandbox_mode = "workspace-write"\n' + config.read_text())
    tmux_server.cmd("set-environment", "-g", "E2E_OPENAI_KEY", openai.api_key)
    # The test's HOME is under /tmp; Codex's sandbox wants CODEX_HOME outside TMPDIR (as a
    # user's ~ is outside /tmp).
    (tmp_path / "tmpdir").mkdir()
    tmux_server.cmd("set-environment", "-g", "TMPDIR", str(tmp_path / "tmpdir"))
    return openai


def test_the_same_with_codex_as_the_reviewer(
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    gateway: AnthropicServer,
    codex_too: OpenAIServer,
) -> None:
    """Codex reviews (``--agent review=codex``), Claude Code does the rest."""
    anthropic, openai = gateway, codex_too
    branch = linear_server.workspace.find_issue("ENG-3")["branchName"]
    worktree = project.repo.parent / "worktree"  # new: never opened with claude or codex
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    notes = worktree / ".agenttui"
    anthropic.script(
        *refine_and_plan(notes),
        Reply.bash("touch feature.txt"),
        write(notes / "implement.md", "Fixed.\n"),
        Reply.text("ok"),
    )
    review = "printf 'Reviewed by codex.\\nVERDICT: PASS\\n' > .agenttui/review.md"
    openai.script(Reply.exec(review, escalated=False), Reply.text("Review written."))
    run_without_a_person("ENG-3", project, "--agent", "review=codex")
    claude_prompts = anthropic.prompts()
    for marker in (
        "First refinement", "Second refinement", "Third refinement", "Now plan the change",
        "Implement the plan now",
    ):  # fmt: skip
        assert sum(marker in p for p in claude_prompts) == 1, (marker, claude_prompts)
    assert not any("You are reviewing a change" in p for p in claude_prompts)
    assert sum("You are reviewing a change" in p for p in openai.prompts()) == 1
    (pull,) = github.pulls
    assert "Reviewed by codex." in pull["body"]
