"""Scripted model servers on 127.0.0.1 for driving the real Claude Code and Codex CLIs offline.

Two dialects, one idea: a *script* is a queue of replies, one per agent turn request (a
request that carries tools); auxiliary requests (titles, quota probes, token counts) get a
short neutral reply and never consume the script. When the queue is empty every turn gets
``Reply.text("ok")``. Every request is recorded, so tests can assert exactly which prompts
the model received and how often (:meth:`ModelServer.prompts`).

    with AnthropicServer() as server:           # Anthropic Messages API, SSE
        server.script(Reply.tool("Bash", {"command": "touch x"}), Reply.text("done"))
        env = server.claude_env()               # ANTHROPIC_BASE_URL etc.

    with OpenAIServer() as server:              # OpenAI Responses API, SSE
        server.script(Reply.exec("touch x", escalated=True), Reply.text("done"))

Each server also listens on a unix socket (``server.unix_path``) so an agent jailed in its
own network namespace (tests/e2e/netjail.py) reaches it through a loopback forwarder there.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socketserver
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from workflows.agents.transcripts import Tokens


@dataclass
class Reply:
    """One model turn: text and/or tool calls, optionally streamed slowly."""

    text_chunks: list[str] = field(default_factory=list)
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chunk_delay: float = 0.0
    hold: threading.Event | None = None
    """If set, the stream pauses before finishing until the event is set (interrupt tests)."""
    error: tuple[int, dict[str, Any], dict[str, str]] | None = None
    """(HTTP status, JSON body, headers): the turn fails with this instead (limits, auth)."""

    @classmethod
    def text(cls, text: str, *, chunks: int = 1, chunk_delay: float = 0.0) -> Reply:
        size = max(1, len(text) // chunks)
        parts = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        return cls(text_chunks=parts, chunk_delay=chunk_delay)

    @classmethod
    def tool(cls, name: str, arguments: dict[str, Any], *, text: str = "") -> Reply:
        return cls(text_chunks=[text] if text else [], tools=[(name, arguments)])

    @classmethod
    def bash(cls, command: str) -> Reply:
        """Claude Code's shell tool."""
        return cls.tool("Bash", {"command": command, "description": "Run a command"})

    @classmethod
    def write(cls, path: Path, content: str) -> Reply:
        """Claude Code's file-writing tool."""
        return cls.tool("Write", {"file_path": str(path), "content": content})

    @classmethod
    def exec(cls, command: str, *, escalated: bool = True) -> Reply:
        """Codex's shell tool; ``escalated`` asks for approval to leave the sandbox."""
        arguments: dict[str, Any] = {"cmd": command}
        if escalated:
            arguments["sandbox_permissions"] = "require_escalated"
            arguments["justification"] = "The test asks for this command"
        return cls.tool("exec_command", arguments)

    @classmethod
    def failure(
        cls, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Reply:
        """The model API refuses the turn: a usage limit (429), a bad key (401)…"""
        return cls(error=(status, body, dict(headers or {})))

    @classmethod
    def streaming(cls, text: str, hold: threading.Event) -> Reply:
        """Streams ``text`` then holds the response open until ``hold`` is set."""
        return cls(text_chunks=[text], hold=hold)


def nth_usage(n: int) -> Tokens:
    """Distinct figures per response, so a sum can only match if every one is counted once
    (``input`` excludes what the cache read or wrote, the Anthropic convention; the OpenAI
    dialect reports input_tokens including both)."""
    return Tokens(
        input=120 + 17 * n, output=30 + 11 * n, cache_read=3 + 400 * n, cache_write=60 + 5 * n
    )


@dataclass
class Request:
    path: str
    body: dict[str, Any]
    turn: bool
    prompt: str | None
    """The new user prompt this request carries (None for tool results / auxiliaries)."""
    at: float


class _Handler(BaseHTTPRequestHandler):
    server_ref: ModelServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def address_string(self) -> str:
        return "local"

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, reply: Reply) -> bool:
        """Answer with the reply's error, if it is one."""
        if reply.error is None:
            return False
        status, body, headers = reply.error
        self._json(status, body, headers)
        return True

    def do_GET(self) -> None:
        self.server_ref.record(self.path, {}, turn=False, prompt=None)
        self._json(*self.server_ref.get(self.path))

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        self.server_ref.handle_post(self, self.path, body if isinstance(body, dict) else {})

    def start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, event: str, data: dict[str, Any]) -> None:
        try:
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the agent hung up (an interrupt): fine

    def sse_data(self, data: dict[str, Any]) -> None:
        """An SSE event with data only (the Gemini API's format)."""
        try:
            self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()  # an agent that hung up mid-request (interrupt, exit): fine

    def finish(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().finish()


class _TCP(ThreadingHTTPServer):
    daemon_threads = True


class _Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class ModelServer:
    """Base: listening, recording, script queue. Subclasses speak one API dialect."""

    def __init__(self) -> None:
        self._queue: deque[Reply] = deque()
        self._lanes: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.reported: list[tuple[bool, Tokens]] = []
        """(turn?, usage) of every response that reported usage, in order."""
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._tcp = _TCP(("127.0.0.1", 0), handler)
        self.port = int(self._tcp.server_address[1])
        # AF_UNIX paths are limited to ~100 bytes: keep it short, under /tmp.
        self._dir = Path(tempfile.mkdtemp(prefix="amsrv-", dir="/tmp"))
        self.unix_path = self._dir / "s"
        self._unix = _Unix(str(self.unix_path), handler)
        self._threads = [
            threading.Thread(target=srv.serve_forever, daemon=True)
            for srv in (self._tcp, self._unix)
        ]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        for srv in (self._tcp, self._unix):
            srv.shutdown()
            srv.server_close()
        self.unix_path.unlink(missing_ok=True)
        os.rmdir(self._dir)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def next_reply(self, body: dict[str, Any] | None = None) -> Reply:
        """The next reply of the agent working in the directory the request names (a lane
        scripted with :meth:`script_for`), else of the common script."""
        with self._lock:
            lane = self._lanes.get(working_directory(body or {}) or "")
            queue = lane if lane is not None else self._queue
            return queue.popleft() if queue else Reply.text("ok")

    def script_for(self, directory: str | Path, *replies: Reply) -> None:
        """Replies for the agent whose working directory is ``directory`` only (several
        agents on one server: an orchestrator and its workers)."""
        with self._lock:
            self._lanes.setdefault(str(directory), deque()).extend(replies)

    def prompts_in(self, directory: str | Path) -> list[str]:
        """The prompts of the agent working in ``directory``."""
        with self._lock:
            return [
                r.prompt
                for r in self.requests
                if r.turn and r.prompt is not None and working_directory(r.body) == str(directory)
            ]

    def record(self, path: str, body: dict[str, Any], *, turn: bool, prompt: str | None) -> None:
        with self._lock:
            self.requests.append(Request(path, body, turn, prompt, time.time()))

    def prompts(self) -> list[str]:
        """Every new user prompt the model received, in order (duplicates included)."""
        with self._lock:
            return [r.prompt for r in self.requests if r.turn and r.prompt is not None]

    def usage(self, *, turn: bool) -> Tokens:
        """What this server reported for the responses it counted as ``turn`` requests."""
        with self._lock:
            total = Tokens()
            for counted_turn, usage in self.reported:
                if counted_turn == turn:
                    total += usage
            return total

    def report_usage(self, *, turn: bool) -> Tokens:
        """The usage to report for the next response (recorded)."""
        with self._lock:
            usage = nth_usage(len(self.reported))
            self.reported.append((turn, usage))
            return usage

    def turns(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.turn]

    def get(self, path: str) -> tuple[int, Any]:
        return 404, {"error": {"type": "not_found", "message": f"no {path}"}}

    def handle_post(self, handler: _Handler, path: str, body: dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _pause(reply: Reply) -> None:
        if reply.chunk_delay:
            time.sleep(reply.chunk_delay)


WORKING_DIRECTORY = re.compile(r"Primary working directory: ([^\s\\\"]+)")


def working_directory(body: dict[str, Any]) -> str | None:
    """The directory Claude Code says it works in (its environment section)."""
    match = WORKING_DIRECTORY.search(json.dumps(body.get("system", "")))
    match = match or WORKING_DIRECTORY.search(json.dumps(body.get("messages", [])))
    return match.group(1) if match else None


SYSTEM_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)
PASTED = re.compile(
    r'<pasted_content id="[^"]*">\n?(.*?)\n?</pasted_content id="[^"]*">', re.DOTALL
)
"""Claude Code 2.1.3xx sends a long or multi-line prompt as one block wrapped in these."""


def _user_text(content: Any) -> str | None:
    """The prompt text in a user message's content, minus injected reminders; None if none."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts = []
    for block in content:
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if not isinstance(text, str):
            continue
        text = PASTED.sub(lambda match: match.group(1), SYSTEM_REMINDER.sub("", text))
        if text.strip() and not text.lstrip().startswith(("<", "[Request interrupted")):
            texts.append(text)
    return "\n".join(texts) if texts else None


class AnthropicServer(ModelServer):
    """Anthropic Messages API (``POST /v1/messages``, SSE) as Claude Code uses it."""

    api_key = "sk-ant-api03-agenttui-e2e-" + "x" * 40

    def tool_results(self) -> list[str]:
        """Every tool_result text Claude sent back to the model (the last request holds the
        whole conversation)."""
        found = []
        for request in self.turns()[-1:]:
            for message in request.body.get("messages", []):
                content = message.get("content")
                for block in content if isinstance(content, list) else []:
                    if isinstance(block, dict) and block.get("type") == "tool_result":
                        found.append(json.dumps(block.get("content"), ensure_ascii=False))
        return found

    def claude_env(self, port: int | None = None) -> dict[str, str]:
        """Environment for claude: this server, a dummy key, no nonessential traffic."""
        return {
            "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port or self.port}",
            "ANTHROPIC_API_KEY": self.api_key,
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        }

    def handle_post(self, handler: _Handler, path: str, body: dict[str, Any]) -> None:
        if "count_tokens" in path:
            self.record(path, body, turn=False, prompt=None)
            handler._json(200, {"input_tokens": 10})
            return
        tools = body.get("tools") or []
        turn = bool(tools) and path.startswith("/v1/messages")
        messages = body.get("messages") or []
        conversation = [m for m in messages if m.get("role") in ("user", "assistant")]
        prompt = None
        if turn and conversation and conversation[-1].get("role") == "user":
            prompt = _user_text(conversation[-1].get("content"))
        self.record(path, body, turn=turn, prompt=prompt)
        reply = self.next_reply(body) if turn else Reply.text("ok")
        if handler.refuse(reply):
            return
        usage = self.report_usage(turn=turn)
        if not body.get("stream"):
            handler._json(200, self._message(reply, usage))
            return
        self._stream(handler, reply, str(body.get("model", "claude")), usage)

    def _message(self, reply: Reply, usage: Tokens, *, output: int | None = None) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": "".join(reply.text_chunks)}]
        return {
            "id": f"msg_{uuid.uuid4().hex[:12]}",
            "type": "message",
            "role": "assistant",
            "model": "claude-e2e",
            "content": content,
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": usage.input,
                "cache_creation_input_tokens": usage.cache_write,
                "cache_read_input_tokens": usage.cache_read,
                "output_tokens": usage.output if output is None else output,
            },
        }

    def _stream(self, h: _Handler, reply: Reply, model: str, usage: Tokens) -> None:
        h.start_sse()
        # As the API streams it: message_start counts one output token, message_delta the
        # final figure.
        started = self._message(reply, usage, output=1)
        message = {**started, "content": [], "model": model, "stop_reason": None}
        h.sse("message_start", {"type": "message_start", "message": message})
        index = 0
        if reply.text_chunks:
            block = {"type": "text", "text": ""}
            h.sse(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": block},
            )
            for chunk in reply.text_chunks:
                self._pause(reply)
                delta = {"type": "text_delta", "text": chunk}
                h.sse(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                )
            h.sse("content_block_stop", {"type": "content_block_stop", "index": 0})
            if reply.hold is not None:  # Claude Code draws a text block once it is complete
                reply.hold.wait(120)
            index = 1
        for name, arguments in reply.tools:
            block = {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:16]}",
                "name": name,
                "input": {},
            }
            h.sse(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
            delta = {"type": "input_json_delta", "partial_json": json.dumps(arguments)}
            h.sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            h.sse("content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        stop = "tool_use" if reply.tools else "end_turn"
        h.sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": usage.output},
            },
        )
        h.sse("message_stop", {"type": "message_stop"})


class OpenAIServer(ModelServer):
    """OpenAI Responses API (``POST /v1/responses``, SSE) as Codex uses it."""

    api_key = "sk-agenttui-e2e-dummy"

    def get(self, path: str) -> tuple[int, Any]:
        if path.startswith("/v1/models"):
            return 200, {"object": "list", "data": [{"id": "gpt-e2e", "object": "model"}]}
        return super().get(path)

    def handle_post(self, handler: _Handler, path: str, body: dict[str, Any]) -> None:
        tools = body.get("tools") or []
        names = {str(t.get("name", "")) for t in tools if isinstance(t, dict)}
        turn = path.endswith("/responses") and "exec_command" in names
        items = body.get("input") or []
        conversation = [i for i in items if isinstance(i, dict) and i.get("role") != "developer"]
        prompt = None
        if turn and conversation and conversation[-1].get("role") == "user":
            prompt = _user_text(conversation[-1].get("content"))
        self.record(path, body, turn=turn, prompt=prompt)
        reply = self.next_reply() if turn else Reply.text('{"title": "e2e"}')
        if not handler.refuse(reply):
            self._stream(handler, reply, self.report_usage(turn=turn))

    def _stream(self, h: _Handler, reply: Reply, reported: Tokens) -> None:
        h.start_sse()
        rid = f"resp_{uuid.uuid4().hex[:12]}"
        h.sse("response.created", {"type": "response.created", "response": {"id": rid}})
        output: list[dict[str, Any]] = []
        if reply.text_chunks:
            mid = f"msg_{uuid.uuid4().hex[:12]}"
            item: dict[str, Any] = {
                "type": "message",
                "id": mid,
                "role": "assistant",
                "content": [],
            }
            h.sse(
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": 0, "item": item},
            )
            for chunk in reply.text_chunks:
                self._pause(reply)
                h.sse(
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "item_id": mid,
                        "output_index": 0,
                        "content_index": 0,
                        "delta": chunk,
                    },
                )
            text = "".join(reply.text_chunks)
            done = {**item, "content": [{"type": "output_text", "text": text, "annotations": []}]}
            h.sse(
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": 0, "item": done},
            )
            if reply.hold is not None:
                reply.hold.wait(120)
            output.append(done)
        for name, arguments in reply.tools:
            call = {
                "type": "function_call",
                "id": f"fc_{uuid.uuid4().hex[:12]}",
                "call_id": f"call_{uuid.uuid4().hex[:12]}",
                "name": name,
                "arguments": json.dumps(arguments),
            }
            index = len(output)
            h.sse(
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": index, "item": call},
            )
            h.sse(
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": index, "item": call},
            )
            output.append(call)
        # The Responses API counts cached input inside input_tokens.
        input_tokens = reported.input + reported.cache_read + reported.cache_write
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": reported.output,
            "total_tokens": input_tokens + reported.output,
            "input_tokens_details": {
                "cached_tokens": reported.cache_read,
                "cache_write_tokens": reported.cache_write,
            },
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        h.sse(
            "response.completed",
            {
                "type": "response.completed",
                "response": {"id": rid, "output": output, "usage": usage},
            },
        )


class GeminiServer(ModelServer):
    """Gemini API (``:streamGenerateContent?alt=sse``) as the Gemini CLI uses it."""

    api_key = "gemini-e2e-dummy-key"

    def handle_post(self, handler: _Handler, path: str, body: dict[str, Any]) -> None:
        if ":countTokens" in path:
            self.record(path, body, turn=False, prompt=None)
            handler._json(200, {"totalTokens": 10})
            return
        declarations = [
            str(decl.get("name", ""))
            for tool in body.get("tools") or []
            if isinstance(tool, dict)
            for decl in tool.get("functionDeclarations") or []
        ]
        turn = "run_shell_command" in declarations
        contents = [c for c in body.get("contents") or [] if isinstance(c, dict)]
        prompt = None
        if turn and contents and contents[-1].get("role") == "user":
            parts = contents[-1].get("parts") or []
            if not any(isinstance(p, dict) and "functionResponse" in p for p in parts):
                prompt = _user_text(parts)
        self.record(path, body, turn=turn, prompt=prompt)
        reply = self.next_reply() if turn else Reply.text('{"ok": true}')
        if handler.refuse(reply):
            return
        if "stream" not in path:
            parts = [{"text": "".join(reply.text_chunks)}] if reply.text_chunks else []
            handler._json(200, self._chunk(parts, final=True))
            return
        handler.start_sse()
        for chunk in reply.text_chunks:
            self._pause(reply)
            handler.sse_data(self._chunk([{"text": chunk}], final=False))
        if reply.hold is not None:
            reply.hold.wait(120)
        calls = [{"functionCall": {"name": name, "args": args}} for name, args in reply.tools]
        handler.sse_data(self._chunk(calls, final=True))

    @staticmethod
    def _chunk(parts: list[dict[str, Any]], *, final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        usage = {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-e2e"}


write = Reply.write


def refine_and_plan(notes: Path) -> list[Reply]:
    """The feedback workflow's first four turns: three refinements and a plan, each a file."""
    return [
        write(notes / "refine-1.md", "Where: balance.py\n"), Reply.text("ok"),
        write(notes / "refine-2.md", "Assume partial payments.\n"), Reply.text("ok"),
        write(notes / "refine-3.md", "Refresh the gift card balance.\n"), Reply.text("ok"),
        write(notes / "plan.md", "1. fix 2. test\n"), Reply.text("ok"),
    ]  # fmt: skip
