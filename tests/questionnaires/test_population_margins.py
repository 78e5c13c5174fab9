"""The reference populations a summary is weighted to, written by an analyst in the console
(`surveys.margins`, `/console/indagini/popolazioni/`): shares, percentages or counts per
dimension, each refusal on its dimension with its line, nothing saved half-read."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from ascolto.surveys.margins import MarginsInvalid, parse_dimension, save_margins
from ascolto.surveys.models import PopulationMargins
from tests import personas

pytestmark = pytest.mark.django_db

URL = "/console/indagini/popolazioni/"


def test_shares_percentages_and_counts_are_read_as_shares() -> None:
    assert parse_dimension("F | 0,516\nM | 0.484\n") == {"F": 0.516, "M": 0.484}
    assert parse_dimension("F | 51,6%\nM | 48,4 %") == {"F": 0.516, "M": 0.484}
    # Residents of each group (the registry's counts, with the Italian thousands' point).
    assert parse_dimension("1 | 100.000\n2 | 300.000") == {"1": 0.25, "2": 0.75}
    # Published shares rounded: within 0.005 of 1, normalised.
    shares = parse_dimension("a | 0,333\nb | 0,333\nc | 0,333")
    assert shares == {"a": 0.333333, "b": 0.333333, "c": 0.333333}
    assert parse_dimension("  \n") == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("F | 0,5\nM | 0,4", "sommano a 0,9"),
        ("F 0,5\nM | 0,5", "Riga 1"),
        ("F | 0,5\nM | metà", "Riga 2"),
        ("F | 0,5\nF | 0,5", "è già scritto"),
        ("F | 1\nM | 0", "maggiore di zero"),
        ("F | 1", "almeno due categorie"),
    ],
)
def test_what_cannot_be_read_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_dimension(text)


def test_nothing_is_saved_when_a_dimension_is_wrong() -> None:
    with pytest.raises(MarginsInvalid) as caught:
        save_margins(
            None,
            name="Milano 2026",
            dimensions={"gender": "F | 0,516\nM | 0,484", "age": "giovani | 0,2\nanziani | 0,2"},
        )
    assert set(caught.value.errors) == {"age"}
    assert not PopulationMargins.objects.exists()
    with pytest.raises(MarginsInvalid) as caught:
        save_margins(None, name=" ", dimensions={})
    assert set(caught.value.errors) == {"name", "gender"}


def test_an_analyst_writes_and_edits_a_population(client: Client, cast: personas.Cast) -> None:
    client.force_login(cast.analyst)
    assert client.get(URL).status_code == 200
    page = client.post(
        f"{URL}nuova/",
        {
            "name": "Milano, residenti 2026",
            "source": "ISTAT",
            "reference_date": "2026-01-01",
            "gender": "F | 51,6\nM | 48,4",
            "age": "",
            "district": "1 | 97.000\n2 | 3.000",
        },
    )
    margins = PopulationMargins.objects.get()
    assert page.status_code == 302 and page["Location"] == f"{URL}{margins.pk}/"
    assert margins.margins == {
        "gender": {"F": 0.516, "M": 0.484},
        "district": {"1": 0.97, "2": 0.03},
    }
    assert margins.reference_date == date(2026, 1, 1)

    edit = client.get(f"{URL}{margins.pk}/").content.decode()
    assert "F | 0,516\nM | 0,484" in edit
    assert "Milano, residenti 2026" in client.get(URL).content.decode()

    bad = client.post(
        f"{URL}{margins.pk}/",
        {"name": "Milano", "gender": "F | 0,6\nM | 0,6", "age": "", "district": ""},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="gender-error"' in html and "sommano a 1,2" in html
    margins.refresh_from_db()
    assert margins.name == "Milano, residenti 2026"  # unchanged


def test_only_the_roles_that_read_the_questionnaires_reach_the_populations(
    client: Client, cast: personas.Cast
) -> None:
    for user in (cast.operator, cast.office_operator):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert (
            client.post(f"{URL}nuova/", {"name": "x", "gender": "a | 1\nb | 1"}).status_code == 403
        )
    assert not PopulationMargins.objects.exists()
