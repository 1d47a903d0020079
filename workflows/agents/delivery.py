"""Verified send: text that lands in an agent's input exactly once, or a clear NotDelivered.

The protocol (FIELD-NOTES §3), each step reported in ``SendResult.steps``:

1. preflight — the pane exists (else UsageError), is alive (else NotDelivered), is not in a
   mode (copy mode is left with ``copy-mode -q``: keys would go to the mode, not the agent),
   and shows an empty input box while not working / asking / awaiting approval. A busy agent
   is waited for until ``timeout``; then NotDelivered and nothing was typed.
2. paste — the text, made inert first (``workflows.base.untrusted``: no byte of it can end the
   bracketed paste or act as a key; other control characters arrive as visible pictures,
   ``\\r\\n`` and a lone ``\\r`` as one newline), goes into a uniquely named buffer through
   a file (``load-buffer``: no tmux parsing at all, any size, newlines included) and is
   pasted with ``paste-buffer -p -d`` (bracketed paste when the agent asked for it; like a
   terminal, tmux turns each LF into CR).
3. visible — wait until the text (whitespace ignored; its last 400 characters when long) or
   a new paste placeholder is on screen. Never visible: NotDelivered, Enter never pressed.
4. settle — the profile's ``settle_ms``, so the Enter is not taken as part of the paste.
5. enter — the named key ``Enter`` (never C-m / C-j), only once the agent is not busy: one
   that went busy again after the paste (Gemini CLI's own call after a turn) ignores it.
6. confirm — the input box is empty again, a submit hook fired, or the screen shows the
   agent asking or awaiting approval ("working" alone is not enough: it can show with the
   text still typed). Otherwise Enter is retried at most twice, and only while the text is
   still sitting in the input box. The text itself is pasted exactly once: a retried Enter
   can only submit what is still in the box, so a prompt is never submitted twice.
7. clear (only after a failure past the paste) — the text never showed, or it still sits in
   the box after the last Enter: the profile's ``clear_keys`` (one input row each) remove
   what was typed, the box is checked empty again, and the NotDelivered says whether it is
   (``SendFailed.cleared``). Preflight only pastes into an empty box, and sends to a pane are
   serialised, so what gets cleared is the failed send's own text.

``progress`` (optional) hears ``"pasted"`` the moment the text is in the box and
``"entered"`` after each Enter: the run records a delivery's phase with it, so a runner
killed in between knows on resume what the pane may hold. There, ``input_holds`` tells
whether the text still waits in the box and ``submit_typed`` finishes such a send
(steps 5–7 without pasting again).
"""

from __future__ import annotations

import contextlib
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from workflows.agents.actions import SubmitWatch
from workflows.agents.classifier import screen_state
from workflows.agents.observe import profile_for
from workflows.agents.profiles import Profile
from workflows.agents.state import AgentState
from workflows.base.errors import AgentTuiError, NotDelivered, UsageError
from workflows.base.untrusted import inert
from workflows.tmux.driver import PaneInfo, TmuxDriver
from workflows.tmux.sendlock import PaneBusy, pane_send_lock

POLL_S = 0.02
CONFIRM_S = 2.0
VISIBLE_GRACE_S = 10.0
"""Once pasted, the text gets at least this long to show, whatever is left of the timeout:
giving up early would leave it unsubmitted in the box for a retry to paste a second time."""
MAX_ENTER_RETRIES = 2
TAIL_CHARS = 400
CLEAR_S = 3.0
"""How long the box gets to show empty after the clear keys, per round (two rounds)."""
BUSY_WAIT_S = 10.0
"""With text in the box, how long an agent that went busy again is waited for before an
Enter or the clear keys (Gemini CLI runs a model call of its own after each turn)."""
KEYS_PER_COMMAND = 100
BUSY = (AgentState.WORKING, AgentState.AWAITING_APPROVAL, AgentState.ASKING, AgentState.TRUST)
NOT_READY = (*BUSY, AgentState.STARTING)  # a starting agent may draw its box before it reads keys
# Not BLOCKED: a usage limit or an auth error leaves the input box there to retry in; a blocking
# dialog hides it, and preflight waits for an empty box anyway.
SUBMITTED = (AgentState.AWAITING_APPROVAL, AgentState.ASKING)
"""States that confirm a submit by themselves (their dialog hides the input box). Working
does not: every known agent shows its box empty while it works, and Gemini CLI says
"working" with our text still typed (its own call after a turn; and a tall transcript is
redrawn in frames where the spinner is drawn but the box is not yet)."""


@dataclass
class SendResult:
    delivered: bool
    submitted: bool
    attempts: int
    steps: list[dict[str, object]] = field(default_factory=list)
    pane: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "pane": self.pane,
            "delivered": self.delivered,
            "submitted": self.submitted,
            "attempts": self.attempts,
            "steps": self.steps,
        }


class SendFailed(NotDelivered):
    """NotDelivered with the steps that were tried (for --json output).

    ``cleared``: None when nothing was typed, True when the text typed was removed and the
    box shows empty again, False when some of it may still be in the agent's input box.
    """

    def __init__(
        self, message: str, steps: list[dict[str, object]], cleared: bool | None = None
    ) -> None:
        super().__init__(message)
        self.steps = steps
        self.cleared = cleared


def input_rows(text: str, width: int) -> int:
    """How many input-box rows ``text`` can take at most (wide characters count twice)."""
    columns = max(20, width - 6)  # the box's prompt and borders take a few columns
    rows = 0
    for line in text.split("\n"):
        cells = sum(1 if ord(ch) < 0x1100 else 2 for ch in line)
        rows += max(1, -(-cells // columns))
    return rows


def squash(text: str) -> str:
    """Text as a screen shows it, for comparison: no whitespace, no control characters."""
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    )


Progress = Callable[[str], None]


def _no_progress(phase: str) -> None:
    pass


class _Sender:
    def __init__(
        self,
        driver: TmuxDriver,
        pane: PaneInfo,
        profile: Profile,
        timeout: float,
        progress: Progress | None = None,
    ):
        self.driver = driver
        self.pane = pane
        self.profile = profile
        self.deadline = time.monotonic() + timeout
        self.steps: list[dict[str, object]] = []
        self.text = ""  # what was pasted: what a failure must clear
        self.progress = progress or _no_progress

    def step(self, name: str, ok: bool, detail: str, started: float) -> None:
        ms = round((time.monotonic() - started) * 1000, 1)
        self.steps.append({"step": name, "ok": ok, "detail": detail, "ms": ms})

    def fail(self, name: str, detail: str, started: float) -> NotDelivered:
        self.step(name, False, detail, started)
        return SendFailed(f"not delivered to {self.pane.pane_id}: {detail}", self.steps)

    def fail_typed(self, name: str, detail: str, started: float, extra_rows: int = 0) -> SendFailed:
        """A failure after the paste: clear what was typed first, and say if that worked."""
        self.step(name, False, detail, started)
        cleared, how = self.clear(extra_rows)
        message = f"not delivered to {self.pane.pane_id}: {detail}; {how}"
        return SendFailed(message, self.steps, cleared)

    def clear(self, extra_rows: int) -> tuple[bool, str]:
        """Remove the pasted text with the profile's clear keys; (box empty again, detail)."""
        started = time.monotonic()
        keys = self.profile.clear_keys
        state = self.wait_not_busy(time.monotonic() + BUSY_WAIT_S)
        if not keys or state in BUSY:
            why = (
                f"the agent is {state.value}" if state in BUSY else "the profile has no clear_keys"
            )
            detail = f"input box not cleared ({why}): the text may still be in it"
            self.step("clear", False, detail, started)
            return False, detail
        rows = input_rows(self.text, self.pane.width) + extra_rows
        for _ in range(2):  # a second round for a box slow to take the first one
            sequence = keys * rows
            for start in range(0, len(sequence), KEYS_PER_COMMAND):
                self.driver.send_keys(
                    self.pane.pane_id, *sequence[start : start + KEYS_PER_COMMAND]
                )
            if self.profile.input_empty is None:
                detail = (
                    f"clear keys sent for {rows} rows; the box cannot be checked (no input_empty)"
                )
                self.step("clear", False, detail, started)
                return False, detail
            until = time.monotonic() + CLEAR_S
            while time.monotonic() < until:
                if self.input_empty(self.screen()):
                    detail = f"input box cleared ({len(sequence)} keys: {' '.join(keys)} × {rows})"
                    self.step("clear", True, detail, started)
                    return True, detail
                time.sleep(POLL_S)
        detail = "input box not cleared: still not empty after the clear keys"
        self.step("clear", False, detail, started)
        return False, detail

    def screen(self) -> list[str]:
        return self.driver.capture(self.pane.pane_id)

    def wait_not_busy(self, limit: float) -> AgentState | None:
        """The screen state once the agent is not busy, or at ``limit`` (still busy)."""
        while True:
            self.pane = self.driver.resolve(self.pane.pane_id)  # a fresh title: it tells too
            state = self.state(self.screen())
            if state not in BUSY or time.monotonic() > limit:
                return state
            time.sleep(POLL_S)

    def state(self, lines: list[str]) -> AgentState | None:
        seen = screen_state(self.profile, lines, self.pane.title)
        return seen[0] if seen is not None else None

    def input_empty(self, lines: list[str]) -> bool:
        pattern = self.profile.input_empty
        if pattern is None:
            return False
        last = self.profile.input_last_lines
        shown = [line for line in lines if line.strip()][-last:] if last else lines
        return pattern.search("\n".join(shown)) is not None

    def placeholders(self, lines: list[str]) -> int:
        pattern = self.profile.paste_placeholder
        return len(pattern.findall("\n".join(lines))) if pattern is not None else 0

    # -- the steps ----------------------------------------------------------------------
    def preflight(self) -> list[str]:
        started = time.monotonic()
        notes: list[str] = []
        while True:
            pane = self.driver.resolve(self.pane.pane_id)
            self.pane = pane
            if pane.dead:
                status = f"status {pane.dead_status}, signal {pane.dead_signal}"
                raise self.fail("preflight", f"pane has exited ({status})", started)
            if pane.in_mode:
                self.driver.command("copy-mode", "-q", "-t", pane.pane_id)
                notes.append("left copy mode")
                continue
            lines = self.screen()
            state = self.state(lines)
            ready = state not in NOT_READY and (
                self.profile.input_empty is None or self.input_empty(lines)
            )
            if ready:
                notes.append(f"ready ({state.value if state else 'no rule matched'})")
                self.step("preflight", True, "; ".join(notes), started)
                return lines
            if time.monotonic() > self.deadline:
                if state is not None and state is not AgentState.IDLE:
                    what = state.value
                else:  # a person's draft, say: never cleared, waited for
                    what = "input box not empty or not shown (text already in it is left alone)"
                raise self.fail("preflight", f"agent not ready for input: {what}", started)
            time.sleep(POLL_S)

    def paste(self, text: str) -> None:
        started = time.monotonic()
        buffer = f"agenttui-send-{uuid.uuid4().hex}"
        self.driver.load_buffer(buffer, text.encode("utf-8", "surrogateescape"))
        self.text = text
        try:
            with self.driver.layout():  # %paste-buffer-deleted
                self.driver.command(
                    "paste-buffer", "-p", "-d", "-b", buffer, "-t", self.pane.pane_id
                )
        except AgentTuiError as error:
            with contextlib.suppress(AgentTuiError), self.driver.layout():
                self.driver.command("delete-buffer", "-b", buffer)
            raise self.fail("paste", str(error), started) from error
        self.step("paste", True, f"{len(text)} characters via buffer {buffer}", started)
        self.progress("pasted")

    def visible(self, needle: str, before: list[str]) -> bool:
        """True once the pasted text (or a new placeholder) is on screen."""
        tail = needle[-TAIL_CHARS:]
        baseline_text = squash("".join(before)).count(tail) if tail else 0
        baseline_placeholders = self.placeholders(before)
        started = time.monotonic()
        deadline = max(self.deadline, started + VISIBLE_GRACE_S)
        while True:
            self.pane = self.driver.resolve(self.pane.pane_id)
            if self.pane.dead:
                raise self.fail("visible", "the agent exited; not submitted", started)
            lines = self.screen()
            if self.placeholders(lines) > baseline_placeholders:
                self.step("visible", True, "paste placeholder shown", started)
                return True
            if tail and squash("".join(lines)).count(tail) > baseline_text:
                self.step("visible", True, "text shown", started)
                return True
            if not tail:
                self.step("visible", True, "nothing visible to wait for (whitespace)", started)
                return True
            if time.monotonic() > deadline:
                detail = "pasted text never became visible; not submitted"
                raise self.fail_typed("visible", detail, started)
            time.sleep(POLL_S)

    def still_in_box(self, needle: str, lines: list[str]) -> bool:
        tail = needle[-TAIL_CHARS:]
        if self.placeholders(lines):
            return True
        return bool(tail) and tail in squash("".join(lines)) and not self.input_empty(lines)

    def submit(self, needle: str) -> tuple[bool, int]:
        """Enter, confirm, and retry while the text provably still waits in the box."""
        confirmable = self.profile.input_empty is not None or bool(self.profile.rules)
        hook = SubmitWatch(self.driver, self.pane, self.profile.hooks)
        hook.mark()
        attempts = 0
        while True:
            attempts += 1
            started = time.monotonic()
            # Never an Enter into a dialog, nor into an agent that went busy again after the
            # paste (Gemini CLI ignores it then; "working" would confirm nothing).
            state = self.wait_not_busy(max(self.deadline, started + BUSY_WAIT_S))
            if state in BUSY:
                detail = f"the agent is {state.value if state else '?'}; Enter not pressed"
                raise self.fail_typed("enter", detail, started, extra_rows=attempts - 1)
            self.driver.send_keys(self.pane.pane_id, "Enter")
            self.step("enter", True, f"attempt {attempts}", started)
            self.progress("entered")
            if not confirmable:
                detail = "Enter pressed; unconfirmed (profile has no input/state rules)"
                self.step("confirm", False, detail, started)
                return True, attempts
            started = time.monotonic()
            until = time.monotonic() + CONFIRM_S  # Enter was pressed: always find out
            lines: list[str] = []
            while time.monotonic() < until:
                pane = self.pane = self.driver.resolve(self.pane.pane_id)  # fresh title too
                if pane.dead:
                    self.step("confirm", True, "agent exited after Enter", started)
                    return True, attempts
                if hook.fired():
                    self.step("confirm", True, "submit hook fired", started)
                    return True, attempts
                lines = self.screen()
                state = self.state(lines)
                if state in SUBMITTED:
                    self.step("confirm", True, f"agent is {state.value}", started)
                    return True, attempts
                if self.input_empty(lines):
                    self.step("confirm", True, "input box emptied", started)
                    return True, attempts
                time.sleep(POLL_S)
            in_box = self.still_in_box(needle, lines)
            if attempts > MAX_ENTER_RETRIES and in_box:
                # Provably not submitted: take the text out again so it cannot be submitted
                # later with someone else's prompt. (Keys go in order: an Enter the agent
                # only now takes submits first, and the clear keys then meet an empty box.)
                if hook.fired() or self.input_empty(self.screen()):
                    self.step("confirm", True, "submitted after all (late)", started)
                    return True, attempts
                detail = f"Enter pressed {attempts} times; the text is still in the input box"
                raise self.fail_typed("confirm", detail, started, extra_rows=attempts)
            if not in_box:
                self.step("confirm", False, "no sign of submission; not retrying", started)
                return False, attempts
            self.step("confirm", False, "text still in the input box; retrying Enter", started)


def send_text(
    driver: TmuxDriver,
    target: PaneInfo | str,
    text: str,
    *,
    submit: bool = True,
    timeout: float = 10.0,
    profile: Profile | None = None,
    progress: Progress | None = None,
) -> SendResult:
    """Deliver ``text`` to an agent pane (and press Enter unless ``submit`` is False).

    Sends to one pane are serialised (``sendlock``): a second sender waits its turn within
    ``timeout``, then sees the pane as the first one left it.
    """
    if not text:
        raise UsageError("nothing to send: the text is empty")
    pane = driver.resolve(target if isinstance(target, str) else target.pane_id)
    with _pane_locked(driver, pane, timeout) as remaining:
        sender = _Sender(driver, pane, profile or profile_for(pane), remaining, progress)
        text = as_pasted(text)
        before = sender.preflight()
        sender.paste(text)
        needle = squash(text)
        sender.visible(needle, before)
        if not submit:
            return SendResult(True, False, 0, sender.steps, sender.pane.pane_id)
        started = time.monotonic()
        time.sleep(sender.profile.settle_ms / 1000)
        sender.step("settle", True, f"{sender.profile.settle_ms} ms", started)
        return _submit(sender, needle)


def as_pasted(text: str) -> str:
    """The text as it goes into the paste buffer: made inert (``workflows.base.untrusted``: no
    byte of it may end the paste or act as a key; ``\\r\\n`` becomes one newline)."""
    return inert(text)


@contextlib.contextmanager
def _pane_locked(driver: TmuxDriver, pane: PaneInfo, timeout: float) -> Iterator[float]:
    """The pane's send lock; yields the time left of ``timeout``."""
    started = time.monotonic()
    try:
        with pane_send_lock(getattr(driver, "lock_key", None), pane.pane_id, timeout=timeout):
            yield max(0.0, timeout - (time.monotonic() - started))
    except PaneBusy as busy:
        step = {"step": "preflight", "ok": False, "detail": str(busy), "ms": timeout * 1000}
        raise SendFailed(f"not delivered to {pane.pane_id}: {busy}", [step]) from busy


def _submit(sender: _Sender, needle: str) -> SendResult:
    submitted, attempts = sender.submit(needle)
    if submitted:
        SubmitWatch(sender.driver, sender.pane, sender.profile.hooks).confirmed()
    return SendResult(True, submitted, attempts, sender.steps, sender.pane.pane_id)


def input_holds(
    driver: TmuxDriver, pane: PaneInfo, text: str, *, profile: Profile
) -> tuple[str, bool]:
    """What an agent's input box holds, for a send that may have been cut short: ``"typed"``
    (``text``, or a paste placeholder), ``"empty"``, ``"other"`` (something else, or no box
    to read) or ``"exited"``; and whether the agent is busy (working, or a dialog)."""
    sender = _Sender(driver, pane, profile, 0.0)
    sender.pane = driver.resolve(pane.pane_id)
    if sender.pane.dead:
        return "exited", False
    lines = sender.screen()
    busy = sender.state(lines) in BUSY
    tail = squash(as_pasted(text))[-TAIL_CHARS:]
    if sender.input_empty(lines):
        return "empty", busy
    if sender.placeholders(lines) or (tail and tail in squash("".join(lines))):
        return "typed", busy
    return "other", busy


def submit_typed(
    driver: TmuxDriver,
    pane: PaneInfo,
    text: str,
    *,
    profile: Profile,
    timeout: float,
    progress: Progress | None = None,
) -> SendResult:
    """Submit ``text`` already typed in the box by a send that was cut short (steps 5–7:
    Enter, confirm, retries, clearing on failure; never a second paste)."""
    with _pane_locked(driver, pane, timeout) as remaining:
        sender = _Sender(driver, driver.resolve(pane.pane_id), profile, remaining, progress)
        sender.text = as_pasted(text)
        sender.step("paste", True, "already in the input box", time.monotonic())
        return _submit(sender, squash(sender.text))
