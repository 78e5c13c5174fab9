"""The editorial team's alerts on current topics (supervisors and administrators,
`access.edits_content`): the list of current, upcoming and ended alerts, the form to write or
change one, ending one now, and sending one by approved WhatsApp template to the citizens who
subscribed, after a confirmation page. The rules are `knowledge.alerts`; every operator reads
the current alerts at the top of the console (`web/_alerts.html`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.knowledge import alerts
from ascolto.knowledge.models import Alert, AlertDelivery
from ascolto.web.forms.alerts import AlertForm


@require_GET
@access.require(access.edits_content)
def alert_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "web/console/alerts/list.html",
        {"nav": "alerts", "title": _("Avvisi"), "now": now, **alerts.alerts_by_state(now)},
    )


def _form_page(request: HttpRequest, form: AlertForm, alert: Alert | None) -> HttpResponse:
    title = _("Modifica l'avviso") if alert else _("Nuovo avviso")
    context = {"nav": "alerts", "title": title, "form": form, "alert": alert}
    if alert is not None:
        context |= {
            "now": timezone.now(),
            "subscribers": alerts.subscribers().count(),
            "delivered": AlertDelivery.objects.filter(alert=alert).count(),
        }
    return render(
        request, "web/console/alerts/form.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@access.require(access.edits_content)
def alert_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, AlertForm(initial={"channels": alerts.CHANNELS}), None)
    form = AlertForm(request.POST)
    data = form.data_or_errors()
    if data is None:
        return _form_page(request, form, None)
    alerts.create_alert(data, actor=request.user)
    messages.success(request, _("Avviso pubblicato: si vede dal suo inizio alla sua fine."))
    return redirect("console:alerts")


@require_http_methods(["GET", "POST"])
@access.require(access.edits_content)
def alert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.select_related("theme"), pk=pk)
    if request.method == "GET":
        return _form_page(request, AlertForm(initial=AlertForm.initial_from(alert)), alert)
    form = AlertForm(request.POST)
    data = form.data_or_errors()
    if data is None:
        return _form_page(request, form, alert)
    alerts.update_alert(alert, data)
    messages.success(request, _("Avviso aggiornato: ogni canale mostra già la modifica."))
    return redirect("console:alerts")


@require_POST
@access.require(access.edits_content)
def alert_end(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    alerts.end_alert(alert)
    messages.success(request, _("Avviso terminato: non si vede più su nessun canale."))
    return redirect("console:alerts")


@require_http_methods(["GET", "POST"])
@access.require(access.edits_content)
def alert_send(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what sending would do (how many subscribers, how many already had it); POST: send,
    in the background (`alerts.request_send`)."""
    alert = get_object_or_404(Alert, pk=pk)
    if request.method == "POST":
        try:
            alerts.request_send(alert, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("console:alert-send", pk=alert.pk)
        messages.success(
            request,
            _(
                "Invio avviato: gli iscritti ricevono l'avviso nei prossimi minuti. La pagina "
                "dell'avviso mostra quanti l'hanno già ricevuto."
            ),
        )
        return redirect("console:alert-edit", pk=alert.pk)
    subscribers = alerts.subscribers()
    delivered = AlertDelivery.objects.filter(alert=alert).values("citizen_id")
    return render(
        request,
        "web/console/alerts/send.html",
        {
            "nav": "alerts",
            "title": _("Invia l'avviso agli iscritti"),
            "alert": alert,
            "ended": alert.ends_at <= timezone.now(),
            "subscribers": subscribers.count(),
            "delivered": delivered.count(),
            "to_send": subscribers.exclude(pk__in=delivered).count(),
            "template": settings.ASCOLTO_ALERT_TEMPLATE,
            "template_ready": alerts.template_ready(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alerts"),
    path("alerts/new/", alert_new, name="alert-new"),
    path("alerts/<int:pk>/", alert_edit, name="alert-edit"),
    path("alerts/<int:pk>/end/", alert_end, name="alert-end"),
    path("alerts/<int:pk>/send/", alert_send, name="alert-send"),
]
