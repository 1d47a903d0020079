"""Verified send against the real CLIs: N panes × M hostile prompts, counted at the model.

Each pane gets its own scripted model server, so what a server received is exactly what one
pane's agent submitted: the bench compares, per pane, the sequence of prompts sent with the
sequence the model received (FIELD-NOTES §3: lost or doubled submits are the most reported
bug class of the peers). Used by bench/send.py (``--agent claude|codex``).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, GeminiServer, ModelServer, OpenAIServer
from tests.support.hostile import HOSTILE_PROMPTS
from workflows.base.target import TmuxTarget


@dataclass
class PaneTally:
    sent: list[str] = field(default_factory=list)
    not_delivered: int = 0
    unconfirmed: int = 0
    errors: list[str] = field(default_factory=list)
    send_ms: list[float] = field(default_factory=list)


def compare(sent: list[str], received: list[str]) -> dict[str, int]:
    """Exactly-once accounting of one pane: by content, with multiplicity."""
    want, got = Counter(sent), Counter(received)
    exact = sum(min(count, got[text]) for text, count in want.items())
    return {
        "sent": len(sent),
        "received": len(received),
        "exactly_once": exact,
        "missing": sum((want - got).values()),
        "extra": sum((got - want).values()),
        "in_order": int(received == sent),
    }


def _drive(pane: AgentPane, prompts: list[str], tally: PaneTally) -> None:
    from workflows.base.errors import NotDelivered

    for text in prompts:
        try:
            pane.wait_state("idle", timeout=120)
            started = time.perf_counter()
            result = pane.send(text)
            tally.send_ms.append((time.perf_counter() - started) * 1000)
            tally.sent.append(text)
            if not result.submitted:
                tally.unconfirmed += 1
        except NotDelivered as error:
            tally.not_delivered += 1
            tally.errors.append(f"not delivered: {error}")
        except Exception as error:
            tally.errors.append(f"{type(error).__name__}: {error}"[:300])
    try:
        pane.wait_state("idle", timeout=120)
    except AssertionError as error:
        tally.errors.append(str(error)[:300])


def run_send_bench(agent: str, *, panes: int = 8, prompts: int = 25) -> dict[str, Any]:
    from workflows.agents.startup import wait_until_ready
    from workflows.tmux.driver import TmuxDriver

    texts = [HOSTILE_PROMPTS[i % len(HOSTILE_PROMPTS)] for i in range(prompts)]
    servers: list[ModelServer] = []
    socket = f"agenttui-sendbench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        root = Path(tmp)
        os.environ["AGENTTUI_STATE_DIR"] = str(root / "state")
        driver = TmuxDriver(TmuxTarget(socket, "bench"))
        driver.ensure_session()
        try:
            agents = []
            for index in range(panes):
                name = f"{agent}-{index}"
                if agent == "claude":
                    claude_server = AnthropicServer().start()
                    servers.append(claude_server)
                    agents.append(AgentPane.claude(driver, claude_server, root, name=name))
                elif agent == "gemini":
                    gemini_server = GeminiServer().start()
                    servers.append(gemini_server)
                    agents.append(AgentPane.gemini(driver, gemini_server, root, name=name))
                else:
                    codex_server = OpenAIServer().start()
                    servers.append(codex_server)
                    agents.append(AgentPane.codex(driver, codex_server, root, name=name))
            for pane in agents:
                wait_until_ready(driver, pane.refresh(), profile=pane.profile, timeout=120)
            tallies = [PaneTally() for _ in agents]
            started = time.perf_counter()
            threads = [
                threading.Thread(target=_drive, args=(pane, texts, tally))
                for pane, tally in zip(agents, tallies, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            per_pane = [
                {
                    **compare(tally.sent, server.prompts()),
                    "errors": tally.errors[:3],
                    "missing_texts": [
                        text[:60] for text in (Counter(tally.sent) - Counter(server.prompts()))
                    ],
                }
                for tally, server in zip(tallies, servers, strict=True)
            ]
        finally:
            driver.command("kill-server")
            driver.close()
            for server in servers:
                server.close()
    send_ms = sorted(ms for tally in tallies for ms in tally.send_ms)
    totals = {
        key: sum(int(pane[key]) for pane in per_pane)
        for key in ("sent", "received", "exactly_once", "missing", "extra", "in_order")
    }
    return {
        "bench": "send",
        "agent": agent,
        "panes": panes,
        "prompts_per_pane": prompts,
        "attempted": panes * prompts,
        **totals,
        "not_delivered": sum(t.not_delivered for t in tallies),
        "unconfirmed": sum(t.unconfirmed for t in tallies),
        "send_p50_ms": round(send_ms[len(send_ms) // 2], 1) if send_ms else None,
        "send_p99_ms": round(send_ms[int(len(send_ms) * 0.99)], 1) if send_ms else None,
        "elapsed_s": round(elapsed, 1),
        "per_pane": per_pane,
    }
