"""The reference populations a summary is weighted to, written by an analyst in the console
(`surveys.margins`, `/console/indagini/popolazioni/`): shares, percentages or counts per
dimension, each refusal on its dimension with its line, nothing saved half-read."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from ascolto.surveys import actions
from ascolto.surveys.margins import (
    MarginsInUse,
    MarginsInvalid,
    delete_margins,
    parse_dimension,
    save_margins,
)
from ascolto.surveys.models import PopulationMargins
from tests import personas
from tests.questionnaires.helpers import published_summary

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


def _population(name: str = "Milano 2026") -> PopulationMargins:
    return save_margins(None, name=name, dimensions={"gender": "F | 0,516\nM | 0,484"})


def test_an_analyst_deletes_a_population_after_confirming(
    client: Client, cast: personas.Cast
) -> None:
    margins = _population()
    client.force_login(cast.analyst)
    edit = client.get(f"{URL}{margins.pk}/").content.decode()
    assert f'action="{URL}{margins.pk}/elimina/"' in edit and "data-confirm=" in edit
    assert client.get(f"{URL}{margins.pk}/elimina/").status_code == 405  # a POST only

    page = client.post(f"{URL}{margins.pk}/elimina/", follow=True)

    assert page.redirect_chain[-1][0] == URL
    assert "eliminata" in page.content.decode()
    assert not PopulationMargins.objects.exists()
    assert client.post(f"{URL}{margins.pk}/elimina/").status_code == 404


def test_a_population_weighting_a_summary_is_not_deleted(
    client: Client, cast: personas.Cast
) -> None:
    """A published summary weighted with the population keeps it, and its page keeps working;
    once its weighting is taken off, the population can go."""
    summary = published_summary()
    margins = _population("Residenti 2026")
    actions.edit_summary(summary, title=summary.title, weighted=True, margins=margins)
    client.force_login(cast.analyst)

    page = client.post(f"{URL}{margins.pk}/elimina/", follow=True)

    assert page.redirect_chain[-1][0] == f"{URL}{margins.pk}/"
    text = page.content.decode()
    assert "«Milano Ti Ascolta» (pubblicata)" in text and "togli la pesatura" in text
    assert PopulationMargins.objects.filter(pk=margins.pk).exists()
    public = client.get(f"/trasparenza/indagini/{summary.slug}/")
    assert public.status_code == 200

    actions.edit_summary(summary, title=summary.title, weighted=False)
    delete_margins(margins)
    assert not PopulationMargins.objects.exists()
    assert client.get(f"/trasparenza/indagini/{summary.slug}/").status_code == 200


def test_a_draft_weighted_with_the_population_refuses_too() -> None:
    summary = published_summary()
    summary.status = summary.Status.DRAFT
    summary.save(update_fields=["status"])
    margins = _population()
    actions.edit_summary(summary, title=summary.title, weighted=True, margins=margins)
    with pytest.raises(MarginsInUse, match="«Milano Ti Ascolta»") as caught:
        delete_margins(margins)
    assert "pubblicata" not in caught.value.message
    assert PopulationMargins.objects.filter(pk=margins.pk).exists()


def test_only_the_roles_that_read_the_questionnaires_delete_a_population(
    client: Client, cast: personas.Cast
) -> None:
    margins = _population()
    for user in (cast.operator, cast.office_operator):
        client.force_login(user)
        assert client.post(f"{URL}{margins.pk}/elimina/").status_code == 403
    client.logout()
    assert client.post(f"{URL}{margins.pk}/elimina/").status_code == 302  # to the login
    assert PopulationMargins.objects.filter(pk=margins.pk).exists()
