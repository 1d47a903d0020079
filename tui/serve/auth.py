"""Nobody without the token sees or approves anything: every route of the server, the
page, its scripts and the websocket that drives the app, answers 401 without it.

A browser shows the token once, in the address it opens (``/?token=…``); the server
answers with a cookie (HttpOnly, SameSite=Strict) and sends the browser on to the same
page without the token in its address, so it stays out of history and bookmarks. A
websocket that comes with the cookie must come from a page of this same server (its
``Origin``): another site, even one on another port of this machine, cannot drive the app
through a browser that holds the cookie. The page cannot be framed by another site (a
framed app could be made to take key presses).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from aiohttp import hdrs, web

if TYPE_CHECKING:
    from aiohttp.typedefs import Middleware

COOKIE = "agenttui_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REFUSED = (
    "agenttui serve: this address needs its token. Open the address printed when the "
    "token was made (it ends in ?token=…).\n"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


def token_middleware(token: str) -> Middleware:
    """An aiohttp middleware letting through only requests that carry ``token``."""
    expected = token.encode()

    def matches(given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), expected)

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        upgrade = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
        if matches(request.query.get("token")):
            if upgrade:  # a client that is not a browser may pass it on the websocket
                return await handler(request)
            return _enter(request, token)
        if not matches(request.cookies.get(COOKIE)):
            return _secured(web.Response(status=401, text=REFUSED))
        if upgrade and not _same_origin(request):
            return _secured(web.Response(status=403, text="agenttui serve: foreign origin\n"))
        response = await handler(request)
        if not response.prepared:  # a websocket's headers are already sent
            _secured(response)
        return response

    return require_token


def _enter(request: web.Request, token: str) -> web.StreamResponse:
    """Right token in the address: the cookie, and the same page without the token."""
    rest = [(key, value) for key, value in request.query.items() if key != "token"]
    # Relative, so a reverse proxy serving under a path prefix keeps its prefix.
    location = "./" + (f"?{urlencode(rest)}" if rest else "")
    response = web.HTTPSeeOther(location=location)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=_https(request),
    )
    return _secured(response)


def _https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return request.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def _same_origin(request: web.Request) -> bool:
    """The websocket's page came from this server: its Origin names the host the browser
    asked for (``Host``, or ``X-Forwarded-Host`` behind a proxy; a page cannot set either
    on a websocket). Browsers always send Origin on a websocket; other clients may not."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc.lower()
    hosts = {request.headers.get(hdrs.HOST, ""), request.headers.get("X-Forwarded-Host", "")}
    return bool(netloc) and netloc in {host.split(",")[0].strip().lower() for host in hosts}


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
