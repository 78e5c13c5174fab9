"""The knowledge base in the console ("Conoscenza"): every operator searches and reads the
articles (public ones and the internal procedures) and the reply templates; the editorial team
(`access.edits_content`) writes and changes them, reads their history and restores an earlier
text. From the case page and the call form a side search opens an article in place (HTMX
fragments `_results.html` / `_article.html`); an operator marks "this answer helped" for a case,
counted once per operator and case. The rules are `knowledge.actions`: the same rows feed the
Scrivi suggestions and the assistant's cards."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.core import access
from ascolto.knowledge import actions
from ascolto.knowledge.models import Article, ArticleHelpful, ArticleVersion
from ascolto.knowledge.placeholders import fill
from ascolto.tickets.models import Theme, Ticket
from ascolto.web.forms.knowledge import FIELDS, ArticleForm


def _reads(user: Any) -> bool:
    """Every member of staff who answers citizens reads the knowledge base, and its editors."""
    return access.handles_cases(user) or access.edits_content(user)


def _filters(request: HttpRequest) -> dict[str, Any]:
    kind = request.GET.get("kind", "")
    audience = request.GET.get("audience", "")
    theme_code = request.GET.get("theme", "")
    return {
        "q": request.GET.get("q", "")[:100],
        "kind": kind if kind in Article.Kind.values else "",
        "audience": audience if audience in Article.Audience.values else "",
        "theme": Theme.objects.filter(code=theme_code).first() if theme_code else None,
    }


def _case_for(request: HttpRequest) -> Ticket | None:
    """The case the side search is used from (`?case=CODE`), if the user may see it."""
    code = request.GET.get("case") or request.POST.get("case") or ""
    if not code:
        return None
    return access.get_visible_or_404(
        Ticket.objects.select_related("citizen", "office"), request.user, code=code
    )


@require_GET
@access.require(_reads)
def article_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    editor = access.edits_content(request.user)
    found = actions.console_articles(
        filters["q"],
        kind=filters["kind"],
        audience=filters["audience"],
        theme=filters["theme"],
        published_only=not editor,
    )
    context = {
        "nav": "knowledge",
        "title": _("Conoscenza"),
        "articles": found,
        "filters": filters,
        "kinds": Article.Kind.choices,
        "audiences": Article.Audience.choices,
        "themes": Theme.objects.filter(is_active=True).order_by("path"),
        "editor": editor,
    }
    return render(request, "web/console/knowledge/list.html", context)


@require_POST
@access.require(_reads)
def side_search(request: HttpRequest) -> HttpResponse:
    """The side search of the case page and of the call form: a list of results (fragment).
    Posted, like the call form's caller lookup: what is typed stays out of URLs and logs."""
    case = _case_for(request)
    found = actions.console_articles(request.POST.get("q", "")[:100], limit=8)
    return render(request, "web/console/knowledge/_results.html", {"articles": found, "case": case})


def _article(request: HttpRequest, slug: str) -> Article:
    queryset = Article.objects.select_related("theme", "owner", "owner_office", "updated_by")
    if not access.edits_content(request.user):
        queryset = queryset.filter(is_published=True)
    return get_object_or_404(queryset, slug=slug)


@require_GET
@access.require(_reads)
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One article: the full page, or (`?fragment=1`, HTMX) the part opened beside a case."""
    article = _article(request, slug)
    case = _case_for(request)
    context = {
        "nav": "knowledge",
        "title": article.title,
        "article": article,
        "case": case,
        "text": fill(article.body, case) if case is not None else article.body,
        "helped": ArticleHelpful.objects.filter(article=article).count(),
        "marked": case is not None
        and ArticleHelpful.objects.filter(
            article=article,
            user=request.user,  # type: ignore[misc]
            case=case,
        ).exists(),
        "editor": access.edits_content(request.user),
        "versions": article.versions.count(),
        "level": 2,
    }
    if request.GET.get("fragment") or request.headers.get("HX-Request"):
        context["level"] = 3
        return render(request, "web/console/knowledge/_article.html", context)
    return render(request, "web/console/knowledge/detail.html", context)


@require_POST
@access.require(access.handles_cases)
def article_helped(request: HttpRequest, slug: str) -> HttpResponse:
    """ "This answer helped" for the case in `case`: counted once per operator and case."""
    article = _article(request, slug)
    case = _case_for(request)
    if case is None:
        messages.error(request, _("Indica la pratica per cui la risposta è servita."))
        return redirect("console:knowledge-article", slug=article.slug)
    created = actions.mark_helped(article, user=request.user, case=case)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "web/console/knowledge/_helped.html",
            {
                "article": article,
                "case": case,
                "marked": True,
                "helped": actions.helped_count(article),
            },
        )
    if created:
        messages.success(request, _("Grazie: la risposta è segnata come utile per questo caso."))
    else:
        messages.info(request, _("Avevi già segnato questa risposta come utile per questo caso."))
    back = reverse("console:knowledge-article", args=[article.slug])
    return redirect(f"{back}?case={case.code}")


def _form_page(request: HttpRequest, form: ArticleForm, article: Article | None) -> HttpResponse:
    title = _("Modifica l'articolo") if article else _("Nuovo articolo")
    return render(
        request,
        "web/console/knowledge/form.html",
        {"nav": "knowledge", "title": title, "form": form, "article": article},
        status=400 if form.errors else 200,
    )


def _save(request: HttpRequest, article: Article | None) -> HttpResponse:
    form = ArticleForm(request.POST, instance=article)
    if not form.is_valid():
        return _form_page(request, form, article)
    data = {name: form.cleaned_data[name] for name in FIELDS}
    target = Article.objects.get(pk=article.pk) if article is not None else Article()
    try:
        saved = actions.save_article(target, data, actor=request.user)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _form_page(request, form, article)
    messages.success(request, _("Articolo salvato: ogni canale usa già il nuovo testo."))
    return redirect("console:knowledge-article", slug=saved.slug)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_content)
def article_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, ArticleForm(initial={"owner": request.user}), None)
    return _save(request, None)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_content)
def article_edit(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    if request.method == "GET":
        return _form_page(request, ArticleForm(instance=article), article)
    return _save(request, article)


@require_GET
@access.require(access.edits_content)
def article_versions(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    versions = article.versions.select_related("saved_by")
    return render(
        request,
        "web/console/knowledge/versions.html",
        {
            "nav": "knowledge",
            "title": _("Versioni di «%(title)s»") % {"title": article.title},
            "article": article,
            "versions": versions,
        },
    )


@require_POST
@access.require(access.edits_content)
def article_restore(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    version = get_object_or_404(ArticleVersion, pk=pk, article__slug=slug)
    actions.restore_version(version, actor=request.user)
    messages.success(
        request, _("Versione ripristinata: il testo sostituito resta tra le versioni.")
    )
    return redirect("console:knowledge-article", slug=slug)


urlpatterns: list[URLPattern] = [
    path("conoscenza/", article_list, name="knowledge"),
    path("conoscenza/cerca/", side_search, name="knowledge-search"),
    path("conoscenza/nuovo/", article_new, name="knowledge-new"),
    path("conoscenza/<slug:slug>/", article_detail, name="knowledge-article"),
    path("conoscenza/<slug:slug>/modifica/", article_edit, name="knowledge-edit"),
    path("conoscenza/<slug:slug>/versioni/", article_versions, name="knowledge-versions"),
    path(
        "conoscenza/<slug:slug>/versioni/<int:pk>/ripristina/",
        article_restore,
        name="knowledge-restore",
    ),
    path("conoscenza/<slug:slug>/utile/", article_helped, name="knowledge-helped"),
]
