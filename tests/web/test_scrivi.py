"""Scrivi, the citizen's request form: submission, confirmation, validation, protections."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from ascolto.channels import queue
from ascolto.channels.models import Message, PendingInbound
from ascolto.citizens.models import Consent
from ascolto.knowledge.models import Article
from ascolto.tickets.models import Theme, Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from ascolto.web.views.scrivi.request import submission_token
from tests import personas
from tests.factories import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()
    forget_taxonomy()


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "information",
        "area": "tributi",
        "service": "tari",
        "description": "Vorrei sapere come pagare la TARI di quest'anno.",
        "first_name": "Maria",
        "last_name": "Rossi",
        "email": personas.MARIA_EMAIL,
        "phone": "",
        "place": "",
        "privacy": "on",
        "website": "",
        "submission": submission_token(),  # what the form page carries, fresh each time
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def submit(client: Client, capture: Any, **changes: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("scrivi:home"), form(**changes))


def code_of(response: Any, client: Client) -> str:
    assert response.status_code == 303, response.content[:2000]
    page = client.get(response["Location"])
    assert page.status_code == 200
    return str(page.context["code"])


def test_the_form_shows_kinds_categories_and_the_privacy_notice(
    client: Client, scrivi: Any
) -> None:
    page = client.get(reverse("scrivi:home"))
    html = page.content.decode()
    assert page.status_code == 200
    for label in (
        "Richiesta di informazioni o verifica",
        "Suggerimento",
        "Reclamo",
        "Segnalazione di disservizio",
        "Anagrafe e servizi civici",
        "TARI - tassa rifiuti",  # services offered grouped by category without JavaScript
        reverse("scrivi:privacy"),
        "Quanto sono chiare le informazioni su questa pagina?",
    ):
        assert label in html
    assert client.get(reverse("scrivi:privacy")).status_code == 200


def test_a_submission_gets_a_code_and_becomes_a_case_with_that_code(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    response = submit(client, django_capture_on_commit_callbacks, phone="333 1234567")
    code = code_of(response, client)

    ticket = Ticket.objects.get(code=code)
    assert ticket.channel == scrivi
    assert ticket.kind == Ticket.Kind.INFORMATION
    assert ticket.theme == Theme.objects.get(code="tari")
    assert ticket.citizen is not None and ticket.citizen.email == personas.MARIA_EMAIL
    assert ticket.citizen.phone == "+393331234567"
    row = PendingInbound.objects.get(code=code)
    assert row.processed_at is not None
    # The acknowledgement by email carries the same code (sent once).
    assert [m.subject for m in mailoutbox] == [f"[{code}] Richiesta ricevuta"]


def test_the_privacy_consent_is_stored_with_the_notice_version_the_form_showed(
    client: Client,
    scrivi: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    time_machine: Any,
) -> None:
    settings.ASCOLTO_PRIVACY_NOTICE_VERSION = "2026-12-01"
    time_machine.move_to("2026-12-03 10:00:00+01:00", tick=False)
    page = client.get(reverse("scrivi:home")).content.decode()
    assert "(versione 2026-12-01)" in page
    assert "Versione 2026-12-01" in client.get(reverse("scrivi:privacy")).content.decode()

    # Accepted into the queue: the consent travels in the queued message, no row yet.
    code = code_of(client.post(reverse("scrivi:home"), form()), client)
    row = PendingInbound.objects.get(code=code)
    assert row.payload["privacy_notice"] == "2026-12-01"
    assert not Consent.objects.exists()

    time_machine.shift(60)  # the drain comes later
    with django_capture_on_commit_callbacks(execute=True):
        queue.schedule_drain()

    ticket = Ticket.objects.get(code=code)
    consent = Consent.objects.get()
    assert consent.citizen == ticket.citizen
    assert (consent.purpose, consent.granted, consent.source, consent.notice_version) == (
        Consent.Purpose.PRIVACY,
        True,
        "scrivi",
        "2026-12-01",
    )
    assert consent.recorded_at == row.accepted_at == ticket.created_at  # when it was sent


def test_the_stored_notice_is_kept_a_minute_and_a_new_version_stored_at_once(
    scrivi: Any, settings: Any, time_machine: Any, django_assert_num_queries: Any
) -> None:
    from ascolto.citizens.models import PrivacyNotice
    from ascolto.web.views.scrivi.request import privacy_notice

    time_machine.move_to("2026-12-03 10:00:00+01:00", tick=False)
    settings.ASCOLTO_PRIVACY_NOTICE_VERSION = "2026-12-01"
    assert privacy_notice() == "2026-12-01"
    with django_assert_num_queries(0):  # each form shown and sent after it reads nothing
        assert privacy_notice() == "2026-12-01"
    # A new version (a deployment changed the setting) is stored at its first form.
    settings.ASCOLTO_PRIVACY_NOTICE_VERSION = "2027-01-15"
    assert privacy_notice() == "2027-01-15"
    assert set(PrivacyNotice.objects.values_list("version", flat=True)) == {
        "2026-12-01",
        "2027-01-15",
    }
    # A stored row gone (deleted by hand): stored again once the minute has passed.
    PrivacyNotice.objects.filter(version="2027-01-15").delete()
    time_machine.shift(61)
    assert privacy_notice() == "2027-01-15"
    assert PrivacyNotice.objects.filter(version="2027-01-15").exists()


def test_the_confirmation_link_cannot_be_forged(client: Client, scrivi: Any) -> None:
    assert client.get(reverse("scrivi:sent") + "?c=K7Q2-9XHD-3FPA").status_code == 404


def test_a_disservice_report_takes_a_place_and_a_complaint_may_be_longer(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    missing = submit(client, django_capture_on_commit_callbacks, kind="disservice")
    assert missing.status_code == 400
    assert "Indica dove hai riscontrato il disservizio." in missing.content.decode()

    report = submit(
        client,
        django_capture_on_commit_callbacks,
        kind="disservice",
        area="ambiente",
        service="verde-pubblico",
        description="Un ramo pericolante sopra il marciapiede.",
        place="Via Dante 12",
    )
    ticket = Ticket.objects.get(code=code_of(report, client))
    assert ticket.kind == Ticket.Kind.DISSERVICE
    assert ticket.place == "Via Dante 12"

    long_text = "Il servizio non ha funzionato. " * 30  # 930 characters
    too_long = submit(client, django_capture_on_commit_callbacks, description=long_text)
    assert too_long.status_code == 400
    assert "al massimo 600" in too_long.content.decode()
    complaint = submit(
        client, django_capture_on_commit_callbacks, kind="complaint", description=long_text
    )
    assert Ticket.objects.get(code=code_of(complaint, client)).kind == Ticket.Kind.COMPLAINT


def test_an_invalid_form_shows_italian_errors_and_keeps_what_was_typed(
    client: Client, scrivi: Any
) -> None:
    response = client.post(
        reverse("scrivi:home"),
        form(email="non-una-email", privacy=None, first_name="", phone="12", service="imu"),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "L&#x27;indirizzo email non è valido" in html
    assert "Per inviare la richiesta devi accettare l&#x27;informativa." in html
    assert "Scrivi il tuo nome." in html
    assert "Il numero di telefono non è valido" in html
    assert 'value="non-una-email"' in html
    assert "Vorrei sapere come pagare la TARI di quest&#x27;anno." in html
    assert '<option value="tributi" selected>' in html
    assert '<option value="imu" selected>' in html
    assert 'value="information" checked' in html
    assert not PendingInbound.objects.exists()


def test_a_service_of_another_category_is_refused(client: Client, scrivi: Any) -> None:
    response = client.post(reverse("scrivi:home"), form(area="anagrafe", service="tari"))
    assert response.status_code == 400
    assert "Il servizio scelto non appartiene alla categoria." in response.content.decode()


def test_the_service_select_follows_the_category(client: Client, scrivi: Any) -> None:
    html = client.get(reverse("scrivi:services"), {"area": "mobilita"}).content.decode()
    assert "Permessi di sosta" in html or "pass-sosta" in html
    assert "tari" not in html


def test_attachments_are_checked_by_content_and_stored(
    client: Client,
    scrivi: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("foto.png", b"MZ\x90\x00 not an image", content_type="image/png")
    refused = submit(client, django_capture_on_commit_callbacks, attachments=fake)
    assert refused.status_code == 400
    assert "non è un&#x27;immagine o un PDF" in refused.content.decode()

    big = SimpleUploadedFile("grande.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
    too_big = submit(client, django_capture_on_commit_callbacks, attachments=big)
    assert "più grande di 10 MB" in too_big.content.decode()

    photo = SimpleUploadedFile("buca.png", PNG, content_type="application/octet-stream")
    accepted = submit(client, django_capture_on_commit_callbacks, attachments=photo)
    ticket = Ticket.objects.get(code=code_of(accepted, client))
    message = Message.objects.get(conversation__tickets=ticket, direction="inbound")
    [stored] = message.attachments
    assert stored["name"] == "buca.png"
    assert stored["content_type"] == "image/png"
    assert stored["size"] == len(PNG)
    # Stored under a random name with the sniffed type's extension; "buca.png" is only shown.
    assert stored["url"].startswith("storage:scrivi/") and "buca" not in stored["url"]
    assert (tmp_path / stored["url"].removeprefix("storage:")).read_bytes() == PNG


def test_a_filled_honeypot_gets_a_fake_success_and_nothing_is_stored(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = submit(client, django_capture_on_commit_callbacks, website="http://spam.example")
    assert code_of(response, client)
    assert not PendingInbound.objects.exists()
    assert not Ticket.objects.exists()


@override_settings(ASCOLTO_SCRIVI_RATE_LIMIT="2/h")
def test_an_address_past_the_rate_limit_is_refused_without_losing_the_text(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(2):
        assert submit(client, django_capture_on_commit_callbacks).status_code == 303
    third = submit(client, django_capture_on_commit_callbacks, description="Terza richiesta")
    assert third.status_code == 429
    assert "Terza richiesta" in third.content.decode()
    assert PendingInbound.objects.count() == 2
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert submit(other, django_capture_on_commit_callbacks).status_code == 303


@override_settings(ASCOLTO_SCRIVI_RATE_LIMIT="1/h", ASCOLTO_BEHIND_PROXY=True)
def test_behind_a_proxy_the_limit_counts_the_right_most_forwarded_address(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def post(forwarded: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("scrivi:home"), form(), HTTP_X_FORWARDED_FOR=forwarded
            ).status_code

    assert post("1.1.1.1, 203.0.113.5") == 303
    # A client cannot escape the limit by inventing hops to the left of what our proxy saw.
    assert post("9.9.9.9, 203.0.113.5") == 429
    assert post("203.0.113.6") == 303


def test_the_form_needs_the_csrf_token(scrivi: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("scrivi:home"), form()).status_code == 403


def test_knowledge_articles_are_suggested_while_typing(client: Client, scrivi: Any) -> None:
    from ascolto.demo.knowledge import seed_articles

    seed_articles()
    html = client.get(
        reverse("scrivi:suggestions"),
        {"description": "Come posso pagare la tassa sui rifiuti?", "area": "tributi"},
    ).content.decode()
    assert "TARI: come pagare la tassa rifiuti" in html
    nothing = client.get(reverse("scrivi:suggestions"), {"description": "ciao"}).content
    assert b"<li>" not in nothing

    page = client.get(reverse("scrivi:article", args=["tari-come-pagare"]))
    assert page.status_code == 200
    assert "pagoPA" in page.content.decode()
    Article.objects.filter(slug="tari-come-pagare").update(audience=Article.Audience.INTERNAL)
    assert client.get(reverse("scrivi:article", args=["tari-come-pagare"])).status_code == 404


def test_uploads_of_another_kind_than_declared_are_sniffed() -> None:
    from ascolto.web.forms.scrivi import sniff

    assert sniff(SimpleUploadedFile("x.pdf", PNG)) == "image/png"
    assert sniff(SimpleUploadedFile("x.png", b"%PDF-1.7\n%...")) == "application/pdf"
    assert sniff(SimpleUploadedFile("x.png", io.BytesIO(b"<svg/>").read())) is None


def test_staff_download_an_attachment_only_within_their_scope(
    client: Client,
    cast: Any,
    scrivi: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("buca.png", PNG, content_type="image/png")
    accepted = submit(client, django_capture_on_commit_callbacks, attachments=photo)
    ticket = Ticket.objects.get(code=code_of(accepted, client))
    message = Message.objects.get(conversation__tickets=ticket, direction="inbound")
    assert message.attachments[0]["url"].startswith("storage:")  # no public address
    url = reverse("console:case-attachment", args=[ticket.code, message.pk, 0])

    assert Client().get(url).status_code == 302  # to the sign-in page
    operator = Client()
    operator.force_login(cast.operator)
    assert (
        f'href="{url}"'
        in operator.get(reverse("console:case", args=[ticket.code])).content.decode()
    )
    download = operator.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"] == (
        "attachment; filename=\"buca.png\"; filename*=UTF-8''buca.png"
    )
    assert operator.get(url.replace("/0/", "/1/")).status_code == 404

    # An office operator outside the case's office gets 404, never the file.
    ticket.office = cast.tari
    ticket.save(update_fields=["office"])
    other = Client()
    other.force_login(cast.anagrafe_operator)
    assert other.get(url).status_code == 404
    analyst = Client()
    analyst.force_login(cast.analyst)
    assert analyst.get(url).status_code == 403


def _token_of(html: str) -> str:
    match = re.search(r'name="submission" value="([^"]+)"', html)
    assert match, "the form carries no submission token"
    return match.group(1)


def test_the_form_carries_a_fresh_one_time_submission_token(client: Client, scrivi: Any) -> None:
    first = _token_of(client.get(reverse("scrivi:home")).content.decode())
    second = _token_of(client.get(reverse("scrivi:home")).content.decode())
    assert first != second


def test_replaying_the_same_post_shows_the_first_confirmation_and_opens_one_case(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = _token_of(client.get(reverse("scrivi:home")).content.decode())
    data = form(submission=token)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("scrivi:home"), data)
    code = code_of(first, client)
    with django_capture_on_commit_callbacks(execute=True):
        replay = client.post(reverse("scrivi:home"), data)  # a double click, a resent request

    assert code_of(replay, client) == code
    assert Ticket.objects.count() == 1
    assert PendingInbound.objects.count() == 1


def test_a_forged_submission_token_is_refused_and_the_form_comes_back_with_a_fresh_one(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = submit(client, django_capture_on_commit_callbacks, submission="abc:forged")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Il modulo è scaduto" in html
    assert _token_of(html) != "abc:forged"
    assert "Vorrei sapere come pagare la TARI" in html  # what was typed is still there
    assert not PendingInbound.objects.exists()


def test_when_the_database_refuses_the_submission_no_attachment_is_left_on_disk(
    scrivi: Any, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MEDIA_ROOT = tmp_path

    def database_down(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(PendingInbound, "save", database_down)
    client = Client(raise_request_exception=False)
    photo = SimpleUploadedFile("buca.png", PNG, content_type="image/png")
    response = client.post(reverse("scrivi:home"), form(attachments=photo))

    assert response.status_code == 503  # a passing outage: try again (core/outages.py)
    assert response["Retry-After"]
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_replayed_post_leaves_no_second_copy_of_its_attachments(
    client: Client,
    scrivi: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    token = submission_token()
    for _ in range(2):
        photo = SimpleUploadedFile("buca.png", PNG, content_type="image/png")
        submit(client, django_capture_on_commit_callbacks, attachments=photo, submission=token)

    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_a_form_sent_again_after_changing_it_is_a_new_request(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = submission_token()  # the browser's Back shows the page with the same token
    first = submit(client, django_capture_on_commit_callbacks, submission=token)
    second = submit(
        client,
        django_capture_on_commit_callbacks,
        submission=token,
        description="Vorrei anche sapere come chiedere il rimborso della TARI.",
    )

    assert code_of(first, client) != code_of(second, client)
    assert Ticket.objects.count() == 2
