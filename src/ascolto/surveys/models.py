"""Listening: the page rating, surveys and their answers, large questionnaires with their
executive summary, and the yearly survey plan. Service charters are the `charters` app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class PageRating(models.Model):
    """One answer to the Designers Italia page rating: "Quanto sono chiare le informazioni su
    questa pagina?" (1–5 stars), the follow-up answer chosen for that score, a short comment.

    Anonymous by design: no citizen, no address, no session is stored. `page` is the path of the
    rated page (no query string).
    """

    class Reason(models.TextChoices):
        # asked after 1–3 stars: "Dove hai incontrato le maggiori difficoltà?"
        NOT_CLEAR = "not_clear", gettext_lazy("A volte le indicazioni non erano chiare")
        NOT_COMPLETE = "not_complete", gettext_lazy("A volte le indicazioni non erano complete")
        LOST = "lost", gettext_lazy("A volte non capivo se stavo procedendo correttamente")
        TECHNICAL = "technical", gettext_lazy("Ho avuto problemi tecnici")
        OTHER_NEGATIVE = "other_negative", gettext_lazy("Altro")
        # asked after 4–5 stars: "Quali sono stati gli aspetti che hai preferito?"
        CLEAR = "clear", gettext_lazy("Le indicazioni erano chiare")
        COMPLETE = "complete", gettext_lazy("Le indicazioni erano complete")
        ON_TRACK = "on_track", gettext_lazy("Capivo sempre che stavo procedendo correttamente")
        NO_PROBLEMS = "no_problems", gettext_lazy("Non ho avuto problemi tecnici")
        OTHER_POSITIVE = "other_positive", gettext_lazy("Altro")

    NEGATIVE = (
        Reason.NOT_CLEAR,
        Reason.NOT_COMPLETE,
        Reason.LOST,
        Reason.TECHNICAL,
        Reason.OTHER_NEGATIVE,
    )
    POSITIVE = (
        Reason.CLEAR,
        Reason.COMPLETE,
        Reason.ON_TRACK,
        Reason.NO_PROBLEMS,
        Reason.OTHER_POSITIVE,
    )
    MAX_COMMENT = 200

    page = models.CharField("pagina", max_length=300)
    origin = models.CharField(
        "sito",
        max_length=200,
        blank=True,
        help_text="origine del portale per le pagine valutate fuori da ascolto (vuota: le nostre)",
    )
    score = models.PositiveSmallIntegerField(
        "voto (1-5)",
        help_text=(
            "Stelle scelte, 1 = poco chiara, 5 = molto chiara. Le valutazioni registrate prima "
            "della migrazione surveys 0002 sono speculari: leggere 6 − voto (docs/reports.md)."
        ),
    )
    reason = models.CharField("risposta", max_length=20, choices=Reason.choices, blank=True)
    comment = models.CharField("commento", max_length=MAX_COMMENT, blank=True)
    created_at = models.DateTimeField("inviata il", default=timezone.now)

    class Meta:
        verbose_name = "valutazione di pagina"
        verbose_name_plural = "valutazioni di pagina"
        indexes = [models.Index(fields=["page", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="page_rating_score_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.page}: {self.score}"


class Service(models.Model):
    """A service the city gives: an online service of the portal (a registry certificate, an
    online appointment, a TARI declaration) or a service with a charter (nursery schools,
    school catering). Its `code` is what the portal's embedded survey link carries."""

    code = models.SlugField("codice", max_length=64, unique=True)
    name = models.CharField("nome", max_length=200)
    name_en = models.CharField("nome (inglese)", max_length=200, blank=True)
    office = models.ForeignKey(
        "organisation.Office",
        verbose_name="ufficio responsabile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    theme = models.ForeignKey(
        "tickets.Theme",
        verbose_name="tema",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    online = models.BooleanField("servizio online", default=False)
    url = models.URLField("indirizzo sul portale", blank=True)
    is_active = models.BooleanField("attivo", default=True)

    class Meta:
        verbose_name = "servizio"
        verbose_name_plural = "servizi"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Survey(models.Model):
    """A questionnaire: a short satisfaction survey sent after a case, an online service or a
    chat, or a large questionnaire on a broader topic ("Milano Ti Ascolta") whose answers are
    collected here or imported, and summarised in an `ExecutiveSummary`.

    Its questions belong to a `SurveyVersion`; `current_version` is the one new answers get,
    and each `Response` keeps the version it answered.
    """

    class Kind(models.TextChoices):
        SATISFACTION = "satisfaction", gettext_lazy("Questionario di soddisfazione")
        QUESTIONNAIRE = "questionnaire", gettext_lazy("Indagine")

    class Trigger(models.TextChoices):
        NONE = "none", gettext_lazy("Nessuno (link pubblico o importazione)")
        CASE_RESOLVED = "case_resolved", gettext_lazy("Dopo la risoluzione di una pratica")
        ONLINE_SERVICE = "online_service", gettext_lazy("Dopo un servizio online")
        CHATBOT = "chatbot", gettext_lazy("Dopo una conversazione con l'assistente")

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Bozza")
        OPEN = "open", gettext_lazy("Aperto")
        CLOSED = "closed", gettext_lazy("Chiuso")

    code = models.SlugField("codice", max_length=64, unique=True)
    title = models.CharField("titolo", max_length=200)
    title_en = models.CharField("titolo (inglese)", max_length=200, blank=True)
    intro = models.TextField("introduzione", blank=True)
    intro_en = models.TextField("introduzione (inglese)", blank=True)
    kind = models.CharField("tipo", max_length=20, choices=Kind.choices, default=Kind.SATISFACTION)
    trigger = models.CharField(
        "quando si invita", max_length=20, choices=Trigger.choices, default=Trigger.NONE
    )
    status = models.CharField("stato", max_length=10, choices=Status.choices, default=Status.DRAFT)
    service = models.ForeignKey(
        Service,
        verbose_name="servizio",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
        help_text="per i questionari dopo un servizio online",
    )
    office = models.ForeignKey(
        "organisation.Office",
        verbose_name="ufficio titolare",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    anonymous = models.BooleanField(
        "anonimo",
        default=True,
        help_text="le risposte non sono collegate al cittadino né alla pratica",
    )
    # Sampling and fatigue, for the triggered surveys.
    sample_percent = models.PositiveSmallIntegerField(
        "quota invitata (%)", default=100, help_text="percentuale delle pratiche o sessioni"
    )
    fatigue_days = models.PositiveSmallIntegerField(
        "giorni tra due inviti alla stessa persona", default=30
    )
    valid_days = models.PositiveSmallIntegerField("validità dell'invito (giorni)", default=30)
    channels = models.JSONField(
        "canali",
        default=list,
        blank=True,
        help_text="tipi di canale delle pratiche invitate (vuoto: tutti)",
    )
    themes = models.ManyToManyField(
        "tickets.Theme",
        verbose_name="temi",
        blank=True,
        related_name="+",
        help_text="temi delle pratiche invitate, con i loro sotto-temi (vuoto: tutti)",
    )
    current_version = models.ForeignKey(
        "SurveyVersion",
        verbose_name="versione in uso",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opens_at = models.DateTimeField("aperto dal", null=True, blank=True)
    closes_at = models.DateTimeField("chiuso dal", null=True, blank=True)
    created_at = models.DateTimeField("creato il", default=timezone.now)

    class Meta:
        verbose_name = "questionario"
        verbose_name_plural = "questionari"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="survey_sample_percent_0_100"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SurveyVersion(models.Model):
    """The questions of a survey as they were published. A version with answers is never
    changed: editing a published survey makes a new draft version."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField("numero")
    published_at = models.DateTimeField("pubblicata il", null=True, blank=True)
    created_at = models.DateTimeField("creata il", default=timezone.now)

    class Meta:
        verbose_name = "versione del questionario"
        verbose_name_plural = "versioni del questionario"
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class Question(models.Model):
    """One question of a survey version.

    `choices` is a list of {"value", "label", "label_en"} for single and multiple choice (and
    labels of a scale's points, optional). A question with `show_if` is asked only when the
    earlier question of code `show_if` was answered with one of `show_if_values`. `dimension`
    marks the questions that describe the sample (gender, age band, district), which the
    executive summary's tables cross by. The first rating question of a version is its CSAT,
    the first NPS question its NPS.
    """

    class Kind(models.TextChoices):
        RATING = "rating", gettext_lazy("Valutazione (1-5 stelle)")
        NPS = "nps", gettext_lazy("Raccomandazione (0-10)")
        SINGLE = "single", gettext_lazy("Scelta singola")
        MULTIPLE = "multiple", gettext_lazy("Scelta multipla")
        SCALE = "scale", gettext_lazy("Scala")
        TEXT = "text", gettext_lazy("Testo libero")

    class Dimension(models.TextChoices):
        NONE = "", gettext_lazy("Nessuna")
        GENDER = "gender", gettext_lazy("Genere")
        AGE = "age", gettext_lazy("Fascia d'età")
        DISTRICT = "district", gettext_lazy("Municipio")

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField("ordine")
    code = models.SlugField("codice", max_length=64)
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices)
    text = models.CharField("domanda", max_length=500)
    text_en = models.CharField("domanda (inglese)", max_length=500, blank=True)
    help_text = models.CharField("aiuto", max_length=300, blank=True)
    help_text_en = models.CharField("aiuto (inglese)", max_length=300, blank=True)
    required = models.BooleanField("obbligatoria", default=False)
    choices = models.JSONField("opzioni", default=list, blank=True)
    scale_min = models.SmallIntegerField("minimo della scala", null=True, blank=True)
    scale_max = models.SmallIntegerField("massimo della scala", null=True, blank=True)
    show_if = models.SlugField("mostra se la domanda", max_length=64, blank=True)
    show_if_values = models.JSONField("ha risposto", default=list, blank=True)
    dimension = models.CharField(
        "dimensione del campione",
        max_length=10,
        choices=Dimension.choices,
        default=Dimension.NONE,
        blank=True,
    )

    class Meta:
        verbose_name = "domanda"
        verbose_name_plural = "domande"
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="question_code_per_version")
        ]

    def __str__(self) -> str:
        return self.text


class Invitation(models.Model):
    """An invitation to answer a survey once: sent after a case, an online service or a chat
    session. The link carries a token signed with the secret key (`surveys.tokens`); an
    invitation is answered at most once. `citizen` serves the fatigue rule only and is emptied
    by erasure."""

    class Via(models.TextChoices):
        EMAIL = "email", gettext_lazy("Email")
        WHATSAPP = "whatsapp", gettext_lazy("WhatsApp")
        STATUS_PAGE = "status_page", gettext_lazy("Pagina di stato della richiesta")
        WIDGET = "widget", gettext_lazy("Portale (servizio online)")
        CHAT = "chat", gettext_lazy("Chat")
        LINK = "link", gettext_lazy("Link pubblico")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    via = models.CharField("inviato tramite", max_length=12, choices=Via.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    citizen = models.ForeignKey(
        "citizens.Citizen", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    # The case's dimensions when invited, so the response rate splits like the answers.
    channel_kind = models.CharField("canale", max_length=20, blank=True)
    office = models.ForeignKey(
        "organisation.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    theme = models.ForeignKey(
        "tickets.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("creato il", default=timezone.now)
    expires_at = models.DateTimeField("scade il")
    answered_at = models.DateTimeField("risposto il", null=True, blank=True)

    class Meta:
        verbose_name = "invito"
        verbose_name_plural = "inviti"
        indexes = [
            models.Index(fields=["citizen", "created_at"]),
            models.Index(fields=["survey", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "ticket"],
                condition=Q(ticket__isnull=False),
                name="one_invitation_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} ({self.get_via_display()})"


class Response(models.Model):
    """One respondent's answers to one version of a survey, collected here or imported.

    Anonymous surveys keep no citizen, case or invitation: only the dimensions the results are
    split by (channel, office, theme, service, month). `csat` and `nps` copy the answer to the
    version's first rating and NPS question, so the results over 100,000 answers are one
    aggregate over this table.
    """

    class Source(models.TextChoices):
        WEB = "web", gettext_lazy("Compilato online")
        CHAT = "chat", gettext_lazy("Chat")
        IMPORT = "import", gettext_lazy("Importato")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    source = models.CharField("origine", max_length=10, choices=Source.choices)
    via = models.CharField(
        "invito tramite", max_length=12, choices=Invitation.Via.choices, blank=True
    )
    channel_kind = models.CharField("canale", max_length=20, blank=True)
    office = models.ForeignKey(
        "organisation.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    theme = models.ForeignKey(
        "tickets.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    # Only for surveys that are not anonymous.
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    citizen = models.ForeignKey(
        "citizens.Citizen", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField("lingua", max_length=5, default="it")
    complete = models.BooleanField("completo", default=True)
    csat = models.PositiveSmallIntegerField("soddisfazione (1-5)", null=True, blank=True)
    nps = models.PositiveSmallIntegerField("raccomandazione (0-10)", null=True, blank=True)
    import_run = models.ForeignKey(
        "QuestionnaireImport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responses",
    )
    import_row = models.PositiveIntegerField("riga del file", null=True, blank=True)
    # The assistant's in-chat survey this response was made from (`invitations
    # .record_chat_answer`): one response per chat, completed by the later suggestion.
    chat_answer = models.OneToOneField(
        "assistant.SurveyAnswer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="risposta in chat",
    )
    submitted_at = models.DateTimeField("inviato il", default=timezone.now)

    class Meta:
        verbose_name = "risposta al questionario"
        verbose_name_plural = "risposte ai questionari"
        indexes = [models.Index(fields=["survey", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="response_csat_1_5",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="response_nps_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} ({self.submitted_at:%Y-%m-%d})"


class Answer(models.Model):
    """The answer to one question: `number` for rating, NPS and scale; `value` for a choice
    (one row per option chosen of a multiple choice) or the free text. A free-text answer may
    carry the `theme` it speaks of (tagged by an analyst or suggested from the text)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField("valore", null=True, blank=True)
    value = models.TextField("risposta", blank=True)
    theme = models.ForeignKey(
        "tickets.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    theme_suggested = models.BooleanField("tema suggerito dal testo", default=False)

    class Meta:
        verbose_name = "risposta a una domanda"
        verbose_name_plural = "risposte alle domande"
        indexes = [models.Index(fields=["question", "number"])]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.number if self.number is not None else self.value}"


class QuestionnaireImport(models.Model):
    """A file of answers exported by LimeSurvey, Google Forms or Microsoft Forms, read into a
    survey: the columns mapped to questions, the rows accepted, and each refused row with why."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField("file", max_length=200)
    mapping = models.JSONField("colonne e domande", default=dict)
    rows = models.PositiveIntegerField("righe", default=0)
    accepted = models.PositiveIntegerField("accettate", default=0)
    refusals = models.JSONField("righe rifiutate", default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField("importato il", default=timezone.now)

    class Meta:
        verbose_name = "importazione di risposte"
        verbose_name_plural = "importazioni di risposte"
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.accepted}/{self.rows})"


class PopulationMargins(models.Model):
    """The city's population by gender, age band and district, as shares, to weight a
    questionnaire's sample to (raking). `margins` is {"gender": {"F": 0.52, ...}, "age": {...},
    "district": {...}}, keyed by the values the dimension questions take."""

    name = models.CharField("nome", max_length=200)
    source = models.CharField("fonte", max_length=300, blank=True)
    reference_date = models.DateField("data di riferimento", null=True, blank=True)
    margins = models.JSONField("distribuzioni")

    class Meta:
        verbose_name = "popolazione di riferimento"
        verbose_name_plural = "popolazioni di riferimento"

    def __str__(self) -> str:
        return self.name


class ExecutiveSummary(models.Model):
    """The executive summary of a questionnaire: generated from its answers (`content`), its
    texts edited by the analyst before publishing, optionally weighted to `margins`. Published,
    it is a page and a PDF under /trasparenza/."""

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Bozza")
        PUBLISHED = "published", gettext_lazy("Pubblicato")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="summaries")
    slug = models.SlugField("indirizzo", max_length=80, unique=True)
    title = models.CharField("titolo", max_length=200)
    intro = models.TextField("presentazione", blank=True)
    conclusions = models.TextField("conclusioni", blank=True)
    notes = models.JSONField("commenti alle domande", default=dict, blank=True)
    weighted = models.BooleanField("pesato sulla popolazione", default=False)
    margins = models.ForeignKey(
        PopulationMargins, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    content = models.JSONField("contenuto generato", default=dict, blank=True)
    generated_at = models.DateTimeField("generato il", null=True, blank=True)
    status = models.CharField("stato", max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField("pubblicato il", null=True, blank=True)

    class Meta:
        verbose_name = "sintesi dell'indagine"
        verbose_name_plural = "sintesi delle indagini"

    def __str__(self) -> str:
        return self.title


class SurveyPlanEntry(models.Model):
    """One survey of the yearly plan (cronoprogramma) of a department (Direzione)."""

    class State(models.TextChoices):
        PLANNING = "planning", gettext_lazy("In pianificazione")
        RUNNING = "running", gettext_lazy("In corso")
        DONE = "done", gettext_lazy("Conclusa")
        SUSPENDED = "suspended", gettext_lazy("Sospesa")

    year = models.PositiveSmallIntegerField("anno del piano")
    department = models.ForeignKey(
        "organisation.Office",
        verbose_name="direzione",
        on_delete=models.PROTECT,
        related_name="survey_plan",
    )
    title = models.CharField("indagine", max_length=200)
    subject = models.TextField("oggetto", blank=True)
    audience = models.CharField("destinatari", max_length=200, blank=True)
    starts_on = models.DateField("inizio", null=True, blank=True)
    ends_on = models.DateField("fine", null=True, blank=True)
    school_year = models.CharField(
        "anno scolastico", max_length=9, blank=True, help_text="per esempio 2026/2027"
    )
    state = models.CharField("stato", max_length=10, choices=State.choices, default=State.PLANNING)
    owner = models.CharField("referente", max_length=200, blank=True)
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_entries"
    )
    results_url = models.URLField("risultati", blank=True)
    notes = models.TextField("note", blank=True)

    class Meta:
        verbose_name = "indagine del piano"
        verbose_name_plural = "piano delle indagini"
        ordering = ["year", "department", "starts_on"]
        indexes = [models.Index(fields=["year", "department"])]

    def __str__(self) -> str:
        return self.title
