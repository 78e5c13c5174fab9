"""Uploaded files that no accepted submission refers to (a process killed between writing them
and storing the row) are swept; the files of every accepted request stay."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ascolto.channels.models import PendingInbound
from ascolto.web.forms.scrivi import forget_taxonomy
from tests import personas
from tests.web.test_scrivi import PNG
from tests.web.test_scrivi import form as scrivi_form

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _age(tmp_path: Any, when: datetime) -> None:
    for path in tmp_path.rglob("*"):
        if path.is_file():
            os.utime(path, (when.timestamp(), when.timestamp()))


def test_the_sweep_removes_only_old_files_nothing_refers_to(
    cast: personas.Cast,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    forget_taxonomy()
    photo = SimpleUploadedFile("buca.png", PNG, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("scrivi:home"), scrivi_form(attachments=photo))
    [kept] = [
        a["url"].removeprefix("storage:")
        for a in PendingInbound.objects.get().payload["attachments"]
    ]
    # What a worker killed between writing the file and storing the row leaves behind.
    orphan = default_storage.save("scrivi/0123456789abcdef/referto.pdf", ContentFile(b"%PDF-1.4"))
    _age(tmp_path, T0)
    out = StringIO()

    with time_machine.travel(T0 + timedelta(hours=2)):
        call_command("sweep_uploads", stdout=out)  # too recent: it may belong to a request
    assert default_storage.exists(orphan)

    with time_machine.travel(T0 + timedelta(days=2)):
        call_command("sweep_uploads", "--dry-run", stdout=out)
        assert default_storage.exists(orphan)
        call_command("sweep_uploads", stdout=out)

    assert not default_storage.exists(orphan)
    assert not (tmp_path / "scrivi" / "0123456789abcdef").exists()
    assert default_storage.exists(kept)
    assert out.getvalue().splitlines() == [
        "0 orphan file(s) removed",
        "1 orphan file(s) would be removed",
        "1 orphan file(s) removed",
    ]
