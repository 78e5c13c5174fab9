"""Shared by the browser tests and the screenshot script: how Debian's Chromium is launched.

Playwright never downloads a browser here: it starts this executable. The flags keep a headless
Chromium quiet on a machine with no display and a closed network (no GPU, no sandbox as root,
no background connections to Google's services).
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("ASCOLTO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
