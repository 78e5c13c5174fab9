"""Text that crosses a boundary: line endings of what citizens type, and email headers made of it.

Browsers send a textarea's line breaks as CRLF, mail clients as CRLF too, some old systems as a
lone CR. `one_newline_style` makes them all `\\n` where a message enters the system
(`channels.inbound.InboundMessage`). A header can hold no line break at all: Django refuses to
send a message whose subject has one (`BadHeaderError`), and a header that did get through could
carry other headers with it. `header_text` makes any text (a case subject quoting the citizen, a
name) one clean line of bounded length; every email header built from such text goes through it.
"""

from __future__ import annotations

import html as _html
import re

# Every character Python's str.splitlines() breaks on, tabs and the other controls of C0/C1.
_BREAKS_AND_CONTROLS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
HEADER_LIMIT = 200  # characters; RFC 5322 asks for lines of at most 998, readers for much less


def one_newline_style(text: str) -> str:
    """`text` with CRLF and lone CR line endings turned into LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def header_text(text: str, limit: int = HEADER_LIMIT) -> str:
    """`text` as a safe email header value: no line break or control character (runs of
    whitespace become one space), stripped, and at most `limit` characters (cut with "…")."""
    line = _BREAKS_AND_CONTROLS.sub(" ", text or "").strip()
    if len(line) > limit:
        line = line[: max(limit - 1, 0)].rstrip() + "…"
    return line


def html_escape(value: object) -> str:
    """`value` as text escaped for HTML, as Django's `escape` makes it (the standard library's
    `html.escape`), without wrapping each piece in a SafeString: for the pages that write many
    small pieces of markup in Python (the inbox's rows and selects), where `format_html` per
    piece costs milliseconds a page."""
    return _html.escape(str(value))
