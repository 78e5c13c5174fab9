"""The admin's reads of personal data in the access log, as the console records its own.

The admin (`/admin/`, administrators only) shows every row of every model: a list of citizens,
a message's text, a case's history. The admin classes of the models that hold personal data
mix `RecordsReads` in, naming what they show:

    @admin.register(Identity)
    class IdentityAdmin(RecordsReads, admin.ModelAdmin[Identity]):
        access_log_kind = "identity"
        access_log_citizens = ("citizen",)

- a list (the changelist) is one record per page shown, with the ids of its rows and the
  citizens they belong to;
- an object's page (change, history, delete confirmation) is one record with its id.

The purpose is `admin`; the citizens are read with one query per page, from the lookups in
`access_log_citizens` (a path from the row to a citizen, like `identity__citizen`). A page
that showed no row records nothing; a refused page (403, redirect to sign-in) neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.audit.readers import reader_of


class RecordsReads:
    """A mixin for `admin.ModelAdmin`: its pages that show rows are recorded in the access
    log with the purpose `admin`. Put it before `ModelAdmin` in the bases."""

    access_log_kind: str = ""
    """What the rows are in the log (`citizen`, `ticket`, `message`...); the model's name when
    empty."""

    access_log_citizens: tuple[str, ...] = ()
    """Lookups from a row to the citizen(s) whose data it holds (`"citizen"`,
    `"identity__citizen"`; `"pk"` for the citizen itself); empty when a row names none."""

    access_log_field: str = "pk"
    """The field that names a row in the log: the console names cases by `code`."""

    @property
    def _model(self) -> type[Model]:
        return self.model  # type: ignore[attr-defined,no-any-return]

    def _access_log_kind(self) -> str:
        return self.access_log_kind or self._model._meta.model_name or "object"

    def _citizens_of(self, ids: list[Any]) -> list[int | None]:
        if not ids or not self.access_log_citizens:
            return []
        rows = self._model._default_manager.filter(pk__in=ids).values_list(
            *self.access_log_citizens
        )
        return [value for row in rows for value in row]

    def _record(self, request: HttpRequest, rows: Iterable[Model], shown: str) -> None:
        rows = [row for row in rows if row.pk is not None]
        if not rows:
            return
        record_access(
            reader_of(request),
            AccessRecord.Purpose.ADMIN,
            self._access_log_kind(),
            objects=[getattr(row, self.access_log_field) for row in rows],
            citizens=self._citizens_of([row.pk for row in rows]),
            shown=shown,
        )

    def _record_object_page(
        self, request: HttpRequest, response: HttpResponseBase, page: str
    ) -> None:
        if response.status_code != 200:
            return
        context = getattr(response, "context_data", None) or {}
        shown = context.get("original") or context.get("object")
        if isinstance(shown, Model):
            label = self._model._meta.verbose_name
            self._record(request, [shown], f"admin: {page} ({label})")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if response.status_code == 200:
            changelist = (getattr(response, "context_data", None) or {}).get("cl")
            if changelist is not None:
                label = self._model._meta.verbose_name_plural
                query = " (ricerca)" if changelist.query else ""
                self._record(request, changelist.result_list, f"admin: elenco ({label}){query}")
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        self._record_object_page(request, response, "scheda")
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        response = super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        self._record_object_page(request, response, "cronologia")
        return response

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        response = super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        self._record_object_page(request, response, "conferma di eliminazione")
        return response
