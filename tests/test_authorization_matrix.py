"""The authorization catalogue: every route of the URL conf outside the admin, for every role, in
one table (`MATRIX`): who may use it, and what everybody else gets (a 403, a 404, the sign-in
page). The objects behind the routes that take an id belong to the Anagrafe (a case, its
citizen, an attachment, a saved view, two records that may be one person) or to no office (an
alert, an internal article, a menu, a campaign, a social thread, a forecast).

Read from the resolver like tests/web/test_csrf.py: a route added tomorrow and missing from the
table fails `test_every_route_is_in_the_table`. The admin (`/admin/`) is walked model by model
in tests/test_admin_access.py (administrators only, whatever permissions another role holds).

Besides the status, every body is read: an office operator of the TARI office never sees a word
of the Anagrafe's citizen (name, email, phone, fiscal code, what they wrote), the Anagrafe's
operator never one of the TARI's citizen, and the analyst no citizen at all, whatever the page,
list, search, counter, export or download. Each request runs in a savepoint rolled back after
it, so a POST of one role changes nothing the next one sees.

Here too: every bulk action on ids of another office's case changes nothing (the row re-read),
and the inbox counts only the cases of one's scope. Proved elsewhere and not repeated here:
assignment (tests/test_assignment_scope.py), merging cases across offices
(tests/web/test_case_actions.py::test_merge_refused_for_other_citizens_or_cases_out_of_sight,
tests/web/test_merge_across_offices.py), the call form's citizens
(tests/web/test_call_citizen_scope.py), the access log's records (tests/audit/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pprint import pformat
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from ascolto.assistant import engine, menus
from ascolto.assistant.models import MenuNode, MenuVersion
from ascolto.channels.models import Message
from ascolto.charters import actions as charters
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.citizens.actions import record_privacy_notice
from ascolto.citizens.models import Citizen, MergeSuggestion
from ascolto.contactcenter.models import ForecastJob
from ascolto.core.ratelimit import forget_counts
from ascolto.knowledge import actions as knowledge
from ascolto.knowledge.models import Alert, Article
from ascolto.organisation.models import User
from ascolto.privacy.actions import build_access_archive
from ascolto.privacy.models import AccessArchive
from ascolto.social import queue
from ascolto.social.models import SocialThread
from ascolto.surveys import building, plan
from ascolto.surveys.models import (
    ExecutiveSummary,
    PopulationMargins,
    Question,
    Service,
    Survey,
    SurveyPlanEntry,
)
from ascolto.surveys.tokens import invitation_token
from ascolto.tickets import actions
from ascolto.tickets.models import Campaign, Tag, Ticket
from ascolto.web.models import SavedView
from ascolto.web.views.scrivi.request import CONFIRMATION_SALT as SENT
from tests import factories, personas
from tests.alerts.helpers import make_alert
from tests.assistant.conftest import build_menu
from tests.questionnaires.helpers import published_summary
from tests.social.helpers import page_channel, replay
from tests.surveys.helpers import branching_survey, invite, make_survey

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# --- Who is who ---------------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "operator",  # first level: cases of every office
    "office_operator",  # the TARI office: its own cases only
    "anagrafe_operator",  # the Anagrafe: its own cases only
    "supervisor",
    "analyst",  # figures only
    "dpo",  # an analyst granted audit.view_accessrecord: the access log
    "administrator",
]
STAFF = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
HANDLERS = frozenset({"operator", "office_operator", "anagrafe_operator", "supervisor"}) | {
    "administrator"
}
ALL_OFFICES = frozenset({"operator", "supervisor", "administrator"})
SUPERVISION = frozenset({"supervisor", "administrator"})
ANALYSIS = frozenset({"analyst", "dpo", "supervisor", "administrator"})
ACCESS_LOG = frozenset({"dpo", "administrator"})
ADMINISTRATORS = frozenset({"administrator"})
# The service charters and the survey plan are defined by analysts and administrators.
LISTENING = frozenset({"analyst", "dpo", "administrator"})
SURVEY_BUILDERS = frozenset({"analyst", "dpo", "administrator"})
# The TARI operator asking for an object of the Anagrafe: it does not exist for them.
OTHER_OFFICE = frozenset({"office_operator"})

# What the Anagrafe's citizen and the TARI's citizen wrote and are: never shown across offices.
ANAGRAFE_TEXT = "Chiedo il certificato di residenza storico per la pratica di successione."
TARI_TEXT = "L'avviso TARI del 2026 non mi è mai arrivato a casa."
LUCA_EMAIL = "luca.bianchi@example.it"
SECRETS = {
    "anagrafe": ["Bianchi", LUCA_EMAIL, personas.LUCA_FISCAL_CODE, "1234567", "residenza storico"],
    "tari": ["Rossi", personas.MARIA_EMAIL, personas.MARIA_FISCAL_CODE, "mai arrivato"],
}
# Whose personal data each role may never read, on any page.
NEVER_SEES = {
    "anonymous": ["anagrafe", "tari"],
    "office_operator": ["anagrafe"],
    "anagrafe_operator": ["tari"],
    "analyst": ["anagrafe", "tari"],
    # The DPO reads the access log about a person by name ("who saw this person's data"): the
    # name of whom they asked about, on that page; nothing else of theirs.
}


# --- The state ----------------------------------------------------------------------------------


@dataclass
class State:
    """A case of each office, with their citizens, files, a pair of possible duplicates in the
    Anagrafe, and one object of each kind the console edits."""

    tari: Ticket
    anagrafe: Ticket
    citizen: Citizen  # the Anagrafe's
    inbound: Message  # what the Anagrafe's citizen sent, with a file
    reply: Message  # the Anagrafe's reply, with a file
    suggestion: MergeSuggestion  # two records of the Anagrafe's citizen
    saved_view: SavedView  # the Anagrafe operator's
    article: Article  # internal
    draft: MenuVersion
    node: MenuNode
    alert: Alert
    thread: SocialThread
    campaign: Campaign
    job: ForecastJob
    archive: AccessArchive  # the Anagrafe citizen's access archive, made
    notice: str  # a privacy notice's version
    charter: ServiceCharter
    indicator: QualityIndicator
    plan_entry: SurveyPlanEntry
    results_survey: Survey  # the Anagrafe's, with answers
    survey: Survey  # published, with a draft of its next version
    survey_question: Question  # of that draft
    survey_token: str  # an invitation's, after the Anagrafe's case (a survey not anonymous)
    questionnaire: ExecutiveSummary | None = None  # published, with its import
    margins: PopulationMargins | None = None  # a reference population for the raking
    users: dict[str, User] = field(default_factory=dict)


CHARTER_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _stored(name: str) -> list[dict[str, str]]:
    stored = default_storage.save(f"allegati/{name}", ContentFile(factories.PNG))
    return [{"url": f"storage:{stored}", "name": name, "content_type": "image/png"}]


def build_state(cast: personas.Cast) -> State:
    engine._trees.clear()
    tari_received = factories.submit_scrivi(
        TARI_TEXT, email=personas.MARIA_EMAIL, fiscal_code=personas.MARIA_FISCAL_CODE
    )
    assert tari_received.ticket_id is not None
    tari = Ticket.objects.get(pk=tari_received.ticket_id)
    tari = actions.escalate_ticket(tari, cast.tari, actor=cast.operator)
    luca = {"first_name": "Luca", "last_name": "Bianchi", "phone": personas.LUCA_PHONE}
    received = factories.submit_scrivi(
        ANAGRAFE_TEXT, email=LUCA_EMAIL, fiscal_code=personas.LUCA_FISCAL_CODE, **luca
    )
    assert received.ticket_id is not None
    anagrafe = Ticket.objects.get(pk=received.ticket_id)
    anagrafe = actions.escalate_ticket(anagrafe, cast.anagrafe, actor=cast.operator)
    # The same person writes from another address: a possible duplicate, in the Anagrafe too.
    again = factories.submit_scrivi(
        "Residenza storica: allego il documento.", email="l.bianchi@example.it", **luca
    )
    assert again.ticket_id is not None
    actions.escalate_ticket(
        Ticket.objects.get(pk=again.ticket_id), cast.anagrafe, actor=cast.operator
    )
    suggestion = MergeSuggestion.objects.get()
    inbound = Message.objects.get(conversation__tickets=anagrafe, direction="inbound")
    Message.objects.filter(pk=inbound.pk).update(attachments=_stored("documento-bianchi.png"))
    reply = actions.reply_to_ticket(anagrafe, "Ecco il modulo.", actor=cast.anagrafe_operator)
    Message.objects.filter(pk=reply.pk).update(attachments=_stored("modulo.png"))
    anagrafe = factories.refresh(anagrafe)
    assert anagrafe.citizen is not None
    article = knowledge.save_article(
        Article(),
        {
            "title": "Certificati storici",
            "summary": "Come si chiede un certificato storico.",
            "body": "{saluto},\nil certificato è pronto (pratica {codice}).",
            "keywords": "certificato, residenza",
            "audience": Article.Audience.INTERNAL,
        },
        cast.administrator,
    )
    published = build_menu(cast.administrator)
    draft = menus.draft_from(published, cast.administrator)
    replay(page_channel(), "feed_comment_add")
    queue.sync()
    dpo = User.objects.create_user(
        username="dpo", password=None, role=User.Role.ANALYST, first_name="Ida", last_name="Moro"
    )
    dpo.user_permissions.add(Permission.objects.get(codename="view_accessrecord"))
    users: dict[str, User] = {
        role: getattr(cast, role) for role in STAFF - {"dpo"} if hasattr(cast, role)
    }
    users["dpo"] = User.objects.get(pk=dpo.pk)
    charter = charters.save_charter(
        charters.CharterData(
            title="Carta dei servizi anagrafici",
            slug="anagrafe",
            service=Service.objects.create(code="certificati", name="Certificati anagrafici"),
            issued_on=date(2025, 1, 1),
            published=True,
        ),
        document=SimpleUploadedFile("carta.pdf", CHARTER_PDF, content_type="application/pdf"),
    )
    indicator = charters.save_indicator(
        charter,
        charters.IndicatorData(
            name="Risposta entro 30 giorni",
            formula=QualityIndicator.Formula.ANSWERED_WITHIN,
            parameters={"days": 30},
            target=90,
        ),
    )
    plan_entry = plan.save_entry(
        plan.EntryData(year=2026, department=cast.anagrafe, title="Gradimento degli sportelli")
    )
    survey = branching_survey(anonymous=False)
    invitation = invite(survey, ticket=anagrafe, citizen=anagrafe.citizen, office=cast.anagrafe)
    survey_draft = building.draft_version(survey)
    return State(
        charter=charter,
        indicator=indicator,
        plan_entry=plan_entry,
        tari=tari,
        anagrafe=anagrafe,
        citizen=anagrafe.citizen,
        inbound=inbound,
        reply=reply,
        suggestion=suggestion,
        saved_view=SavedView.objects.create(
            user=cast.anagrafe_operator, name="Residenze", query="q=residenza"
        ),
        article=article,
        draft=draft,
        node=draft.nodes.get(kind=MenuNode.Kind.FORM),
        alert=make_alert(timezone.now() - timedelta(hours=1)),
        thread=SocialThread.objects.get(),
        campaign=Campaign.objects.create(
            code="residenze-2026",
            name="Residenze 2026",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        ),
        archive=build_access_archive(
            AccessArchive.objects.create(
                citizen=anagrafe.citizen, requested_by=cast.administrator
            ).pk
        ),
        notice=record_privacy_notice("2026-01", "Informativa sul trattamento dei dati.").version,
        job=ForecastJob.objects.create(
            requested_by=cast.supervisor,
            horizon_days=4,
            interval_minutes=60,
            status=ForecastJob.Status.FAILED,
            error="Troppo pochi dati per una previsione.",
            finished_at=timezone.now(),
        ),
        questionnaire=published_summary(),
        results_survey=make_survey("anagrafe-sportelli", office=cast.anagrafe),
        survey=survey,
        survey_question=survey_draft.questions.get(code="voto"),
        survey_token=invitation_token(invitation),
        users=users,
    )


# --- The table ----------------------------------------------------------------------------------

# What a request may answer. OK: the role got past every check (a page, a redirect that is not
# to sign in, a form's own refusal: 400 or 409). LOGIN: the console's sign-in page.
OK = "ok"
LOGIN = "login"
REFUSED = "refused"  # 400, 401 or 403: a webhook without its signature
STOP = 286  # the screen-pop's "stop polling"


@dataclass(frozen=True)
class Rule:
    """One route: how it is asked (`method`, the URL with the Anagrafe's object, form data),
    which roles may use it (`allow`), which of them are told the object does not exist
    (`not_found`: 404, never its content), what other signed-in roles get (`denied`) and
    what an anonymous visitor gets (`anonymous`)."""

    url: Callable[[State], str]
    allow: frozenset[str]
    method: str = "get"
    data: Callable[[State], dict[str, Any]] | None = None
    not_found: frozenset[str] = frozenset()
    denied: int | str = 403
    anonymous: int | str = LOGIN
    as_json: bool = False  # the API's POSTs: a JSON body

    def expected(self, role: str) -> int | str:
        if role in self.not_found:
            return 404
        if role in self.allow:
            return OK
        return self.anonymous if role == "anonymous" else self.denied


def get(url: Callable[[State], str], allow: frozenset[str], **kw: Any) -> Rule:
    return Rule(url, allow, **kw)


def post(url: Callable[[State], str], allow: frozenset[str], **kw: Any) -> Rule:
    return Rule(url, allow, method="post", **kw)


def public(url: Callable[[State], str], **kw: Any) -> Rule:
    return Rule(url, EVERYONE, **kw)


def margins(s: State) -> PopulationMargins:
    """The state's reference population, made the first time a route asks for it."""
    if s.margins is None:
        s.margins = PopulationMargins.objects.create(
            name="Milano 2026", margins={"gender": {"F": 0.52, "M": 0.48}}
        )
    return s.margins


def qs(s: State) -> ExecutiveSummary:
    assert s.questionnaire is not None
    return s.questionnaire


def case(s: State) -> str:
    return f"/console/cases/{s.anagrafe.code}"


def api_get(path: Callable[[State], str], allow: frozenset[str], **kw: Any) -> Rule:
    return Rule(lambda s: "/api/v1" + path(s), allow, denied=403, anonymous=401, **kw)


def api_post(
    path: Callable[[State], str],
    allow: frozenset[str],
    data: dict[str, Any] | Callable[[State], dict[str, Any]],
    **kw: Any,
) -> Rule:
    return Rule(
        lambda s: "/api/v1" + path(s),
        allow,
        method="post",
        data=data if callable(data) else lambda s: data,
        denied=403,
        anonymous=401,
        as_json=True,
        **kw,
    )


def api_case(action: str, data: dict[str, Any] | Callable[[State], dict[str, Any]]) -> Rule:
    """A workflow action on the Anagrafe's case: the TARI operator is told it does not exist."""
    return api_post(
        lambda s: f"/cases/{s.anagrafe.code}/{action}", HANDLERS, data, not_found=OTHER_OFFICE
    )


CALL = {
    "call_id": "matrice-1",
    "queue": "anagrafe",
    "arrived_at": "2026-11-02T09:00:00+01:00",
    "ended_at": "2026-11-02T09:05:00+01:00",
    "abandoned": False,
}
API_RULES: dict[str, Rule] = {
    "api/v1/cases": api_get(lambda s: "/cases", HANDLERS),
    "api/v1/cases/<code>": api_get(
        lambda s: f"/cases/{s.anagrafe.code}", HANDLERS, not_found=OTHER_OFFICE
    ),
    "api/v1/cases/<code>/events": api_get(
        lambda s: f"/cases/{s.anagrafe.code}/events", HANDLERS, not_found=OTHER_OFFICE
    ),
    "api/v1/cases/<code>/messages": api_get(
        lambda s: f"/cases/{s.anagrafe.code}/messages", HANDLERS, not_found=OTHER_OFFICE
    ),
    "api/v1/cases/<code>/messages/<message_id>/attachments/<index>": api_get(
        lambda s: f"/cases/{s.anagrafe.code}/messages/{s.inbound.pk}/attachments/0",
        HANDLERS,
        not_found=OTHER_OFFICE,
    ),
    "api/v1/cases/<code>/reply": api_case("reply", {"text": "Ecco la risposta."}),
    "api/v1/cases/<code>/note": api_case("note", {"text": "Nota interna."}),
    "api/v1/cases/<code>/assign": api_case(
        "assign", lambda s: {"assignee": s.users["anagrafe_operator"].username}
    ),
    "api/v1/cases/<code>/escalate": api_case("escalate", {"office": "anagrafe"}),
    "api/v1/cases/<code>/send-back": api_case("send-back", {"reason": "Non di competenza."}),
    "api/v1/cases/<code>/wait": api_case("wait", {}),
    "api/v1/cases/<code>/resolve": api_case("resolve", {"resolution": "Risolto."}),
    "api/v1/cases/<code>/close": api_case("close", {}),
    "api/v1/cases/<code>/reopen": api_case("reopen", {}),
    "api/v1/cases/<code>/cancel": api_case("cancel", {"reason": "Aperto per errore."}),
    "api/v1/citizens": api_get(lambda s: "/citizens?q=Bianchi", HANDLERS),
    "api/v1/citizens/<citizen_id>": api_get(
        lambda s: f"/citizens/{s.citizen.pk}", HANDLERS, not_found=OTHER_OFFICE
    ),
    "api/v1/themes": api_get(lambda s: "/themes", STAFF),
    "api/v1/offices": api_get(lambda s: "/offices", STAFF),
    "api/v1/services": api_get(lambda s: "/services", STAFF),
    "api/v1/calls": api_post(lambda s: "/calls", SUPERVISION, {"calls": [CALL]}),
    "api/v1/articles": api_get(lambda s: "/articles", STAFF),
    "api/v1/articles/<slug>": api_get(lambda s: f"/articles/{s.article.slug}", STAFF),
    # No answer exists in this city: whoever may read answers is told this one does not.
    "api/v1/survey-answers": api_get(lambda s: "/survey-answers", ANALYSIS),
    "api/v1/survey-answers/<response_id>": api_get(
        lambda s: "/survey-answers/0", frozenset(), not_found=ANALYSIS
    ),
    "api/v1/reports/monthly": api_get(lambda s: "/reports/monthly", ANALYSIS),
}

MATRIX: dict[str, Rule] = {
    # The root, the language switch.
    "": public(lambda s: "/"),
    "i18n/setlang/": public(
        lambda s: "/i18n/setlang/", method="post", data=lambda s: {"language": "en"}
    ),
    # Sign-in, sign-out, the second factor, passwords: before sign-in, or one's own account.
    "console/accedi/": public(lambda s: "/console/accedi/"),
    "console/accedi/codice/": get(lambda s: "/console/accedi/codice/", STAFF),
    "console/accedi/attiva/": get(lambda s: "/console/accedi/attiva/", STAFF),
    "console/accedi/codici-di-recupero/": get(
        lambda s: "/console/accedi/codici-di-recupero/", STAFF
    ),
    # Signing out ends on the sign-in page, for everybody.
    "console/esci/": post(lambda s: "/console/esci/", frozenset(), denied=LOGIN),
    "console/": get(lambda s: "/console/", STAFF),
    "console/account/": get(lambda s: "/console/account/", STAFF),
    "console/account/esci-ovunque/": post(lambda s: "/console/account/esci-ovunque/", STAFF),
    "console/account/codici-di-recupero/": post(
        lambda s: "/console/account/codici-di-recupero/", STAFF
    ),
    "console/account/password/": get(lambda s: "/console/account/password/", STAFF),
    "console/password-dimenticata/": public(lambda s: "/console/password-dimenticata/"),
    "console/password-dimenticata/inviata/": public(
        lambda s: "/console/password-dimenticata/inviata/"
    ),
    "console/password-dimenticata/<uidb64>/<token>/": public(
        lambda s: "/console/password-dimenticata/MQ/link-scaduto/"
    ),
    "console/password-dimenticata/fatto/": public(lambda s: "/console/password-dimenticata/fatto/"),
    # The inbox: lists, counters, bulk changes, saved views (each user's own).
    "console/inbox/": get(lambda s: "/console/inbox/", HANDLERS),
    "console/inbox/bulk/": post(
        lambda s: "/console/inbox/bulk/",
        HANDLERS,
        data=lambda s: {"tickets": [str(s.anagrafe.pk)], "action": "tag"},
    ),
    # The poll asks for rows by id: the other office's row is not among the changes shown.
    "console/inbox/live/": get(
        lambda s: f"/console/inbox/live/?since=0&loaded=0&ids={s.anagrafe.pk},{s.tari.pk}",
        HANDLERS,
    ),
    "console/inbox/take/": post(
        lambda s: "/console/inbox/take/",
        HANDLERS,
        data=lambda s: {"ticket": str(s.anagrafe.pk)},
        not_found=OTHER_OFFICE,
    ),
    "console/inbox/layout/": post(lambda s: "/console/inbox/layout/", HANDLERS),
    "console/inbox/views/": post(
        lambda s: "/console/inbox/views/", HANDLERS, data=lambda s: {"name": "Mia", "query": "q=x"}
    ),
    "console/inbox/views/<int:pk>/delete/": post(
        lambda s: f"/console/inbox/views/{s.saved_view.pk}/delete/",
        HANDLERS,
        not_found=HANDLERS - {"anagrafe_operator"},
    ),
    # A case, its file, its actions: the Anagrafe's, so the TARI operator is told nothing.
    "console/cases/<str:code>/": get(lambda s: f"{case(s)}/", HANDLERS, not_found=OTHER_OFFICE),
    "console/cases/<str:code>/attachments/<int:message_id>/<int:index>/": get(
        lambda s: f"{case(s)}/attachments/{s.inbound.pk}/0/", HANDLERS, not_found=OTHER_OFFICE
    ),
    "console/cases/<str:code>/snippets/": get(
        lambda s: f"{case(s)}/snippets/?q=certificato", HANDLERS, not_found=OTHER_OFFICE
    ),
    "console/cases/<str:code>/presence/": post(
        lambda s: f"{case(s)}/presence/", HANDLERS, not_found=OTHER_OFFICE
    ),
    "console/cases/<str:code>/<slug:name>/": post(
        lambda s: f"{case(s)}/note/",
        HANDLERS,
        data=lambda s: {"text": "Nota interna di prova."},
        not_found=OTHER_OFFICE,
    ),
    # Supervision: the overview's counters and the wall.
    "console/overview/": get(lambda s: "/console/overview/", SUPERVISION),
    "console/overview/wall/": get(lambda s: "/console/overview/wall/", SUPERVISION),
    # Calls and citizens: the lookup finds only citizens of one's scope (asked for Luca here).
    "console/calls/new/": get(lambda s: "/console/calls/new/", HANDLERS),
    "console/calls/lookup/": post(
        lambda s: "/console/calls/lookup/",
        HANDLERS,
        data=lambda s: {"phone": personas.LUCA_PHONE, "fiscal_code": personas.LUCA_FISCAL_CODE},
    ),
    "console/calls/incoming/": post(
        lambda s: "/console/calls/incoming/",
        HANDLERS,
        denied=STOP,
        anonymous=STOP,
    ),
    "console/citizens/search/": post(
        lambda s: "/console/citizens/search/", HANDLERS, data=lambda s: {"q": "Luca"}
    ),
    "console/citizens/<int:pk>/": get(
        lambda s: f"/console/citizens/{s.citizen.pk}/", HANDLERS, not_found=OTHER_OFFICE
    ),
    "console/citizens/duplicates/": get(lambda s: "/console/citizens/duplicates/", HANDLERS),
    "console/citizens/duplicates/<int:pk>/accept/": post(
        lambda s: f"/console/citizens/duplicates/{s.suggestion.pk}/accept/",
        HANDLERS,
        not_found=OTHER_OFFICE,
    ),
    "console/citizens/duplicates/<int:pk>/dismiss/": post(
        lambda s: f"/console/citizens/duplicates/{s.suggestion.pk}/dismiss/",
        HANDLERS,
        not_found=OTHER_OFFICE,
    ),
    # The contact center's planning: supervisors.
    "console/contactcenter/": get(lambda s: "/console/contactcenter/", SUPERVISION),
    "console/contactcenter/calendar/": post(
        lambda s: "/console/contactcenter/calendar/", SUPERVISION
    ),
    "console/contactcenter/forecast/": post(
        lambda s: "/console/contactcenter/forecast/", SUPERVISION
    ),
    "console/contactcenter/forecast/<int:pk>/": get(
        lambda s: f"/console/contactcenter/forecast/{s.job.pk}/", SUPERVISION
    ),
    # Large questionnaires: the roles that read the reports import, summarise and publish.
    "console/indagini/": get(lambda s: "/console/indagini/", ANALYSIS),
    "console/indagini/<int:survey_id>/importa/": get(
        lambda s: f"/console/indagini/{qs(s).survey_id}/importa/", ANALYSIS
    ),
    "console/indagini/importazioni/<int:pk>/": get(
        lambda s: f"/console/indagini/importazioni/{qs(s).survey.imports.get().pk}/", ANALYSIS
    ),
    "console/indagini/<int:survey_id>/sintesi/": post(
        lambda s: f"/console/indagini/{qs(s).survey_id}/sintesi/", ANALYSIS
    ),
    "console/indagini/sintesi/<int:pk>/": get(
        lambda s: f"/console/indagini/sintesi/{qs(s).pk}/", ANALYSIS
    ),
    "console/indagini/sintesi/<int:pk>/rigenera/": post(
        lambda s: f"/console/indagini/sintesi/{qs(s).pk}/rigenera/", ANALYSIS
    ),
    "console/indagini/sintesi/<int:pk>/pubblica/": post(
        lambda s: f"/console/indagini/sintesi/{qs(s).pk}/pubblica/", ANALYSIS
    ),
    "console/contactcenter/calls/import/": get(
        lambda s: "/console/contactcenter/calls/import/", SUPERVISION
    ),
    # Reports: figures, for analysts and supervision (their exports in EXPORTS below).
    "console/reports/": get(lambda s: "/console/reports/", ANALYSIS),
    "console/reports/themes/": get(lambda s: "/console/reports/themes/", ANALYSIS),
    "console/reports/campaigns/": get(lambda s: "/console/reports/campaigns/", ANALYSIS),
    "console/reports/campaigns/<slug:code>/": get(
        lambda s: f"/console/reports/campaigns/{s.campaign.code}/", ANALYSIS
    ),
    "console/reports/social/": get(lambda s: "/console/reports/social/", ANALYSIS),
    "console/reports/chatbot/": get(lambda s: "/console/reports/chatbot/", ANALYSIS),
    "console/reports/ratings/": get(lambda s: "/console/reports/ratings/", ANALYSIS),
    "console/reports/complaints/": get(lambda s: "/console/reports/complaints/", ANALYSIS),
    "console/reports/open-data/": get(lambda s: "/console/reports/open-data/", ANALYSIS),
    "console/reports/ivr/": get(lambda s: "/console/reports/ivr/", ANALYSIS),
    # A survey's results: the analysis roles, and the office operators of the survey's office
    # (the Anagrafe's); another office's survey does not exist for its operator.
    "console/questionari/<slug:code>/risultati/": get(
        lambda s: f"/console/questionari/{s.results_survey.code}/risultati/",
        ANALYSIS | {"anagrafe_operator"},
        not_found=OTHER_OFFICE,
    ),
    "console/questionari/<slug:code>/risultati/temi/": post(
        lambda s: f"/console/questionari/{s.results_survey.code}/risultati/temi/",
        ANALYSIS | {"anagrafe_operator"},
        data=lambda s: {"suggerisci": "1"},
        not_found=OTHER_OFFICE,
    ),
    # The social triage queue: the roles that handle every office.
    "console/social/": get(lambda s: "/console/social/", ALL_OFFICES),
    "console/social/<int:pk>/": get(lambda s: f"/console/social/{s.thread.pk}/", ALL_OFFICES),
    "console/social/<int:pk>/<slug:action>/": post(
        lambda s: f"/console/social/{s.thread.pk}/claim/", ALL_OFFICES
    ),
    # Alerts on current topics: the editorial team.
    "console/alerts/": get(lambda s: "/console/alerts/", SUPERVISION),
    "console/alerts/new/": get(lambda s: "/console/alerts/new/", SUPERVISION),
    "console/alerts/<int:pk>/": get(lambda s: f"/console/alerts/{s.alert.pk}/", SUPERVISION),
    "console/alerts/<int:pk>/end/": post(
        lambda s: f"/console/alerts/{s.alert.pk}/end/", SUPERVISION
    ),
    "console/alerts/<int:pk>/send/": get(
        lambda s: f"/console/alerts/{s.alert.pk}/send/", SUPERVISION
    ),
    # The service charters: read by all staff, defined by analysts and administrators; the
    # survey plan: read by the analysis roles.
    "console/carte-dei-servizi/": get(lambda s: "/console/carte-dei-servizi/", STAFF),
    "console/carte-dei-servizi/nuova/": get(
        lambda s: "/console/carte-dei-servizi/nuova/", LISTENING
    ),
    "console/carte-dei-servizi/<int:pk>/": get(
        lambda s: f"/console/carte-dei-servizi/{s.charter.pk}/", STAFF
    ),
    "console/carte-dei-servizi/<int:pk>/modifica/": get(
        lambda s: f"/console/carte-dei-servizi/{s.charter.pk}/modifica/", LISTENING
    ),
    "console/carte-dei-servizi/<int:pk>/indicatori/nuovo/": get(
        lambda s: f"/console/carte-dei-servizi/{s.charter.pk}/indicatori/nuovo/", LISTENING
    ),
    "console/carte-dei-servizi/indicatori/<int:pk>/": get(
        lambda s: f"/console/carte-dei-servizi/indicatori/{s.indicator.pk}/", LISTENING
    ),
    "console/carte-dei-servizi/indicatori/<int:pk>/elimina/": post(
        lambda s: f"/console/carte-dei-servizi/indicatori/{s.indicator.pk}/elimina/", LISTENING
    ),
    "console/carte-dei-servizi/<int:pk>/documento/": get(
        lambda s: f"/console/carte-dei-servizi/{s.charter.pk}/documento/", STAFF
    ),
    "console/indagini/popolazioni/": get(lambda s: "/console/indagini/popolazioni/", ANALYSIS),
    "console/indagini/popolazioni/nuova/": get(
        lambda s: "/console/indagini/popolazioni/nuova/", ANALYSIS
    ),
    "console/indagini/popolazioni/<int:pk>/": get(
        lambda s: f"/console/indagini/popolazioni/{margins(s).pk}/", ANALYSIS
    ),
    "console/indagini/popolazioni/<int:pk>/elimina/": post(
        lambda s: f"/console/indagini/popolazioni/{margins(s).pk}/elimina/", ANALYSIS
    ),
    "console/piano-indagini/": get(lambda s: "/console/piano-indagini/?anno=2026", ANALYSIS),
    "console/piano-indagini/nuova/": get(lambda s: "/console/piano-indagini/nuova/", LISTENING),
    "console/piano-indagini/<int:pk>/": get(
        lambda s: f"/console/piano-indagini/{s.plan_entry.pk}/", LISTENING
    ),
    # The survey builder: analysts and administrators; the survey holds no citizen's data.
    "console/questionari/": get(lambda s: "/console/questionari/", SURVEY_BUILDERS),
    "console/questionari/nuovo/": get(lambda s: "/console/questionari/nuovo/", SURVEY_BUILDERS),
    "console/questionari/<int:pk>/": get(
        lambda s: f"/console/questionari/{s.survey.pk}/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/anteprima/": get(
        lambda s: f"/console/questionari/{s.survey.pk}/anteprima/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/pubblica/": post(
        lambda s: f"/console/questionari/{s.survey.pk}/pubblica/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/chiudi/": post(
        lambda s: f"/console/questionari/{s.survey.pk}/chiudi/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/nuova-versione/": post(
        lambda s: f"/console/questionari/{s.survey.pk}/nuova-versione/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/scarta-bozza/": post(
        lambda s: f"/console/questionari/{s.survey.pk}/scarta-bozza/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/domande/nuova/": get(
        lambda s: f"/console/questionari/{s.survey.pk}/domande/nuova/", SURVEY_BUILDERS
    ),
    "console/questionari/<int:pk>/domande/<int:question_id>/": get(
        lambda s: f"/console/questionari/{s.survey.pk}/domande/{s.survey_question.pk}/",
        SURVEY_BUILDERS,
    ),
    "console/questionari/<int:pk>/domande/<int:question_id>/togli/": post(
        lambda s: f"/console/questionari/{s.survey.pk}/domande/{s.survey_question.pk}/togli/",
        SURVEY_BUILDERS,
    ),
    "console/questionari/<int:pk>/domande/<int:question_id>/sposta/": post(
        lambda s: f"/console/questionari/{s.survey.pk}/domande/{s.survey_question.pk}/sposta/",
        SURVEY_BUILDERS,
        data=lambda s: {"verso": "giu"},
    ),
    # The knowledge base: read by whoever answers citizens, written by the editorial team. An
    # article opened beside a case of another office is not filled with that case: 404.
    "console/conoscenza/": get(lambda s: "/console/conoscenza/", HANDLERS),
    "console/conoscenza/cerca/": post(
        lambda s: "/console/conoscenza/cerca/",
        HANDLERS,
        data=lambda s: {"q": "certificato", "case": s.anagrafe.code},
        not_found=OTHER_OFFICE,
    ),
    "console/conoscenza/nuovo/": get(lambda s: "/console/conoscenza/nuovo/", SUPERVISION),
    "console/conoscenza/<slug:slug>/": get(
        lambda s: f"/console/conoscenza/{s.article.slug}/?case={s.anagrafe.code}",
        HANDLERS,
        not_found=OTHER_OFFICE,
    ),
    "console/conoscenza/<slug:slug>/modifica/": get(
        lambda s: f"/console/conoscenza/{s.article.slug}/modifica/", SUPERVISION
    ),
    "console/conoscenza/<slug:slug>/versioni/": get(
        lambda s: f"/console/conoscenza/{s.article.slug}/versioni/", SUPERVISION
    ),
    "console/conoscenza/<slug:slug>/versioni/<int:pk>/ripristina/": post(
        lambda s: f"/console/conoscenza/{s.article.slug}/versioni/0/ripristina/",
        SUPERVISION,
        not_found=SUPERVISION,  # no such version: the route is reached, the id is not there
    ),
    "console/conoscenza/<slug:slug>/utile/": post(
        lambda s: f"/console/conoscenza/{s.article.slug}/utile/",
        HANDLERS,
        data=lambda s: {"case": s.anagrafe.code},
        not_found=OTHER_OFFICE,
    ),
    # The assistant's menus: the editorial team.
    "console/assistente/": get(lambda s: "/console/assistente/", SUPERVISION),
    "console/assistente/menu/nuovo/": post(
        lambda s: "/console/assistente/menu/nuovo/", SUPERVISION
    ),
    "console/assistente/articoli/": get(lambda s: "/console/assistente/articoli/", SUPERVISION),
    "console/assistente/versioni/<int:pk>/": get(
        lambda s: f"/console/assistente/versioni/{s.draft.pk}/", SUPERVISION
    ),
    "console/assistente/versioni/<int:pk>/simulatore/": get(
        lambda s: f"/console/assistente/versioni/{s.draft.pk}/simulatore/", SUPERVISION
    ),
    "console/assistente/versioni/<int:pk>/voci/nuova/": get(
        lambda s: f"/console/assistente/versioni/{s.draft.pk}/voci/nuova/", SUPERVISION
    ),
    "console/assistente/versioni/<int:pk>/<slug:action>/": post(
        lambda s: f"/console/assistente/versioni/{s.draft.pk}/scarta/", SUPERVISION
    ),
    "console/assistente/voci/<int:pk>/": get(
        lambda s: f"/console/assistente/voci/{s.node.pk}/", SUPERVISION
    ),
    "console/assistente/voci/<int:pk>/<slug:action>/": post(
        lambda s: f"/console/assistente/voci/{s.node.pk}/su/", SUPERVISION
    ),
    # The access log: the DPO and administrators, about the Anagrafe's citizen.
    "console/registro-accessi/": get(
        lambda s: f"/console/registro-accessi/?cittadino={s.citizen.pk}", ACCESS_LOG
    ),
    # The GDPR tools: administrators only; the others are refused, not shown the citizen.
    "console/citizens/<int:pk>/privacy/": get(
        lambda s: f"/console/citizens/{s.citizen.pk}/privacy/", ADMINISTRATORS
    ),
    "console/citizens/<int:pk>/privacy/export/": post(
        lambda s: f"/console/citizens/{s.citizen.pk}/privacy/export/", ADMINISTRATORS
    ),
    "console/citizens/<int:pk>/privacy/erase/": post(
        lambda s: f"/console/citizens/{s.citizen.pk}/privacy/erase/",
        ADMINISTRATORS,
        data=lambda s: {"reason": "Richiesta dell'interessato", "confirm": "1"},
    ),
    "console/citizens/<int:pk>/privacy/hold/<str:code>/": post(
        lambda s: f"/console/citizens/{s.citizen.pk}/privacy/hold/{s.anagrafe.code}/",
        ADMINISTRATORS,
        data=lambda s: {"reason": "Procedimento in corso"},
    ),
    "console/privacy/archives/<int:pk>/": get(
        lambda s: f"/console/privacy/archives/{s.archive.pk}/", ADMINISTRATORS
    ),
    "console/privacy/archives/<int:pk>/<str:kind>/": get(
        lambda s: f"/console/privacy/archives/{s.archive.pk}/zip/", ADMINISTRATORS
    ),
    # A privacy notice's words (no one's data): for those who read the consents on a citizen's page.
    "console/privacy/notices/<str:version>/": get(
        lambda s: f"/console/privacy/notices/{s.notice}/", HANDLERS
    ),
    # Single sign-on: off unless the city's directory is configured, then no such page.
    "console/accedi/comune/": get(
        lambda s: "/console/accedi/comune/", frozenset(), denied=404, anonymous=404
    ),
    "console/accedi/comune/ritorno/": get(
        lambda s: "/console/accedi/comune/ritorno/", frozenset(), denied=404, anonymous=404
    ),
    # The citizen pages: public, and never personal by a code alone.
    "scrivi/": public(lambda s: "/scrivi/"),
    "scrivi/inviata/": public(
        lambda s: "/scrivi/inviata/?" + urlencode({"c": signing.dumps(s.anagrafe.code, salt=SENT)})
    ),
    "scrivi/servizi/": public(lambda s: "/scrivi/servizi/"),
    "scrivi/suggerimenti/": public(lambda s: "/scrivi/suggerimenti/?q=certificato"),
    # An internal article is not a public page, for anybody.
    "scrivi/articoli/<slug:slug>/": public(
        lambda s: f"/scrivi/articoli/{s.article.slug}/", not_found=EVERYONE
    ),
    "scrivi/articoli/<slug:slug>/utile/": public(
        lambda s: f"/scrivi/articoli/{s.article.slug}/utile/", method="post", not_found=EVERYONE
    ),
    "scrivi/privacy/": public(lambda s: "/scrivi/privacy/"),
    "scrivi/pratica/": public(lambda s: f"/scrivi/pratica/?codice={s.anagrafe.code}"),
    "scrivi/pratica/<str:code>/": public(lambda s: f"/scrivi/pratica/{s.anagrafe.code}/"),
    # Without the token of the question's mail, nobody answers into a case.
    "scrivi/pratica/<str:code>/rispondi/": post(
        lambda s: f"/scrivi/pratica/{s.anagrafe.code}/rispondi/",
        frozenset(),
        data=lambda s: {"text": "Risposta senza permesso."},
        anonymous=403,
    ),
    # A reply's file is served to whoever holds the code; the citizen's own file never.
    "scrivi/pratica/<str:code>/allegati/<int:message_id>/<int:index>/": public(
        lambda s: f"/scrivi/pratica/{s.anagrafe.code}/allegati/{s.inbound.pk}/0/",
        not_found=EVERYONE,
    ),
    "scrivi/valutazione/": public(lambda s: "/scrivi/valutazione/", method="post"),
    # The portal's page rating answers only the portal's origins (CORS): none here, refused.
    "scrivi/valutazione/portale/": Rule(
        lambda s: "/scrivi/valutazione/portale/", frozenset(), method="post", anonymous=403
    ),
    # An online service's survey link: no open survey for this code.
    "scrivi/questionario/servizio/<slug:code>/": public(
        lambda s: "/scrivi/questionario/servizio/certificati/", not_found=EVERYONE
    ),
    "scrivi/assistente/": public(lambda s: "/scrivi/assistente/"),
    # A survey's answering page: whoever holds the invitation's link; nothing of the case.
    "scrivi/questionario/<str:token>/": public(lambda s: f"/scrivi/questionario/{s.survey_token}/"),
    "scrivi/questionario/<str:token>/grazie/": public(
        lambda s: f"/scrivi/questionario/{s.survey_token}/grazie/"
    ),
    "trasparenza/": public(lambda s: "/trasparenza/"),
    "trasparenza/reclami/<int:year>/": public(lambda s: "/trasparenza/reclami/2026/"),
    "trasparenza/indagini/<slug:slug>/": public(lambda s: f"/trasparenza/indagini/{qs(s).slug}/"),
    "trasparenza/carte-dei-servizi/": public(lambda s: "/trasparenza/carte-dei-servizi/"),
    "trasparenza/carte-dei-servizi/relazione/<int:year>/": public(
        lambda s: "/trasparenza/carte-dei-servizi/relazione/2026/"
    ),
    "trasparenza/carte-dei-servizi/<slug:slug>/documento/": public(
        lambda s: f"/trasparenza/carte-dei-servizi/{s.charter.slug}/documento/"
    ),
    "trasparenza/carte-dei-servizi/<slug:slug>/": public(
        lambda s: f"/trasparenza/carte-dei-servizi/{s.charter.slug}/"
    ),
    "avvisi/banner/": public(lambda s: "/avvisi/banner/"),
    # The API: public probes and documents; the telephony system signs its calls.
    "api/v1/openapi.json": public(lambda s: "/api/v1/openapi.json"),
    "api/v1/docs": public(lambda s: "/api/v1/docs"),
    "api/v1/": public(lambda s: "/api/v1/", not_found=EVERYONE),  # no resource at the root
    "api/v1/health": public(lambda s: "/api/v1/health"),
    "healthz": public(lambda s: "/healthz"),
    "readyz": public(lambda s: "/readyz"),
    # Only Prometheus's token opens the metrics: no session, whoever's, does.
    "metrics": get(lambda s: "/metrics", frozenset(), denied=REFUSED, anonymous=REFUSED),
    "api/v1/alerts": public(lambda s: "/api/v1/alerts"),
    "api/v1/telephony/calls": post(
        lambda s: "/api/v1/telephony/calls", frozenset(), denied=REFUSED, anonymous=REFUSED
    ),
    "api/v1/telephony/call-started": post(
        lambda s: "/api/v1/telephony/call-started", frozenset(), denied=REFUSED, anonymous=REFUSED
    ),
    # The API's resources (docs/api.md): the console's session holds its role's scopes
    # (`api.auth.session_scopes`), the office scope is the console's; no session is a 401.
    **API_RULES,
    # Open311 GeoReport v2 (docs/open311.md): public reads (no personal data), formats by
    # extension; the state has no public service, so a service, a request, a token are 404.
    r"open311/^discovery\.(?P<fmt>xml|json)$": public(lambda s: "/open311/discovery.json"),
    r"open311/^v2/services\.(?P<fmt>xml|json)$": public(lambda s: "/open311/v2/services.xml"),
    r"open311/^v2/services/(?P<code>[A-Za-z0-9_-]{1,64})\.(?P<fmt>xml|json)$": public(
        lambda s: "/open311/v2/services/tari.json", not_found=EVERYONE
    ),
    r"open311/^v2/requests\.(?P<fmt>xml|json)$": public(lambda s: "/open311/v2/requests.json"),
    r"open311/^v2/requests/(?P<request_id>[^/.]{1,40})\.(?P<fmt>xml|json)$": public(
        lambda s: f"/open311/v2/requests/{s.anagrafe.pk}.xml", not_found=EVERYONE
    ),
    r"open311/^v2/tokens/(?P<token>[^/.]{1,64})\.(?P<fmt>xml|json)$": public(
        lambda s: "/open311/v2/tokens/0123456789abcdef0123456789abcdef.json", not_found=EVERYONE
    ),
    r"open311/^v2/servicerequestupdates\.(?P<fmt>xml|json)$": public(
        lambda s: "/open311/v2/servicerequestupdates.json"
    ),
    "webhooks/meta/<slug:code>/": post(
        lambda s: "/webhooks/meta/facebook/", frozenset(), denied=REFUSED, anonymous=REFUSED
    ),
}

# Downloads asked for with a query on a route of the table: the route's rule applies, and their
# bodies are read like the pages'.
EXPORTS: list[tuple[str, Callable[[State], str]]] = [
    ("console/reports/", lambda s: "/console/reports/?formato=csv"),
    ("console/reports/", lambda s: "/console/reports/?formato=xlsx"),
    ("console/reports/themes/", lambda s: "/console/reports/themes/?formato=csv"),
    ("console/reports/complaints/", lambda s: "/console/reports/complaints/?formato=csv"),
    (
        "console/reports/campaigns/<slug:code>/",
        lambda s: f"/console/reports/campaigns/{s.campaign.code}/?formato=csv",
    ),
    ("console/contactcenter/", lambda s: "/console/contactcenter/?csv=callbacks"),
    ("console/piano-indagini/", lambda s: "/console/piano-indagini/?anno=2026&formato=csv"),
    ("console/piano-indagini/", lambda s: "/console/piano-indagini/?anno=2026&formato=xlsx"),
    (
        "trasparenza/carte-dei-servizi/relazione/<int:year>/",
        lambda s: "/trasparenza/carte-dei-servizi/relazione/2026/?formato=csv",
    ),
    (
        "console/registro-accessi/",
        lambda s: f"/console/registro-accessi/?cittadino={s.citizen.pk}&formato=csv",
    ),
]


# --- The walk -----------------------------------------------------------------------------------


def routes() -> Iterator[str]:
    """Every route of the URL conf outside the admin, as its full pattern."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    for route in walk(get_resolver().url_patterns, ""):
        if not route.startswith("admin/"):
            yield route


def outcome(response: HttpResponseBase) -> int | str:
    """What a response says about access, in the table's words."""
    status = response.status_code
    if status in (301, 302, 303):
        if response["Location"].split("?")[0] == "/console/accedi/":
            return LOGIN
        return OK
    if status in (200, 201, 202, 204, 400, 409):
        return OK
    return status


def ask(
    client: Client, method: str, url: str, data: dict[str, Any] | None, as_json: bool = False
) -> HttpResponseBase:
    """One request in a savepoint rolled back after it; the client's cookies as before."""
    cookies = SimpleCookie(client.cookies)
    forget_counts()
    extra = {"content_type": "application/json"} if as_json else {}
    with transaction.atomic():
        response: HttpResponseBase = getattr(client, method)(url, data or {}, **extra)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def body(response: HttpResponseBase) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        content = response.content  # type: ignore[attr-defined]
    return content.decode("utf-8", "replace")


def leaks(role: str, text: str) -> list[str]:
    return [word for whose in NEVER_SEES.get(role, []) for word in SECRETS[whose] if word in text]


@pytest.fixture
def state(cast: personas.Cast, settings: Any, tmp_path: Any) -> State:
    settings.MEDIA_ROOT = tmp_path
    settings.ASCOLTO_METRICS_TOKEN = "a-token-no-role-has"
    return build_state(cast)


def clients(state: State) -> dict[str, Client]:
    signed_in: dict[str, Client] = {"anonymous": Client()}
    for role, user in state.users.items():
        signed_in[role] = Client()
        signed_in[role].force_login(user)
    return signed_in


def test_every_route_is_in_the_table() -> None:
    found = set(routes())
    assert len(found) > 80
    assert found - set(MATRIX) == set(), "routes with no rule of access: add them to MATRIX"
    assert set(MATRIX) - found == set(), "rules of routes that are gone"


def test_every_role_gets_what_the_table_says_and_no_other_office_s_data(state: State) -> None:
    by_role = clients(state)
    assert set(by_role) == set(ROLES)
    wrong: dict[str, dict[str, tuple[int | str, int | str]]] = {}
    leaked: dict[str, dict[str, list[str]]] = {}
    seen: dict[str, set[str]] = {role: set() for role in ROLES}
    asked = 0
    for route, rule in MATRIX.items():
        url = rule.url(state)
        data = rule.data(state) if rule.data else None
        for role in ROLES:
            response = ask(by_role[role], rule.method, url, data, rule.as_json)
            got, expected = outcome(response), rule.expected(role)
            if not (got == expected or (expected == REFUSED and got in (400, 401, 403))):
                wrong.setdefault(route, {})[role] = (got, expected)
            text = body(response)
            found = leaks(role, text)
            if found:
                leaked.setdefault(route, {})[role] = found
            seen[role] |= {word for words in SECRETS.values() for word in words if word in text}
            asked += 1
    assert wrong == {}, f"(got, expected) by route and role:\n{pformat(wrong)}"
    assert leaked == {}, f"personal data of a citizen the role may not see:\n{pformat(leaked)}"
    assert asked == len(MATRIX) * len(ROLES)
    # The reading is not blind: whoever may see a citizen does find their data on these pages.
    # (The objects of the table are the Anagrafe's: the TARI's citizen shows in lists.)
    for role in ("operator", "administrator", "anagrafe_operator"):
        assert set(SECRETS["anagrafe"]) <= seen[role], role
    for role in ("operator", "administrator", "office_operator"):
        assert "Rossi" in seen[role], role


def test_the_inbox_counts_only_the_cases_of_one_s_scope(state: State) -> None:
    """The inbox's totals and facets count what the user may open, not the other office's."""
    by_role = clients(state)
    totals = {
        role: by_role[role].get("/console/inbox/").context["counts"].total
        for role in ("operator", "office_operator", "anagrafe_operator")
    }
    assert totals == {"operator": 3, "office_operator": 1, "anagrafe_operator": 2}


def _snapshot(ticket: Ticket) -> tuple[Any, ...]:
    row = Ticket.objects.get(pk=ticket.pk)
    return (
        row.status,
        row.office_id,
        row.assignee_id,
        row.team_id,
        row.campaign_id,
        sorted(row.tags.values_list("pk", flat=True)),
        row.events.count(),
    )


@pytest.mark.parametrize("action", ["assign", "tag", "escalate", "campaign"])
def test_a_bulk_change_on_another_office_s_case_changes_nothing(
    state: State, cast: personas.Cast, action: str
) -> None:
    """Every bulk action, confirmed, with the Anagrafe's case among the ids: the TARI operator's
    own case changes, the Anagrafe's does not, and the answer does not name it."""
    tag = Tag.objects.create(name="Verificato", slug="verificato")
    before = _snapshot(state.anagrafe)
    client = clients(state)["office_operator"]
    data = {
        "tickets": [str(state.tari.pk), str(state.anagrafe.pk)],
        "action": action,
        "confirm": "1",
        "assignee": str(cast.office_operator.pk),
        "tag": str(tag.pk),
        "office": str(cast.tari.pk),
        "campaign": str(state.campaign.pk),
    }

    response = client.post("/console/inbox/bulk/", data, follow=True)

    assert response.status_code == 200
    text = response.content.decode()
    assert "1 caso non trovato o non accessibile" in text
    assert state.anagrafe.code not in text
    assert leaks("office_operator", text) == []
    assert _snapshot(state.anagrafe) == before


def test_a_citizen_known_to_two_offices_shows_each_only_its_own_cases(
    state: State, cast: personas.Cast
) -> None:
    """Maria, the TARI's citizen, writes to the Anagrafe too: the TARI operator still opens her
    page, her TARI case, finds her and looks her up on a call, and reads nothing of the
    Anagrafe's case (its code, her words, its internal note); the Anagrafe's operator does."""
    received = factories.submit_scrivi(
        "Cambio di residenza dopo la separazione, riservato.",
        email=personas.MARIA_EMAIL,
        fiscal_code=personas.MARIA_FISCAL_CODE,
    )
    assert received.ticket_id is not None
    other = Ticket.objects.get(pk=received.ticket_id)
    other = actions.escalate_ticket(other, cast.anagrafe, actor=cast.operator)
    actions.add_ticket_note(other, "Nota interna dell'Anagrafe.", actor=cast.anagrafe_operator)
    assert other.citizen_id == state.tari.citizen_id
    hidden = [other.code, "separazione", "Nota interna dell"]
    by_role = clients(state)

    def pages(role: str) -> dict[str, Any]:
        client = by_role[role]
        return {
            "citizen": client.get(f"/console/citizens/{other.citizen_id}/"),
            "search": client.post("/console/citizens/search/", {"q": personas.MARIA_FISCAL_CODE}),
            "lookup": client.post(
                "/console/calls/lookup/", {"fiscal_code": personas.MARIA_FISCAL_CODE}
            ),
            "call": client.get(f"/console/calls/new/?citizen={other.citizen_id}"),
            "case": client.get(f"/console/cases/{state.tari.code}/"),
        }

    tari = pages("office_operator")
    assert {name: r.status_code for name, r in tari.items()} == dict.fromkeys(tari, 200)
    shown = {
        name: [word for word in hidden if word in r.content.decode()] for name, r in tari.items()
    }
    assert shown == dict.fromkeys(tari, [])
    assert personas.MARIA_FISCAL_CODE in tari["citizen"].content.decode()
    anagrafe = by_role["anagrafe_operator"].get(f"/console/citizens/{other.citizen_id}/")
    assert other.code in anagrafe.content.decode()


def test_the_citizen_search_finds_a_citizen_only_within_one_s_scope(state: State) -> None:
    by_role = clients(state)
    found = {
        role: by_role[role].post("/console/citizens/search/", {"q": "Luca"}).content.decode()
        for role in ("operator", "anagrafe_operator", "office_operator")
    }
    assert personas.LUCA_FISCAL_CODE in found["operator"]
    assert personas.LUCA_FISCAL_CODE in found["anagrafe_operator"]
    assert "Bianchi" not in found["office_operator"]
    assert personas.LUCA_FISCAL_CODE not in found["office_operator"]


def test_exports_follow_their_page_s_rule_and_carry_no_other_office_s_data(
    state: State,
) -> None:
    by_role = clients(state)
    wrong: dict[str, dict[str, tuple[int | str, int | str]]] = {}
    leaked: dict[str, dict[str, list[str]]] = {}
    for route, url_of in EXPORTS:
        rule, url = MATRIX[route], url_of(state)
        for role in ROLES:
            response = ask(by_role[role], "get", url, None)
            got, expected = outcome(response), rule.expected(role)
            if got != expected:
                wrong.setdefault(url, {})[role] = (got, expected)
            if got == OK:
                assert "attachment" in response.get("Content-Disposition", ""), (url, role)
            found = leaks(role, body(response))
            if found:
                leaked.setdefault(url, {})[role] = found
    assert wrong == {}, f"(got, expected) by export and role:\n{pformat(wrong)}"
    assert leaked == {}, f"personal data of a citizen the role may not see:\n{pformat(leaked)}"
