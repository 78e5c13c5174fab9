"""The virtual assistant's menu editor (`/console/assistente/`), for the editorial team.

The menus and their versions (published, drafts, retired, with who and when); a version's tree,
read-only unless it is a draft; the node editor, with the rules of `assistant.editing` shown
beside each field; "Crea bozza", "Pubblica" (`assistant.menus`) and "Scarta la bozza". Every
view requires `core.access.edits_assistant` (supervisors and administrators; 403 otherwise).
The simulator is `assistant_simulator.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.assistant import editing, menus
from ascolto.assistant.models import Menu, MenuNode, MenuVersion
from ascolto.channels.assistants import menu_of
from ascolto.channels.models import Channel
from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.web.forms.assistant import (
    FIELD_TYPE_LABELS,
    FieldRow,
    GreetingForm,
    NewMenuForm,
    NodeForm,
    article_choices,
    field_rows,
)

editor = access.require(access.edits_assistant)


@dataclass
class Item:
    """A node of the tree as the version page shows it, with what is wrong with it."""

    node: MenuNode
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    children: list[Item] = field(default_factory=list)
    first: bool = False
    last: bool = False


def version_or_404(pk: int) -> MenuVersion:
    version = (
        MenuVersion.objects.select_related("menu", "created_by", "published_by")
        .filter(pk=pk)
        .first()
    )
    if version is None:
        raise Http404("no such menu version")
    return version


def _node(pk: int) -> MenuNode:
    node = MenuNode.objects.select_related("version__menu", "parent", "article").filter(pk=pk)
    found = node.first()
    if found is None:
        raise Http404("no such menu node")
    return found


def _tree(
    version: MenuVersion, problems: dict[int, list[str]], notes: dict[int | None, list[str]]
) -> list[Item]:
    nodes = list(version.nodes.select_related("article").order_by("position", "letter", "pk"))
    children: dict[int | None, list[MenuNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)

    def build(parent_id: int | None) -> list[Item]:
        group = children.get(parent_id, [])
        return [
            Item(
                node=node,
                problems=problems.get(node.pk, []),
                notes=notes.get(node.pk, []),
                children=build(node.pk),
                first=i == 0,
                last=i == len(group) - 1,
            )
            for i, node in enumerate(group)
        ]

    return build(None)


@editor
@require_GET
def assistant_index(request: HttpRequest) -> HttpResponse:
    versions = MenuVersion.objects.select_related("created_by", "published_by").order_by("-number")
    menu_list = list(Menu.objects.prefetch_related(Prefetch("versions", queryset=versions)))
    # Which numbers each menu answers: the WhatsApp channels whose config names it.
    answering: dict[str, list[str]] = {}
    for channel in Channel.objects.filter(kind=Channel.Kind.WHATSAPP, is_active=True):
        if menu_of(channel):
            answering.setdefault(menu_of(channel), []).append(channel.name)
    return render(
        request,
        "web/console/assistant/index.html",
        {
            "title": _("Assistente virtuale"),
            "nav": "assistant",
            "menus": [
                {
                    "menu": menu,
                    "versions": list(menu.versions.all()),
                    "published": next(
                        (v for v in menu.versions.all() if v.status == "published"), None
                    ),
                    "draft": next((v for v in menu.versions.all() if v.status == "draft"), None),
                    "channels": answering.get(menu.code, []),
                }
                for menu in menu_list
            ],
            "new_menu_form": NewMenuForm(),
        },
    )


@editor
@require_POST
def menu_new(request: HttpRequest) -> HttpResponse:
    form = NewMenuForm(request.POST)
    if form.is_valid():
        try:
            draft = editing.create_menu(
                form.cleaned_data["code"], form.cleaned_data["name"], request.user
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Menu creato: aggiungi le voci alla bozza."))
            return redirect("console:assistant-version", pk=draft.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("console:assistant")


@editor
@require_GET
def version_page(request: HttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    draft = version.status == MenuVersion.Status.DRAFT
    general, per_node = editing.problems_by_node(menus.validate(version))
    notes: dict[int | None, list[str]] = {}
    top_notes: list[str] = []
    for note in editing.notes(version):
        if note.node is None:
            top_notes.append(note.message)
        else:
            notes.setdefault(note.node.pk, []).append(note.message)
    existing_draft = (
        None if draft else version.menu.versions.filter(status=MenuVersion.Status.DRAFT).first()
    )
    return render(
        request,
        "web/console/assistant/version.html",
        {
            "title": _("%(menu)s, versione %(n)d") % {"menu": version.menu, "n": version.number},
            "nav": "assistant",
            "version": version,
            "editable": draft,
            "tree": _tree(version, per_node, notes),
            "general_problems": general,
            "problem_count": len(general) + sum(len(p) for p in per_node.values()),
            "top_notes": top_notes,
            "greeting_form": GreetingForm(initial={"greeting": version.greeting}),
            "existing_draft": existing_draft,
        },
    )


def _back(version: MenuVersion, node: MenuNode | None = None) -> HttpResponse:
    url = reverse("console:assistant-version", args=[version.pk])
    return redirect(f"{url}#node-{node.pk}" if node is not None else url)


@editor
@require_POST
def version_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """ "Crea bozza", "Pubblica", "Scarta la bozza", the greeting and "Rimetti le lettere in
    ordine" on a version."""
    version = version_or_404(pk)
    user = request.user
    try:
        if action == "bozza":
            existing = version.menu.versions.filter(status=MenuVersion.Status.DRAFT).first()
            if existing is not None:
                message = _("Il menu ha già una bozza, la %(n)d: eccola.")
                messages.info(request, message % {"n": existing.number})
                return redirect("console:assistant-version", pk=existing.pk)
            draft = menus.draft_from(version, user)
            messages.success(
                request,
                _("Bozza %(n)d creata dalla versione %(from)d: modificala, provala, pubblicala.")
                % {"n": draft.number, "from": version.number},
            )
            return redirect("console:assistant-version", pk=draft.pk)
        if action == "pubblica":
            menus.publish(version, user)
            messages.success(
                request,
                _(
                    "Versione %(n)d pubblicata: le nuove conversazioni la usano; quelle in corso "
                    "finiscono sulla versione con cui sono iniziate."
                )
                % {"n": version.number},
            )
            return redirect("console:assistant-version", pk=version.pk)
        if action == "scarta":
            editing.discard_draft(version)
            messages.success(request, _("Bozza %(n)d scartata.") % {"n": version.number})
            return redirect("console:assistant")
        if action == "benvenuto":
            form = GreetingForm(request.POST)
            if not form.is_valid():
                raise DomainError(
                    " ".join(str(e) for errors in form.errors.values() for e in errors)
                )
            editing.set_greeting(version, form.cleaned_data["greeting"])
            messages.success(request, _("Messaggio di benvenuto salvato."))
            return _back(version)
        if action == "lettere":
            parent = _parent_of(version, request.POST.get("parent"))
            count = editing.reletter(version, parent)
            messages.success(request, _("Lettere rimesse in ordine su %(n)d voci.") % {"n": count})
            return _back(version, parent)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(version)
    raise Http404("no such action")


def _parent_of(version: MenuVersion, raw: str | None) -> MenuNode | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404("no such node")
    parent = version.nodes.filter(pk=int(raw)).first()
    if parent is None:
        raise Http404("no such node")
    return parent


def _rows_for(form: NodeForm, data: Any, node: MenuNode | None) -> list[FieldRow]:
    """The rows the form-fields editor shows: as posted, or the node's fields; then one empty
    row (two more when "Aggiungi un campo" was pressed)."""
    if data is not None:
        rows = field_rows(data)
        extra = 1 + ("add_field" in data)
    else:
        rows = [FieldRow.of(f) for f in (node.fields if node is not None else [])]
        extra = 1
    return [*rows, *(FieldRow(required=True) for _ in range(extra))]


def _node_page(
    request: HttpRequest,
    version: MenuVersion,
    form: NodeForm,
    rows: list[FieldRow],
    node: MenuNode | None,
    *,
    fields_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/console/assistant/node.html",
        {
            "title": _("Modifica la voce") if node is not None else _("Nuova voce"),
            "nav": "assistant",
            "version": version,
            "node": node,
            "form": form,
            "rows": rows,
            "row_count": len(rows),
            "field_types": list(FIELD_TYPE_LABELS.items()),
            "fields_errors": fields_errors or [],
        },
        status=status,
    )


def _save_node(request: HttpRequest, version: MenuVersion, node: MenuNode | None) -> HttpResponse:
    form = NodeForm(request.POST, version=version, node=node)
    rows = field_rows(request.POST)
    shown = _rows_for(form, request.POST, node)
    if "search" in request.POST or "add_field" in request.POST or not form.is_valid():
        # Searching articles or adding a field row shows the form again, nothing saved.
        return _node_page(request, version, form, shown, node)
    values = form.values(rows)
    parent = form.parent_node()
    errors = editing.node_errors(version, values, node=node, parent=parent)
    if errors:
        for name, problems in errors.items():
            for problem in problems:
                form.add_error(name if name in form.fields or name == "__all__" else None, problem)
        form.point_errors()
        return _node_page(
            request, version, form, shown, node, fields_errors=errors.get("fields", []), status=400
        )
    try:
        if node is None:
            saved = editing.add_node(version, values, parent=parent)
            messages.success(request, _("Voce «%(label)s» aggiunta.") % {"label": saved.label})
        else:
            saved = editing.update_node(node, values, parent=parent)
            messages.success(request, _("Voce «%(label)s» salvata.") % {"label": saved.label})
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _node_page(request, version, form, shown, node, status=400)
    return _back(version, saved)


@editor
@require_http_methods(["GET", "POST"])
def node_new(request: HttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    if version.status != MenuVersion.Status.DRAFT:
        messages.error(request, _("Si modificano solo le bozze: crea una bozza."))
        return _back(version)
    if request.method == "POST":
        return _save_node(request, version, None)
    parent = _parent_of(version, request.GET.get("sotto"))
    form = NodeForm(
        version=version,
        initial={
            "parent": parent.pk if parent is not None else "",
            "letter": editing.next_letter(version, parent),
            "kind": MenuNode.Kind.CARD,
        },
    )
    return _node_page(request, version, form, _rows_for(form, None, None), None)


@editor
@require_http_methods(["GET", "POST"])
def node_edit(request: HttpRequest, pk: int) -> HttpResponse:
    node = _node(pk)
    version = version_or_404(node.version_id)
    if version.status != MenuVersion.Status.DRAFT:
        messages.error(request, _("Si modificano solo le bozze: crea una bozza."))
        return _back(version, node)
    if request.method == "POST":
        return _save_node(request, version, node)
    form = NodeForm(
        version=version,
        node=node,
        initial={
            "parent": node.parent_id or "",
            "letter": node.letter,
            "label": node.label,
            "kind": node.kind,
            "text": node.text,
            "article": node.article_id or "",
            "url": node.url,
            "handoff": node.handoff,
            "phone": node.phone,
            "theme_code": node.theme_code,
        },
    )
    return _node_page(request, version, form, _rows_for(form, None, node), node)


@editor
@require_POST
def node_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Move a node up or down among its siblings, or delete it (and the nodes below it)."""
    node = _node(pk)
    version = node.version
    try:
        if action in ("su", "giu"):
            editing.move_node(node, -1 if action == "su" else 1)
            return _back(version, node)
        if action == "elimina":
            count = editing.delete_node(node)
            messages.success(
                request,
                _("Voce «%(label)s» eliminata (%(n)d voci in tutto).")
                % {"label": node.label, "n": count}
                if count > 1
                else _("Voce «%(label)s» eliminata.") % {"label": node.label},
            )
            return _back(version, node.parent)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(version, node)
    raise Http404("no such action")


@editor
@require_GET
def article_options(request: HttpRequest) -> HttpResponse:
    """The article picker's options for what is typed (HTMX, while typing the title)."""
    return render(
        request,
        "web/console/assistant/_article_options.html",
        {
            "choices": article_choices(
                request.GET.get("article_q", "")[:100], request.GET.get("article")
            ),
            "chosen": request.GET.get("article", ""),
        },
    )


urlpatterns: list[URLPattern] = [
    path("assistente/", assistant_index, name="assistant"),
    path("assistente/menu/nuovo/", menu_new, name="assistant-menu-new"),
    path("assistente/articoli/", article_options, name="assistant-articles"),
    path("assistente/versioni/<int:pk>/", version_page, name="assistant-version"),
    path("assistente/versioni/<int:pk>/voci/nuova/", node_new, name="assistant-node-new"),
    path(
        "assistente/versioni/<int:pk>/<slug:action>/",
        version_action,
        name="assistant-version-action",
    ),
    path("assistente/voci/<int:pk>/", node_edit, name="assistant-node"),
    path("assistente/voci/<int:pk>/<slug:action>/", node_action, name="assistant-node-action"),
]
