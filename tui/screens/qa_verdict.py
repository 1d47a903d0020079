"""QA's verdict from the app, on a run whose slot step waits for it (runs screen and run
detail): ``p`` passes (asked first), ``f`` fails with QA's words (typed in a small input).

The app gives it the way a person does on the tracker: a comment on the run's issues
(``runs.slots.overview.give_verdict``), which the run's own poll reads, so there is one path
for a verdict. Posting happens off the UI loop; what went wrong (Linear's HTTP status and
message) is a notification, and the words typed are in it, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from tui.host import host
from tui.screens.confirm import ConfirmScreen
from tui.screens.talk import TalkScreen
from workflows.base.untrusted import inert
from workflows.runs.records import RunSummary


async def ask_verdict(
    screen: Screen[Any], run: RunSummary, passed: bool, after: Callable[[], object]
) -> None:
    """Ask the person (a confirm for a pass, QA's words for a fail), then post the verdict."""
    issues = ", ".join(run.issues)
    if passed:
        question = f"QA pass for run {run.id}?"
        lines = [
            f"Posts the slot's pass word as a comment on {issues}, as QA would on the "
            "tracker; the run reads it there and goes on."
        ]
        if not await screen.app.push_screen_wait(ConfirmScreen(question, lines, confirm="Pass")):
            return
        words = ""
    else:
        answer = await screen.app.push_screen_wait(
            TalkScreen(
                run.id,
                title=f"QA fail for run {run.id}: what is wrong?",
                placeholder="what QA found; Enter posts it",
                hint=f"Posted on {issues} after the slot's fail word, as QA would on the "
                "tracker; the run's fix round gets these words as they are.",
            )
        )
        if answer is None:
            return
        words = answer
    screen.run_worker(
        lambda: _give(screen, run.id, passed, words, after),
        thread=True,
        group="qa-verdict",
    )


def _give(
    screen: Screen[Any], run_id: str, passed: bool, words: str, after: Callable[[], object]
) -> None:
    app = screen.app
    try:
        posted = host(screen).services.qa_verdict(run_id, passed, words)
    except Exception as error:
        kept = f' Your words, not posted: "{inert(words)}"' if words else ""
        app.call_from_thread(
            screen.notify,
            f"QA verdict for run {run_id} not given: {error}.{kept}",
            severity="error",
            timeout=30,
            markup=False,
        )
        return
    said = "QA pass" if passed else "QA fail"
    app.call_from_thread(
        screen.notify, f"run {run_id}: {said} posted on {', '.join(posted)}", markup=False
    )
    app.call_from_thread(after)
