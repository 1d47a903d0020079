"""The demo agent: a small full-screen TUI that behaves like a coding agent, offline.

It powers the offline demo and many tests. Like Claude Code it has an input box with
bracketed paste (a multi-line or long paste shows ``[Pasted text #N +K lines]``), a spinner
while "working" (``esc to interrupt``), and an approval dialog before it "runs a command"
(a prompt containing ``run command `CMD` ``), and a question for a prompt that says
``ask me`` (answer 1 or 2). Escape interrupts work, denies a command or skips a question.
A prompt with ``[usage-limit Ns]`` hits a usage limit (Claude Code's message, resetting in N
seconds): every prompt until then gets the message, the first one after does the held work.
A prompt with ``[hang]`` works for ever with a frozen screen (a hung agent: the stall guard).

Every prompt is appended, byte-exact, to ``<cwd>/.demo-agent/prompts.jsonl`` the moment it is
submitted (tests count exactly-once deliveries there); when the work finishes it writes
``.demo-agent/reply-N.md``, the file named by ``Write your answer to the file: PATH``
(``VERDICT: PASS`` when the prompt mentions VERDICT), and for an "implement" prompt appends
to ``DEMO_CHANGES.md`` so there is a git diff.

Its transcript reads like a real agent's, newest just above the input box: the prompt
(``> …``), a one-line summary (``⏺ …``), ``⎿ ran `CMD` `` after an approved command,
``⎿ wrote PATH`` per file it wrote, ``✓ Done #N``.

Plain ANSI on a raw terminal (termios + select): no Textual, so the core stays headless.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import select
import subprocess
import sys
import termios
import time
import tty
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workflows.agents.demo_screen import QUESTION_OPTIONS, Keys, Screen, render

COMMAND_RE = re.compile(r"run (?:the )?command:?\s*`([^`\n]+)`", re.IGNORECASE)
ASK_RE = re.compile(r"\bask me\b", re.IGNORECASE)
ANSWER_RE = re.compile(r"Write your answer to the file:\s*(\S+)")
WORK_RE = re.compile(r"\[work (\d+(?:\.\d+)?)s\]")
HANG_RE = re.compile(r"\[hang\]")  # works for ever with a frozen screen (a hung agent)
LIMIT_RE = re.compile(r"\[usage-limit (\d+(?:\.\d+)?)s\]")
PASTE_INLINE_LIMIT = 800
SUMMARY_CHARS = 72
QUOTES = "`'\""
TRAILING_PUNCTUATION = ".,;:!?)"


def answer_path(raw: str) -> str:
    """The path in ``Write your answer to the file: PATH``, without the sentence's trailing
    punctuation or surrounding quotes; a leading ``.`` (``.agenttui/x.md``) is the path's."""
    path = raw
    while (cleaned := path.rstrip(TRAILING_PUNCTUATION).strip(QUOTES)) != path:
        path = cleaned
    return path[1:] if path.startswith("(") and ")" not in path else path


def summary(prompt: str) -> str:
    """One line saying what the agent is about to do: the prompt's first sentence."""
    first = prompt.strip().splitlines()[0] if prompt.strip() else ""
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    sentence = WORK_RE.sub("", sentence).strip()
    if len(sentence) > SUMMARY_CHARS:
        sentence = sentence[: SUMMARY_CHARS - 1].rstrip() + "…"
    return f"⏺ On it: {sentence}" if sentence else "⏺ On it."


def usage_limit_message(until: float) -> str:
    """Claude Code's wording ("You've hit your session limit · resets 10:30pm
    (Europe/Berlin)"), with seconds: a demo's limit lasts seconds."""
    clock = time.strftime("%I:%M:%S%p", time.gmtime(math.ceil(until))).lstrip("0").lower()
    return f"  ⎿ You've hit your session limit · resets {clock} (UTC)"


@dataclass
class Job:
    number: int
    prompt: str
    started: float
    until: float
    command: str | None = None
    command_output: str = ""
    approved: bool = False
    question: bool = False
    answer: str = ""
    background: bool = False  # the agent's own work (no prompt): ends without a reply


@dataclass
class Agent:
    cwd: Path
    work_seconds: float
    screen: Screen = field(default_factory=Screen)
    pastes: dict[str, str] = field(default_factory=dict)
    job: Job | None = None
    always_approve: bool = False
    prompts: int = 0
    running: bool = True
    swallow_enters: int = 0
    """Like Codex's paste-burst window, made deterministic for tests: this many Enters after
    each paste are typed as newlines instead of submitting."""
    to_swallow: int = 0
    busy_after_paste: float = 0.0
    limited_until: float | None = None
    """Like a real agent at its usage limit (a prompt with ``[usage-limit Ns]``, once): until
    then (wall clock) every prompt gets the limit message; the first one after resumes the
    held prompt's work."""
    held_prompt: str | None = None
    limit_used: bool = False
    """Like Gemini CLI's own model call after a turn, made deterministic for tests: after
    each paste the agent is busy this long (spinner; Enter ignored, as while working)."""

    @property
    def log_dir(self) -> Path:
        path = self.cwd / ".demo-agent"
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            (path / ".gitignore").write_text("*\n", encoding="utf-8")
        return path

    # -- input ------------------------------------------------------------------------
    def on_key(self, key: str) -> None:
        if self.screen.mode == "approval":
            self.on_approval_key(key)
        elif self.screen.mode == "question":
            self.on_question_key(key)
        elif key == Keys.ESCAPE:
            if self.job is not None:
                self.interrupt()
        elif key == Keys.CTRL_C:
            if self.job is not None:
                self.interrupt()
            else:
                self.screen.input = ""
        elif key == Keys.CTRL_D and not self.screen.input and self.job is None:
            self.running = False
        elif key == Keys.ENTER and self.to_swallow > 0:
            self.to_swallow -= 1
            self.screen.input += "\n"
        elif key == Keys.ENTER:
            if self.job is None and self.screen.input.strip():
                self.submit()
        elif key == Keys.BACKSPACE:
            self.screen.input = self.screen.input[:-1]
        elif key == Keys.CTRL_U:  # empty the row, keep its newline (as Gemini CLI does)
            self.screen.input = self.screen.input[: self.screen.input.rfind("\n") + 1]
        elif key == Keys.NEWLINE:
            self.screen.input += "\n"
        elif len(key) >= 1 and key not in Keys.ALL:
            self.screen.input += key

    def on_paste(self, text: str) -> None:
        self.to_swallow = self.swallow_enters
        if self.busy_after_paste > 0 and self.job is None:
            now = time.monotonic()
            self.job = Job(0, "", now, now + self.busy_after_paste, background=True)
            self.screen.working_since = now
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # terminals paste CR for LF
        if "\n" in text or len(text) > PASTE_INLINE_LIMIT:
            number = len(self.pastes) + 1
            placeholder = f"[Pasted text #{number} +{text.count(chr(10))} lines]"
            self.pastes[placeholder] = text
            self.screen.input += placeholder
        else:
            self.screen.input += text

    def on_approval_key(self, key: str) -> None:
        job = self.job
        if job is None:
            self.screen.mode = "input"
        elif key in ("1", Keys.ENTER, "y"):
            self.approve(job)
        elif key in ("2", "a"):
            self.always_approve = True
            self.approve(job)
        elif key in ("3", "n", Keys.ESCAPE):
            self.screen.transcript.append(f"  ✗ Command denied: {job.command}")
            self.screen.mode = "input"
            self.finish(job, denied=True)

    def on_question_key(self, key: str) -> None:
        job = self.job
        choice = {"1": QUESTION_OPTIONS[0], "2": QUESTION_OPTIONS[1], Keys.ESCAPE: "skipped"}
        if job is None or key not in choice:
            return
        job.answer = choice[key]
        job.question = False
        self.screen.mode = "input"
        self.screen.transcript.append(f"  ⎿ Answer: {job.answer}")

    # -- work ---------------------------------------------------------------------------
    def submit(self) -> None:
        text = self.screen.input
        for placeholder, real in self.pastes.items():
            text = text.replace(placeholder, real)
        self.screen.input = ""
        self.pastes.clear()
        self.prompts += 1
        record = {"n": self.prompts, "text": text, "time": time.time()}
        with (self.log_dir / "prompts.jsonl").open("a", encoding="utf-8") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
        first = text.splitlines()[0] if text.strip() else ""
        self.screen.transcript.append(f"> {first[:200]}")
        if text.strip() == "/exit":
            self.running = False
            return
        work_on = self.past_usage_limit(text)
        if work_on is None:
            return
        text = work_on
        self.screen.transcript.append(summary(text))
        work = WORK_RE.search(text)
        seconds = float(work.group(1)) if work else self.work_seconds
        self.screen.frozen = HANG_RE.search(text) is not None
        if self.screen.frozen:
            seconds = float("inf")
        now = time.monotonic()
        command = COMMAND_RE.search(text)
        self.job = Job(
            self.prompts,
            text,
            now,
            now + seconds,
            command.group(1) if command else None,
            question=ASK_RE.search(text) is not None,
        )
        self.screen.working_since = now

    def past_usage_limit(self, text: str) -> str | None:
        """The prompt to work on (the held one once the limit lifted), or None while limited."""
        limit = LIMIT_RE.search(text)
        if limit and not self.limit_used:
            self.limit_used = True
            self.limited_until = time.time() + float(limit.group(1))
            self.held_prompt = text
        if self.limited_until is not None and time.time() < self.limited_until:
            self.screen.transcript.append(usage_limit_message(self.limited_until))
            return None
        held, self.held_prompt, self.limited_until = self.held_prompt, None, None
        return held if held is not None else text

    def tick(self) -> None:
        job = self.job
        if job is None or self.screen.mode != "input" or time.monotonic() < job.until:
            return
        if job.background:
            self.job = None
            self.screen.working_since = None
            return
        if job.command is not None and not job.approved:
            if self.always_approve:
                self.approve(job)
            else:
                self.screen.mode = "approval"
                self.screen.approval_command = job.command
            return
        if job.question:
            self.screen.mode = "question"
            return
        self.finish(job)

    def approve(self, job: Job) -> None:
        self.screen.mode = "input"
        job.approved = True
        assert job.command is not None
        try:
            done = subprocess.run(
                ["sh", "-c", job.command],
                cwd=self.cwd,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            job.command_output = (done.stdout + done.stderr)[-2000:]
            status = f"exit {done.returncode}"
        except subprocess.TimeoutExpired:
            status = "timed out"
        self.screen.transcript.append(f"  ⎿ ran `{job.command}` ({status})")
        job.until = time.monotonic() + min(0.3, self.work_seconds)

    def finish(self, job: Job, *, denied: bool = False) -> None:
        for path in self.write_outputs(job, denied=denied):
            self.screen.transcript.append(f"  ⎿ wrote {path}")
        elapsed = time.monotonic() - job.started
        self.screen.transcript.append(f"✓ Done #{job.number} in {elapsed:.0f}s")
        self.job = None
        self.screen.working_since = None

    def interrupt(self) -> None:
        self.job = None
        self.screen.mode = "input"
        self.screen.working_since = None
        self.screen.transcript.append("  ⎿ Interrupted · What should the demo agent do instead?")

    def write_outputs(self, job: Job, *, denied: bool) -> list[str]:
        """Write the reply log and what the prompt asked for; the paths of the latter."""
        first = job.prompt.strip().splitlines()[0][:200] if job.prompt.strip() else ""
        reply = self.log_dir / f"reply-{job.number}.md"
        body = f"# Demo reply #{job.number}\n\nPrompt: {first}\n"
        if job.command is not None:
            body += f"\nCommand `{job.command}`: {'denied' if denied else 'ran'}\n"
            body += job.command_output
        if job.answer:
            body += f"\nAnswer to my question: {job.answer}\n"
        reply.write_text(body, encoding="utf-8")
        wrote = []  # what the prompt asked for (the reply log is the agent's own business)
        answer = ANSWER_RE.search(job.prompt)
        if answer:
            path = answer_path(answer.group(1))
            target = self.cwd / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if "VERDICT" in job.prompt:
                text = "VERDICT: PASS\n\nThe demo agent found nothing to change.\n"
            else:
                text = f"# Answer to prompt #{job.number}\n\n{first}\n"
            target.write_text(text, encoding="utf-8")
            wrote.append(path)
        if re.search(r"\bimplement", job.prompt, re.IGNORECASE):
            with (self.cwd / "DEMO_CHANGES.md").open("a", encoding="utf-8") as changes:
                changes.write(f"- change for prompt #{job.number}: {first}\n")
            wrote.append("DEMO_CHANGES.md")
        return wrote


def run(agent: Agent, fd_in: int, fd_out: int) -> None:
    keys = Keys()
    saved = termios.tcgetattr(fd_in)
    tty.setraw(fd_in)
    os.write(fd_out, b"\x1b[?1049h\x1b[?2004h")
    last_frame = ""
    try:
        while agent.running:
            agent.tick()
            size = os.get_terminal_size(fd_out)
            frame = render(agent.screen, size.columns, size.lines)
            if frame != last_frame:  # idle agents stay silent, as real ones do
                os.write(fd_out, frame.encode())
                last_frame = frame
            timeout = 0.1 if agent.job is not None or keys.pending else 1.0
            if agent.job is not None and agent.screen.mode == "input" and not keys.pending:
                timeout = max(0.0, min(timeout, agent.job.until - time.monotonic()))
            ready, _, _ = select.select([fd_in], [], [], timeout)
            data = os.read(fd_in, 65536) if ready else b""
            if ready and not data:
                break  # the terminal went away
            for kind, value in keys.feed(data, flush=not ready):
                if kind == "paste":
                    agent.on_paste(value)
                else:
                    agent.on_key(value)
    finally:
        os.write(fd_out, b"\x1b[?2004l\x1b[?1049l")
        termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agenttui demo-agent", description=__doc__)
    parser.add_argument("--work", type=float, default=1.0, help="seconds of 'work' per prompt")
    parser.add_argument("--swallow-enters", type=int, default=0, help="see Agent.swallow_enters")
    parser.add_argument(
        "--busy-after-paste", type=float, default=0.0, help="see Agent.busy_after_paste"
    )
    parser.add_argument("prompt", nargs="?", help="a first prompt, submitted at start")
    args = parser.parse_args(argv)
    agent = Agent(
        cwd=Path.cwd(),
        work_seconds=args.work,
        swallow_enters=args.swallow_enters,
        busy_after_paste=args.busy_after_paste,
    )
    if args.prompt:
        agent.screen.input = args.prompt
        agent.submit()
    if not sys.stdin.isatty():
        print("demo-agent needs a terminal", file=sys.stderr)
        return 2
    run(agent, sys.stdin.fileno(), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
