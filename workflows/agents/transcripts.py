"""Tokens an agent used, read from its own session transcript (what the model API reported).

Claude Code writes ``<config dir>/projects/<cwd slug>/<session id>.jsonl``: one line per
content block of each assistant message, every line of one message carrying that message's
``usage`` (so a message is counted once, by its id; the last line holds the final output
count). Its hooks tell us the file (``transcript_path`` in every payload).

Codex writes ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-…-<thread id>.jsonl``: a
``token_usage_record`` per model response (by ``response_id``), the model in the turn's
``turn_context``; older releases only a running ``token_count`` total. Its ``notify`` hook
tells us the thread id; its home comes from the agent's environment as launched.

Figures follow the Anthropic convention: ``input`` is what was neither read from nor written
to the prompt cache (the OpenAI dialect counts both inside ``input_tokens``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CLAUDE = "claude"
CODEX = "codex"
HOOKS_TRANSCRIPTS = {"claude-settings": CLAUDE, "codex-notify": CODEX}
"""A profile's hooks say which CLI it runs, so which transcript it writes."""


@dataclass(frozen=True)
class Tokens:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
        )

    def __sub__(self, other: Tokens) -> Tokens:
        return Tokens(
            self.input - other.input,
            self.output - other.output,
            self.cache_read - other.cache_read,
            self.cache_write - other.cache_write,
        )

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write

    def as_json(self) -> dict[str, int]:
        return asdict(self)


UsageByModel = dict[str, Tokens]


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    """The file's JSON objects; a line being written (cut off) or not JSON is skipped."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError:
        return
    with handle:
        for line in handle:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                yield item


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and value > 0 else 0


def claude_usage(path: Path) -> UsageByModel:
    """Tokens per model in one Claude Code transcript."""
    messages: dict[str, tuple[str, Tokens]] = {}
    for item in _lines(path):
        message = item.get("message")
        if item.get("type") != "assistant" or not isinstance(message, dict):
            continue
        usage = message.get("usage")
        if not isinstance(usage, dict):
            continue
        key = str(message.get("id") or item.get("requestId") or item.get("uuid"))
        messages[key] = (  # the message's last line holds its final figures
            str(message.get("model") or "?"),
            Tokens(
                input=_int(usage, "input_tokens"),
                output=_int(usage, "output_tokens"),
                cache_read=_int(usage, "cache_read_input_tokens"),
                cache_write=_int(usage, "cache_creation_input_tokens"),
            ),
        )
    return _by_model(messages.values())


def _codex_tokens(usage: dict[str, Any]) -> Tokens:
    cached, written = _int(usage, "cached_input_tokens"), _int(usage, "cache_write_input_tokens")
    return Tokens(
        input=max(0, _int(usage, "input_tokens") - cached - written),
        output=_int(usage, "output_tokens"),
        cache_read=cached,
        cache_write=written,
    )


def codex_usage(path: Path) -> UsageByModel:
    """Tokens per model in one Codex rollout file."""
    model = "?"
    responses: dict[str, tuple[str, Tokens]] = {}
    last_total: tuple[str, Tokens] | None = None
    for item in _lines(path):
        payload = item.get("payload")
        if not isinstance(payload, dict):
            continue
        kind = item.get("type")
        if kind == "turn_context" and payload.get("model"):
            model = str(payload["model"])
        elif kind == "token_usage_record" and isinstance(payload.get("usage"), dict):
            key = str(payload.get("response_id") or len(responses))
            responses[key] = (model, _codex_tokens(payload["usage"]))
        elif kind == "event_msg" and payload.get("type") == "token_count":
            info = payload.get("info")
            total = info.get("total_token_usage") if isinstance(info, dict) else None
            if isinstance(total, dict):
                last_total = (model, _codex_tokens(total))
    if responses:
        return _by_model(responses.values())
    # Releases without per-response records: the thread's running total, at its last model.
    return _by_model([last_total] if last_total else [])


def _by_model(items: Iterable[tuple[str, Tokens]]) -> UsageByModel:
    totals: UsageByModel = {}
    for model, tokens in items:
        totals[model] = totals.get(model, Tokens()) + tokens
    return totals


def read_usage(kind: str, path: Path) -> UsageByModel:
    return claude_usage(path) if kind == CLAUDE else codex_usage(path)


def claude_transcripts(payloads: Iterable[dict[str, Any]]) -> list[Path]:
    """The transcripts an agent's Claude Code hooks named (a new one after ``/clear``)."""
    found: dict[str, None] = {}
    for payload in payloads:
        path = payload.get("transcript_path")
        if isinstance(path, str) and path.endswith(".jsonl"):
            found[path] = None
    return [Path(path) for path in found]


def codex_transcripts(payloads: Iterable[dict[str, Any]], codex_home: Path) -> list[Path]:
    """The rollout files of the threads an agent's Codex ``notify`` reported. A thread with
    no file (Codex's title request runs in a throwaway one) has nothing to count."""
    threads: dict[str, None] = {}
    for payload in payloads:
        thread = payload.get("thread-id") or payload.get("thread_id")
        if isinstance(thread, str) and thread and "/" not in thread:
            threads[thread] = None
    sessions = codex_home / "sessions"
    found = []
    for thread in threads:
        found.extend(sorted(sessions.glob(f"*/*/*/rollout-*-{thread}.jsonl")))
    return found


def codex_home(environ: dict[str, str]) -> Path:
    """Where Codex keeps its sessions for an agent launched with ``environ``."""
    if environ.get("CODEX_HOME"):
        return Path(environ["CODEX_HOME"])
    return Path(environ.get("HOME") or os.path.expanduser("~")) / ".codex"


def process_environ(pid: int) -> dict[str, str] | None:
    """The environment a process was started with (an agent as launched); None if gone."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    pairs = (entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}
