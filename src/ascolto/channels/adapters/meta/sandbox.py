"""A local Graph API server: the endpoints of Meta's Graph API that ascolto calls, on the
loopback, for the tests and the demo (`python -m ascolto meta_sandbox`).

It is a real HTTP server (stdlib `ThreadingHTTPServer` in a thread), so the client under test
runs its whole stack: URL building, JSON bodies, the bearer token, status codes, Meta's error
JSON. It answers with the bodies Meta documents for each endpoint, checks the bearer token,
refuses what Meta refuses (a missing recipient, more than 3 reply buttons or 10 list rows, a
Messenger message without `messaging_type`), and records every request it receives
(`requests`), so a test reads exactly what was sent. `fail_next` makes the next requests fail
(HTTP 500, or a Meta error such as 131047 "Re-engagement message" or 190 for an invalid token)
for the retry tests. Media registered with `add_media` is served like Meta's: its metadata
names a URL of the sandbox itself, whose GET (with the token) returns the bytes.

Like Meta, it reports on the messages it accepted when given `reports`: a WhatsApp message is
followed by two signed status webhooks (`delivered`, then `read`), a Messenger or Instagram
message by a delivery receipt and a read receipt, each `Reports.delay` seconds after the
previous one, posted to `Reports.url` (the app's `/webhooks/meta/<channel>/`, signed with the
app secret), or, without a URL, kept for `take_reports` (the demo's generation posts them itself
once the messages are written).

Endpoints (`{v}` is any `vNN.N` version):
- `POST /{v}/{phone_number_id}/messages`, WhatsApp Cloud API (body `messaging_product:
  whatsapp`): text, template, interactive, reaction, image/document/audio/video/sticker by
  `link` or `id`, and read receipts `{"status": "read", "message_id": ...}`;
- `POST /{v}/{page_id}/messages`, the Messenger and Instagram Send API (`recipient.id` or
  `recipient.comment_id`, a private reply to a comment);
- `GET /{v}/{media_id}` and `GET /media/{media_id}` (the bytes);
- `POST /{v}/{phone_number_id}/media` (multipart `messaging_product`, `type`, `file`): a WhatsApp
  upload, answered with its media id and then served like media added with `add_media`;
  `POST /{v}/{page_id}/message_attachments` (multipart `message`, `filedata`, `platform`), the
  Attachment Upload API of Messenger and Instagram, answered with an attachment id; a message
  naming a media or attachment id the sandbox does not know is refused, as Meta refuses it;
- `GET /cdn/{name}`: a Messenger or Instagram attachment, as Meta's CDN serves it (no token;
  one sent is refused, so a test sees a leak), registered with `add_file`;
- `POST /{v}/{comment_id}/comments` (Facebook public reply), `POST /{v}/{comment_id}/replies`
  (Instagram public reply), `POST /{v}/{comment_id}` with `is_hidden` (Facebook) or `hide`
  (Instagram).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import logging
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ascolto.channels.adapters.meta import replay

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 (the sandbox's own, public, token)
VERSION = "v23.0"
_VERSION = re.compile(r"^v\d+\.\d+$")
_ID = re.compile(r"^[A-Za-z0-9_.:=-]{1,200}$")
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
MAX_BUTTONS = 3
MAX_ROWS = 10

# Meta's error bodies for the failures the tests ask for (code → HTTP status, type, message).
ERRORS: dict[int, tuple[int, str, str]] = {
    1: (500, "OAuthException", "An unknown error occurred"),
    2: (503, "OAuthException", "Service temporarily unavailable"),
    4: (400, "OAuthException", "(#4) Application request limit reached"),
    100: (400, "OAuthException", "(#100) Invalid parameter"),
    190: (401, "OAuthException", "Invalid OAuth access token - Cannot parse access token"),
    10: (403, "OAuthException", "(#10) This message is sent outside of allowed window."),
    130429: (400, "OAuthException", "(#130429) Rate limit hit"),
    131009: (400, "OAuthException", "(#131009) Parameter value is not valid"),
    131047: (400, "OAuthException", "(#131047) Re-engagement message"),
    133004: (503, "OAuthException", "(#133004) Server temporarily unavailable"),
}
_DETAILS = {
    131047: "Message failed to send because more than 24 hours have passed since the customer "
    "last replied to this number.",
}


def error_body(code: int, message: str = "", *, details: str = "") -> tuple[int, dict[str, Any]]:
    """The HTTP status and Meta's JSON of a Graph error with `code`."""
    status, kind, default = ERRORS.get(code, (400, "OAuthException", f"(#{code}) Error"))
    error: dict[str, Any] = {
        "message": message or default,
        "type": kind,
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(10),
    }
    details = details or _DETAILS.get(code, "")
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if status >= 500 or code in (2, 4, 130429):
        error["is_transient"] = True
    return status, {"error": error}


@dataclass(frozen=True)
class Recorded:
    """One request the sandbox received."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the JSON (or form) body, None without one
    # The files of a multipart body, by field name (its other fields are in `body`).
    files: dict[str, Upload] = field(default_factory=dict)

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")


@dataclass
class Media:
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class Upload:
    """A file of a multipart request: its name and type as the client sent them, its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Reports:
    """How the sandbox reports on the messages it accepts, as Meta's webhooks do: posted to
    `url` signed with `app_secret` (a Send API message from one of `instagram_accounts` is
    reported as Instagram's, any other as a Page's), or kept for `take_reports` without `url`."""

    url: str = ""
    app_secret: str = ""
    instagram_accounts: frozenset[str] = frozenset()
    delay: float = 1.0  # seconds from accepted to delivered, and from delivered to read
    tries: int = 5  # a webhook post refused or unreachable is tried again, as Meta does


@dataclass
class _Failure:
    status: int
    body: dict[str, Any] | None


@dataclass
class GraphSandbox:
    """The server; `start()` it, point `ASCOLTO_META_GRAPH_URL` at `url`, `stop()` it."""

    token: str = DEFAULT_TOKEN
    host: str = "127.0.0.1"
    port: int = 0
    version: str = VERSION
    requests: list[Recorded] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    # Files uploaded through the Attachment Upload API (Messenger, Instagram), by attachment id.
    attachments: dict[str, Media] = field(default_factory=dict)
    files: dict[str, Media] = field(default_factory=dict)
    _ids: list[str] = field(default_factory=list)
    reports: Reports | None = None
    reported: int = 0  # report webhooks posted and answered 200
    _kept: list[dict[str, Any]] = field(default_factory=list)
    _outgoing: queue.PriorityQueue[tuple[float, int, dict[str, Any] | None]] = field(
        default_factory=queue.PriorityQueue
    )
    _order: Iterator[int] = field(default_factory=itertools.count)
    _open: threading.Event = field(default_factory=threading.Event)
    _poster: threading.Thread | None = None
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> GraphSandbox:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="graph-sandbox", daemon=True
        )
        self._thread.start()
        self._open.set()
        if self.reports is not None and self.reports.url:
            # One poster, in order: Meta's reports on a message come one after the other.
            self._poster = threading.Thread(
                target=self._post_due, name="graph-reports", daemon=True
            )
            self._poster.start()
        return self

    def stop(self) -> None:
        if self._poster is not None:
            self._open.set()
            self._outgoing.put((0.0, -1, None))  # first in line: stop
            self._poster.join(timeout=5)
            self._poster = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self) -> None:
        """Block until the server stops (the management command serves this way)."""
        if self._thread is not None:
            self._thread.join()

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The Graph base URL, with its version (the value of `ASCOLTO_META_GRAPH_URL`)."""
        return f"{self.root}/{self.version}"

    # --- what the tests set and read -----------------------------------------------------------

    def add_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        with self._lock:
            self.media[media_id] = Media(data, mime_type)

    def add_file(self, name: str, data: bytes, mime_type: str) -> str:
        """Serve `data` as Meta's CDN serves a Messenger or Instagram attachment (no token, an
        address of its own); return that address, to put in a delivery's `payload.url`."""
        with self._lock:
            self.files[name] = Media(data, mime_type)
        return f"{self.root}/cdn/{name}?oh=sandbox&oe=0"

    def assign_ids(self, *ids: str) -> None:
        """The next messages accepted get these ids (wamids, mids) instead of random ones: a
        test can deliver a status about a message before it is sent."""
        with self._lock:
            self._ids.extend(ids)

    def _next_id(self, default: str) -> str:
        with self._lock:
            return self._ids.pop(0) if self._ids else default

    def fail_next(
        self, count: int = 1, *, status: int = 500, code: int | None = None, message: str = ""
    ) -> None:
        """The next `count` requests fail: with Meta's error `code` (its HTTP status), or with
        a bare HTTP `status` (500: Meta's generic unknown error)."""
        body: dict[str, Any] | None
        if code is not None:
            status, body = error_body(code, message)
        else:
            body = error_body(1, message)[1] if status >= 500 else None
        with self._lock:
            self._failures.extend(_Failure(status, body) for _ in range(count))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.media.clear()
            self.attachments.clear()
            self.files.clear()
            self._ids.clear()
            self._kept.clear()
            self._failures.clear()

    def sent(self, suffix: str = "/messages") -> list[Recorded]:
        """The POSTs received whose path ends with `suffix`."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    def last(self) -> Recorded:
        with self._lock:
            return self.requests[-1]

    # --- the server side -------------------------------------------------------------------

    def _record(self, request: Recorded) -> _Failure | None:
        with self._lock:
            self.requests.append(request)
            return self._failures.pop(0) if self._failures else None

    def handle(self, request: Recorded) -> tuple[int, Any, str]:
        """The status, body and content type of the answer to `request`."""
        failure = self._record(request)
        if failure is not None:
            return failure.status, failure.body or {"error": "Internal Server Error"}, "json"
        parts = [p for p in request.path.split("/") if p]
        if request.method == "GET" and len(parts) == 2 and parts[0] == "cdn":
            cdn = self.files.get(parts[1])
            if cdn is None or request.authorization:  # a token has no business on the CDN
                return 404, b"Not Found", "text/plain"
            return 200, cdn.data, cdn.mime_type
        if request.authorization != f"Bearer {self.token}":
            return (*error_body(190), "json")
        if request.method == "GET" and len(parts) == 2 and parts[0] == "media":
            media = self.media.get(parts[1])
            if media is None:
                return (*error_body(100, "(#100) Media not found"), "json")
            return 200, media.data, media.mime_type
        if len(parts) < 2 or not _VERSION.match(parts[0]) or not all(map(_ID.match, parts[1:])):
            return (*error_body(100, "Unknown path components"), "json")
        body = request.body if isinstance(request.body, dict) else {}
        body = {**request.query, **body}
        if request.method == "GET" and len(parts) == 2:
            return self._media_info(parts[1])
        if request.method != "POST":
            return (*error_body(100, "Unsupported request method"), "json")
        uploaded = self._uploads(parts, body, request.files)
        if uploaded is not None:
            return uploaded
        if len(parts) == 3 and parts[2] == "messages":
            if body.get("messaging_product") == "whatsapp":
                return self._whatsapp(parts[1], body)
            return self._send_api(parts[1], body)
        if len(parts) == 3 and parts[2] in ("comments", "replies"):
            return self._comment_reply(parts[1], body)
        if len(parts) == 2:
            return self._moderate(body)
        return (*error_body(100, "Unknown path components"), "json")

    def _uploads(
        self, parts: list[str], body: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, Any, str] | None:
        """The uploads of WhatsApp media and of Messenger and Instagram attachments, and the
        check of the ids a message refers to; None for any other request."""
        if len(parts) != 3:
            return None
        if parts[2] == "media":
            return self._upload_media(body, files)
        if parts[2] == "message_attachments":
            return self._upload_attachment(body, files)
        if parts[2] != "messages":
            return None
        if body.get("messaging_product") == "whatsapp":
            content = body.get(str(body.get("type") or ""))
            media_id = content.get("id") if isinstance(content, dict) else None
            if body.get("type") in MEDIA_TYPES and media_id and media_id not in self.media:
                return (*error_body(131053, "(#131053) Media upload error: unknown id"), "json")
            return None
        message = body.get("message")
        if isinstance(message, str):
            message = _json_or_none(message)
        attachment = message.get("attachment") if isinstance(message, dict) else None
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        known = self.attachments
        if isinstance(payload, dict) and "attachment_id" in payload:
            if str(payload["attachment_id"]) not in known:
                return (*error_body(100, "(#100) Invalid attachment_id"), "json")
        return None

    def _upload_media(self, body: dict[str, Any], files: dict[str, Upload]) -> tuple[int, Any, str]:
        upload = files.get("file")
        if body.get("messaging_product") != "whatsapp":
            return (*error_body(100, "(#100) The parameter messaging_product is required."), "json")
        if upload is None or not upload.data:
            return (*error_body(100, "(#100) The parameter file is required."), "json")
        mime = str(body.get("type") or "")
        if not mime or mime.split(";")[0] != upload.content_type.split(";")[0]:
            return (*error_body(100, "(#100) Param type must match the file's type"), "json")
        media_id = str(10**15 + secrets.randbelow(9 * 10**15))
        with self._lock:
            self.media[media_id] = Media(upload.data, mime)
        return 200, {"id": media_id}, "json"

    def _upload_attachment(
        self, body: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, Any, str]:
        message = body.get("message")
        if isinstance(message, str):
            message = _json_or_none(message)
        attachment = message.get("attachment") if isinstance(message, dict) else None
        kind = attachment.get("type") if isinstance(attachment, dict) else None
        if kind not in ("image", "video", "audio", "file"):
            return (*error_body(100, "(#100) message.attachment.type is required"), "json")
        upload = files.get("filedata")
        if upload is None or not upload.data:
            return (*error_body(100, "(#100) Upload attachment failure: no filedata"), "json")
        if body.get("platform") not in (None, "instagram", "messenger"):
            return (*error_body(100, "(#100) Invalid platform"), "json")
        attachment_id = str(10**15 + secrets.randbelow(9 * 10**15))
        with self._lock:
            self.attachments[attachment_id] = Media(upload.data, upload.content_type)
        return 200, {"attachment_id": attachment_id}, "json"

    def _media_info(self, media_id: str) -> tuple[int, Any, str]:
        media = self.media.get(media_id)
        if media is None:
            return (*error_body(100, "(#100) Invalid parameter"), "json")
        return (
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.root}/media/{media_id}",
                "mime_type": media.mime_type,
                "sha256": hashlib.sha256(media.data).hexdigest(),
                "file_size": len(media.data),
                "id": media_id,
            },
            "json",
        )

    def _whatsapp(self, phone_number_id: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        if body.get("status") == "read":
            if not body.get("message_id"):
                return (*error_body(100, "(#100) The parameter message_id is required."), "json")
            return 200, {"success": True}, "json"
        to = str(body.get("to") or body.get("recipient") or "")
        if not to:
            return (*error_body(100, "(#100) The parameter to is required."), "json")
        kind = body.get("type", "text")
        problem = _whatsapp_problem(kind, body)
        if problem:
            return (
                *error_body(131009, f"(#131009) Parameter value is not valid: {problem}"),
                "json",
            )
        wamid = self._next_id(
            "wamid.HBgM" + secrets.token_urlsafe(30).replace("-", "A").replace("_", "B")
        )
        contact = {"input": to, "wa_id": to.lstrip("+")}
        message: dict[str, str] = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        if kind != "reaction":
            self._report_whatsapp(phone_number_id, wamid, to)
        return (
            200,
            {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]},
            "json",
        )

    def _send_api(self, page_id: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        recipient = body.get("recipient")
        if isinstance(recipient, str):  # a form-encoded body carries it as JSON text
            recipient = _json_or_none(recipient)
        if not isinstance(recipient, dict) or not (
            recipient.get("id") or recipient.get("comment_id")
        ):
            return (*error_body(100, "(#100) The parameter recipient is required"), "json")
        message = body.get("message")
        if isinstance(message, str):
            message = _json_or_none(message)
        if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
            return (*error_body(100, "(#100) The parameter message is required"), "json")
        kind = body.get("messaging_type")
        if recipient.get("id") and kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return (*error_body(100, "(#100) Param messaging_type is required"), "json")
        if kind == "MESSAGE_TAG" and not body.get("tag"):
            return (*error_body(100, "(#100) Param tag is required with MESSAGE_TAG"), "json")
        psid = str(recipient.get("id") or str(abs(hash(recipient["comment_id"])))[:16])
        mid = self._next_id("m_" + secrets.token_urlsafe(40))
        if recipient.get("id"):
            self._report_page(page_id, psid, mid)
        return 200, {"recipient_id": psid, "message_id": mid}, "json"

    # --- reports: Meta's status webhooks on what was accepted --------------------------------

    def _report_whatsapp(self, phone_number_id: str, wamid: str, to: str) -> None:
        if self.reports is None:
            return
        for step, status in enumerate(("delivered", "read"), start=1):
            item = replay.wa_status(wamid, status, to, int(time.time()))
            self._report(replay.whatsapp(phone_number_id, statuses=[item]), step)

    def _report_page(self, page_id: str, psid: str, mid: str) -> None:
        if self.reports is None:
            return
        wrap = replay.instagram if page_id in self.reports.instagram_accounts else replay.page
        now = int(time.time())
        for step, key in enumerate(("delivery", "read"), start=1):
            receipt: dict[str, Any] = {"watermark": now * 1000}
            if key == "delivery":
                receipt["mids"] = [mid]
            else:
                receipt["mid"] = mid
            event = {
                "sender": {"id": psid},
                "recipient": {"id": page_id},
                "timestamp": now * 1000,
                key: receipt,
            }
            self._report(wrap(page_id, now, messaging=[event]), step)

    def _report(self, payload: dict[str, Any], step: int) -> None:
        assert self.reports is not None  # noqa: S101 (the callers checked)
        if not self.reports.url:
            with self._lock:
                self._kept.append(payload)
            return
        due = time.monotonic() + self.reports.delay * step
        self._outgoing.put((due, next(self._order), payload))

    @contextmanager
    def holding_reports(self) -> Iterator[None]:
        """No report is posted inside the block (a test that is still writing holds them);
        those due meanwhile go at its end, in order."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def _post_due(self) -> None:
        while True:
            due, _order, payload = self._outgoing.get()
            if payload is None:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            self._open.wait()
            self._post(payload)

    def _post(self, payload: dict[str, Any]) -> None:
        assert self.reports is not None  # noqa: S101
        raw = replay.body(payload)
        request = urllib.request.Request(  # noqa: S310 (the URL the operator configured)
            self.reports.url,
            data=raw,
            method="POST",
            headers={
                "Content-Type": "application/json",
                replay.SIGNATURE_HEADER: replay.signed(raw, self.reports.app_secret),
            },
        )
        for attempt in range(self.reports.tries):
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    if answer.status == 200:
                        with self._lock:
                            self.reported += 1
                        return
            except (OSError, urllib.error.URLError) as exc:
                logger.warning("graph sandbox: report webhook not taken (%s)", exc)
            time.sleep(min(2**attempt, 10) * self.reports.delay)

    def take_reports(self, batch: int = 200) -> list[dict[str, Any]]:
        """The reports kept (without `Reports.url`), in order, merged as Meta batches them: the
        statuses of one number, the receipts of one page or account, up to `batch` items per
        delivery; emptied."""
        with self._lock:
            kept, self._kept = self._kept, []
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        out: list[dict[str, Any]] = []
        for payload in kept:
            [entry] = payload["entry"]
            if payload["object"] == "whatsapp_business_account":
                value = entry["changes"][0]["value"]
                key = (payload["object"], value["metadata"]["phone_number_id"])
                items = value["statuses"]
            else:
                key = (payload["object"], entry["id"])
                items = entry["messaging"]
            into = merged.get(key)
            if into is None or _items(into) >= batch:
                into = merged[key] = json.loads(json.dumps(payload))
                out.append(into)
                continue
            target = into["entry"][0]
            if payload["object"] == "whatsapp_business_account":
                target["changes"][0]["value"]["statuses"].extend(items)
            else:
                target["messaging"].extend(items)
        return out

    def _comment_reply(self, comment_id: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        if not str(body.get("message") or "").strip():
            return (*error_body(100, "(#100) The parameter message is required"), "json")
        post = comment_id.partition("_")[0]
        return 200, {"id": f"{post}_{secrets.randbelow(10**15)}"}, "json"

    def _moderate(self, body: dict[str, Any]) -> tuple[int, Any, str]:
        if "is_hidden" not in body and "hide" not in body:
            return (*error_body(100, "(#100) No valid field to update"), "json")
        return 200, {"success": True}, "json"


def _items(payload: dict[str, Any]) -> int:
    entry = payload["entry"][0]
    if "changes" in entry:
        return len(entry["changes"][0]["value"].get("statuses", []))
    return len(entry.get("messaging", []))


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _whatsapp_problem(kind: Any, body: dict[str, Any]) -> str:
    """What Meta would refuse in a WhatsApp message body of type `kind`; empty if nothing."""
    content = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(content, dict):
        return f"missing {kind}"
    if kind == "text" and not str(content.get("body") or "").strip():
        return "text.body is empty"
    if kind == "template":
        language = content.get("language")
        if not content.get("name") or not isinstance(language, dict) or not language.get("code"):
            return "template.name and template.language.code are required"
    if kind == "interactive":
        action = content.get("action") or {}
        if content.get("type") == "button":
            buttons = action.get("buttons") or []
            if not 1 <= len(buttons) <= MAX_BUTTONS:
                return f"between 1 and {MAX_BUTTONS} buttons"
        elif content.get("type") == "list":
            rows = [row for s in action.get("sections") or [] for row in s.get("rows") or []]
            if not 1 <= len(rows) <= MAX_ROWS or not action.get("button"):
                return f"between 1 and {MAX_ROWS} rows and a button"
        else:
            return "interactive.type"
        if not str((content.get("body") or {}).get("text") or "").strip():
            return "interactive.body.text is required"
    if kind == "reaction" and not content.get("message_id"):
        return "reaction.message_id is required"
    if kind in MEDIA_TYPES and not (content.get("link") or content.get("id")):
        return f"{kind}.link or {kind}.id is required"
    return ""


def _multipart(raw: bytes, content_type: str) -> tuple[dict[str, str], dict[str, Upload]]:
    """The fields and files of a multipart/form-data body."""
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    if not parsed.is_multipart():
        return fields, files
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True) or b""
        assert isinstance(data, bytes)  # noqa: S101 (a non-multipart part)
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            files[name] = Upload(filename, part.get_content_type(), data)
    return fields, files


class _Handler(BaseHTTPRequestHandler):
    owner: GraphSandbox
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in separate writes: with Nagle's algorithm the body waits
    # for the client's delayed ACK, 40 ms per request on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silent: the tests read `requests`."""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        body: Any = None
        files: dict[str, Upload] = {}
        if raw and "json" in content_type:
            body = _json_or_none(raw.decode("utf-8", "replace"))
        elif raw and content_type.startswith("multipart/form-data"):
            body, files = _multipart(raw, content_type)
        elif raw:
            body = dict(parse_qsl(raw.decode("utf-8", "replace")))
        request = Recorded(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            files=files,
        )
        try:
            status, answer, kind = self.owner.handle(request)
        except Exception as exc:  # a bug of the sandbox: Meta's unknown error, and say which
            status, answer = error_body(1, f"sandbox error: {type(exc).__name__}: {exc}")
            kind = "json"
        if kind == "json":
            data = json.dumps(answer).encode()
            kind = "application/json"
        else:
            data = answer
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve  # noqa: N815
    do_POST = _serve  # noqa: N815
    do_DELETE = _serve  # noqa: N815
