"""Opening a link (a pull request) in the person's browser, never in their terminal.

Python's ``webbrowser`` falls back to console browsers (lynx, w3m…), which would take over
the terminal the app is drawing on; those are used only when $BROWSER names them.
"""

from __future__ import annotations

import os
import shlex
import webbrowser
from typing import Any

CONSOLE_BROWSERS = frozenset({"www-browser", "links", "links2", "elinks", "lynx", "w3m"})


def open_in_browser(url: str) -> bool:
    """True when a browser took ``url``; False when there is none to hand it to.

    $BROWSER is read now: ``webbrowser`` reads it once per process, at its first use."""
    chosen = os.environ.get("BROWSER", "").split(os.pathsep)[0].strip()
    if chosen:  # a command, the URL where it says %s (else last), as webbrowser does
        words = shlex.split(chosen)
        return bool(
            webbrowser.GenericBrowser(words if "%s" in chosen else [*words, "%s"]).open(url)
        )
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if getattr(browser, "name", "") in CONSOLE_BROWSERS and not os.environ.get("BROWSER"):
        return False
    return bool(browser.open(url))


def open_or_copy(app: Any, url: str) -> None:
    """From a worker thread: open ``url`` in a browser, or (none here, e.g. over ssh) copy
    it through the terminal instead, saying which."""
    if open_in_browser(url):
        app.call_from_thread(app.notify, f"opened {url}")
        return
    app.call_from_thread(app.copy_to_clipboard, url)
    app.call_from_thread(
        app.notify, f"no browser to open it here; copied instead: {url}", severity="warning"
    )
