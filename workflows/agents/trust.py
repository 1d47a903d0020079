"""Answering an agent's folder-trust dialog by choosing the trusting option explicitly.

A blind key is never sent: Claude Code 2.1.3xx starts the cursor on "No, exit", where Enter
quits the agent. The profile's ``[trust]`` says which line is the trusting option (``option``)
and how the selected one looks (``selected``: ``❯``, ``›``, ``●``). :func:`answer_trust`
waits until the dialog has been on screen unchanged for ``settle_ms`` (keys sent earlier are
dropped), moves the selection one key at a time, checking the screen after each, presses the
confirm key only while the screen shows the trusting option selected, and confirms that the
dialog went away. Every step is bounded; when it cannot finish it says why, for a person.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflows.agents.profiles import Profile, TrustAnswer

if TYPE_CHECKING:
    from workflows.tmux.driver import TmuxDriver

MOVE_SHOWN_S = 1.0
"""A move key shows on screen within this, or it was dropped (and is sent again)."""
CONFIRM_SHOWN_S = 3.0
"""The dialog goes within this after the confirm key; if the screen did not move at all in
that time the key was dropped (and is sent again), else the answer is slow and waited for."""
RESTART_SHOWN_S = 10.0
"""An agent that restarts to apply the answer (``trust.restart``) says so within this; if it
does not, the answer counts as taken (a release that stopped restarting still starts)."""
MAX_MOVES = 12
MAX_CONFIRMS = 3
POLL_S = 0.05


@dataclass(frozen=True)
class DialogLook:
    """Rows of the selected option and of the trusting option (None: not found)."""

    selected: int | None
    trusting: int | None


@dataclass
class TrustOutcome:
    """What answering the dialog came to: answered, or why a person must do it."""

    answered: bool
    reason: str = ""
    keys: list[str] = field(default_factory=list)
    exited: bool = False


def dialog_shown(profile: Profile, lines: list[str]) -> bool:
    return profile.shows_trust(lines)


def look_at(answer: TrustAnswer, lines: list[str]) -> DialogLook:
    """Where the selected and the trusting options are on this screen (pure)."""
    selected = [row for row, line in enumerate(lines) if answer.selected.search(line)]
    trusting = [row for row, line in enumerate(lines) if answer.option.search(line)]
    return DialogLook(
        selected=selected[0] if len(selected) == 1 else None,
        trusting=trusting[0] if len(trusting) == 1 else None,
    )


def next_key(answer: TrustAnswer, look: DialogLook) -> str | None:
    """The key that brings the selection nearer the trusting option; None once it is there."""
    if look.selected is None or look.trusting is None or look.selected == look.trusting:
        return None
    return answer.next_key if look.trusting > look.selected else answer.previous_key


def unreadable(answer: TrustAnswer, look: DialogLook) -> str:
    """Why this look cannot be answered ('' when it can)."""
    if look.trusting is None:
        pattern = answer.option.pattern
        return f"no single option on the trust dialog matches trust.option {pattern!r}"
    if look.selected is None:
        return (
            "cannot tell which option of the trust dialog is selected "
            f"(trust.selected {answer.selected.pattern!r} matches no single line)"
        )
    return ""


class _Pane:
    """The pane as the answerer sees it: its screen, whether it died."""

    def __init__(self, driver: TmuxDriver, pane_id: str) -> None:
        self.driver = driver
        self.pane_id = pane_id

    def screen(self) -> list[str] | None:
        if self.driver.resolve(self.pane_id).dead:
            return None
        return self.driver.capture(self.pane_id)


def answer_trust(
    driver: TmuxDriver, pane_id: str, profile: Profile, *, deadline: float
) -> TrustOutcome:
    """Accept the trust dialog on ``pane_id`` (see the module doc); bounded by ``deadline``."""
    answer = profile.trust_answer
    if answer is None:
        return TrustOutcome(False, profile.trust_unanswered)
    pane = _Pane(driver, pane_id)
    outcome = TrustOutcome(False)
    moves = confirms = 0
    while True:
        settled = _settled(pane, profile, answer, deadline)
        if settled is None:
            return _exited(outcome)
        lines, look = settled
        if not dialog_shown(profile, lines):
            outcome.answered = True
            return outcome
        if time.monotonic() > deadline:
            outcome.reason = "the trust dialog was still there when the time to answer it ran out"
            return outcome
        if reason := unreadable(answer, look):
            outcome.reason = reason
            return outcome
        key = next_key(answer, look)
        if key is None:  # the trusting option is selected: confirm it
            if confirms == MAX_CONFIRMS:
                outcome.reason = (
                    f"the trust dialog stayed after {MAX_CONFIRMS} confirms of the trusting option"
                )
                return outcome
            confirms += 1
            _send(driver, pane_id, outcome, *answer.confirm)
            gone = _wait(pane, CONFIRM_SHOWN_S, lambda lines: not dialog_shown(profile, lines))
            if not gone and pane.screen() != lines:
                # Taken but slow (Gemini restarts below its dialog): wait, never press twice.
                gone = _wait(pane, _left(deadline), lambda lines: not dialog_shown(profile, lines))
            if gone and answer.restart is not None:
                gone = _restarted(pane, profile, answer.restart, deadline)
            if gone:
                if pane.screen() is None:
                    return _exited(outcome)
                outcome.answered = True  # gone (should it come back, the start-up looks again)
                return outcome
            continue  # the screen never moved: the key was dropped; look again
        if moves == MAX_MOVES:
            outcome.reason = f"the selection did not reach the trusting option in {MAX_MOVES} keys"
            return outcome
        moves += 1
        _send(driver, pane_id, outcome, key)
        _wait(pane, MOVE_SHOWN_S, _moved_from(answer, look))


def _restarted(pane: _Pane, profile: Profile, restart: re.Pattern[str], deadline: float) -> bool:
    """After the answer, the old process may draw its UI for a moment (Gemini 0.61: without
    the dialog, "Skipping project agents due to untrusted folder") before it restarts; keys
    sent then are lost. Wait for the restart notice, then for the restarted UI (the dialog out
    of the profile's ``last_lines``)."""
    _wait(
        pane,
        min(RESTART_SHOWN_S, _left(deadline)),
        lambda lines: any(restart.search(line) for line in lines),
    )
    return _wait(pane, _left(deadline), lambda lines: not dialog_shown(profile, lines))


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _moved_from(answer: TrustAnswer, before: DialogLook) -> Callable[[list[str]], bool]:
    return lambda lines: look_at(answer, lines) != before


def _send(driver: TmuxDriver, pane_id: str, outcome: TrustOutcome, *keys: str) -> None:
    driver.send_keys(pane_id, *keys)
    outcome.keys.extend(keys)


def _exited(outcome: TrustOutcome) -> TrustOutcome:
    outcome.exited = True
    outcome.reason = "the agent exited while its trust dialog was being answered"
    return outcome


def _settled(
    pane: _Pane, profile: Profile, answer: TrustAnswer, deadline: float
) -> tuple[list[str], DialogLook] | None:
    """The screen once the dialog's look has held for ``settle_ms`` (None: the agent died).

    Returns early when the dialog is gone or the deadline passed."""
    since, last = time.monotonic(), None
    while True:
        lines = pane.screen()
        if lines is None:
            return None
        look = look_at(answer, lines)
        shown = dialog_shown(profile, lines)
        now = time.monotonic()
        if (shown, look) != last:
            since, last = now, (shown, look)
        elif now - since >= answer.settle_ms / 1000 or now > deadline:
            return lines, look
        time.sleep(POLL_S)


def _wait(pane: _Pane, limit: float, done: Callable[[list[str]], bool]) -> bool:
    """Poll the screen until ``done`` holds (True), the agent dies (True) or ``limit``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        lines = pane.screen()
        if lines is None or done(lines):
            return True
        time.sleep(POLL_S)
    return False
