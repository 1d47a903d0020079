"""Drive a real agent CLI in tmux through agenttui's own driver, observer and actions.

    with AnthropicServer() as server:
        agent = AgentPane.claude(driver, server, tmp_path, name="c1")
        agent.wait_state("idle")
        agent.send("hello")

Everything goes through the code under test: ``TmuxDriver.spawn`` (jailed argv, isolated
env), ``send_text`` (verified send), ``observe.read_state`` (hooks + screen + quiescence) and
``approvals.answer`` (approve / deny / interrupt with the profile's keys, audited as a person's).
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.agents import claude_launch, codex_launch, gemini_launch
from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer
from tests.support.waiting import wait_until
from workflows.agents.actions import ActionResult
from workflows.agents.delivery import SendResult, send_text
from workflows.agents.hooks import hook_launch_args
from workflows.agents.observe import read_state
from workflows.agents.profiles import Profile
from workflows.agents.settings import load_profile
from workflows.agents.state import StateReading
from workflows.approvals.answer import answer
from workflows.tmux.driver import PaneInfo, TmuxDriver


def git_project(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


@dataclass
class AgentPane:
    driver: TmuxDriver
    pane: PaneInfo
    profile: Profile
    project: Path

    @classmethod
    def claude(
        cls,
        driver: TmuxDriver,
        server: AnthropicServer,
        root: Path,
        *,
        name: str,
        trusted: bool = True,
        permission_mode: str | None = "default",
        binary: str | None = None,
    ) -> AgentPane:
        project = git_project(root / f"{name}-project")
        profile = load_profile("claude")
        argv, env = claude_launch(
            server, root / f"{name}-home", project,
            extra=hook_launch_args(profile.hooks, name), trusted=trusted,
            permission_mode=permission_mode, binary=binary,
        )  # fmt: skip
        pane = driver.spawn(argv, name=name, agent="claude", cwd=str(project), env=env)
        return cls(driver, pane, profile, project)

    @classmethod
    def codex(
        cls,
        driver: TmuxDriver,
        server: OpenAIServer,
        root: Path,
        *,
        name: str,
        trusted: bool = True,
        features: tuple[str, ...] = (),
    ) -> AgentPane:
        project = git_project(root / f"{name}-project")
        profile = load_profile("codex")
        argv, env = codex_launch(
            server, root / f"{name}-home", project,
            extra=hook_launch_args(profile.hooks, name), trusted=trusted, features=features,
        )  # fmt: skip
        pane = driver.spawn(argv, name=name, agent="codex", cwd=str(project), env=env)
        return cls(driver, pane, profile, project)

    @classmethod
    def gemini(
        cls,
        driver: TmuxDriver,
        server: GeminiServer,
        root: Path,
        *,
        name: str,
        trusted: bool = True,
    ) -> AgentPane:
        project = git_project(root / f"{name}-project")
        profile = load_profile("gemini")
        argv, env = gemini_launch(server, root / f"{name}-home", project, trusted=trusted)
        pane = driver.spawn(argv, name=name, agent="gemini", cwd=str(project), env=env)
        return cls(driver, pane, profile, project)

    def refresh(self) -> PaneInfo:
        self.pane = self.driver.resolve(self.pane.pane_id)
        return self.pane

    def state(self) -> StateReading:
        return read_state(self.driver, self.refresh(), profile=self.profile)

    def screen(self) -> list[str]:
        return self.driver.capture(self.pane.pane_id)

    def wait_state(self, state: str, *, timeout: float = 60.0) -> StateReading:
        last: list[Any] = []

        def reached() -> StateReading | None:
            reading = self.state()
            last[:] = [reading.as_json(), self.screen()]
            return reading if reading.state.value == state else None

        try:
            return wait_until(reached, timeout=timeout, interval=0.1, message=f"state {state}")
        except AssertionError as error:
            screen = "\n".join(last[1]) if last else ""
            raise AssertionError(f"{error}\nlast reading: {last[:1]}\nscreen:\n{screen}") from None

    def wait_screen(self, needle: str, *, timeout: float = 60.0) -> list[str]:
        try:
            return wait_until(
                lambda: self.screen() if needle in "\n".join(self.screen()) else None,
                timeout=timeout,
                interval=0.1,
                message=f"{needle!r} on screen",
            )
        except AssertionError as error:
            screen = "\n".join(self.screen())
            raise AssertionError(f"{error}\nscreen:\n{screen}") from None

    def wait_still(self, *, seconds: float, bottom: int = 0, timeout: float = 30.0) -> list[str]:
        """Wait until the screen (its ``bottom`` rows, where a dialog is, when given; a timer
        may tick above) has not changed for ``seconds``: a person's reading time."""
        seen: list[Any] = [self.screen()[-bottom:], time.monotonic()]

        def still() -> list[str] | None:
            screen = self.screen()[-bottom:]
            if screen != seen[0]:
                seen[:] = [screen, time.monotonic()]
            return screen if time.monotonic() - seen[1] >= seconds else None

        return wait_until(still, timeout=timeout, interval=0.1, message="a still screen")

    def send(self, text: str) -> SendResult:
        return send_text(self.driver, self.refresh(), text, profile=self.profile, timeout=30.0)

    def act(self, action: str) -> ActionResult:
        return answer(self.driver, self.refresh(), action)


class Watcher:
    """Reads the named agents' states as fast as it can in a thread: every reading they had."""

    def __init__(self, driver: TmuxDriver, names: list[str]) -> None:
        self.readings: list[tuple[str, StateReading]] = []
        self.screens: list[list[str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(driver, names), daemon=True)

    def _run(self, driver: TmuxDriver, names: list[str]) -> None:
        watcher = TmuxDriver(driver.target)  # its own connection
        try:
            while not self._stop.is_set():
                for pane in watcher.panes():
                    if pane.name in names:
                        self.readings.append((pane.name, read_state(watcher, pane)))
                        self.screens.append(watcher.capture(pane.pane_id))
        finally:
            watcher.close()

    def all(self) -> list[tuple[str, StateReading]]:
        return list(self.readings)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
