"""The writes of the service charters: a charter's registry entry and its indicators. Only the
definition is written; the measured values are computed from the data when read
(`charters.indicators`, decision 0024)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ascolto.charters import documents
from ascolto.charters.indicators import validate_parameters
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.core.errors import InvalidInput
from ascolto.organisation.models import Office
from ascolto.surveys.models import Service


@dataclass
class CharterData:
    title: str
    slug: str
    service: Service
    issued_on: date
    office: Office | None = None
    summary: str = ""
    updated_on: date | None = None
    next_update_on: date | None = None
    update_state: str = ServiceCharter.UpdateState.NOT_STARTED
    document_url: str = ""
    published: bool = False


@dataclass
class IndicatorData:
    name: str
    formula: str
    target: float
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    direction: str = QualityIndicator.Direction.AT_LEAST
    unit: str = ""
    period: str = QualityIndicator.Frequency.MONTH
    position: int = 0


def _check_charter(data: CharterData, charter: ServiceCharter | None) -> None:
    if not data.title.strip():
        raise InvalidInput(_("Il titolo è obbligatorio."), field="title")
    taken = ServiceCharter.objects.filter(slug=data.slug)
    if charter is not None:
        taken = taken.exclude(pk=charter.pk)
    if taken.exists():
        raise InvalidInput(
            _("L'indirizzo «%(slug)s» è già di un'altra carta.") % {"slug": data.slug},
            field="slug",
        )
    if data.updated_on and data.updated_on < data.issued_on:
        raise InvalidInput(
            _("L'ultimo aggiornamento non può precedere l'emanazione."), field="updated_on"
        )
    if data.update_state not in ServiceCharter.UpdateState.values:
        raise InvalidInput(_("Scegli uno stato tra quelli proposti."), field="update_state")


def save_charter(
    data: CharterData,
    charter: ServiceCharter | None = None,
    *,
    document: Any = None,
    remove_document: bool = False,
) -> ServiceCharter:
    """Create a charter, or change `charter`, with `data`; `document`, an uploaded PDF, becomes
    its document (replacing the one uploaded before), `remove_document` drops the uploaded one
    (`charters.documents`: checked, stored under a random name, the old file deleted after the
    commit). A refused document saves nothing."""
    _check_charter(data, charter)
    upload = documents.check_document(document) if document is not None else None
    stored = documents.store(upload) if upload is not None else ""
    try:
        with transaction.atomic():
            charter = charter or ServiceCharter()
            previous = charter.document_file
            for name, value in vars(data).items():
                setattr(charter, name, value.strip() if isinstance(value, str) else value)
            if upload is not None:
                charter.document_file = stored
                charter.document_name = upload.name
                charter.document_size = len(upload.data)
            elif remove_document:
                charter.document_file, charter.document_name, charter.document_size = "", "", 0
            charter.save()
            if previous and previous != charter.document_file:
                documents.delete_after_commit(previous)
    except BaseException:
        if stored:
            documents.delete(stored)
        raise
    return charter


def check_indicator(data: IndicatorData) -> IndicatorData:
    """`data` with its parameters validated for its formula (`indicators.validate_parameters`)."""
    if not data.name.strip():
        raise InvalidInput(_("Il nome dell'impegno è obbligatorio."), field="name")
    if data.direction not in QualityIndicator.Direction.values:
        raise InvalidInput(_("Scegli «almeno» o «al massimo»."), field="direction")
    if data.period not in QualityIndicator.Frequency.values:
        raise InvalidInput(_("Scegli mese, trimestre o anno."), field="period")
    data.parameters = validate_parameters(data.formula, data.parameters)
    low = -100 if data.formula == QualityIndicator.Formula.NPS else 0
    if not low <= data.target:
        raise InvalidInput(_("L'obiettivo non può essere negativo."), field="target")
    return data


@transaction.atomic
def save_indicator(
    charter: ServiceCharter, data: IndicatorData, indicator: QualityIndicator | None = None
) -> QualityIndicator:
    """Add an indicator to `charter`, or change `indicator`, with `data` (checked)."""
    data = check_indicator(data)
    indicator = indicator or QualityIndicator(charter=charter)
    for name, value in vars(data).items():
        setattr(indicator, name, value.strip() if isinstance(value, str) else value)
    indicator.save()
    return indicator


@transaction.atomic
def delete_charter(charter: ServiceCharter) -> None:
    """Delete a charter with its indicators; its uploaded document is deleted once the deletion
    is committed (a rolled-back one keeps it)."""
    stored = charter.document_file
    charter.delete()
    documents.delete_after_commit(stored)


@transaction.atomic
def delete_indicator(indicator: QualityIndicator) -> None:
    indicator.delete()
