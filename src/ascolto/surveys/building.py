"""Building a survey: its settings, the questions of its draft version, publishing and closing.

A survey's questions belong to a version. The draft version is edited freely; publishing it
makes it the one new answers get. Editing a published survey starts a new draft version with a
copy of its questions, so a response always keeps the questions it answered (decision 0022).
Answering is `surveys.actions.submit_response`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ascolto.channels.models import Channel
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.surveys.models import Question, Survey, SurveyVersion
from ascolto.tickets.models import Theme

# --- Errors of building ----------------------------------------------------------------------


class SurveyNotEditable(DomainError):
    """A version that was published (and may have answers) is never changed."""


class SurveyInvalid(DomainError):
    """A survey cannot be published as it is: `problems` lists each one, in Italian."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems), field="questions")
        self.problems = list(problems)


class SurveyNotOpen(DomainError):
    """The survey is a draft or closed: it takes no answers."""


# --- Kinds ----------------------------------------------------------------------------------

RATING_RANGE = (1, 5)
NPS_RANGE = (0, 10)
CHOICE_KINDS = frozenset({Question.Kind.SINGLE, Question.Kind.MULTIPLE})
NUMBER_KINDS = frozenset({Question.Kind.RATING, Question.Kind.NPS, Question.Kind.SCALE})
# The kinds a later question may be shown by (`show_if`): those with a known set of values.
BRANCHING_KINDS = CHOICE_KINDS | NUMBER_KINDS


def number_range(question: Question) -> tuple[int, int] | None:
    """The smallest and largest number a rating, NPS or scale question takes."""
    if question.kind == Question.Kind.RATING:
        return RATING_RANGE
    if question.kind == Question.Kind.NPS:
        return NPS_RANGE
    if question.kind == Question.Kind.SCALE:
        if question.scale_min is None or question.scale_max is None:
            return None
        return (question.scale_min, question.scale_max)
    return None


def possible_values(question: Question) -> list[str]:
    """Every value a question of a branching kind can take, as text (what `show_if_values`
    holds): the choices' values, or the numbers of its range."""
    if question.kind in CHOICE_KINDS:
        return [str(choice.get("value", "")) for choice in question.choices or []]
    bounds = number_range(question)
    if bounds is None:
        return []
    return [str(n) for n in range(bounds[0], bounds[1] + 1)]


# --- Building -------------------------------------------------------------------------------

SURVEY_FIELDS = (
    "title",
    "title_en",
    "intro",
    "intro_en",
    "kind",
    "trigger",
    "service",
    "office",
    "anonymous",
    "sample_percent",
    "fatigue_days",
    "valid_days",
    "channels",
    "opens_at",
    "closes_at",
)
QUESTION_FIELDS = (
    "kind",
    "code",
    "text",
    "text_en",
    "help_text",
    "help_text_en",
    "required",
    "choices",
    "scale_min",
    "scale_max",
    "show_if",
    "show_if_values",
    "dimension",
)


@transaction.atomic
def create_survey(
    code: str, title: str, *, themes: Iterable[Theme] | None = None, **fields: Any
) -> Survey:
    """A new survey in draft, with its first (draft) version and no questions yet. `fields`
    are any of `SURVEY_FIELDS`; `themes` the themes of the cases it invites (with their
    sub-themes; none: every theme)."""
    code = (code or "").strip()
    if not code or slugify(code) != code:
        raise InvalidInput(
            _("Il codice usa solo lettere minuscole, cifre e trattini, senza spazi."),
            field="code",
        )
    if Survey.objects.filter(code=code).exists():
        raise InvalidInput(_("Esiste già un questionario con questo codice."), field="code")
    survey = Survey(code=code, status=Survey.Status.DRAFT)
    _set_survey_fields(survey, {"title": title, **fields})
    try:
        with transaction.atomic():
            survey.save(force_insert=True)
    except IntegrityError:
        raise InvalidInput(
            _("Esiste già un questionario con questo codice."), field="code"
        ) from None
    SurveyVersion.objects.create(survey=survey, number=1)
    if themes is not None:
        survey.themes.set(_active_themes(themes))
    return survey


@transaction.atomic
def update_survey(
    survey: Survey, *, themes: Iterable[Theme] | None = None, **fields: Any
) -> Survey:
    """Change a survey's settings (`SURVEY_FIELDS`) and, when given, the themes of the cases it
    invites (`themes`, none: every theme). Anonymity is chosen before the first publication
    and then kept: answers given as anonymous stay so (decision 0022)."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if (
        "anonymous" in fields
        and bool(fields["anonymous"]) != survey.anonymous
        and survey.versions.filter(published_at__isnull=False).exists()
    ):
        raise SurveyNotEditable(
            _("L'anonimato si sceglie prima della pubblicazione e non cambia più."),
            field="anonymous",
        )
    _set_survey_fields(survey, fields)
    survey.save()
    if themes is not None:
        survey.themes.set(_active_themes(themes))
    return survey


def _active_themes(themes: Iterable[Theme]) -> list[Theme]:
    chosen = list(themes)
    if any(not theme.is_active for theme in chosen):
        raise InvalidInput(_("Un tema scelto non è più in uso."), field="themes")
    return chosen


def _set_survey_fields(survey: Survey, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(SURVEY_FIELDS)
    if unknown:
        raise TypeError(f"not survey fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(survey, name, value)
    survey.title = (survey.title or "").strip()
    if not survey.title:
        raise InvalidInput(_("Il questionario ha bisogno di un titolo."), field="title")
    if survey.kind not in Survey.Kind.values:
        raise InvalidInput(_("Tipo di questionario sconosciuto."), field="kind")
    if survey.trigger not in Survey.Trigger.values:
        raise InvalidInput(_("Momento dell'invito sconosciuto."), field="trigger")
    channels = survey.channels or []
    if not isinstance(channels, list | tuple) or any(
        c not in Channel.Kind.values for c in channels
    ):
        raise InvalidInput(_("Un canale scelto non esiste."), field="channels")
    survey.channels = [c for c in Channel.Kind.values if c in channels]  # once each, in order
    if not 0 <= int(survey.sample_percent) <= 100:
        raise InvalidInput(_("La quota invitata va da 0 a 100."), field="sample_percent")
    if survey.trigger == Survey.Trigger.ONLINE_SERVICE and survey.service_id is None:
        raise InvalidInput(
            _("Un questionario dopo un servizio online deve indicare il servizio."),
            field="service",
        )


def draft_version(survey: Survey) -> SurveyVersion:
    """The version being edited: the unpublished one, or a new one copying the questions of
    the version in use (the published questions, and the answers they have, stay as they
    are)."""
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        draft = locked.versions.filter(published_at__isnull=True).order_by("-number").first()
        if draft is not None:
            return draft
        last = locked.versions.aggregate(n=Max("number"))["n"] or 0
        draft = SurveyVersion.objects.create(survey=locked, number=last + 1)
        source = locked.current_version
        if source is not None:
            Question.objects.bulk_create(
                [
                    Question(
                        version=draft,
                        position=question.position,
                        **{name: getattr(question, name) for name in QUESTION_FIELDS},
                    )
                    for question in source.questions.all()
                ]
            )
        return draft


def _editable(question: Question) -> None:
    version = SurveyVersion.objects.get(pk=question.version_id)
    if version.published_at is not None:
        raise SurveyNotEditable(
            _("Questa versione è pubblicata: le modifiche vanno in una nuova bozza."),
            field="version",
        )


@transaction.atomic
def add_question(survey: Survey, kind: str, code: str, text: str, **fields: Any) -> Question:
    """Add a question at the end of the survey's draft version (made if needed). `fields` are
    any of `QUESTION_FIELDS`; the question's own values are checked here, how it fits with the
    others (codes, branching) at publication."""
    version = draft_version(survey)
    last = version.questions.aggregate(p=Max("position"))["p"]
    question = Question(version=version, position=0 if last is None else last + 1)
    _set_question_fields(question, {"kind": kind, "code": code, "text": text, **fields})
    if version.questions.filter(code=question.code).exists():
        raise InvalidInput(_("Un'altra domanda usa già questo codice."), field="code")
    question.save(force_insert=True)
    return question


@transaction.atomic
def edit_question(question: Question, **fields: Any) -> Question:
    """Change a question of a draft version (`QUESTION_FIELDS`)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    _editable(question)
    _set_question_fields(question, fields)
    if (
        Question.objects.filter(version_id=question.version_id, code=question.code)
        .exclude(pk=question.pk)
        .exists()
    ):
        raise InvalidInput(_("Un'altra domanda usa già questo codice."), field="code")
    question.save()
    return question


@transaction.atomic
def remove_question(question: Question) -> None:
    """Remove a question of a draft version; the later ones move up."""
    _editable(question)
    version_id = question.version_id
    question.delete()
    _renumber(Question.objects.filter(version_id=version_id).order_by("position", "pk"))


@transaction.atomic
def move_question(question: Question, offset: int) -> None:
    """Move a question of a draft version `offset` places (negative: earlier)."""
    _editable(question)
    questions = list(
        Question.objects.select_for_update()
        .filter(version_id=question.version_id)
        .order_by("position", "pk")
    )
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    target = max(0, min(len(questions) - 1, index + offset))
    questions.insert(target, questions.pop(index))
    _renumber(questions)


@transaction.atomic
def reorder_questions(survey: Survey, codes: Sequence[str]) -> None:
    """Put the draft version's questions in the order of `codes` (every code once)."""
    version = draft_version(survey)
    questions = {q.code: q for q in version.questions.select_for_update()}
    if sorted(codes) != sorted(questions):
        raise InvalidInput(_("L'ordine deve nominare ogni domanda una volta."), field="order")
    _renumber([questions[code] for code in codes])


def _renumber(questions: Iterable[Question]) -> None:
    changed = []
    for position, question in enumerate(questions):
        if question.position != position:
            question.position = position
            changed.append(question)
    if changed:
        Question.objects.bulk_update(changed, ["position"])


def _set_question_fields(question: Question, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise TypeError(f"not question fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(question, name, value)
    question.code = (question.code or "").strip()
    question.text = (question.text or "").strip()
    if not question.code or slugify(question.code) != question.code:
        raise InvalidInput(
            _("Il codice della domanda usa solo lettere minuscole, cifre e trattini."),
            field="code",
        )
    if not question.text:
        raise InvalidInput(_("Scrivi il testo della domanda."), field="text")
    if question.kind not in Question.Kind.values:
        raise InvalidInput(_("Tipo di domanda sconosciuto."), field="kind")
    if question.dimension not in Question.Dimension.values:
        raise InvalidInput(_("Dimensione del campione sconosciuta."), field="dimension")
    question.choices = _clean_choices(question)
    if question.kind == Question.Kind.SCALE:
        if question.scale_min is None or question.scale_max is None:
            raise InvalidInput(_("Una scala ha un minimo e un massimo."), field="scale_min")
        if question.scale_min >= question.scale_max:
            raise InvalidInput(
                _("Il minimo della scala deve essere minore del massimo."), field="scale_min"
            )
    else:
        question.scale_min = question.scale_max = None
    question.show_if = (question.show_if or "").strip()
    values = question.show_if_values or []
    if isinstance(values, str | int):
        values = [values]
    question.show_if_values = [str(v).strip() for v in values if str(v).strip()]
    if question.show_if and not question.show_if_values:
        raise InvalidInput(
            _("Indica per quali risposte la domanda viene mostrata."), field="show_if_values"
        )
    if not question.show_if:
        question.show_if_values = []


def _clean_choices(question: Question) -> list[dict[str, str]]:
    raw = question.choices or []
    if question.kind not in CHOICE_KINDS and question.kind != Question.Kind.SCALE:
        return []
    choices = []
    for item in raw:
        value = str(item.get("value", "")).strip()
        label = str(item.get("label", "")).strip()
        if not value and not label:
            continue
        if not value:
            value = slugify(label)[:64]
        choices.append(
            {
                "value": value,
                "label": label or value,
                "label_en": str(item.get("label_en", "")).strip(),
            }
        )
    if question.kind in CHOICE_KINDS:
        if len(choices) < 2:
            raise InvalidInput(_("Una domanda a scelta ha almeno due opzioni."), field="choices")
        values = [c["value"] for c in choices]
        if len(set(values)) != len(values):
            raise InvalidInput(
                _("Due opzioni della domanda hanno lo stesso valore."), field="choices"
            )
    return choices


def publication_problems(version: SurveyVersion) -> list[str]:
    """What keeps a version from being published, in Italian: none when it is ready."""
    questions = list(version.questions.order_by("position", "pk"))
    problems: list[str] = []
    if not questions:
        return [_("Il questionario non ha domande.")]
    earlier: dict[str, Question] = {}
    seen: set[str] = set()
    for question in questions:
        name = question.code
        if name in seen:
            problems.append(_("Il codice «%(code)s» è usato due volte.") % {"code": name})
        seen.add(name)
        try:
            _set_question_fields(question, {})
        except InvalidInput as error:
            problems.append(f"«{name}»: {error.message}")
        if question.show_if:
            parent = earlier.get(question.show_if)
            if parent is None:
                problems.append(
                    _("«%(code)s» dipende da «%(parent)s», che non è una domanda precedente.")
                    % {"code": name, "parent": question.show_if}
                )
            elif parent.kind not in BRANCHING_KINDS:
                problems.append(
                    _("«%(code)s» dipende da «%(parent)s», una domanda a testo libero.")
                    % {"code": name, "parent": parent.code}
                )
            else:
                allowed = set(possible_values(parent))
                wrong = [v for v in question.show_if_values if str(v) not in allowed]
                if wrong:
                    problems.append(
                        _("«%(code)s» dipende da risposte che «%(parent)s» non prevede: %(v)s.")
                        % {"code": name, "parent": parent.code, "v": ", ".join(map(str, wrong))}
                    )
        earlier[name] = question
    return problems


@transaction.atomic
def publish_survey(survey: Survey) -> SurveyVersion:
    """Publish the draft version: checked (`publication_problems`), it becomes the version new
    answers get, and the survey opens. Responses already given keep their version."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    version = survey.versions.filter(published_at__isnull=True).order_by("-number").first()
    if version is None:
        raise SurveyNotEditable(
            _("Non c'è una bozza da pubblicare: la versione in uso è già pubblicata."),
            field="version",
        )
    problems = publication_problems(version)
    if problems:
        raise SurveyInvalid(problems)
    now = timezone.now()
    version.published_at = now
    version.save(update_fields=["published_at"])
    survey.current_version = version
    survey.status = Survey.Status.OPEN
    if survey.opens_at is None:
        survey.opens_at = now
    survey.closes_at = None
    survey.save(update_fields=["current_version", "status", "opens_at", "closes_at"])
    return version


@transaction.atomic
def discard_draft(survey: Survey) -> None:
    """Throw away the draft version of a survey already published (its questions with it)."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.current_version_id is None:
        raise SurveyNotEditable(
            _("Un questionario mai pubblicato non ha una bozza da scartare."), field="version"
        )
    survey.versions.filter(published_at__isnull=True).delete()


@transaction.atomic
def close_survey(survey: Survey) -> Survey:
    """Stop taking answers: invitations not yet answered are refused from now on."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != Survey.Status.OPEN:
        raise SurveyNotOpen(_("Solo un questionario aperto si può chiudere."), field="status")
    survey.status = Survey.Status.CLOSED
    survey.closes_at = timezone.now()
    survey.save(update_fields=["status", "closes_at"])
    return survey
