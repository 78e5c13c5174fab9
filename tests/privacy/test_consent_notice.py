"""The Scrivi consent is stored with the version of the notice the citizen was shown, and that
version's words are kept (hashed), readable from the citizen's page."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ascolto.channels import queue
from ascolto.citizens.actions import record_privacy_notice
from ascolto.citizens.models import Consent, PrivacyNotice
from ascolto.web.forms.scrivi import forget_taxonomy
from ascolto.web.views.scrivi.request import submission_token
from tests import personas

pytestmark = pytest.mark.django_db


def test_the_scrivi_consent_is_stored_with_the_notice_version_and_its_words(
    cast: personas.Cast, settings: Any
) -> None:
    cache.clear()
    forget_taxonomy()
    settings.ASCOLTO_PRIVACY_NOTICE_VERSION = "2027-01-15"
    client = Client()
    form = {
        "kind": "information", "area": "tributi", "service": "tari",
        "description": "Vorrei sapere come pagare la TARI.", "first_name": "Maria",
        "last_name": "Rossi", "email": personas.MARIA_EMAIL, "phone": "", "place": "",
        "privacy": "on", "website": "", "submission": submission_token(),
    }  # fmt: skip
    assert client.post(reverse("scrivi:home"), form).status_code == 303
    queue.drain()
    consent = Consent.objects.get(citizen__email=personas.MARIA_EMAIL)
    assert consent.purpose == Consent.Purpose.PRIVACY and consent.granted
    assert consent.notice_version == "2027-01-15"
    notice = PrivacyNotice.objects.get(version="2027-01-15")
    assert "titolare del trattamento" in notice.text and "Comune di Milano" in notice.text
    assert "<p>" not in notice.text and notice.text.count("\n\n") == 2  # three paragraphs
    assert notice.sha256 == hashlib.sha256(notice.text.encode()).hexdigest()

    operator = Client()
    operator.force_login(cast.operator)
    page = operator.get(f"/console/citizens/{consent.citizen_id}/").content.decode()
    assert 'href="/console/privacy/notices/2027-01-15/"' in page
    shown = operator.get("/console/privacy/notices/2027-01-15/").content.decode()
    assert "titolare del trattamento" in shown and notice.sha256 in shown


def test_words_changed_under_the_same_version_are_kept_as_a_version_of_their_own(db: None) -> None:
    first = record_privacy_notice("2027-01-15", "Testo originale.")
    assert record_privacy_notice("2027-01-15", "Testo originale.") == first
    edited = record_privacy_notice("2027-01-15", "Testo corretto.")
    assert edited.version.startswith("2027-01-15~") and edited.text == "Testo corretto."
    assert PrivacyNotice.objects.get(version="2027-01-15").text == "Testo originale."
