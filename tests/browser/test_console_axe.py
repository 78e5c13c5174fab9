"""Every console page, in Chromium at a laptop's size (1366×768) and a phone's (390×844): axe-core
finds no serious or critical violation.

The pages are read from the URL conf, not listed by hand: every route under /console/ is either
visited here, with a realistic object behind a detail page (a case, its citizen, an article with a
version, a draft menu and one of its entries, an alert, a social thread, a campaign), or skipped
with its reason. A route added later and in neither list fails the first test. A route skipped as
"POST only" is checked to refuse GET, so a page cannot hide among the actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from playwright.sync_api import Page

from ascolto.assistant import engine, menus
from ascolto.assistant.models import MenuNode, MenuVersion
from ascolto.charters import actions as charters
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.citizens.actions import record_privacy_notice
from ascolto.citizens.models import Citizen
from ascolto.contactcenter.models import ForecastJob
from ascolto.knowledge import actions as knowledge
from ascolto.knowledge.models import Alert, Article
from ascolto.privacy.models import AccessArchive
from ascolto.social import queue
from ascolto.social.models import SocialThread
from ascolto.surveys import building, plan
from ascolto.surveys.margins import save_margins
from ascolto.surveys.models import (
    ExecutiveSummary,
    PopulationMargins,
    Question,
    Service,
    Survey,
    SurveyPlanEntry,
)
from ascolto.tickets.models import Campaign, Ticket
from tests import factories, personas
from tests.alerts.helpers import make_alert
from tests.assistant.conftest import build_menu
from tests.browser.conftest import serious_violations
from tests.questionnaires.helpers import published_summary
from tests.social.helpers import page_channel, replay
from tests.surveys.helpers import branching_survey, make_survey, respond

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass
class World:
    """One realistic object behind each kind of console detail page."""

    ticket: Ticket
    citizen: Citizen
    article: Article
    draft: MenuVersion
    node: MenuNode
    alert: Alert
    thread: SocialThread
    campaign: Campaign
    archive: AccessArchive
    notice: str
    questionnaire: ExecutiveSummary
    margins: PopulationMargins
    charter: ServiceCharter
    indicator: QualityIndicator
    plan_entry: SurveyPlanEntry
    results_survey: Survey  # with answers
    survey: Survey  # published, with a draft of its next version
    survey_question: Question  # of the draft


def _world(cast: personas.Cast) -> World:
    engine._trees.clear()
    received = factories.submit_scrivi(
        "Buongiorno, non ho ricevuto l'avviso di pagamento TARI per il 2026.",
        email=personas.MARIA_EMAIL,
        fiscal_code=personas.MARIA_FISCAL_CODE,
    )
    ticket = Ticket.objects.get(pk=received.ticket_id)
    # Two records that may be one person: the duplicates page has a row.
    factories.submit_scrivi(
        "Passo carrabile", email="luca@example.it", phone=personas.LUCA_PHONE, first_name="Luca"
    )
    factories.submit_scrivi(
        "Buche in via Roma", email="l.bianchi@example.it", phone=personas.LUCA_PHONE
    )
    article = knowledge.save_article(
        Article(),
        {
            "title": "Avviso TARI rispedito",
            "summary": "L'avviso di pagamento è stato inviato di nuovo.",
            "body": "{saluto},\nabbiamo rispedito l'avviso (pratica {codice}).",
            "keywords": "tari, avviso",
            "audience": Article.Audience.INTERNAL,
        },
        cast.administrator,
    )
    article = knowledge.save_article(
        article, {"body": "{saluto},\nl'avviso è ripartito (pratica {codice})."}, cast.supervisor
    )
    published = build_menu(cast.administrator)
    draft = menus.draft_from(published, cast.administrator)
    channel = page_channel()
    replay(channel, "feed_comment_add")
    replay(channel, "feed_comment_reply")
    queue.sync()
    campaign = Campaign.objects.create(
        code="tari-2026",
        name="TARI 2026",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    ForecastJob.objects.create(
        requested_by=cast.supervisor,
        horizon_days=4,
        interval_minutes=60,
        status=ForecastJob.Status.FAILED,
        error="Troppo pochi dati per una previsione.",
        finished_at=timezone.now(),
    )
    assert ticket.citizen is not None
    archive = AccessArchive.objects.create(
        citizen=ticket.citizen,
        requested_by=cast.administrator,
        status=AccessArchive.Status.DONE,
        step=12,
        steps=12,
        zip_bytes=2048,
        pdf_bytes=4096,
        folder="0123456789abcdef",
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    charter = charters.save_charter(
        charters.CharterData(
            title="Carta dei servizi della TARI",
            slug="tari",
            service=Service.objects.create(code="tari-online", name="Dichiarazione TARI"),
            issued_on=date(2025, 1, 1),
            published=True,
        )
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
        plan.EntryData(
            year=timezone.localdate().year,
            department=cast.tributi,
            title="Soddisfazione TARI online",
            starts_on=date(timezone.localdate().year, 3, 1),
            ends_on=date(timezone.localdate().year, 5, 31),
        )
    )
    survey = branching_survey()
    survey_draft = building.draft_version(survey)
    return World(
        charter=charter,
        indicator=indicator,
        plan_entry=plan_entry,
        ticket=ticket,
        citizen=ticket.citizen,
        article=article,
        draft=draft,
        node=draft.nodes.get(kind=MenuNode.Kind.FORM),
        alert=make_alert(timezone.now() - timedelta(hours=1)),
        thread=SocialThread.objects.get(),
        campaign=campaign,
        archive=archive,
        notice=record_privacy_notice("2026-11-22", "Informativa di prova.").version,
        questionnaire=published_summary(),
        margins=save_margins(None, name="Residenti", dimensions={"gender": "F | 0,52\nM | 0,48"}),
        results_survey=_survey(),
        survey=survey,
        survey_question=survey_draft.questions.get(code="problemi"),
    )


def _survey() -> Survey:
    """A survey with answers this year: figures, a trend, questions and a free-text answer."""
    survey = make_survey("dopo-pratica")
    now = timezone.now()
    for i in range(12):
        respond(
            survey,
            now - timedelta(days=i),
            csat=1 + i % 5,
            nps=i % 11,
            improve=["tempi"],
            ease=4,
            text="Risposta rapida e cortese." if i == 0 else "",
            channel_kind="web",
        )
    return survey


# Every console page a signed-in administrator (who may do everything) opens with GET.
PAGES: dict[str, Callable[[World], str]] = {
    "login": lambda w: "/console/accedi/",  # visited signed out, as the password reset's pages
    "password-reset": lambda w: "/console/password-dimenticata/",
    "password-reset-sent": lambda w: "/console/password-dimenticata/inviata/",
    "password-reset-confirm": lambda w: "/console/password-dimenticata/MQ/link-scaduto/",
    "password-reset-done": lambda w: "/console/password-dimenticata/fatto/",
    "home": lambda w: "/console/",
    "inbox": lambda w: "/console/inbox/",
    "case": lambda w: f"/console/cases/{w.ticket.code}/",
    "overview": lambda w: "/console/overview/",
    "wall": lambda w: "/console/overview/wall/",
    "call-new": lambda w: "/console/calls/new/",
    "citizen-search": lambda w: "/console/citizens/search/",
    "citizen": lambda w: f"/console/citizens/{w.citizen.pk}/",
    "duplicates": lambda w: "/console/citizens/duplicates/",
    "contactcenter": lambda w: "/console/contactcenter/",
    "contactcenter-import": lambda w: "/console/contactcenter/calls/import/",
    "reports": lambda w: "/console/reports/",
    "questionnaires": lambda w: "/console/indagini/",
    "questionnaire-import": lambda w: f"/console/indagini/{w.questionnaire.survey_id}/importa/",
    "questionnaire-import-report": lambda w: (
        f"/console/indagini/importazioni/{w.questionnaire.survey.imports.get().pk}/"
    ),
    "questionnaire-summary": lambda w: f"/console/indagini/sintesi/{w.questionnaire.pk}/",
    "questionnaire-margins": lambda w: "/console/indagini/popolazioni/",
    "questionnaire-margins-new": lambda w: "/console/indagini/popolazioni/nuova/",
    "questionnaire-margins-edit": lambda w: f"/console/indagini/popolazioni/{w.margins.pk}/",
    "reports-themes": lambda w: "/console/reports/themes/",
    "reports-campaigns": lambda w: "/console/reports/campaigns/",
    "reports-campaign": lambda w: f"/console/reports/campaigns/{w.campaign.code}/",
    "reports-social": lambda w: "/console/reports/social/",
    "survey-results": lambda w: f"/console/questionari/{w.results_survey.code}/risultati/",
    "reports-chatbot": lambda w: "/console/reports/chatbot/",
    "reports-ratings": lambda w: "/console/reports/ratings/",
    "reports-complaints": lambda w: "/console/reports/complaints/",
    "reports-opendata": lambda w: "/console/reports/open-data/",
    "reports-ivr": lambda w: "/console/reports/ivr/",
    "social": lambda w: "/console/social/",
    "social-thread": lambda w: f"/console/social/{w.thread.pk}/",
    "alerts": lambda w: "/console/alerts/",
    "alert-new": lambda w: "/console/alerts/new/",
    "alert-edit": lambda w: f"/console/alerts/{w.alert.pk}/",
    "alert-send": lambda w: f"/console/alerts/{w.alert.pk}/send/",
    "surveys": lambda w: "/console/questionari/",
    "survey-new": lambda w: "/console/questionari/nuovo/",
    "survey": lambda w: f"/console/questionari/{w.survey.pk}/",
    "survey-preview": lambda w: f"/console/questionari/{w.survey.pk}/anteprima/",
    "survey-question-new": lambda w: f"/console/questionari/{w.survey.pk}/domande/nuova/",
    "survey-question": lambda w: (
        f"/console/questionari/{w.survey.pk}/domande/{w.survey_question.pk}/"
    ),
    "knowledge": lambda w: "/console/conoscenza/",
    "knowledge-new": lambda w: "/console/conoscenza/nuovo/",
    "knowledge-article": lambda w: f"/console/conoscenza/{w.article.slug}/",
    "knowledge-edit": lambda w: f"/console/conoscenza/{w.article.slug}/modifica/",
    "knowledge-versions": lambda w: f"/console/conoscenza/{w.article.slug}/versioni/",
    "assistant": lambda w: "/console/assistente/",
    "assistant-version": lambda w: f"/console/assistente/versioni/{w.draft.pk}/",
    "assistant-simulator": lambda w: f"/console/assistente/versioni/{w.draft.pk}/simulatore/",
    "assistant-node-new": lambda w: f"/console/assistente/versioni/{w.draft.pk}/voci/nuova/",
    "assistant-node": lambda w: f"/console/assistente/voci/{w.node.pk}/",
    "access-log": lambda w: f"/console/registro-accessi/?cittadino={w.citizen.pk}",
    "account": lambda w: "/console/account/",
    "password-change": lambda w: "/console/account/password/",
    "enrol": lambda w: "/console/accedi/attiva/",  # linking another phone
    "citizen-privacy": lambda w: f"/console/citizens/{w.citizen.pk}/privacy/",
    "privacy-archive": lambda w: f"/console/privacy/archives/{w.archive.pk}/",
    "privacy-notice": lambda w: f"/console/privacy/notices/{w.notice}/",
    "charters": lambda w: "/console/carte-dei-servizi/",
    "charter-new": lambda w: "/console/carte-dei-servizi/nuova/",
    "charter": lambda w: f"/console/carte-dei-servizi/{w.charter.pk}/",
    "charter-edit": lambda w: f"/console/carte-dei-servizi/{w.charter.pk}/modifica/",
    "indicator-new": lambda w: f"/console/carte-dei-servizi/{w.charter.pk}/indicatori/nuovo/",
    "indicator-edit": lambda w: f"/console/carte-dei-servizi/indicatori/{w.indicator.pk}/",
    "survey-plan": lambda w: "/console/piano-indagini/",
    "plan-entry-new": lambda w: "/console/piano-indagini/nuova/",
    "plan-entry-edit": lambda w: f"/console/piano-indagini/{w.plan_entry.pk}/",
}

POST_ONLY = "POST only: an action, its answer is a redirect or a page listed here"
# Console routes not visited as pages, each with why, and the URL a GET is checked on (None: not
# a POST-only route, nothing to check).
SKIPPED: dict[str, tuple[str, Callable[[World], str] | None]] = {
    "logout": (POST_ONLY, lambda w: "/console/esci/"),
    "second-factor": (
        "the code step of a sign-in, only before the second factor: axe-clean in "
        "test_two_factor_sign_in.py",
        None,
    ),
    "enrol-done": (
        "the recovery codes, shown once right after enrolment: axe-clean in "
        "test_two_factor_sign_in.py",
        None,
    ),
    "sso-start": (
        "redirects to the city's directory (404 while single sign-on is off); the sign-in "
        "through the local provider is axe-clean in test_single_sign_on.py",
        None,
    ),
    "sso-callback": ("the directory's return: a redirect, never a page of its own", None),
    "sign-out-everywhere": (POST_ONLY, lambda w: "/console/account/esci-ovunque/"),
    "new-recovery-codes": (POST_ONLY, lambda w: "/console/account/codici-di-recupero/"),
    "inbox-bulk": (POST_ONLY, lambda w: "/console/inbox/bulk/"),
    "inbox-take": (POST_ONLY, lambda w: "/console/inbox/take/"),
    "inbox-layout": (POST_ONLY, lambda w: "/console/inbox/layout/"),
    "inbox-save-view": (POST_ONLY, lambda w: "/console/inbox/views/"),
    "inbox-delete-view": (POST_ONLY, lambda w: "/console/inbox/views/1/delete/"),
    "inbox-live": ("a fragment the inbox polls, inside the inbox page", None),
    "case-attachment": ("a file download, not a page", None),
    "charter-document": ("a file download, not a page", None),
    "case-snippets": ("JSON for the composer's `#` search, not a page", None),
    "case-presence": (POST_ONLY, lambda w: f"/console/cases/{w.ticket.code}/presence/"),
    "case-action": (POST_ONLY, lambda w: f"/console/cases/{w.ticket.code}/note/"),
    "call-lookup": (POST_ONLY, lambda w: "/console/calls/lookup/"),
    "incoming-call": (POST_ONLY, lambda w: "/console/calls/incoming/"),
    "duplicate-accept": (POST_ONLY, lambda w: "/console/citizens/duplicates/1/accept/"),
    "duplicate-dismiss": (POST_ONLY, lambda w: "/console/citizens/duplicates/1/dismiss/"),
    "contactcenter-calendar": (POST_ONLY, lambda w: "/console/contactcenter/calendar/"),
    "contactcenter-forecast": (POST_ONLY, lambda w: "/console/contactcenter/forecast/"),
    "contactcenter-job": ("a fragment the contact-center page polls, shown inside it", None),
    "social-action": (POST_ONLY, lambda w: f"/console/social/{w.thread.pk}/claim/"),
    "alert-end": (POST_ONLY, lambda w: f"/console/alerts/{w.alert.pk}/end/"),
    "questionnaire-summary-new": (
        POST_ONLY,
        lambda w: f"/console/indagini/{w.questionnaire.survey_id}/sintesi/",
    ),
    "questionnaire-regenerate": (
        POST_ONLY,
        lambda w: f"/console/indagini/sintesi/{w.questionnaire.pk}/rigenera/",
    ),
    "questionnaire-publish": (
        POST_ONLY,
        lambda w: f"/console/indagini/sintesi/{w.questionnaire.pk}/pubblica/",
    ),
    "questionnaire-margins-delete": (
        POST_ONLY,
        lambda w: f"/console/indagini/popolazioni/{w.margins.pk}/elimina/",
    ),
    "indicator-delete": (
        POST_ONLY,
        lambda w: f"/console/carte-dei-servizi/indicatori/{w.indicator.pk}/elimina/",
    ),
    "survey-publish": (POST_ONLY, lambda w: f"/console/questionari/{w.survey.pk}/pubblica/"),
    "survey-close": (POST_ONLY, lambda w: f"/console/questionari/{w.survey.pk}/chiudi/"),
    "survey-redraft": (
        POST_ONLY,
        lambda w: f"/console/questionari/{w.survey.pk}/nuova-versione/",
    ),
    "survey-discard": (POST_ONLY, lambda w: f"/console/questionari/{w.survey.pk}/scarta-bozza/"),
    "survey-question-remove": (
        POST_ONLY,
        lambda w: f"/console/questionari/{w.survey.pk}/domande/{w.survey_question.pk}/togli/",
    ),
    "survey-question-move": (
        POST_ONLY,
        lambda w: f"/console/questionari/{w.survey.pk}/domande/{w.survey_question.pk}/sposta/",
    ),
    "knowledge-search": (POST_ONLY, lambda w: "/console/conoscenza/cerca/"),
    "knowledge-restore": (
        POST_ONLY,
        lambda w: f"/console/conoscenza/{w.article.slug}/versioni/1/ripristina/",
    ),
    "knowledge-helped": (POST_ONLY, lambda w: f"/console/conoscenza/{w.article.slug}/utile/"),
    "assistant-menu-new": (POST_ONLY, lambda w: "/console/assistente/menu/nuovo/"),
    "assistant-articles": ("options for the entry form's article search (HTMX), inside it", None),
    "assistant-version-action": (
        POST_ONLY,
        lambda w: f"/console/assistente/versioni/{w.draft.pk}/pubblica/",
    ),
    "assistant-node-action": (
        POST_ONLY,
        lambda w: f"/console/assistente/voci/{w.node.pk}/elimina/",
    ),
    "citizen-privacy-export": (
        POST_ONLY,
        lambda w: f"/console/citizens/{w.citizen.pk}/privacy/export/",
    ),
    "citizen-privacy-erase": (
        POST_ONLY,
        lambda w: f"/console/citizens/{w.citizen.pk}/privacy/erase/",
    ),
    "citizen-privacy-hold": (
        POST_ONLY,
        lambda w: f"/console/citizens/{w.citizen.pk}/privacy/hold/{w.ticket.code}/",
    ),
    "privacy-download": ("a file download, not a page", None),
    "survey-results-tag": (
        POST_ONLY,
        lambda w: f"/console/questionari/{w.results_survey.code}/risultati/temi/",
    ),
}


def console_routes() -> set[str]:
    """The names of every route under /console/ in the URL conf."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace == "console":
                yield str(pattern.name)

    return set(walk(get_resolver().url_patterns, ""))


def test_every_console_route_is_visited_or_skipped_with_a_reason(cast: personas.Cast) -> None:
    routes = console_routes()
    assert len(routes) > 60
    assert not set(PAGES) & set(SKIPPED)
    assert routes - set(PAGES) - set(SKIPPED) == set(), "console routes neither visited nor skipped"
    assert (set(PAGES) | set(SKIPPED)) - routes == set(), "listed here, gone from the URL conf"
    world = _world(cast)
    client = Client()
    client.force_login(cast.administrator)
    refused = {
        name: client.get(url(world)).status_code
        for name, (reason, url) in SKIPPED.items()
        if url is not None
    }
    assert refused == dict.fromkeys(refused, 405)
    assert all(reason == POST_ONLY for reason, url in SKIPPED.values() if url is not None)


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1366x768", "390x844"])
def test_every_console_page_passes_axe(
    page: Page, sign_in: Any, cast: personas.Cast, size: dict[str, int]
) -> None:
    world = _world(cast)
    cast.administrator.extension = "201"  # the screen-pop's region is on every page too
    cast.administrator.save(update_fields=["extension"])
    page.set_viewport_size(size)
    found: dict[str, Any] = {}
    for name, url in PAGES.items():
        if name == "home":
            sign_in(cast.administrator)
        response = page.goto(url(world))
        assert response is not None and response.status == 200, (name, url(world))
        # What the page loads by itself (HTMX on load) is in place before axe reads it.
        page.wait_for_timeout(300)
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        violations = serious_violations(page)
        if violations:
            found[name] = violations

    # Two pages answered to a POST: the citizen search's results (the search box sent without
    # waiting for the suggestions, as without JavaScript), and the case action's confirmation
    # page the server shows when the form comes without the dialog's answer.
    page.goto(PAGES["inbox"](world))
    page.get_by_role("search", name="Trova cittadino o caso").evaluate(
        "form => { form.querySelector('input[name=q]').value = 'Rossi'; form.submit(); }"
    )
    page.wait_for_url("**/console/citizens/search/")
    found["citizen-search (results)"] = serious_violations(page)
    page.goto(PAGES["case"](world))
    page.locator("form[data-action=note]").evaluate(
        "form => { form.removeAttribute('data-case-confirm');"
        " form.querySelector('textarea').value = 'Richiamare lunedì.'; form.submit(); }"
    )
    page.wait_for_url(f"**/console/cases/{world.ticket.code}/note/")
    assert page.get_by_role("button", name="Conferma: Aggiungi la nota").count() == 1
    found["case-action (confirmation page)"] = serious_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
