"""The knowledge base in the console: who reads and who edits, the search and its filters,
versions kept on every change and restored, "this answer helped" counted once per operator and
case, the side search of the case page and the call form, and the internal articles that never
reach citizens (Scrivi's suggestions, the public article page)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ascolto.knowledge import actions
from ascolto.knowledge.models import Article, ArticleHelpful, ArticleVersion
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _articles() -> tuple[Article, Article, Article]:
    public = Article.objects.create(
        slug="tari-rimborso",
        title="Rimborso TARI",
        summary="Come chiedere il rimborso della tassa rifiuti pagata in più.",
        body="Si chiede con il modulo online.",
        keywords="tari, rimborso, rifiuti",
    )
    internal = Article.objects.create(
        slug="procedura-rimborso-tari",
        title="Procedura interna rimborso TARI",
        summary="Verifiche da fare prima di inoltrare un rimborso TARI all'ufficio tributi.",
        body="Controlla i versamenti nel gestionale prima di inoltrare.",
        keywords="tari, rimborso, procedura",
        audience=Article.Audience.INTERNAL,
    )
    template = Article.objects.create(
        slug="modello-ricevuta",
        title="Modello: ricevuta della richiesta",
        summary="Conferma di ricezione",
        body="{saluto}, abbiamo ricevuto la sua richiesta {codice}.",
        kind=Article.Kind.TEMPLATE,
    )
    return public, internal, template


def _form(article: Article | None = None, **changes: Any) -> dict[str, Any]:
    data = {
        "title": "Passo carrabile",
        "kind": "information",
        "audience": "public",
        "summary": "Il permesso si chiede allo sportello mobilità.",
        "body": "Prima versione del testo.",
        "keywords": "passo, carrabile",
        "theme": "",
        "url": "",
        "owner": "",
        "owner_office": "",
        "is_published": "on",
    }
    if article is not None:
        data |= {
            "title": article.title,
            "kind": article.kind,
            "audience": article.audience,
            "summary": article.summary,
            "body": article.body,
            "keywords": article.keywords,
        }
    return data | changes


def test_every_case_handler_reads_analysts_do_not(cast: personas.Cast) -> None:
    _articles()
    for user in (cast.operator, cast.office_operator, cast.supervisor):
        page = _client(user).get(reverse("console:knowledge"))
        assert page.status_code == 200
        assert "Procedura interna rimborso TARI" in page.text
        assert "Modello: ricevuta della richiesta" in page.text
    assert _client(cast.analyst).get(reverse("console:knowledge")).status_code == 403
    assert Client().get(reverse("console:knowledge")).status_code == 302


def test_only_the_editorial_team_writes(cast: personas.Cast) -> None:
    public, _internal, _template = _articles()
    operator = _client(cast.operator)
    assert operator.get(reverse("console:knowledge-new")).status_code == 403
    assert operator.post(reverse("console:knowledge-new"), _form()).status_code == 403
    edit = reverse("console:knowledge-edit", args=[public.slug])
    assert operator.post(edit, _form(public, body="Cambiato")).status_code == 403
    page = operator.get(reverse("console:knowledge-article", args=[public.slug]))
    assert page.status_code == 200
    assert edit not in page.text
    public.refresh_from_db()
    assert public.body == "Si chiede con il modulo online."

    supervisor = _client(cast.supervisor)
    response = supervisor.post(
        reverse("console:knowledge-new"),
        _form(kind="template", audience="internal", owner=str(cast.supervisor.pk)),
    )
    assert response.status_code == 302
    created = Article.objects.get(title="Passo carrabile")
    assert created.slug == "passo-carrabile"
    assert (created.kind, created.audience) == ("template", "internal")
    assert created.owner == cast.supervisor
    assert created.updated_by == cast.supervisor


def test_a_bad_form_is_refused_with_its_errors(cast: personas.Cast) -> None:
    response = _client(cast.supervisor).post(
        reverse("console:knowledge-new"), _form(title="", kind="nonsense")
    )
    assert response.status_code == 400
    assert "non è stato salvato" in response.text
    assert not Article.objects.filter(summary__startswith="Il permesso").exists()


def test_each_change_keeps_the_previous_text_and_a_version_is_restored(
    cast: personas.Cast,
) -> None:
    supervisor = _client(cast.supervisor)
    with time_machine.travel(NOON, tick=False):
        supervisor.post(reverse("console:knowledge-new"), _form())
    article = Article.objects.get(slug="passo-carrabile")
    edit = reverse("console:knowledge-edit", args=[article.slug])
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False):
        assert supervisor.post(edit, _form(article, body="Seconda versione.")).status_code == 302
    article.refresh_from_db()
    # Saving without changing the text keeps no version.
    supervisor.post(edit, _form(article, is_published="on"))
    assert article.versions.count() == 1
    version = article.versions.get()
    assert version.body == "Prima versione del testo."
    assert version.saved_by == cast.supervisor
    assert version.saved_at == NOON

    history = supervisor.get(reverse("console:knowledge-versions", args=[article.slug]))
    assert history.status_code == 200
    assert "Prima versione del testo." in history.text
    assert "02/03/2026" in history.text
    restore = reverse("console:knowledge-restore", args=[article.slug, version.pk])
    assert _client(cast.operator).post(restore).status_code == 403
    assert supervisor.post(restore).status_code == 302
    article.refresh_from_db()
    assert article.body == "Prima versione del testo."
    # The replaced text is a version too: a restore can be undone.
    assert list(ArticleVersion.objects.filter(article=article).values_list("body", flat=True)) == [
        "Seconda versione.",
        "Prima versione del testo.",
    ]


def test_search_and_filters(cast: personas.Cast) -> None:
    public, internal, template = _articles()
    client = _client(cast.operator)

    def titles(**params: str) -> list[str]:
        return [
            a.title for a in client.get(reverse("console:knowledge"), params).context["articles"]
        ]

    assert titles(q="rimborso") == [internal.title, public.title] or titles(q="rimborso") == [
        public.title,
        internal.title,
    ]
    assert titles(q="gestionale") == [internal.title]  # found in the text
    assert titles(q="procedura") == [internal.title]  # found in the keywords
    assert titles(kind="template") == [template.title]
    assert titles(audience="internal") == [internal.title]
    assert titles(q="rimborso", audience="public") == [public.title]
    assert titles(q="nulla di simile") == []


def test_drafts_are_for_the_editorial_team_only(cast: personas.Cast) -> None:
    public, _internal, _template = _articles()
    public.is_published = False
    public.save()
    operator = _client(cast.operator)
    assert public.title not in operator.get(reverse("console:knowledge")).text
    url = reverse("console:knowledge-article", args=[public.slug])
    assert operator.get(url).status_code == 404
    assert _client(cast.supervisor).get(url).status_code == 200


def test_helped_counts_once_per_operator_and_case(cast: personas.Cast) -> None:
    public, _internal, _template = _articles()
    first = factories.ticket_in(Ticket.Status.NEW, actor=cast.operator, office=cast.tari)
    second = factories.ticket_in(Ticket.Status.NEW, actor=cast.operator, office=cast.tari)
    url = reverse("console:knowledge-helped", args=[public.slug])
    operator = _client(cast.operator)
    marked = operator.post(url, {"case": first.code})
    assert marked.status_code == 302
    back = operator.get(marked["Location"])
    assert back.status_code == 200
    assert "Segnata come utile per questo caso" in back.text
    assert operator.post(url, {"case": first.code}).status_code == 302
    assert ArticleHelpful.objects.filter(article=public).count() == 1
    operator.post(url, {"case": second.code})
    _client(cast.supervisor).post(url, {"case": first.code})
    assert actions.helped_count(public) == 3
    # HTMX: the button is replaced by the count.
    fragment = operator.post(url, {"case": first.code}, headers={"HX-Request": "true"})
    assert "Segnata come utile" in fragment.text
    assert "3 volte" in fragment.text
    # The count shows in the list.
    listed = operator.get(reverse("console:knowledge"), {"q": "Rimborso TARI"}).context["articles"]
    assert {a.slug: a.helped_count for a in listed}[public.slug] == 3
    # Without a case, or for a case out of scope, nothing is counted.
    assert operator.post(url).status_code == 302
    out_of_scope = factories.ticket_in(
        Ticket.Status.OFFICE, actor=cast.operator, office=cast.tari, level=2
    )
    assert _client(cast.anagrafe_operator).post(url, {"case": out_of_scope.code}).status_code == 404
    assert actions.helped_count(public) == 3


def test_the_case_page_and_the_call_form_search_beside(cast: personas.Cast) -> None:
    _public, internal, template = _articles()
    ticket = factories.ticket_in(Ticket.Status.NEW, actor=cast.operator, office=cast.tari)
    operator = _client(cast.operator)
    page = operator.get(reverse("console:case", args=[ticket.code]))
    assert 'id="kb-side-q"' in page.text
    call = operator.get(reverse("console:call-new"))
    assert 'id="kb-side-q"' in call.text

    results = operator.post(
        reverse("console:knowledge-search"), {"q": "procedura", "case": ticket.code}
    )
    assert operator.get(reverse("console:knowledge-search"), {"q": "x"}).status_code == 405
    assert internal.title in results.text
    assert f"?fragment=1&amp;case={ticket.code}" in results.text
    opened = operator.get(
        reverse("console:knowledge-article", args=[template.slug]),
        {"fragment": "1", "case": ticket.code},
    )
    assert opened.status_code == 200
    assert "<html" not in opened.text
    assert ticket.code in opened.text  # the placeholders are filled with the case
    assert "{codice}" not in opened.text
    assert "Questa risposta è servita" in opened.text


def test_internal_articles_never_reach_citizens(cast: personas.Cast) -> None:
    public, internal, _template = _articles()
    suggested = actions.suggest_articles("rimborso della tari pagata due volte")
    assert public in suggested
    assert internal not in suggested
    assert actions.public_article(internal.slug) is None
    citizen = Client()
    assert citizen.get(reverse("scrivi:article", args=[internal.slug])).status_code == 404
    assert citizen.get(reverse("scrivi:article", args=[public.slug])).status_code == 200
    assert (
        citizen.get(reverse("console:knowledge-article", args=[internal.slug])).status_code == 302
    )


def test_a_citizen_marks_a_public_article_once_per_session(cast: personas.Cast) -> None:
    public, internal, _template = _articles()
    citizen = Client()
    page = citizen.get(reverse("scrivi:article", args=[public.slug]))
    assert "Questa risposta mi è stata utile" in page.text
    url = reverse("scrivi:article-helped", args=[public.slug])
    first = citizen.post(url)
    assert first.status_code == 302
    assert "Grazie" in citizen.get(first["Location"]).text
    citizen.post(url)
    assert actions.helped_count(public) == 1
    Client().post(url)
    assert actions.helped_count(public) == 2
    assert citizen.post(reverse("scrivi:article-helped", args=[internal.slug])).status_code == 404
    assert actions.helped_count(internal) == 0
