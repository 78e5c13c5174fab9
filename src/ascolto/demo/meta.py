"""The demo city's WhatsApp and social traffic, through Meta's real entry and exit points.

A citizen's message is built as Meta would deliver it (`channels/adapters/meta/replay.py`),
signed with the demo channels' app secret and posted to the webhook
`/webhooks/meta/<channel>/` through Django's URL routing and middleware in this process (a WSGI
request, `django.test.Client`, with the signature check as in production); the webhook stores
the delivery and the real drain (`deliveries.drain_all`) parses it and hands it to intake. The
conversations, identities and the social queue are what that path wrote.

A message the city sends (the assistant's menu, cards and survey; the operators' replies) is
sent to a local Graph server (`channels/adapters/meta/sandbox.py`, started for the generation)
with the Graph client: it is stored as sent ("Inviato") with the id the server gave only when
the server accepted it; the server's status webhooks on it (delivered, then read, as Meta
sends them) are posted through the webhook once the messages are written
(`Traffic.report_statuses`), so "Consegnato" and "Letto" are what the drain applied. The year
is in the past, so the 24-hour window is checked with the message's historical time:
`channels.windows.reply_window(conversation, at=...)`, the rule the outbound adapter applies at
sending time, against the citizen's messages stored so far (the
traffic is replayed in time order, so none is "from the future"). An operator's WhatsApp reply
outside the window goes as the channel's approved template carrying it (what the console offers
then); any other message outside it is stored as failed with the adapter's reason. The outbound
adapter itself is not called because it reads the clock: the demo passes the time instead of
moving it.

The demo channels read their secrets from variables named for the demo only
(`ASCOLTO_DEMO_META_*`); their values here are public placeholders, not Meta secrets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta import replay as meta
from ascolto.channels.adapters.meta.adapter import failure_reason
from ascolto.channels.adapters.meta.graph import (
    GraphClient,
    PermanentGraphError,
    TransientGraphError,
)
from ascolto.channels.adapters.meta.sandbox import DEFAULT_TOKEN, GraphSandbox, Reports
from ascolto.channels.config import whatsapp_templates
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.channels.tasks import drain_inbound
from ascolto.channels.windows import reply_window, window_refusal
from ascolto.core.errors import DomainError
from ascolto.demo import reference as ref
from ascolto.demo.replay import ConversationRow, Outbound
from ascolto.demo.timeline import to_datetime

# The demo channels' variables (named in their configuration, `demo/reference.py`) and values:
# placeholders for the demo, never real secrets.
SECRET_ENV = ref.META_VARIABLES["app_secret_env"]
TOKEN_ENV = ref.META_VARIABLES["access_token_env"]
VERIFY_ENV = ref.META_VARIABLES["verify_token_env"]
DEMO_APP_SECRET = "demo-only-app-secret"  # noqa: S105 (public: the demo's own)
DEMO_VERIFY_TOKEN = "demo-only-verify-token"  # noqa: S105 (public: the demo's own)
GRAPH_PORT = 8765  # where `python -m ascolto demo` serves the local Graph server
TRIES = 3  # a transient Graph error is tried again, as the outbox would
# The approved template an operator sends once the citizen's 24-hour window is closed.
TEMPLATE = "aggiornamento_richiesta"


def environment(graph_url: str) -> dict[str, str]:
    """The variables a demo process needs for Meta's channels: the Graph server's URL and the
    demo channels' app secret, access token and verify token."""
    return {
        "ASCOLTO_META_GRAPH_URL": graph_url,
        SECRET_ENV: DEMO_APP_SECRET,
        TOKEN_ENV: DEFAULT_TOKEN,
        VERIFY_ENV: DEMO_VERIFY_TOKEN,
    }


# Loggers that write a line per delivery or request: thousands of them during a generation.
CHATTY = ("httpx", "django_tasks", "ascolto.channels.intake", "ascolto.channels.adapters.meta")


@contextmanager
def _quiet() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in CHATTY]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def local_meta(channels: dict[str, Channel]) -> Iterator[Traffic]:
    """A local Graph server for the time of the block, with this process's settings and the
    demo channels' variables pointing at it; yields the `Traffic` that uses both ends. The
    per-delivery log lines are silenced meanwhile (warnings still show)."""
    with _quiet():
        with _local_meta(channels) as traffic:
            yield traffic


@contextmanager
def _local_meta(channels: dict[str, Channel]) -> Iterator[Traffic]:
    instagram = {
        str(c.config.get("page_id", ""))
        for c in channels.values()
        if c.kind == Channel.Kind.INSTAGRAM
    }
    # Meta's status webhooks on what the server accepted are kept, and posted by
    # `Traffic.report_statuses` once the messages they are about are written.
    sandbox = GraphSandbox(reports=Reports(instagram_accounts=frozenset(instagram))).start()
    variables = environment(sandbox.url)
    graph_url = variables.pop("ASCOLTO_META_GRAPH_URL")
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        with override_settings(ASCOLTO_META_GRAPH_URL=graph_url):
            traffic = Traffic(sandbox, channels)
            try:
                yield traffic
            finally:
                traffic.close()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        sandbox.stop()


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith("."):
            return host
    return "localhost"


@dataclass
class Sent:
    """What sending one message gave: Meta's id, our status and, when it failed, why."""

    external_id: str
    status: str
    error: str = ""


@dataclass
class Traffic:
    """Posts signed deliveries to the webhook and sends the city's messages to the Graph
    server, counting both."""

    sandbox: GraphSandbox
    channels: dict[str, Channel]
    posted: int = 0
    sent: int = 0
    failed: int = 0
    _client: Client = field(init=False)
    _graph: GraphClient = field(init=False)
    _handles: dict[int, str] = field(default_factory=dict, init=False)
    _deferred: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        self._client = Client(HTTP_HOST=_host())
        # With the immediate task backend the webhook's drain ran before it answered.
        self._deferred = drain_inbound.get_backend().supports_defer
        self._graph = GraphClient(DEFAULT_TOKEN, base_url=self.sandbox.url)

    def close(self) -> None:
        self._graph.close()

    # --- in: signed deliveries to the webhook ----------------------------------------------

    def post(self, channel: Channel, payload: dict[str, Any]) -> None:
        """Post one delivery to the channel's webhook as Meta does (signed raw bytes), then run
        the drain, which takes it in. A refusal is a bug of the demo: it stops the generation."""
        raw = meta.body(payload)
        response = self._client.post(
            reverse("meta-webhook", args=[channel.code]),
            raw,
            content_type="application/json",
            headers={meta.SIGNATURE_HEADER: meta.signed(raw, DEMO_APP_SECRET)},
            secure=True,
        )
        if response.status_code != 200:
            raise DomainError(
                f"the Meta webhook refused a demo delivery: HTTP {response.status_code} "
                f"{response.content[:200]!r}"
            )
        if self._deferred:  # the webhook queued the drain for a worker: run it here
            deliveries.drain_all()
        self.posted += 1

    def whatsapp_many(self, messages: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Citizens' WhatsApp messages (`meta.wa_text` / `meta.wa_interactive`), each with its
        sender's number and profile name, in one delivery as Meta batches them."""
        channel = self.channels["whatsapp"]
        config = channel.config
        contacts = {number: meta.wa_contact(number, name) for number, name, _m in messages}
        self.post(
            channel,
            meta.whatsapp(
                str(config["phone_number_id"]),
                display_phone_number=str(config.get("display_phone_number", "")),
                messages=[message for _n, _name, message in messages],
                contacts=list(contacts.values()),
            ),
        )

    def report_statuses(self) -> int:
        """Post the status webhooks the Graph server kept for the messages it accepted
        (delivered, then read; batched per number or page as Meta batches them) through the
        webhook, and drain them: the replies stored so far show "Letto" as Meta would have
        reported. Call it once the messages are written. Returns the deliveries posted."""
        channel = self.channels["whatsapp"]  # any URL of the app: entries route themselves
        reports = self.sandbox.take_reports()
        for payload in reports:
            self.post(channel, payload)
        deliveries.apply_pending()  # any the drain kept for a message written meanwhile
        return len(reports)

    @staticmethod
    def conversation_of(channel: Channel, external_id: str) -> Conversation:
        """The conversation intake threaded the message `external_id` into."""
        return (
            Message.objects.select_related("conversation")
            .get(channel=channel, external_id=external_id)
            .conversation
        )

    # --- out: the city's messages to the Graph server ----------------------------------------

    def deliver(
        self,
        channel: Channel,
        conversation_id: int,
        identity_id: int,
        unbounded: str,
        at: int,
        send: Callable[[GraphClient, str], str],
    ) -> Sent:
        """Send one message at its historical time `at`: refused without calling the server
        when the citizen's messaging window was closed then (a comment thread has none, nor an
        approved template: `unbounded`), else `send(graph, recipient)`; a transient error is
        tried again, a permanent one fails the message with its reason."""
        if not unbounded:
            window = reply_window(
                Conversation(pk=conversation_id, channel=channel, identity_id=identity_id),
                at=to_datetime(at),
            )
            if window is not None and not window.is_open:
                self.failed += 1
                return Sent("", Message.Status.FAILED, f"Non inviato: {window_refusal(window)}.")
        recipient = self._recipient(identity_id)
        for attempt in range(TRIES):
            try:
                external_id = send(self._graph, recipient)
            except TransientGraphError:
                if attempt == TRIES - 1:
                    raise
                continue
            except PermanentGraphError as exc:
                self.failed += 1
                return Sent("", Message.Status.FAILED, failure_reason(exc))
            self.sent += 1
            return Sent(external_id, Message.Status.SENT)
        raise AssertionError("unreachable")  # pragma: no cover

    def reply(self, conversation: ConversationRow, at: int, text: str) -> Outbound:
        """An operator's reply on a case's conversation (`Replay.outbound`): on WhatsApp a
        text, or, once the 24-hour window is closed, the channel's approved template
        `TEMPLATE` carrying it (what the console offers then); on a comment thread a public
        reply under its first comment; on Messenger and Instagram Direct a message through the
        Send API."""
        channel = conversation.channel
        thread = conversation.external_thread_id
        send: Callable[[GraphClient, str], str]
        if channel.kind == Channel.Kind.WHATSAPP:
            phone_number_id = str(channel.config["phone_number_id"])
            stored = Conversation(
                pk=conversation.id, channel=channel, identity_id=conversation.identity_id
            )
            window = reply_window(stored, at=to_datetime(at))
            template = next(
                (t for t in whatsapp_templates(channel.config) if t.name == TEMPLATE), None
            )
            if window is not None and not window.is_open and template is not None:
                since = (
                    timezone.localtime(window.last_inbound_at) if window.last_inbound_at else None
                )
                parameters = [
                    f"del {since:%d/%m/%Y}" if since else "",
                    " ".join(text.split())[:1000].rstrip(". "),  # the body ends with a stop
                ]
                sent = self.deliver(
                    channel,
                    conversation.id,
                    conversation.identity_id,
                    TEMPLATE,  # a template may go with the window closed
                    at,
                    lambda graph, to: graph.send_template(
                        phone_number_id, to, template.name, template.language, parameters
                    ),
                )
                raw = {
                    "template": {
                        "name": template.name,
                        "language": template.language,
                        "parameters": parameters,
                    }
                }
                return Outbound(
                    sent.external_id, sent.status, sent.error, template.render(parameters), raw
                )
            send = lambda graph, to: graph.send_text(phone_number_id, to, text)  # noqa: E731
        elif thread:
            instagram = channel.kind == Channel.Kind.INSTAGRAM
            send = lambda graph, _to: graph.reply_to_comment(thread, text, instagram=instagram)  # noqa: E731
        else:
            page_id = str(channel.config["page_id"])
            send = lambda graph, to: graph.send_page_text(page_id, to, text)  # noqa: E731
        sent = self.deliver(channel, conversation.id, conversation.identity_id, thread, at, send)
        return Outbound(sent.external_id, sent.status, sent.error)

    def _recipient(self, identity_id: int) -> str:
        handle = self._handles.get(identity_id)
        if handle is None:
            from ascolto.citizens.models import Identity

            handle = self._handles[identity_id] = Identity.objects.get(pk=identity_id).value
        return handle

    def store(
        self,
        conversation: Conversation,
        at: int,
        text: str,
        sent: Sent,
        *,
        raw: dict[str, Any] | None = None,
    ) -> Message:
        """The outbound message as the outbox leaves it after sending (its time the
        historical one), and the conversation's last message time."""
        when = to_datetime(at)
        message = Message.objects.create(
            conversation=conversation,
            channel_id=conversation.channel_id,
            external_id=sent.external_id,
            direction=Message.Direction.OUTBOUND,
            text=text,
            sent_at=when,
            status=sent.status,
            attempts=1,
            last_error=sent.error[:500],
            raw=raw,
        )
        Conversation.objects.filter(pk=conversation.pk, last_message_at__lt=when).update(
            last_message_at=when
        )
        return message

    def send_text(self, conversation: Conversation, at: int, text: str) -> Message:
        """The assistant's text on WhatsApp."""
        phone_number_id = str(conversation.channel.config["phone_number_id"])
        sent = self.deliver(
            conversation.channel,
            conversation.pk,
            conversation.identity_id,
            "",
            at,
            lambda graph, to: graph.send_text(phone_number_id, to, text),
        )
        return self.store(conversation, at, text, sent)

    def send_list(
        self,
        conversation: Conversation,
        at: int,
        text: str,
        button: str,
        rows: list[tuple[str, str]],
    ) -> Message:
        """The assistant's message with a list of choices on WhatsApp (the survey)."""
        from ascolto.channels.adapters.meta.graph import Row

        phone_number_id = str(conversation.channel.config["phone_number_id"])
        sent = self.deliver(
            conversation.channel,
            conversation.pk,
            conversation.identity_id,
            "",
            at,
            lambda graph, to: graph.send_list(
                phone_number_id, to, text, button, [("", [Row(i, t, "") for i, t in rows])]
            ),
        )
        raw = {
            "interactive": {
                "type": "list",
                "body": text,
                "button": button,
                "choices": [[i, t, ""] for i, t in rows],
            }
        }
        return self.store(conversation, at, text, sent, raw=raw)
