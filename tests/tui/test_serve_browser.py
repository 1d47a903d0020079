"""The served app in headless Chromium (Debian's package, over the DevTools protocol): the
issue list shows, a key pressed in the page approves a waiting demo agent, a run's pull
request opens in the browser, and a browser without the token sees nothing.

``AGENTTUI_DOCS_SCREENSHOT=docs/serve.png`` also saves the page with the waiting agent
there (the README's screenshot).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.serve import serving
from tests.support.tmux import spawn_demo
from tui.serve.auth import REFUSED
from workflows.issues import open_source
from workflows.runs.run_store import RunStore
from workflows.tmux.driver import TmuxDriver

pytestmark = pytest.mark.timeout(300)
PR_URL = "http://127.0.0.1:9/acme/app/pull/7"  # nothing listens there: nothing is fetched


async def test_browser_lists_issues_and_a_key_approves(driver: TmuxDriver, tmp_path: Path) -> None:
    work = tmp_path / "asker"
    spawn_demo(
        driver,
        work,
        name="asker",
        prompt="Please run command `echo yes > approved.txt` now",
        work=None,
    )
    first_issues = [issue.identifier for issue in open_source().list_issues()[:3]]
    run_store = RunStore()
    run_id = run_store.create("quick-fix", {}, ["PCL-101"], {}).id
    run_store.update(run_id, status="failed", pr_url=PR_URL)
    with serving() as served:
        async with chromium(tmp_path / "browser") as browser:
            await browser.open(f"{served.url}?token={served.token}")
            terminal = browser.terminal
            # The issue list, as the terminal app shows it.
            await browser.until(
                lambda: all(issue in terminal.text() for issue in first_issues),
                message=f"the issue list ({first_issues})",
            )
            assert "1 Issues" in terminal.text()
            assert browser.websockets == [browser.websockets[0]]  # one app, one socket
            await browser.press("2")
            await browser.until(
                lambda: "asker" in terminal.text() and "APPROVE?" in terminal.text(),
                message="the asker's tile, waiting for approval",
            )
            await browser.until(lambda: " a Approve" in terminal.text(), message="approve key")
            assert "Attach" not in terminal.text()  # no terminal to hand over in a browser
            if target := os.environ.get("AGENTTUI_DOCS_SCREENSHOT"):
                await browser.screenshot(Path(target))
            assert not (work / "approved.txt").exists()
            await browser.press("a")
            await browser.until((work / "approved.txt").exists, message="the command ran")
            assert "a" in terminal.typed  # it went through the page's websocket

            # A run's pull request opens in the person's browser, not on the server.
            await browser.press("3")
            await browser.until(lambda: run_id in terminal.text(), message="the run listed")
            await browser.press("Enter")
            await browser.until(lambda: "o Open PR" in terminal.text(), message="the run's detail")
            await browser.press("o")
            await browser.until(lambda: PR_URL in browser.opened, message="the PR opened")
        assert (work / "approved.txt").read_text().strip() == "yes"

        # Another browser, without the token: the refusal and nothing else.
        async with chromium(tmp_path / "stranger") as stranger:
            await stranger.open(served.url)
            text = await stranger.until(stranger.page_text, message="the page")
            assert text.strip() == REFUSED.strip()
            assert stranger.websockets == []
            assert stranger.terminal.output == b""


@pytest.fixture(autouse=True)
def _chromium_installed() -> None:
    if shutil.which("chromium") is None:
        pytest.fail("chromium is not installed; run tests through tests/bootstrap.sh")
