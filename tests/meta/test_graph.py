"""The Graph API client against the local Graph server, over real HTTP: each call's request
(path, token, body) as the sandbox recorded it, its answer, and Meta's errors split into
transient and permanent."""

from __future__ import annotations

import json
import socketserver
import threading
import time

import httpx
import pytest

from ascolto.channels.adapters.meta.graph import (
    GraphClient,
    PermanentGraphError,
    Row,
    TransientGraphError,
)
from ascolto.channels.adapters.meta.sandbox import GraphSandbox

PHONE_ID = "1234567890"
PAGE_ID = "555000111"


@pytest.fixture
def client(graph_sandbox: GraphSandbox) -> GraphClient:
    return GraphClient(graph_sandbox.token)


def test_text_goes_to_the_phone_number_with_the_token(
    graph_sandbox: GraphSandbox, client: GraphClient
) -> None:
    wamid = client.send_text(PHONE_ID, "+393331234567", "Buongiorno, la pratica è aperta.")

    assert wamid.startswith("wamid.")
    request = graph_sandbox.last()
    assert request.method == "POST"
    assert request.path == f"/v23.0/{PHONE_ID}/messages"
    assert request.authorization == f"Bearer {graph_sandbox.token}"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "393331234567",
        "type": "text",
        "text": {"body": "Buongiorno, la pratica è aperta.", "preview_url": False},
    }


def test_a_business_scoped_user_id_is_the_recipient(
    graph_sandbox: GraphSandbox, client: GraphClient
) -> None:
    client.send_text(PHONE_ID, "IT.13491208655302741918", "Ciao")
    body = graph_sandbox.last().body
    assert body["recipient"] == "IT.13491208655302741918"
    assert "to" not in body


def test_template_carries_its_parameters_in_order(
    graph_sandbox: GraphSandbox, client: GraphClient
) -> None:
    client.send_template(PHONE_ID, "393331234567", "aggiornamento_pratica", "it", ["MI-1", "ok"])
    assert graph_sandbox.last().body["template"] == {
        "name": "aggiornamento_pratica",
        "language": {"code": "it"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "MI-1"}, {"type": "text", "text": "ok"}],
            }
        ],
    }


def test_buttons_and_lists(graph_sandbox: GraphSandbox, client: GraphClient) -> None:
    client.send_buttons(
        PHONE_ID, "393331234567", "Ti è stato utile?", [("si", "Sì"), ("no", "No")], footer="Comune"
    )
    interactive = graph_sandbox.last().body["interactive"]
    assert interactive["type"] == "button"
    assert interactive["action"]["buttons"][1] == {
        "type": "reply",
        "reply": {"id": "no", "title": "No"},
    }
    assert interactive["footer"] == {"text": "Comune"}

    rows = [Row(f"t{i}", f"Tema {i}", "descrizione") for i in range(10)]
    client.send_list(PHONE_ID, "393331234567", "Di cosa si tratta?", "Scegli", [("Temi", rows)])
    interactive = graph_sandbox.last().body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Scegli"
    assert len(interactive["action"]["sections"][0]["rows"]) == 10

    with pytest.raises(PermanentGraphError):
        client.send_buttons(PHONE_ID, "393331234567", "x", [("a", "A")] * 4)
    with pytest.raises(PermanentGraphError):
        client.send_list(PHONE_ID, "393331234567", "x", "Scegli", [("", [Row("a", "A")] * 11)])
    assert len(graph_sandbox.requests) == 2  # the refused ones never left


def test_reaction_media_and_read_receipt(graph_sandbox: GraphSandbox, client: GraphClient) -> None:
    client.send_reaction(PHONE_ID, "393331234567", "wamid.IN1", "👍")
    assert graph_sandbox.last().body["reaction"] == {"message_id": "wamid.IN1", "emoji": "👍"}
    client.send_media(
        PHONE_ID, "393331234567", "document", link="https://x.example/a.pdf", filename="a.pdf"
    )
    assert graph_sandbox.last().body["document"] == {
        "link": "https://x.example/a.pdf",
        "filename": "a.pdf",
    }
    graph_sandbox.add_media("998877", b"\x89PNG", "image/png")  # Meta knows only its uploads
    client.send_media(PHONE_ID, "393331234567", "image", media_id="998877", caption="foto")
    assert graph_sandbox.last().body["image"] == {"id": "998877", "caption": "foto"}

    client.mark_read(PHONE_ID, "wamid.IN1")
    assert graph_sandbox.last().body == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN1",
    }


def test_media_download_and_its_cap(graph_sandbox: GraphSandbox, client: GraphClient) -> None:
    graph_sandbox.add_media("4455", b"%PDF-1.7 tiny", "application/pdf")
    media = client.download_media("4455")
    assert (media.data, media.mime_type, media.name) == (
        b"%PDF-1.7 tiny",
        "application/pdf",
        "4455.pdf",
    )
    # The bytes' URL is asked with the token too, as Meta's requires.
    assert graph_sandbox.last().path == "/media/4455"
    assert graph_sandbox.last().authorization == f"Bearer {graph_sandbox.token}"

    with pytest.raises(PermanentGraphError, match="larger"):
        client.download_media("4455", max_bytes=5)
    with pytest.raises(PermanentGraphError) as unknown:
        client.download_media("nope")
    assert unknown.value.code == 100


def test_messenger_and_instagram_send_api(graph_sandbox: GraphSandbox, client: GraphClient) -> None:
    mid = client.send_page_text(PAGE_ID, "6789012345", "Ecco la risposta")
    assert mid.startswith("m_")
    request = graph_sandbox.last()
    assert request.path == f"/v23.0/{PAGE_ID}/messages"
    assert request.body == {
        "recipient": {"id": "6789012345"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Ecco la risposta"},
    }
    client.send_page_text(PAGE_ID, "6789012345", "Dopo un giorno", tag="HUMAN_AGENT")
    assert graph_sandbox.last().body["messaging_type"] == "MESSAGE_TAG"
    assert graph_sandbox.last().body["tag"] == "HUMAN_AGENT"

    client.private_reply(PAGE_ID, "111_222", "Ti scriviamo in privato")
    assert graph_sandbox.last().body == {
        "recipient": {"comment_id": "111_222"},
        "message": {"text": "Ti scriviamo in privato"},
    }


def test_comment_replies_and_hiding(graph_sandbox: GraphSandbox, client: GraphClient) -> None:
    assert client.reply_to_comment("111_222", "Grazie della segnalazione")
    assert graph_sandbox.last().path == "/v23.0/111_222/comments"
    assert graph_sandbox.last().body == {"message": "Grazie della segnalazione"}
    assert client.reply_to_comment("17890", "Grazie", instagram=True)
    assert graph_sandbox.last().path == "/v23.0/17890/replies"

    client.hide_comment("111_222")
    assert (graph_sandbox.last().path, graph_sandbox.last().body) == (
        "/v23.0/111_222",
        {"is_hidden": True},
    )
    client.hide_comment("17890", instagram=True)
    assert graph_sandbox.last().body == {"hide": True}


@pytest.mark.parametrize(
    ("failure", "kind", "code"),
    [
        ({"status": 500}, TransientGraphError, 1),
        ({"code": 130429}, TransientGraphError, 130429),
        ({"code": 131047}, PermanentGraphError, 131047),
        ({"code": 100}, PermanentGraphError, 100),
        ({"code": 190}, PermanentGraphError, 190),
    ],
)
def test_errors_carry_metas_code_and_whether_to_retry(
    graph_sandbox: GraphSandbox,
    client: GraphClient,
    failure: dict[str, int],
    kind: type[Exception],
    code: int,
) -> None:
    graph_sandbox.fail_next(1, **failure)
    with pytest.raises(kind) as raised:
        client.send_text(PHONE_ID, "393331234567", "Ciao")
    assert raised.value.code == code  # type: ignore[attr-defined]
    # The failure was used up: the next call goes through.
    assert client.send_text(PHONE_ID, "393331234567", "Ciao").startswith("wamid.")


def test_a_wrong_token_is_refused(graph_sandbox: GraphSandbox) -> None:
    with pytest.raises(PermanentGraphError) as raised:
        GraphClient("not-the-token").send_text(PHONE_ID, "393331234567", "Ciao")
    assert raised.value.code == 190


def test_an_unreachable_server_is_transient(graph_sandbox: GraphSandbox) -> None:
    closed = GraphClient(
        graph_sandbox.token,
        base_url="http://127.0.0.1:9/v23.0",
        timeout=httpx.Timeout(2.0),
    )
    with pytest.raises(TransientGraphError):
        closed.send_text(PHONE_ID, "393331234567", "Ciao")


def test_a_kept_alive_connection_the_server_closed_is_replaced_and_nothing_is_sent_twice() -> None:
    # A server that answers each request on a connection, then closes it (as an idle timeout
    # of Meta's front end would, between two sends).
    received: list[bytes] = []

    class OneAndClose(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline()
            length = 0
            while (header := self.rfile.readline()) not in (b"\r\n", b""):
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            received.append(line + self.rfile.read(length))
            body = json.dumps({"messages": [{"id": f"wamid.{len(received)}"}]}).encode()
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            self.wfile.flush()
            time.sleep(0.05)  # the connection is closed after the answer, keep-alive or not

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), OneAndClose)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = GraphClient("token", base_url=f"http://127.0.0.1:{server.server_address[1]}/v23.0")
        assert client.send_text(PHONE_ID, "393331234567", "Uno") == "wamid.1"
        time.sleep(0.2)  # closed meanwhile
        assert client.send_text(PHONE_ID, "393331234567", "Due") == "wamid.2"
        assert len(received) == 2 and b'"Uno"' in received[0] and b'"Due"' in received[1]
        client.close()
    finally:
        server.shutdown()
        server.server_close()
