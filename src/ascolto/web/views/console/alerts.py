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
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.channels.config import whatsapp_templates
from ascolto.channels.models import Channel
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
    """GET: what sending would do (how many subscribers, how many already had it); POST: send."""
    alert = get_object_or_404(Alert, pk=pk)
    if request.method == "POST":
        try:
            report = alerts.send_alert(alert, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("console:alert-send", pk=alert.pk)
        text = ngettext(
            "Avviso inviato a %(n)d iscritto.", "Avviso inviato a %(n)d iscritti.", report.queued
        ) % {"n": report.queued}
        if report.already_sent:
            text += " " + ngettext(
                "%(n)d lo aveva già ricevuto.",
                "%(n)d lo avevano già ricevuto.",
                report.already_sent,
            ) % {"n": report.already_sent}
        if report.unreachable:
            text += " " + ngettext(
                "%(n)d non raggiungibile (nessun numero WhatsApp o canale spento).",
                "%(n)d non raggiungibili (nessun numero WhatsApp o canale spento).",
                report.unreachable,
            ) % {"n": report.unreachable}
        messages.success(request, text)
        return redirect("console:alerts")
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
            "template_ready": any(
                t.name == settings.ASCOLTO_ALERT_TEMPLATE
                for channel in Channel.objects.filter(kind=Channel.Kind.WHATSAPP, is_active=True)
                for t in whatsapp_templates(channel.config)
            ),
        },
    )


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alerts"),
    path("alerts/new/", alert_new, name="alert-new"),
    path("alerts/<int:pk>/", alert_edit, name="alert-edit"),
    path("alerts/<int:pk>/end/", alert_end, name="alert-end"),
    path("alerts/<int:pk>/send/", alert_send, name="alert-send"),
]
