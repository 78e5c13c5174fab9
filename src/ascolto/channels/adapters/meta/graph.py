"""The Graph API client of Meta's channels: WhatsApp Cloud API messages (text, templates,
interactive buttons and lists, reactions, media, read receipts), media uploads and downloads,
the Messenger and Instagram Send API (replies, attachments uploaded through the Attachment
Upload API, private replies to a comment), public replies to comments
and their moderation (hide) on Facebook and Instagram.

Its base URL, with the API version, is `ASCOLTO_META_GRAPH_URL` (Meta's, or the local sandbox
of `sandbox.py` in the tests and the demo); its token is the channel's, read by
`channels.config.secret(config["access_token_env"])`.

Every failure becomes a `GraphError` carrying Meta's code and message, split in two:
`TransientGraphError` (5xx, timeouts and connection errors, rate limits, Meta's
`is_transient`), worth trying again later; `PermanentGraphError` (131047 window closed, 100
invalid parameter, 190 invalid token, any other 4xx), which trying again cannot fix.

Why httpx and not pywa: pywa (which C3 of the protocols note recommends for parsing WhatsApp
webhooks, and whose client accepts a `base_url`) covers the WhatsApp Cloud API only, with its
own exception hierarchy. This client must speak four Graph products (WhatsApp, the Messenger
and Instagram Send API, Facebook and Instagram comments) with one error model and one capped
media download; one small client over httpx (pywa's own HTTP library) does all of them alike,
and its request bodies are the documented ones the sandbox tests check field by field. Its
JSON calls (every message sent) go over the standard library's `http.client` instead, a
quarter of the CPU (`_JsonTransport`); uploads and downloads stay on httpx.
"""

from __future__ import annotations

import http.client
import json
import mimetypes
import select
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from django.conf import settings

from ascolto.channels.config import secret

if TYPE_CHECKING:
    import httpx

    from ascolto.channels.models import Channel

# Seconds to connect and to read. httpx (5 MiB with its command line's libraries) is imported by
# the first upload or download, not by every web worker nor for the JSON calls (issue 19).
CONNECT_SECONDS = 5.0
READ_SECONDS = 15.0


def _timeout(timeout: httpx.Timeout | None) -> httpx.Timeout:
    import httpx

    return timeout or httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)


MAX_BUTTONS = 3  # WhatsApp reply buttons per message
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10  # rows of an interactive list, over all its sections
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_TEXT = 4096  # a WhatsApp text body
MAX_PAGE_TEXT = 2000  # a Messenger or Instagram message
# Graph error codes a later try may get past: unknown/temporary errors, throttling.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131016, 131056})
TRANSIENT_CODES |= frozenset({133004})
WINDOW_CLOSED = 131047
INVALID_PARAMETER = 100
INVALID_TOKEN = 190


class GraphError(Exception):
    """A Graph API call failed: Meta's `code` (0 without one), its message, the HTTP status."""

    transient = False

    def __init__(self, message: str, *, code: int = 0, status: int = 0, details: str = "") -> None:
        super().__init__(f"({code}) {message}" if code else message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details


class TransientGraphError(GraphError):
    """A failure a later try may get past (Meta down, a timeout, a rate limit)."""

    transient = True


class PermanentGraphError(GraphError):
    """A failure trying again cannot fix (window closed, invalid parameter, invalid token)."""


def error_from_response(response: httpx.Response) -> GraphError:
    """The `GraphError` of a failed Graph response (Meta's error JSON when there is one)."""
    return error_from(response.status_code, response.content)


def error_from(status: int, body: bytes) -> GraphError:
    """The `GraphError` of a failed Graph answer with HTTP `status` and `body`."""
    try:
        answer = json.loads(body)
        error = answer.get("error") if isinstance(answer, dict) else None
    except ValueError:
        error = None
    if not isinstance(error, dict):
        message = f"HTTP {status}"
        kind = TransientGraphError if status >= 500 else PermanentGraphError
        if status == 429:
            kind = TransientGraphError
        return kind(message, status=status)
    code = int(error.get("code") or 0)
    details = str((error.get("error_data") or {}).get("details") or "")
    transient = (
        status >= 500 or status == 429 or code in TRANSIENT_CODES or bool(error.get("is_transient"))
    ) and code not in (WINDOW_CLOSED, INVALID_PARAMETER, INVALID_TOKEN)
    kind = TransientGraphError if transient else PermanentGraphError
    message = str(error.get("message") or f"HTTP {status}")[:300]
    return kind(message, code=code, status=status, details=details[:300])


class _JsonTransport:
    """The JSON calls of a `GraphClient` (every send), over the standard library's
    `http.client`: one kept-alive connection per thread and host. The uploads and downloads go
    through httpx. Measured on the 2-core machine against the local Graph server, a message
    sent costs the sending thread 0.26 ms of CPU this way and 0.97 ms through `httpx.Client`
    (0.61 through httpcore alone): the assistant sends one or two a turn, at hundreds of turns
    a second (`benchmarks/chatbot.py`). No redirect is followed (as the httpx client); a
    request is never sent twice: a kept-alive connection the server closed is noticed before
    the request goes (its socket reads as closed), and a failure after that raises."""

    def __init__(self, token: str, timeout: httpx.Timeout | None) -> None:
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "ascolto",
        }
        if timeout is None:
            self._connect, self._read = CONNECT_SECONDS, READ_SECONDS
        else:
            self._connect = timeout.connect or timeout.read or READ_SECONDS
            self._read = timeout.read or timeout.connect or READ_SECONDS
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def request(self, method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection = self._connection(parts.scheme, parts.netloc)
        try:
            connection.request(method, target, body=body, headers=self._headers)
            response = connection.getresponse()
            content = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        return response.status, content

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        connections: dict[tuple[str, str], http.client.HTTPConnection] = (
            getattr(self._local, "connections", None) or {}
        )
        self._local.connections = connections
        connection = connections.get((scheme, netloc))
        if connection is not None and connection.sock is not None and _closed(connection.sock):
            connection.close()  # the server closed it while it was idle: connect again
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(netloc, timeout=self._connect)
            elif scheme == "http":
                connection = http.client.HTTPConnection(netloc, timeout=self._connect)
            else:
                raise http.client.InvalidURL(f"not an HTTP address: {scheme}://{netloc}")
            connections[(scheme, netloc)] = connection
            with self._lock:
                self._all.append(connection)
        if connection.sock is None:
            connection.connect()
            sock = cast("socket.socket", connection.sock)  # connect() set it
            sock.settimeout(self._read)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()


def _closed(sock: socket.socket) -> bool:
    """Whether an idle kept-alive socket was closed by the server (it reads as ready: EOF)."""
    try:
        ready, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)


@dataclass(frozen=True)
class Media:
    """A downloaded media file."""

    data: bytes
    mime_type: str
    name: str


@dataclass(frozen=True)
class Row:
    """One row of an interactive list."""

    id: str
    title: str
    description: str = ""


class GraphClient:
    """Calls to the Graph API with one access token (a WhatsApp number's or a Page's)."""

    def __init__(
        self, token: str, *, base_url: str | None = None, timeout: httpx.Timeout | None = None
    ) -> None:
        if not token:
            raise PermanentGraphError("no access token configured", code=INVALID_TOKEN)
        self.base_url = (base_url or settings.ASCOLTO_META_GRAPH_URL).rstrip("/")
        self._token = token
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._json = _JsonTransport(token, timeout)

    @property
    def _http(self) -> httpx.Client:
        """The httpx client of the uploads and downloads, made by the first."""
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=_timeout(self._timeout),
                headers={"Authorization": f"Bearer {self._token}"},
                follow_redirects=False,
            )
        return self._client

    @classmethod
    def for_channel(cls, channel: Channel) -> GraphClient:
        """The client of a WhatsApp, Messenger, Facebook or Instagram channel: its token is in
        the variable its configuration names (`access_token_env`)."""
        env_name = str(channel.config.get("access_token_env") or "")
        token = secret(env_name)
        if not token:
            raise PermanentGraphError(
                f"the access token variable {env_name or '(none)'} is not set",
                code=INVALID_TOKEN,
            )
        return cls(token)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._json.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        body = None if payload is None else json.dumps(payload).encode()
        try:
            status, content = self._json.request(method, url, body)
        except TimeoutError as exc:
            raise TransientGraphError(f"timeout: {type(exc).__name__}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TransientGraphError(f"connection failed: {type(exc).__name__}") from exc
        if status >= 400:
            raise error_from(status, content)
        try:
            return json.loads(content)
        except ValueError as exc:
            raise TransientGraphError("the answer is not JSON", status=status) from exc

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._call("POST", path, payload)

    def upload(
        self, path: str, fields: dict[str, str], name: str, file: tuple[str, bytes, str]
    ) -> Any:
        """POST a multipart form: `fields`, and the file `(filename, bytes, type)` as `name`."""
        import httpx

        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = self._http.post(url, data=fields, files={name: file})
        except httpx.TimeoutException as exc:
            raise TransientGraphError(f"timeout: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise TransientGraphError(f"connection failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        try:
            return response.json()
        except ValueError as exc:
            raise TransientGraphError(
                "the answer is not JSON", status=response.status_code
            ) from exc

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    # --- WhatsApp ------------------------------------------------------------------------------

    def send_whatsapp(self, phone_number_id: str, to: str, kind: str, content: Any) -> str:
        """Send a WhatsApp message of type `kind` to `to` (a number, '+' optional, or a
        business-scoped user id like `IT.1349...`); return its wamid."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if "." in to:  # a BSUID: Meta's `recipient` field (not `to`, which takes numbers)
            body["recipient"] = to
        else:
            body["to"] = to.lstrip("+")
        body["type"] = kind
        body[kind] = content
        answer = self.post(f"{phone_number_id}/messages", body)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise TransientGraphError("the answer carries no message id") from exc

    def send_text(
        self, phone_number_id: str, to: str, text: str, *, preview_url: bool = False
    ) -> str:
        if not text.strip() or len(text) > MAX_TEXT:
            raise PermanentGraphError(f"a text of 1 to {MAX_TEXT} characters", code=100)
        return self.send_whatsapp(
            phone_number_id, to, "text", {"body": text, "preview_url": preview_url}
        )

    def send_template(
        self,
        phone_number_id: str,
        to: str,
        name: str,
        language: str,
        parameters: Sequence[str] = (),
    ) -> str:
        """Send the approved template `name` in `language` (e.g. `it`), its body's {{1}}..
        placeholders filled with `parameters` in order."""
        content: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            content["components"] = [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": str(p)} for p in parameters],
                }
            ]
        return self.send_whatsapp(phone_number_id, to, "template", content)

    def send_buttons(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        buttons: Sequence[tuple[str, str]],
        *,
        header: str = "",
        footer: str = "",
    ) -> str:
        """Send `body` with up to 3 reply buttons, each `(id, title)` (title ≤ 20 characters);
        the citizen's tap comes back as an `interactive.button_reply` with that id."""
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            raise PermanentGraphError(f"between 1 and {MAX_BUTTONS} buttons", code=100)
        content: dict[str, Any] = {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": bid, "title": title[:MAX_BUTTON_TITLE]}}
                    for bid, title in buttons
                ]
            },
        }
        _header_footer(content, header, footer)
        return self.send_whatsapp(phone_number_id, to, "interactive", content)

    def send_list(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        button: str,
        sections: Sequence[tuple[str, Sequence[Row]]],
        *,
        header: str = "",
        footer: str = "",
    ) -> str:
        """Send `body` with a list opened by `button`: sections `(title, rows)`, at most 10
        rows in all; the citizen's choice comes back as an `interactive.list_reply`."""
        count = sum(len(rows) for _title, rows in sections)
        if not 1 <= count <= MAX_ROWS:
            raise PermanentGraphError(f"between 1 and {MAX_ROWS} rows", code=100)
        content: dict[str, Any] = {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": button[:MAX_BUTTON_TITLE],
                "sections": [
                    {
                        **({"title": title[:MAX_ROW_TITLE]} if title else {}),
                        "rows": [_row(r) for r in rows],
                    }
                    for title, rows in sections
                ],
            },
        }
        _header_footer(content, header, footer)
        return self.send_whatsapp(phone_number_id, to, "interactive", content)

    def send_reaction(self, phone_number_id: str, to: str, message_id: str, emoji: str) -> str:
        return self.send_whatsapp(
            phone_number_id, to, "reaction", {"message_id": message_id, "emoji": emoji}
        )

    def send_media(
        self,
        phone_number_id: str,
        to: str,
        kind: str,
        *,
        link: str = "",
        media_id: str = "",
        caption: str = "",
        filename: str = "",
    ) -> str:
        """Send an image, document, audio, video or sticker by public `link` or uploaded
        `media_id`."""
        if kind not in ("image", "document", "audio", "video", "sticker") or not (link or media_id):
            raise PermanentGraphError("a media kind and a link or a media id", code=100)
        content: dict[str, Any] = {"link": link} if link else {"id": media_id}
        if caption and kind in ("image", "document", "video"):
            content["caption"] = caption
        if filename and kind == "document":
            content["filename"] = filename
        return self.send_whatsapp(phone_number_id, to, kind, content)

    def upload_media(self, phone_number_id: str, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file to WhatsApp (`/<phone_number_id>/media`, multipart); return its media
        id, for `send_media(media_id=...)`."""
        answer = self.upload(
            f"{phone_number_id}/media",
            {"messaging_product": "whatsapp", "type": mime_type},
            "file",
            (filename, data, mime_type),
        )
        if not isinstance(answer, dict) or not answer.get("id"):
            raise TransientGraphError("the answer carries no media id")
        return str(answer["id"])

    def mark_read(self, phone_number_id: str, message_id: str) -> None:
        """Tell the citizen their message `message_id` (a wamid) was read: the blue ticks."""
        self.post(
            f"{phone_number_id}/messages",
            {"messaging_product": "whatsapp", "status": "read", "message_id": message_id},
        )

    def download_media(self, media_id: str, *, max_bytes: int | None = None) -> Media:
        """The bytes, MIME type and a file name of the media `media_id`, refused (permanently)
        above `max_bytes` (default `ASCOLTO_META_MEDIA_MAX_BYTES`) before or while reading."""
        cap = max_bytes if max_bytes is not None else settings.ASCOLTO_META_MEDIA_MAX_BYTES
        info = self.get(media_id)
        if not isinstance(info, dict) or not info.get("url"):
            raise PermanentGraphError("the media has no URL", code=100)
        size = int(info.get("file_size") or 0)
        if size > cap:
            raise PermanentGraphError(f"the media is larger than {cap} bytes", code=100)
        mime_type = str(info.get("mime_type") or "application/octet-stream").split(";")[0]
        data, _type = _read_capped(self._http, str(info["url"]), cap)
        extension = mimetypes.guess_extension(mime_type) or ".bin"
        return Media(data, mime_type, f"{media_id}{extension}")

    # --- Messenger and Instagram Direct ------------------------------------------------------

    def send_page_text(self, page_id: str, recipient_id: str, text: str, *, tag: str = "") -> str:
        """Send `text` to `recipient_id` (a Page- or Instagram-scoped id) through the Send API;
        return its mid. Inside the 24-hour window it is a RESPONSE; with `tag` (HUMAN_AGENT, up
        to 7 days after the citizen's last message) a MESSAGE_TAG."""
        if not text.strip() or len(text) > MAX_PAGE_TEXT:
            raise PermanentGraphError(f"a text of 1 to {MAX_PAGE_TEXT} characters", code=100)
        body: dict[str, Any] = {
            "recipient": {"id": recipient_id},
            "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
            "message": {"text": text},
        }
        if tag:
            body["tag"] = tag
        return _mid(self.post(f"{page_id}/messages", body))

    def upload_page_attachment(
        self,
        page_id: str,
        kind: str,
        data: bytes,
        mime_type: str,
        filename: str,
        *,
        instagram: bool = False,
    ) -> str:
        """Upload a file through the Attachment Upload API (`/<page_id>/message_attachments`,
        multipart `message` and `filedata`; `platform=instagram` for Instagram Direct) as an
        `image` or a `file`; return its attachment id, for `send_page_attachment`."""
        fields = {
            "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": False}}})
        }
        if instagram:
            fields["platform"] = "instagram"
        answer = self.upload(
            f"{page_id}/message_attachments", fields, "filedata", (filename, data, mime_type)
        )
        if not isinstance(answer, dict) or not answer.get("attachment_id"):
            raise TransientGraphError("the answer carries no attachment id")
        return str(answer["attachment_id"])

    def send_page_attachment(
        self, page_id: str, recipient_id: str, kind: str, attachment_id: str, *, tag: str = ""
    ) -> str:
        """Send an uploaded attachment (`upload_page_attachment`) through the Send API, like
        `send_page_text`; return its mid."""
        body: dict[str, Any] = {
            "recipient": {"id": recipient_id},
            "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
            "message": {"attachment": {"type": kind, "payload": {"attachment_id": attachment_id}}},
        }
        if tag:
            body["tag"] = tag
        return _mid(self.post(f"{page_id}/messages", body))

    def private_reply(self, page_id: str, comment_id: str, text: str) -> str:
        """Answer the author of the comment `comment_id` privately (Messenger for a Facebook
        comment, Instagram Direct for an Instagram one); Meta allows one, within 7 days."""
        if not text.strip() or len(text) > MAX_PAGE_TEXT:
            raise PermanentGraphError(f"a text of 1 to {MAX_PAGE_TEXT} characters", code=100)
        body = {"recipient": {"comment_id": comment_id}, "message": {"text": text}}
        return _mid(self.post(f"{page_id}/messages", body))

    # --- comments ------------------------------------------------------------------------------

    def reply_to_comment(self, comment_id: str, text: str, *, instagram: bool = False) -> str:
        """Answer the comment publicly, under it; return the reply's id."""
        if not text.strip():
            raise PermanentGraphError("an empty reply", code=100)
        edge = "replies" if instagram else "comments"
        answer = self.post(f"{comment_id}/{edge}", {"message": text})
        if not isinstance(answer, dict) or not answer.get("id"):
            raise TransientGraphError("the answer carries no comment id")
        return str(answer["id"])

    def hide_comment(
        self, comment_id: str, *, instagram: bool = False, hidden: bool = True
    ) -> None:
        """Hide (or show again) the comment: seen then only by its author and their friends."""
        field = "hide" if instagram else "is_hidden"
        answer = self.post(comment_id, {field: hidden})
        if not isinstance(answer, dict) or not answer.get("success"):
            raise TransientGraphError("the comment was not updated")


def download_url(
    url: str, *, max_bytes: int | None = None, timeout: httpx.Timeout | None = None
) -> Media:
    """A Messenger or Instagram attachment, named by the URL of Meta's CDN that the webhook
    carried: fetched WITHOUT the access token (the URL is signed by itself; a token must never
    go to a host named by a payload), refused above `max_bytes` (default
    `ASCOLTO_META_MEDIA_MAX_BYTES`). An expired or unknown URL (4xx) is permanent."""
    cap = max_bytes if max_bytes is not None else settings.ASCOLTO_META_MEDIA_MAX_BYTES
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentGraphError("the attachment has no web address", code=INVALID_PARAMETER)
    import httpx

    with httpx.Client(timeout=_timeout(timeout), follow_redirects=True, max_redirects=3) as client:
        data, mime_type = _read_capped(client, url, cap)
    name = PurePosixPath(urlsplit(url).path).name
    return Media(data, mime_type or "application/octet-stream", name)


def _read_capped(client: httpx.Client, url: str, cap: int) -> tuple[bytes, str]:
    """The body of a GET of `url` and its content type, refused (permanently) above `cap`."""
    import httpx

    chunks: list[bytes] = []
    read = 0
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                raise error_from_response(response)
            if int(response.headers.get("content-length") or 0) > cap:
                raise PermanentGraphError(f"the media is larger than {cap} bytes", code=100)
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > cap:
                    raise PermanentGraphError(f"the media is larger than {cap} bytes", code=100)
                chunks.append(chunk)
            mime_type = response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.TimeoutException as exc:
        raise TransientGraphError(f"timeout: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        raise TransientGraphError(f"connection failed: {type(exc).__name__}") from exc
    return b"".join(chunks), mime_type


def _mid(answer: Any) -> str:
    if not isinstance(answer, dict) or not answer.get("message_id"):
        raise TransientGraphError("the answer carries no message id")
    return str(answer["message_id"])


def _row(row: Row) -> dict[str, str]:
    out = {"id": row.id, "title": row.title[:MAX_ROW_TITLE]}
    if row.description:
        out["description"] = row.description[:MAX_ROW_DESCRIPTION]
    return out


def _header_footer(content: dict[str, Any], header: str, footer: str) -> None:
    if header:
        content["header"] = {"type": "text", "text": header[:60]}
    if footer:
        content["footer"] = {"text": footer[:60]}
