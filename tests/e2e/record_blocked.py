"""Record the screens on which an agent is stuck until a person acts (state ``blocked``).

    AGENTTUI_NPM_BIN=… python -m tests.e2e.record_screens claude-blocked codex-blocked …

Per CLI: a usage limit (with its reset time when the CLI prints one), an authentication
error, the slash-command menu and the model picker left open. The model server refuses the
turn the way each vendor's API does (tests/e2e/api_errors.py). Like every fixture, the moment
of capture and the expected detail come from what is on screen (the recorder's own patterns),
never from the classifier under test.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.e2e import api_errors
from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer, Reply
from tests.e2e.record_screens import StuckOnScreen, on_screen, save
from workflows.tmux.driver import TmuxDriver

CODEX_RESET = re.compile(r"try again at (.+?)\.(?:\s|$)", re.DOTALL)
GEMINI_RESET = re.compile(r"Access resets at (.+?)\.", re.DOTALL)


def shown(pane: AgentPane, pattern: re.Pattern[str]) -> str:
    """What ``pattern``'s group says on screen, wrapped lines joined as one."""
    text = "\n".join(line.rstrip("│ ").lstrip("│") for line in pane.screen())
    match = pattern.search(text)
    if match is None:
        raise StuckOnScreen(pane.profile.name, pattern.pattern, pane.screen(), "")
    return " ".join(match.group(1).split())


def type_keys(driver: TmuxDriver, pane: AgentPane, text: str) -> None:
    driver.command("send-keys", "-t", pane.pane.pane_id, "-l", text)


def record_menus(driver: TmuxDriver, agent: str, pane: AgentPane, listed: str, picker: str) -> None:
    """The slash-command menu (``listed`` shows in it), then the /model picker (``picker``)."""
    type_keys(driver, pane, "/")
    on_screen(pane, listed)
    save(agent, "blocked-menu-commands", pane, reason="menu")
    driver.send_keys(pane.pane.pane_id, "BSpace")
    type_keys(driver, pane, "/model")
    on_screen(pane, "/model")
    time.sleep(0.5)  # typed fast then Enter at once is a newline to Codex (its paste burst)
    driver.send_keys(pane.pane.pane_id, "Enter")
    on_screen(pane, picker)
    save(agent, "blocked-menu-model", pane, reason="menu")
    driver.send_keys(pane.pane.pane_id, "Escape")


def refused(pane: AgentPane, prompt: str, message: str, footer: str) -> None:
    """Send ``prompt`` and wait for the API's refusal ``message`` and the turn's end."""
    pane.send(prompt)
    on_screen(pane, message)
    on_screen(pane, footer)


def record_claude_blocked(driver: TmuxDriver, root: Path) -> None:
    with AnthropicServer() as server:
        server.script(api_errors.claude_spend_limit(), api_errors.claude_bad_key())
        pane = AgentPane.claude(driver, server, root, name="lim")
        on_screen(pane, "for agents")
        refused(pane, "hello limit", "spend limit reached", "? for shortcuts")
        save("claude", "blocked-usage-limit", pane, reason="usage_limit", resets="Aug 8")
        refused(pane, "hello key", "Invalid API key", "? for shortcuts")
        save("claude", "blocked-auth", pane, reason="auth_error")
        driver.kill(pane.pane.pane_id)

        menus = AgentPane.claude(driver, server, root, name="menu")
        on_screen(menus, "for agents")
        record_menus(driver, "claude", menus, "/add-dir", "Select model")
        driver.kill(menus.pane.pane_id)


def record_codex_blocked(driver: TmuxDriver, root: Path) -> None:
    with OpenAIServer() as server:
        server.script(api_errors.codex_usage_limit(), api_errors.codex_bad_key())
        pane = AgentPane.codex(driver, server, root, name="lim")
        on_screen(pane, "for agents")
        refused(pane, "hello limit", "hit your usage limit", "? for shortcuts")
        resets = shown(pane, CODEX_RESET)
        save("codex", "blocked-usage-limit", pane, reason="usage_limit", resets=resets)
        refused(pane, "hello key", "401 Unauthorized", "? for shortcuts")
        save("codex", "blocked-auth", pane, reason="auth_error")
        record_menus(driver, "codex", pane, "/model", "Select Model")
        driver.kill(pane.pane.pane_id)


def stop_trying(driver: TmuxDriver, pane: AgentPane) -> None:
    """Gemini's limit dialog: "● 1. Keep trying  2. Stop"; choose Stop."""
    driver.send_keys(pane.pane.pane_id, "2")
    time.sleep(0.3)
    if "Keep trying" in "\n".join(pane.screen()):
        driver.send_keys(pane.pane.pane_id, "Enter")
    on_screen(pane, "Type your message")


def record_gemini_blocked(driver: TmuxDriver, root: Path) -> None:
    with GeminiServer() as server:
        server.script(
            api_errors.gemini_quota(with_reset=False),
            api_errors.gemini_quota(with_reset=True),
            api_errors.gemini_bad_key(),
            *[Reply.text("ok")] * 3,
        )
        pane = AgentPane.gemini(driver, server, root, name="lim")
        on_screen(pane, "Tips for getting started")
        pane.send("hello limit")
        on_screen(pane, "Usage limit reached")
        save("gemini", "blocked-usage-limit", pane, reason="usage_limit")
        stop_trying(driver, pane)
        pane.send("hello again")
        on_screen(pane, "Access resets at")
        resets = shown(pane, GEMINI_RESET)
        save("gemini", "blocked-usage-limit-reset", pane, reason="usage_limit", resets=resets)
        stop_trying(driver, pane)
        refused(pane, "hello key", "API key not valid", "Type your message")
        save("gemini", "blocked-auth", pane, reason="auth_error")
        record_menus(driver, "gemini", pane, "(1/", "Select Model")
        driver.kill(pane.pane.pane_id)
