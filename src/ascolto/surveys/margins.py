"""The reference populations a questionnaire's sample is weighted to (`PopulationMargins`,
raking: docs/questionnaires.md, decision 0023), as an analyst writes them in the console.

Each dimension (gender, age band, district) is written one category a line, `value | number`,
the value being what the dimension's question answers ("F", "fino18", "1"). The numbers of a
dimension are either **shares** summing to 1 (or percentages summing to 100), or **counts**
(whole numbers: the residents of each group, as the registry publishes them), turned into
shares. What cannot be read is refused with the line and why, per dimension, and nothing is
saved: a population half written would weight a summary wrongly without saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from ascolto.core.errors import DomainError
from ascolto.surveys.models import ExecutiveSummary, PopulationMargins, Question

DIMENSIONS = (
    Question.Dimension.GENDER.value,
    Question.Dimension.AGE.value,
    Question.Dimension.DISTRICT.value,
)
# How far from 1 (or 100) the shares of a dimension may sum: the rounding of published tables
# (three decimals over twenty districts) stays well inside it, a forgotten category does not.
SHARE_TOLERANCE = 0.005
MAX_LINES = 200


class MarginsInvalid(DomainError):
    """What was written cannot be saved: `errors` maps each field (`name` or a dimension) to
    why, in Italian."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(_("La popolazione di riferimento non è valida."), field="margins")
        self.errors = dict(errors)


class MarginsInUse(DomainError):
    """A reference population still weights executive summaries, and cannot go."""


def _number(text: str) -> Decimal | None:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").rstrip("%")
    if "," in cleaned:  # Italian: "0,516", "1.234,5"
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_dimension(text: str) -> dict[str, float]:
    """One dimension's lines as shares summing to 1; `ValueError` says why not (in Italian).
    An empty text is an empty dimension (not used to weight)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise ValueError(_("Al massimo %(n)d righe.") % {"n": MAX_LINES})
    numbers: dict[str, Decimal] = {}
    for index, line in enumerate(lines, start=1):
        value, bar, amount = line.partition("|")
        value = value.strip()
        number = _number(amount) if bar else None
        if not value or number is None:
            raise ValueError(
                _("Riga %(line)d: scrivi «valore | numero», per esempio «F | 0,516».")
                % {"line": index}
            )
        if value in numbers:
            raise ValueError(
                _("Riga %(line)d: «%(value)s» è già scritto.") % {"line": index, "value": value}
            )
        if number <= 0:
            raise ValueError(
                _("Riga %(line)d: il numero di «%(value)s» deve essere maggiore di zero.")
                % {"line": index, "value": value}
            )
        numbers[value] = number
    if not numbers:
        return {}
    if len(numbers) < 2:
        raise ValueError(_("Servono almeno due categorie."))
    total = sum(numbers.values(), Decimal(0))
    counts = all(n == n.to_integral_value() for n in numbers.values())
    shares = abs(total - 1) <= Decimal(str(SHARE_TOLERANCE))
    percentages = abs(total - 100) <= Decimal(str(SHARE_TOLERANCE * 100))
    if not (shares or percentages or counts):
        raise ValueError(
            _(
                "Le quote sommano a %(total)s: devono sommare a 1 (o a 100 se percentuali); "
                "per i residenti di ogni gruppo scrivi numeri interi."
            )
            % {"total": f"{total:f}".replace(".", ",")}
        )
    return {value: round(float(n / total), 6) for value, n in numbers.items()}


def dimension_text(shares: Mapping[str, float] | None) -> str:
    """A dimension as the console shows it to be edited: `value | share`, one a line."""
    return "\n".join(
        f"{value} | {share:.6g}".replace(".", ",") for value, share in (shares or {}).items()
    )


@transaction.atomic
def save_margins(
    margins: PopulationMargins | None,
    *,
    name: str,
    source: str = "",
    reference_date: date | None = None,
    dimensions: Mapping[str, str],
) -> PopulationMargins:
    """Create (`margins` None) or change a reference population from what an analyst wrote:
    `dimensions` maps "gender", "age", "district" to their lines. `MarginsInvalid` lists every
    field that cannot be read; then nothing is saved."""
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Il nome è obbligatorio.")
    parsed: dict[str, dict[str, float]] = {}
    for dimension in DIMENSIONS:
        try:
            shares = parse_dimension(dimensions.get(dimension, ""))
        except ValueError as error:
            errors[dimension] = str(error)
            continue
        if shares:
            parsed[dimension] = shares
    if not parsed and not any(d in errors for d in DIMENSIONS):
        errors[DIMENSIONS[0]] = _("Scrivi almeno una distribuzione: genere, età o municipio.")
    if errors:
        raise MarginsInvalid(errors)
    row = margins or PopulationMargins()
    row.name = name[:200]
    row.source = (source or "").strip()[:300]
    row.reference_date = reference_date
    row.margins = parsed
    row.save()
    return row


@transaction.atomic
def delete_margins(margins: PopulationMargins) -> None:
    """Delete a reference population no executive summary is weighted with. One that weights a
    summary, published or draft, is refused (`MarginsInUse`, naming the summaries): a published
    summary's page shows its weights' population, and a draft would be regenerated without
    them, so the analyst first takes the weighting off (or chooses another population)."""
    try:
        _refuse_if_used(margins)
        margins.delete()
    except ProtectedError:  # a summary weighted with it in the meantime (`on_delete=PROTECT`)
        _refuse_if_used(margins)
        raise


def _refuse_if_used(margins: PopulationMargins) -> None:
    summaries = list(ExecutiveSummary.objects.filter(margins=margins).order_by("title", "pk")[:10])
    if not summaries:
        return
    titles = ", ".join(
        f"«{s.title}»" + (_(" (pubblicata)") if s.status == s.Status.PUBLISHED else "")
        for s in summaries
    )
    raise MarginsInUse(
        _(
            "La popolazione «%(name)s» pesa le sintesi %(titles)s: togli la pesatura da quelle "
            "sintesi, o scegli un'altra popolazione, e poi eliminala."
        )
        % {"name": margins.name, "titles": titles}
    )
