"""Record the trust dialogs of the installed CLIs, for the trust answerer's tests.

    AGENTTUI_NPM_BIN=… python -m tests.e2e.record_trust [claude|codex|gemini …]

Writes ``tests/fixtures/trust/<agent>-<version>.txt`` (a ``title=`` header, ``---``, then the
screen as ``capture-pane -p`` gave it, taken once the dialog has been drawn and unchanged for
a second) so each release's dialog is kept beside the older ones.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.agents import npm_bin
from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer
from tests.e2e.record_screens import recording
from workflows.tmux.driver import TmuxDriver

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "trust"
DIALOG_TEXT = {
    "claude": "Quick safety check",
    "codex": "Trust this folder?",
    "gemini": "Do you trust the files in this folder?",
}


def version(agent: str) -> str:
    out = subprocess.run(
        [npm_bin(agent), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return next(word for word in out.split() if word[:1].isdigit())


def record(driver: TmuxDriver, root: Path, agent: str) -> Path:
    server_kind = {"claude": AnthropicServer, "codex": OpenAIServer, "gemini": GeminiServer}
    with server_kind[agent]() as server:
        launch = getattr(AgentPane, agent)
        pane: AgentPane = launch(driver, server, root, name=f"trust-{agent}", trusted=False)
        pane.wait_screen(DIALOG_TEXT[agent])
        lines, since = pane.screen(), time.monotonic()
        while time.monotonic() - since < 1.0:
            time.sleep(0.1)
            if (now := pane.screen()) != lines:
                lines, since = now, time.monotonic()
        title = pane.refresh().title
        driver.kill(pane.pane.pane_id)
    path = FIXTURES / f"{agent}-{version(agent)}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([f"title={title}", "---", *lines]) + "\n", encoding="utf-8")
    print(f"recorded {path}")
    return path


def main(agents: list[str]) -> None:
    with recording() as (driver, root):
        for agent in agents:
            record(driver, root, agent)


if __name__ == "__main__":
    main(sys.argv[1:] or ["claude", "codex", "gemini"])
