"""``agenttui serve``: the token (made once, printed once, kept 0600) guards every route —
the page, its files, downloads and the websocket that drives the app — and a browser with
it gets the same app as a terminal."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import aiohttp
import httpx
import pytest

from tests.support.serve import serving
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from tui.serve.auth import COOKIE, REFUSED

pytestmark = pytest.mark.timeout(180)


def token_file() -> Path:
    return Path(os.environ["AGENTTUI_STATE_DIR"]) / "serve-token"


def test_token_made_once_kept_0600_and_printed_only_then(tmux_server: TmuxServer) -> None:
    with serving(json_output=False) as first:
        line = first.url
        assert line.startswith("agenttui serve: open http://127.0.0.1:")
        token = line.strip().split("?token=", 1)[1]
        info = token_file().stat()
        assert stat.S_IMODE(info.st_mode) == 0o600
        assert token_file().read_text().strip() == token
        assert len(token) >= 43  # 256 bits
        rest = first.process.stdout.readline()  # type: ignore[union-attr]
        assert "shown this once" in rest and str(token_file()) in rest
    assert first.process.returncode == 0
    with serving(json_output=False) as again:  # the kept token: not printed again
        assert token not in again.url
        assert f"its token is in {token_file()}" in again.url
        base = again.url.split()[2]
        answer = httpx.get(f"{base}?token={token}")
        assert answer.status_code == 303  # still the same token
    with serving("--new-token") as renewed:
        assert renewed.token != token
        assert httpx.get(f"{renewed.url}?token={token}").status_code == 401
        assert httpx.get(f"{renewed.url}?token={renewed.token}").status_code == 303


def test_a_token_others_can_read_is_refused(tmux_server: TmuxServer) -> None:
    with serving():
        pass
    token_file().chmod(0o644)
    result = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{token_file()} can be read by others (-rw-r--r--)" in result.stderr
    assert "--new-token" in result.stderr
    assert result.stdout == ""


async def test_nothing_without_the_token(tmux_server: TmuxServer) -> None:
    with serving() as served:
        base = served.url
        wrong = served.token[:-4] + "AAAA"
        async with aiohttp.ClientSession() as client:
            for path in ("", "static/js/textual.js", "download/x", f"?token={wrong}"):
                async with client.get(base + path, allow_redirects=False) as answer:
                    assert answer.status == 401, path
                    assert await answer.text() == REFUSED  # nothing of the app
            async with client.get(base, cookies={COOKIE: wrong}) as answer:
                assert answer.status == 401
            # The websocket that drives the app: refused before any app starts.
            for cookies in ({}, {COOKIE: wrong}):
                async with aiohttp.ClientSession(cookies=cookies) as other:
                    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                        await other.ws_connect(base + "ws?width=80&height=24")
                    assert refused.value.status == 401
            assert served.children() == []

        # With the token: the cookie, and the same page without the token in its address.
        # (A jar that keeps cookies of an IP address, as browsers do.)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.get(f"{base}?token={served.token}", allow_redirects=False) as hop:
                assert hop.status == 303
                assert hop.headers["Location"] == "./"
                cookie = hop.headers["Set-Cookie"]
                assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            async with browser.get(base) as page:
                assert page.status == 200
                html = await page.text()
                assert 'id="terminal"' in html
                assert "googleapis" not in html  # no request leaves for another site
                assert page.headers["X-Frame-Options"] == "DENY"
            # A page of another site (even another port here) cannot use the cookie.
            with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
                await browser.ws_connect(
                    base + "ws?width=80&height=24", origin="http://127.0.0.1:1"
                )
            assert foreign.value.status == 403
            assert served.children() == []
            origin = base.rstrip("/")
            socket = await browser.ws_connect(base + "ws?width=100&height=30", origin=origin)
            received = b""
            while b"Issues" not in received:  # the app's first frame
                message = await socket.receive(timeout=60)
                assert message.type == aiohttp.WSMsgType.BINARY, message
                received += message.data
            assert len(served.children()) == 1
            await socket.close()
        # The browser went away: so does its app.
        wait_until(lambda: served.children() == [], timeout=30, message="app ended")


def test_serving_on_another_address_warns(tmux_server: TmuxServer) -> None:
    with serving("--host", "0.0.0.0") as served:
        warning = served.process.stderr.readline()  # type: ignore[union-attr]
        assert "plain HTTP" in warning and "TLS" in warning
    assert served.process.returncode == 0


def test_address_in_use_is_an_error(tmux_server: TmuxServer) -> None:
    with serving() as served:
        port = served.url.rsplit(":", 1)[1].strip("/")
        result = subprocess.run(
            [sys.executable, "-m", "tui", "serve", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
