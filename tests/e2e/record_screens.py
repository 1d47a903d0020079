"""Record classifier fixtures from the real CLIs: one screen per state, under tests/fixtures.

    AGENTTUI_NPM_BIN=… python -m tests.e2e.record_screens [claude|codex|demo …]

``<agent>-<scene>`` records one scene of an agent (see :func:`scenes`): ``claude-starting``,
``claude-auto-mode``, ``codex-asking``, ``gemini-blocked`` (tests/e2e/record_blocked.py) …

Each fixture is ``tests/fixtures/screens/<agent>/<version>/<state>[-variant].txt`` (the
version the CLI reports, so the screens of every release kept stay side by side; the demo
agent's are ``demo/<state>.txt``): header lines
(``title=…``, optional ``dead_status=…``, ``detail.<key>=…`` the expected detail), a line
``---``, then the screen exactly as ``capture-pane -p`` gave it. The moment of capture is
chosen by what is on screen (markers the scripted model sends, the CLI's dialog texts),
never by the classifier under test. Re-run after an agent release and review the diff.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.agents import npm_bin
from tests.e2e.harness import AgentPane, git_project
from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer, Reply
from tests.support.waiting import wait_until
from workflows.base.paths import agenttui_argv
from workflows.base.target import TmuxTarget
from workflows.tmux.driver import TmuxDriver

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "screens"
CODEX_ASK = {
    "questions": [
        {
            "id": "colour",
            "header": "Colour",
            "question": "Which colour should the button be?",
            "options": [
                {"label": "Red", "description": "warm"},
                {"label": "Blue", "description": "cool"},
            ],
        }
    ]
}
"""Arguments of Codex's ``request_user_input`` tool (its question UI)."""
CODEX_QUESTION_FEATURE = "default_mode_request_user_input"
"""The ``[features]`` flag that offers that tool outside Plan mode."""
ASK = {
    "questions": [
        {
            "question": "Which colour should the button be?",
            "header": "Colour",
            "options": [
                {"label": "Red", "description": "warm"},
                {"label": "Blue", "description": "cool"},
            ],
            "multiSelect": False,
        }
    ]
}


@dataclass(frozen=True)
class Screen:
    """One screen the recorder captured, and what it was recorded as."""

    agent: str
    name: str  # <state>[-variant]
    lines: list[str]
    title: str
    dead: tuple[int | None, int | None] | None  # (status, signal) of a dead pane
    detail: dict[str, str]


_sinks: list[Callable[[Screen], None]] = []


@contextlib.contextmanager
def captured(sink: Callable[[Screen], None]) -> Iterator[None]:
    """Hand every screen to ``sink`` instead of writing fixtures (the drift check)."""
    _sinks.append(sink)
    try:
        yield
    finally:
        _sinks.remove(sink)


def save(
    agent: str,
    state: str,
    pane: AgentPane,
    *,
    seen: tuple[list[str], str] | None = None,
    **detail: str,
) -> None:
    """Write the pane's screen now (or ``seen``: a screen and title captured earlier)."""
    info = pane.refresh()
    lines, title = seen if seen is not None else (pane.screen(), info.title)
    if _sinks:
        dead = (info.dead_status, info.dead_signal) if info.dead else None
        _sinks[-1](Screen(agent, state, lines, title, dead, detail))
        return
    header = [f"title={title}"]
    if info.dead:
        header.append(f"dead_status={info.dead_status}")
        header.append(f"dead_signal={info.dead_signal}")
    header += [f"detail.{key}={value}" for key, value in detail.items()]
    path = fixture_dir(agent) / f"{state}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*header, "---", *lines]) + "\n", encoding="utf-8")
    print(f"recorded {path.relative_to(FIXTURES)}")


def cli_version(agent: str) -> str:
    """The version the installed CLI reports (``2.1.332 (Claude Code)`` → ``2.1.332``)."""
    done = subprocess.run(
        [npm_bin(agent), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    match = re.search(r"\d+\.\d+\.\d+\S*", done.stdout)
    if match is None:
        raise SystemExit(f"{agent} --version printed no version: {done.stdout!r}")
    return match.group(0)


def fixture_dir(agent: str) -> Path:
    """Where this agent's screens go: per installed version, except our own demo agent's."""
    if agent == "demo":
        return FIXTURES / "demo"
    if agent not in _versions:
        _versions[agent] = cli_version(agent)
    return FIXTURES / agent / _versions[agent]


_versions: dict[str, str] = {}


def first_screen(
    pane: AgentPane, wanted: Callable[[list[str], str], bool], done: str, timeout: float = 60
) -> tuple[list[str], str] | None:
    """The first screen (and title) from launch on that is ``wanted``; None if ``done``
    shows first. Polled every few ms: a start-up frame can last well under 100 ms."""
    found: list[tuple[list[str], str] | None] = []

    def check() -> bool:
        title = pane.refresh().title
        lines = pane.screen()
        if wanted(lines, title):
            found.append((lines, title))
        elif done in "\n".join(lines):
            found.append(None)
        return bool(found)

    wait_until(check, timeout=timeout, interval=0.005, message="a start-up screen")
    return found[0]


class StuckOnScreen(Exception):
    """A scene waited for a text that never showed (a release changed its screens)."""

    def __init__(self, agent: str, needle: str, lines: list[str], title: str) -> None:
        super().__init__(f"{agent}: {needle!r} never showed; the screen:\n" + "\n".join(lines))
        self.agent, self.needle, self.lines, self.title = agent, needle, lines, title


def on_screen(pane: AgentPane, needle: str, timeout: float = 60) -> None:
    try:
        pane.wait_screen(needle, timeout=timeout)
    except AssertionError:
        info = pane.refresh()
        raise StuckOnScreen(pane.profile.name, needle, pane.screen(), info.title) from None


def title_matches(pane: AgentPane, check: Callable[[str], bool], timeout: float = 30) -> None:
    wait_until(lambda: check(pane.refresh().title), timeout=timeout, interval=0.05)


def quit_agent(driver: TmuxDriver, pane: AgentPane) -> None:
    """Claude asks for a second Ctrl-C; Codex quits on one (a second could kill it)."""
    driver.send_keys(pane.pane.pane_id, "C-c")
    if pane.profile.name in ("claude", "gemini"):
        on_screen(pane, "again to exit")
        driver.send_keys(pane.pane.pane_id, "C-c")
    wait_until(
        lambda: (
            pane.refresh().dead
            and (pane.pane.dead_status is not None or pane.pane.dead_signal is not None)
        ),
        timeout=30,
    )


def record_claude(driver: TmuxDriver, root: Path) -> None:
    hold = threading.Event()
    with AnthropicServer() as server:
        server.script(
            Reply.streaming("Thinking it over, marker-k7", hold),
            Reply.bash("touch approved.txt"),
            Reply.text("All done."),
            Reply.tool("AskUserQuestion", ASK),
            Reply.text("Blue it is."),
            Reply.streaming("Streaming a long answer, marker-s5", hold),
        )
        untrusted = AgentPane.claude(driver, server, root, name="trust", trusted=False)
        on_screen(untrusted, "Quick safety check")
        save("claude", "trust", untrusted)
        driver.kill(untrusted.pane.pane_id)

        pane = AgentPane.claude(driver, server, root, name="rec")
        on_screen(pane, "? for shortcuts")
        save("claude", "idle-fresh", pane)
        pane.send("first prompt")
        on_screen(pane, "marker-k7")
        on_screen(pane, "esc to interrupt")
        save("claude", "working", pane)
        hold.clear()
        hold.set()
        on_screen(pane, "? for shortcuts")
        save("claude", "idle-after-turn", pane)
        pane.send("run the command")
        on_screen(pane, "Do you want to proceed?")
        save("claude", "awaiting_approval-bash", pane, command="touch approved.txt", tool="Bash")
        pane.wait_still(seconds=1.0, bottom=12)  # a dialog drops keys sent as it draws
        driver.send_keys(pane.pane.pane_id, "1")
        on_screen(pane, "All done.")
        on_screen(pane, "? for shortcuts")
        pane.send("ask me something")
        on_screen(pane, "Which colour should the button be?")
        save("claude", "asking-question", pane, question="Which colour should the button be?")
        pane.wait_still(seconds=1.0, bottom=12)  # a dialog drops keys sent as it draws
        driver.send_keys(pane.pane.pane_id, "2")
        on_screen(pane, "Blue it is.", timeout=20)
        hold.clear()
        pane.send("stream something")
        on_screen(pane, "marker-s5")
        driver.send_keys(pane.pane.pane_id, "Escape")
        on_screen(pane, "Interrupted")
        on_screen(pane, "? for shortcuts")
        save("claude", "idle-interrupted", pane)
        hold.set()
        quit_agent(driver, pane)
        save("claude", "exited", pane)


def record_claude_auto_mode(driver: TmuxDriver, root: Path) -> None:
    """Claude Code in its own default mode ("auto" in 2.1.3xx) through a gateway: a command
    its server-side check must judge brings up "Auto mode can't check actions…"."""
    with AnthropicServer() as server:
        server.script(Reply.bash("git push origin main"), Reply.text("Pushed."))
        pane = AgentPane.claude(driver, server, root, name="auto", permission_mode=None)
        on_screen(pane, "for agents")  # the footer: "⏵⏵ auto mode on … · ← for agents"
        if "auto mode on" not in "\n".join(pane.screen()):
            print("claude: no auto mode in this release; no auto-mode dialog to record")
            driver.kill(pane.pane.pane_id)
            return
        pane.send("push it")
        on_screen(pane, "Auto mode can't check actions")
        save(
            "claude",
            "blocked-auto-mode",
            pane,
            reason="auto_mode_unavailable",
            message="Auto mode can't check actions in this session",
        )
        driver.kill(pane.pane.pane_id)


def record_codex(driver: TmuxDriver, root: Path) -> None:
    hold = threading.Event()
    with OpenAIServer() as server:
        server.script(
            Reply.streaming("Thinking it over, marker-k7", hold),
            Reply.exec("touch approved.txt"),
            Reply.text("All done."),
            # A pause before the text: Codex shows its status row only until text streams.
            Reply(text_chunks=["Streaming a long answer, marker-s5"], chunk_delay=3.0, hold=hold),
        )
        untrusted = AgentPane.codex(driver, server, root, name="trust", trusted=False)
        on_screen(untrusted, "Trust this folder?")
        save("codex", "trust", untrusted)
        driver.kill(untrusted.pane.pane_id)

        pane = AgentPane.codex(driver, server, root, name="rec")
        on_screen(pane, "for agents")
        save("codex", "idle-fresh", pane)
        pane.send("first prompt")
        on_screen(pane, "marker-k7")
        save("codex", "working-streamed", pane)
        hold.set()
        on_screen(pane, "Worked for")
        title_matches(pane, lambda title: not "⠀" <= title[:1] <= "⣿")
        save("codex", "idle-after-turn", pane)
        pane.send("run the command")
        on_screen(pane, "Would you like to run the following command?")
        save("codex", "awaiting_approval-exec", pane, command="touch approved.txt")
        pane.wait_still(seconds=1.0, bottom=12)  # a dialog drops keys sent as it draws
        driver.send_keys(pane.pane.pane_id, "y")
        on_screen(pane, "All done.")
        hold.clear()
        pane.send("stream something")
        on_screen(pane, "esc to interrupt")
        save("codex", "working-status", pane)
        on_screen(pane, "marker-s5")
        driver.send_keys(pane.pane.pane_id, "Escape")
        on_screen(pane, "interrupted")
        on_screen(pane, "for agents")
        save("codex", "idle-interrupted", pane)
        hold.set()
        quit_agent(driver, pane)
        save("codex", "exited", pane)


def record_starting(
    agent: str,
    launch: Callable[[int], AgentPane],
    wanted: Callable[[list[str], str], bool],
    ready: str,
    name: str = "starting",
) -> None:
    """The screen between launch and the ready marker (a frame of ~50 ms: a few tries)."""
    for attempt in range(5):
        pane = launch(attempt)
        seen = first_screen(pane, wanted, ready)
        if seen is not None:
            save(agent, name, pane, seen=seen)
        pane.driver.kill(pane.pane.pane_id)
        if seen is not None:
            return
    raise SystemExit(f"{agent}: no start-up screen caught before {ready!r} in 5 launches")


def record_claude_starting(driver: TmuxDriver, root: Path) -> None:
    """Claude Code: the title is set (node is up) but nothing is drawn yet."""
    with AnthropicServer() as server:
        record_starting(
            "claude",
            lambda n: AgentPane.claude(driver, server, root, name=f"start{n}"),
            lambda lines, title: "Claude Code" in title and not "".join(lines).strip(),
            "❯",
        )


CODEX_LOADING = re.compile(r"^\s*>_ OpenAI Codex .*\n\s*loading\s*$", re.MULTILINE)


def record_codex_starting(driver: TmuxDriver, root: Path) -> None:
    """Codex: the header says ``loading`` (no folder yet) while the session starts."""
    with OpenAIServer() as server:
        record_starting(
            "codex",
            lambda n: AgentPane.codex(driver, server, root, name=f"start{n}"),
            lambda lines, title: bool(CODEX_LOADING.search("\n".join(lines))),
            "for agents",
        )


def codex_unconfigured(lines: list[str], title: str) -> bool:
    """The folder is shown but the composer has no status line yet: only '? for shortcuts'."""
    shown = [line.strip() for line in lines if line.strip()]
    text = "\n".join(lines)
    return not CODEX_LOADING.search(text) and shown[-2:-1] != [] and shown[-1] == "? for shortcuts"


def record_codex_unconfigured(driver: TmuxDriver, root: Path) -> None:
    """Codex between ``loading`` and its configured session (keys can still be lost)."""
    with OpenAIServer() as server:
        record_starting(
            "codex",
            lambda n: AgentPane.codex(driver, server, root, name=f"conf{n}"),
            codex_unconfigured,
            "for agents",
            name="starting-unconfigured",
        )


def gemini_uninitialized(lines: list[str], title: str) -> bool:
    """The input box is drawn, the banner and tips (rendered once initialized) are not."""
    text = "\n".join(lines)
    return "Type your message" in text and "Gemini CLI v" not in text and "Tips for" not in text


def record_gemini_starting(driver: TmuxDriver, root: Path) -> None:
    """Gemini CLI before its config is initialized (a prompt sent now is queued)."""
    with GeminiServer() as server:
        record_starting(
            "gemini",
            lambda n: AgentPane.gemini(driver, server, root, name=f"start{n}"),
            gemini_uninitialized,
            "Tips for getting started",
        )


def record_codex_asking(driver: TmuxDriver, root: Path) -> None:
    """Codex's question UI: its ``request_user_input`` tool, on outside Plan mode by a feature."""
    with OpenAIServer() as server:
        server.script(Reply.tool("request_user_input", CODEX_ASK), Reply.text("Blue it is."))
        pane = AgentPane.codex(driver, server, root, name="ask", features=(CODEX_QUESTION_FEATURE,))
        on_screen(pane, "for agents")
        pane.send("ask me something")
        on_screen(pane, "enter to submit answer")
        save("codex", "asking-question", pane, question="Which colour should the button be?")
        pane.wait_still(seconds=1.0, bottom=12)  # a dialog drops keys sent as it draws
        driver.send_keys(pane.pane.pane_id, "2")
        driver.send_keys(pane.pane.pane_id, "Enter")
        on_screen(pane, "Blue it is.")
        driver.kill(pane.pane.pane_id)


def record_gemini(driver: TmuxDriver, root: Path) -> None:
    hold = threading.Event()
    with GeminiServer() as server:
        server.script(
            Reply.streaming("Thinking it over, marker-k7", hold),
            Reply.tool("run_shell_command", {"command": "touch approved.txt"}),
            Reply.text("All done."),
        )
        untrusted = AgentPane.gemini(driver, server, root, name="trust", trusted=False)
        on_screen(untrusted, "Do you trust the files in this folder?")
        save("gemini", "trust", untrusted)
        driver.kill(untrusted.pane.pane_id)

        pane = AgentPane.gemini(driver, server, root, name="rec")
        on_screen(pane, "Tips for getting started")  # initialized (see its starting rule)
        title_matches(pane, lambda title: "Ready" in title)
        save("gemini", "idle-fresh", pane)
        pane.send("first prompt")
        on_screen(pane, "marker-k7")
        on_screen(pane, "esc to cancel")
        save("gemini", "working", pane)
        hold.set()
        title_matches(pane, lambda title: "Ready" in title)
        save("gemini", "idle-after-turn", pane)
        pane.send("run the command")
        on_screen(pane, "Allow execution of")
        save("gemini", "awaiting_approval-shell", pane, command="touch approved.txt", tool="Shell")
        pane.wait_still(seconds=1.0, bottom=12)  # a dialog drops keys sent as it draws
        driver.send_keys(pane.pane.pane_id, "1")
        on_screen(pane, "All done.")
        quit_agent(driver, pane)
        save("gemini", "exited", pane)


def record_demo(driver: TmuxDriver, root: Path) -> None:
    project = git_project(root / "demo-project")
    info = driver.spawn(
        [*agenttui_argv(), "demo-agent"], name="demo", agent="demo", cwd=str(project)
    )
    from workflows.agents.settings import load_profile

    pane = AgentPane(driver, info, load_profile("demo"), project)
    on_screen(pane, "❯")
    save("demo", "idle", pane)
    pane.send("think for a while [work 30s]")
    on_screen(pane, "esc to interrupt")
    save("demo", "working", pane)
    driver.send_keys(info.pane_id, "Escape")
    on_screen(pane, "❯")
    pane.send("please run command `touch demo.txt` [work 0.1s]")
    on_screen(pane, "Run command")
    save("demo", "awaiting_approval", pane, command="touch demo.txt")
    driver.send_keys(info.pane_id, "Escape")
    driver.send_keys(info.pane_id, "C-c")
    driver.send_keys(info.pane_id, "C-c")


def record_blocked(agent: str) -> Scene:
    """The blocked screens (limits, auth errors, menus): tests/e2e/record_blocked.py."""
    from tests.e2e import record_blocked as blocked

    recorders: dict[str, Scene] = {
        "claude": blocked.record_claude_blocked,
        "codex": blocked.record_codex_blocked,
        "gemini": blocked.record_gemini_blocked,
    }
    return recorders[agent]


Scene = Callable[[TmuxDriver, Path], None]


def scenes(agent: str) -> dict[str, Scene]:
    """Each agent's scenes by name, in recording order: ``<agent>`` records them all,
    ``<agent>-<scene>`` one (the drift check runs them one by one)."""
    return {
        "claude": {
            "main": record_claude,
            "starting": record_claude_starting,
            "auto-mode": record_claude_auto_mode,
            "blocked": record_blocked("claude"),
        },
        "codex": {
            "main": record_codex,
            "starting": record_codex_starting,
            "unconfigured": record_codex_unconfigured,
            "asking": record_codex_asking,
            "blocked": record_blocked("codex"),
        },
        "gemini": {
            "main": record_gemini,
            "starting": record_gemini_starting,
            "blocked": record_blocked("gemini"),
        },
        "demo": {"main": record_demo},
    }[agent]


@contextlib.contextmanager
def recording() -> Iterator[tuple[TmuxDriver, Path]]:
    """A private tmux server and a scratch root (state and config in it) for recording."""
    socket = f"agenttui-rec-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="rec-") as tmp:
        root = Path(tmp)
        os.environ["AGENTTUI_STATE_DIR"] = str(root / "state")
        os.environ["AGENTTUI_CONFIG_DIR"] = str(root / "config")
        driver = TmuxDriver(TmuxTarget(socket, "rec"))
        driver.ensure_session()
        try:
            yield driver, root
        finally:
            driver.command("kill-server")
            driver.close()


def main(names: list[str]) -> None:
    with recording() as (driver, root):
        for name in names:
            agent, _, scene = name.partition("-")
            chosen = scenes(agent)
            for each in [chosen[scene]] if scene else list(chosen.values()):
                each(driver, root)


if __name__ == "__main__":
    main(sys.argv[1:] or ["claude", "codex", "gemini", "demo"])
