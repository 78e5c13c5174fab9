"""Daily summaries the reports read instead of a million cases and calls (docs/reports.md,
"Summary tables"). They are derived data: `analytics.summaries` rebuilds any day from the
cases and calls, and keeps them in step with every change (watermark on `Ticket.updated_at`)."""

from __future__ import annotations

from django.db import models


class CaseDay(models.Model):
    """The cases opened on one day (Europe/Rome) with the same channel kind, theme, office,
    level and kind, counted as they stand now: how many, how many count in shares (not
    cancelled, not merged), how many are resolved and in which resolution-time bucket."""

    day = models.DateField("giorno")
    channel_kind = models.CharField("canale", max_length=20)
    theme_id = models.IntegerField("tema", null=True)
    office_id = models.IntegerField("ufficio", null=True)
    level = models.PositiveSmallIntegerField("livello")
    kind = models.CharField("tipo", max_length=20)
    cases = models.PositiveIntegerField("casi")
    counted = models.PositiveIntegerField("casi conteggiati")
    resolved = models.PositiveIntegerField("risolti")
    b_day = models.PositiveIntegerField("risolti entro un giorno")
    b_week = models.PositiveIntegerField("entro una settimana")
    b_month = models.PositiveIntegerField("entro un mese")
    b_quarter = models.PositiveIntegerField("entro un trimestre")
    b_over = models.PositiveIntegerField("oltre 90 giorni")

    class Meta:
        verbose_name = "riepilogo giornaliero dei casi"
        verbose_name_plural = "riepiloghi giornalieri dei casi"
        indexes = [models.Index(fields=["day"], name="caseday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.channel_kind}: {self.cases}"


class CallDay(models.Model):
    """The calls that arrived on one day in one queue: offered, answered, and the sums behind
    the average wait (answered calls and all calls) and the average talk time."""

    day = models.DateField("giorno")
    queue = models.CharField("coda", max_length=64)
    offered = models.PositiveIntegerField("offerte")
    answered = models.PositiveIntegerField("con risposta")
    wait_answered = models.BigIntegerField("attesa totale, con risposta (s)")
    wait_all = models.BigIntegerField("attesa totale (s)")
    talk = models.BigIntegerField("conversazione totale (s)")

    class Meta:
        verbose_name = "riepilogo giornaliero delle chiamate"
        verbose_name_plural = "riepiloghi giornalieri delle chiamate"
        indexes = [models.Index(fields=["day"], name="callday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.queue}: {self.offered}"


class SummaryState(models.Model):
    """One row: up to when the summaries are known to be complete. `cases_checked_at`: every
    case saved before it (less the safety margin) is in `CaseDay`; `calls_max_id`: the highest
    call record id summarised."""

    cases_checked_at = models.DateTimeField("casi verificati al")
    calls_max_id = models.BigIntegerField("ultima chiamata riepilogata", default=0)

    class Meta:
        verbose_name = "stato dei riepiloghi"
        verbose_name_plural = "stato dei riepiloghi"

    def __str__(self) -> str:
        return f"{self.cases_checked_at:%d/%m/%Y %H:%M}"


class ContactYear(models.Model):
    """One identity's contacts in one calendar year, reduced to three dates: its first call, its
    third call and the day it reached three phone cases in one area. "Called more than twice
    in the year up to D" is then `third_call_on <= D`, a count instead of a grouping of a
    million calls."""

    year = models.PositiveSmallIntegerField("anno")
    identity_id = models.BigIntegerField("recapito")
    first_call_on = models.DateField("prima chiamata", null=True)
    third_call_on = models.DateField("terza chiamata", null=True)
    third_area_on = models.DateField("terzo caso telefonico sulla stessa area", null=True)

    class Meta:
        verbose_name = "contatti dell'anno"
        verbose_name_plural = "contatti dell'anno"
        constraints = [
            models.UniqueConstraint(fields=["year", "identity_id"], name="contactyear_unique")
        ]
        indexes = [
            models.Index(fields=["year", "first_call_on"], name="contactyear_first_idx"),
            models.Index(fields=["year", "third_call_on"], name="contactyear_third_idx"),
            models.Index(fields=["year", "third_area_on"], name="contactyear_area_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.identity_id}"
