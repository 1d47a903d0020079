"""Opening a link (a pull request) in the person's browser, never in their terminal.

Python's ``webbrowser`` falls back to console browsers (lynx, w3m…), which would take over
the terminal the app is drawing on; those are used only when $BROWSER names them.
"""

from __future__ import annotations

import os
import webbrowser

CONSOLE_BROWSERS = frozenset({"www-browser", "links", "links2", "elinks", "lynx", "w3m"})


def open_in_browser(url: str) -> bool:
    """True when a browser took ``url``; False when there is none to hand it to."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if getattr(browser, "name", "") in CONSOLE_BROWSERS and not os.environ.get("BROWSER"):
        return False
    return bool(browser.open(url))
