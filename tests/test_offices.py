"""The offices of the municipality form a tree kept as a materialised path."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ascolto.organisation.models import Office

pytestmark = pytest.mark.django_db


def _office(code: str, parent: Office | None = None) -> Office:
    return Office.objects.create(name=code.title(), code=code, kind=Office.Kind.UNIT, parent=parent)


def _path(office: Office) -> str:
    return Office.objects.get(pk=office.pk).path


def test_the_path_is_made_of_ids_from_the_root() -> None:
    tributi = _office("tributi")
    tari = _office("tari", tributi)
    rimborsi = _office("rimborsi", tari)

    assert _path(tributi) == f"/{tributi.pk}/"
    assert _path(tari) == f"/{tributi.pk}/{tari.pk}/"
    assert _path(rimborsi) == f"/{tributi.pk}/{tari.pk}/{rimborsi.pk}/"
    assert list(tributi.subtree()) == [tributi, tari, rimborsi]
    assert list(tari.subtree()) == [tari, rimborsi]


def test_moving_an_office_rewrites_its_whole_subtree() -> None:
    tributi = _office("tributi")
    economia = _office("economia")
    tari = _office("tari", tributi)
    rimborsi = _office("rimborsi", tari)
    sgravi = _office("sgravi", rimborsi)
    imu = _office("imu", tributi)

    tari.parent = economia
    tari.save()

    assert _path(tari) == f"/{economia.pk}/{tari.pk}/"
    assert _path(rimborsi) == f"/{economia.pk}/{tari.pk}/{rimborsi.pk}/"
    assert _path(sgravi) == f"/{economia.pk}/{tari.pk}/{rimborsi.pk}/{sgravi.pk}/"
    assert _path(imu) == f"/{tributi.pk}/{imu.pk}/"  # the sibling stays
    assert set(economia.subtree()) == {economia, tari, rimborsi, sgravi}
    assert set(Office.objects.get(pk=tributi.pk).subtree()) == {tributi, imu}


def test_moving_an_office_to_the_top_level() -> None:
    tributi = _office("tributi")
    tari = _office("tari", tributi)
    rimborsi = _office("rimborsi", tari)

    tari.parent = None
    tari.save()

    assert _path(tari) == f"/{tari.pk}/"
    assert _path(rimborsi) == f"/{tari.pk}/{rimborsi.pk}/"


def test_is_within() -> None:
    tributi = _office("tributi")
    tari = _office("tari", tributi)
    anagrafe = _office("anagrafe")

    assert tari.is_within(tributi)
    assert tari.is_within(tari)
    assert not tributi.is_within(tari)
    assert not tari.is_within(anagrafe)


def test_ids_that_share_a_prefix_are_not_confused() -> None:
    """Office 101 and office 1011 are not parent and child because "/101" starts "/1011"."""
    short = Office.objects.create(pk=101, name="Breve", code="breve", kind=Office.Kind.UNIT)
    long = Office.objects.create(pk=1011, name="Lungo", code="lungo", kind=Office.Kind.UNIT)
    child = _office("figlio", short)

    assert (_path(short), _path(long)) == ("/101/", "/1011/")
    assert not long.is_within(short)
    assert set(Office.objects.get(pk=short.pk).subtree()) == {short, child}


def test_an_office_cannot_be_moved_below_itself() -> None:
    tributi = _office("tributi")
    tari = _office("tari", tributi)

    tributi.parent = tari
    with pytest.raises(ValidationError) as caught:
        tributi.full_clean()

    assert caught.value.message_dict["parent"] == ["Un ufficio non può stare sotto sé stesso."]
