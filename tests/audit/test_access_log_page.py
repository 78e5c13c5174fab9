"""The DPO's page of the access log (`/console/registro-accessi/`): who saw a person's data,
what an operator saw, in a period; paged, downloadable as CSV; closed to operators; and every
reading of the log is itself recorded."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from ascolto.audit import queries
from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.audit.readers import Reader
from ascolto.citizens.actions import merge_citizens
from ascolto.citizens.models import Citizen
from ascolto.organisation.models import User
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.audit.helpers import maria_case, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("console:access-log")
P = AccessRecord.Purpose
ROME = ZoneInfo("Europe/Rome")


def _dpo() -> User:
    """An analyst granted the access log's permission: the city's DPO."""
    user = User.objects.create_user(
        username="dpo", password=None, first_name="Dora", last_name="Privacy", role="analyst"
    )
    user.user_permissions.add(Permission.objects.get(codename="view_accessrecord"))
    return User.objects.get(pk=user.pk)


def _rows(html: str) -> int:
    return html.count("<tr>") - 1  # the header's row


def test_who_saw_this_person_lists_the_reads_of_their_data(cast: personas.Cast) -> None:
    ticket = maria_case()
    other = factories.submit_scrivi("Passo carrabile.", fiscal_code=personas.LUCA_FISCAL_CODE)
    signed_in(cast.operator).get(reverse("console:case", args=[ticket.code]))
    signed_in(cast.supervisor).get(reverse("console:citizen", args=[ticket.citizen_id]))
    assert other.ticket_id is not None
    luca_case = Ticket.objects.get(pk=other.ticket_id).code
    signed_in(cast.operator).get(reverse("console:case", args=[luca_case]))  # another's data
    dpo = signed_in(cast.administrator)

    found = dpo.post(URL, {"q": personas.MARIA_FISCAL_CODE})
    assert found.status_code == 200
    assert f"cittadino={ticket.citizen_id}" in found.content.decode()

    page = dpo.get(URL, {"cittadino": str(ticket.citizen_id)})
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert cast.operator.username in html and cast.supervisor.username in html
    assert ticket.code in html and luca_case not in html
    assert "Pagina del caso" in html and "Scheda del cittadino" in html
    assert _rows(html) == 3  # the case page, the citizen page, and the DPO's own person search


def test_a_person_merged_into_another_is_asked_about_with_them(cast: personas.Cast) -> None:
    ticket = maria_case()
    kept = Citizen.objects.create(first_name="Maria", last_name="Rossi")
    signed_in(cast.operator).get(reverse("console:case", args=[ticket.code]))
    assert ticket.citizen is not None
    merge_citizens(ticket.citizen, kept, actor=cast.supervisor)

    html = signed_in(cast.administrator).get(URL, {"cittadino": kept.pk}).content.decode()

    assert cast.operator.username in html
    assert "Pagina del caso" in html


def test_what_did_this_operator_see_in_a_period(cast: personas.Cast) -> None:
    reader = Reader(user_id=cast.operator.pk, username=cast.operator.username, ip="10.0.0.9")
    for day in (3, 10, 20):
        record_access(
            reader,
            P.CASE,
            "ticket",
            objects=[f"CASE-{day}"],
            at=datetime(2026, 2, day, 9, 0, tzinfo=ROME),
        )
    record_access(
        Reader(user_id=cast.supervisor.pk, username=cast.supervisor.username),
        P.CASE,
        "ticket",
        objects=["CASE-SUP"],
        at=datetime(2026, 2, 10, 9, 0, tzinfo=ROME),
    )

    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=ROME)):
        page = signed_in(cast.administrator).get(
            URL, {"operatore": str(cast.operator.pk), "dal": "2026-02-04", "al": "2026-02-20"}
        )

    html = page.content.decode()
    assert "CASE-10" in html and "CASE-20" in html
    assert "CASE-3" not in html and "CASE-SUP" not in html


def test_a_period_ending_before_it_starts_is_refused_in_italian(cast: personas.Cast) -> None:
    page = signed_in(cast.administrator).get(URL, {"dal": "2026-02-20", "al": "2026-02-04"})
    assert page.status_code == 200
    assert "La data finale è precedente a quella iniziale" in page.content.decode()


def test_the_log_is_paged(cast: personas.Cast) -> None:
    reader = Reader(user_id=cast.operator.pk, username=cast.operator.username)
    for i in range(queries.PAGE_SIZE + 3):
        record_access(reader, P.CASE, "ticket", objects=[f"C{i:03d}"])
    client = signed_in(cast.administrator)
    filters: dict[str, str | int] = {"operatore": cast.operator.pk}

    first = client.get(URL, filters).content.decode()
    second = client.get(URL, {**filters, "pagina": 2}).content.decode()

    assert _rows(first) == queries.PAGE_SIZE and "pagina=2" in first
    assert _rows(second) == 3 and "C000" in second and "pagina=3" not in second


def test_the_csv_export_holds_the_records_and_is_recorded(cast: personas.Cast) -> None:
    ticket = maria_case()
    signed_in(cast.operator).get(reverse("console:case", args=[ticket.code]))
    client = signed_in(cast.administrator)

    download = client.get(URL, {"cittadino": str(ticket.citizen_id), "formato": "csv"})

    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    [header, row] = list(csv.reader(io.StringIO(download.content.decode())))
    assert header[:4] == ["Quando", "Utente", "Id utente", "Schermata"]
    assert row[1] == cast.operator.username and row[3] == "Pagina del caso"
    assert row[5] == ticket.code and row[6] == str(ticket.citizen_id)
    export = AccessRecord.objects.get(purpose=P.EXPORT)
    assert export.username == cast.administrator.username
    assert export.citizen_ids == [ticket.citizen_id]


def test_a_formula_in_a_user_agent_is_not_run_by_a_spreadsheet(cast: personas.Cast) -> None:
    record_access(
        Reader(user_id=cast.operator.pk, username="=cmd|' /C calc'!A0", agent="@SUM(1+1)"),
        P.CASE,
        "ticket",
        objects=["X"],
    )
    download = signed_in(cast.administrator).get(URL, {"formato": "csv"})
    [_header, *rows] = list(csv.reader(io.StringIO(download.content.decode())))
    row = next(r for r in rows if r[5] == "X")
    assert row[1] == "'=cmd|' /C calc'!A0"
    assert row[9] == "'@SUM(1+1)"


def test_reading_the_log_is_itself_recorded(cast: personas.Cast) -> None:
    ticket = maria_case()

    signed_in(cast.administrator).get(URL, {"cittadino": str(ticket.citizen_id)})

    [record] = AccessRecord.objects.filter(purpose=P.ACCESS_LOG)
    assert record.username == cast.administrator.username
    assert record.citizen_ids == [ticket.citizen_id]
    assert record.shown == f"access log by citizen {ticket.citizen_id}"


@pytest.mark.parametrize("who", ["operator", "office_operator", "supervisor", "analyst"])
def test_other_roles_are_refused(cast: personas.Cast, who: str) -> None:
    client = signed_in(getattr(cast, who))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"formato": "csv"}).status_code == 403
    assert client.post(URL, {"q": personas.MARIA_FISCAL_CODE}).status_code == 403
    assert not AccessRecord.objects.filter(purpose__in=[P.ACCESS_LOG, P.EXPORT]).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client: object) -> None:
    page = client.get(URL)  # type: ignore[attr-defined]
    assert page.status_code == 302 and "/console/accedi/" in page["Location"]


def test_a_user_granted_the_permission_reads_the_log_and_finds_any_person(
    cast: personas.Cast,
) -> None:
    ticket = maria_case()
    dpo = _dpo()
    client = signed_in(dpo)

    home = client.get(reverse("console:reports"))
    assert reverse("console:access-log") in home.content.decode()  # the menu's link
    found = client.post(URL, {"q": "Rossi Maria"})
    assert found.status_code == 200
    assert f"cittadino={ticket.citizen_id}" in found.content.decode()
    assert client.get(URL, {"cittadino": str(ticket.citizen_id)}).status_code == 200


def test_the_menu_link_is_not_shown_to_operators(cast: personas.Cast) -> None:
    html = signed_in(cast.operator).get(reverse("console:inbox")).content.decode()
    assert reverse("console:access-log") not in html


def test_an_administrator_signed_in_before_the_log_existed_sees_the_menu_link(
    cast: personas.Cast,
) -> None:
    client = signed_in(cast.administrator)
    session = client.session
    session.pop("ascolto_reads_access_log", None)  # a session older than the access log
    session.save()
    html = client.get(reverse("console:inbox")).content.decode()
    assert reverse("console:access-log") in html
