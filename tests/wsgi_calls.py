"""A request made straight to a WSGI application (the entry point's fast paths, or a handler),
as gunicorn makes it: status, headers and body of the answer."""

from __future__ import annotations

import io
import sys
from typing import Any

from ascolto.config import wsgi


def call(path: str, *, method: str = "GET", body: bytes = b"", host: str = "testserver",
         headers: dict[str, str] | None = None, content_type: str = "application/json",
         app: Any = None) -> tuple[str, dict[str, str], bytes]:  # fmt: skip
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[Any] = []
    content = b"".join((app or wsgi.application)(environ, lambda s, h: started.append((s, h))))
    status, header_list = started[0]
    return status, dict(header_list), content
