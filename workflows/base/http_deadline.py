"""HTTP requests bounded in total time, not only per read.

httpx's timeouts apply to each network operation: a server that trickles one byte a second
never trips them and holds the caller forever (a ``poll`` round, and the watcher's lock with
it). :func:`request_within` gives the whole exchange — connect, send, headers, body — one
limit. The request runs on a daemon thread; when the limit passes, the client is closed
(which ends the exchange) and :class:`TooSlow` is raised: the caller needs a new client.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx


class TooSlow(httpx.TimeoutException):
    """The whole exchange took longer than its limit."""


def request_within(
    client: httpx.Client, seconds: float, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """``client.request(...)`` with its body read, within ``seconds`` in total."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def exchange() -> None:
        try:
            response = client.request(method, url, **kwargs)
            response.read()
            outcome["response"] = response
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=exchange, name="agenttui-http", daemon=True).start()
    if not done.wait(seconds):
        client.close()  # ends the exchange; the worker thread then finishes on its own
        raise TooSlow(f"no complete answer within {seconds:g}s")
    if "error" in outcome:
        raise outcome["error"]
    response: httpx.Response = outcome["response"]
    return response
