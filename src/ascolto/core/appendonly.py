"""Append-only tables: rows are inserted, never changed; deleted only by one named action.

Two guards, one rule (see `docs/security/audit.md`):

- On PostgreSQL a statement trigger (`trigger_sql`, installed by the table's migration) refuses
  every UPDATE and DELETE on the table, whoever sends it (the ORM, a raw query, `psql`). The one
  way through is a named escape: a transaction-local setting, `SET LOCAL ascolto.<name> = 'on'`,
  which the trigger reads (`current_setting(…, true)`); it ends with the transaction, so it
  cannot leak into the next request on the same connection.
- On every database the ORM refuses: `AppendOnlyQuerySet` refuses `update()` and `delete()`
  (and the two private calls a model's `save()` of an existing row and a cascade from a parent
  use), and `AppendOnlyModel` refuses `save()` of a stored row and `delete()`.

`escape(name)` opens both doors at once, for the action that owns the name (the access log's
retention prune; the demo's wipe of every case with its events); it must be called inside
`transaction.atomic()`. TRUNCATE is not refused (the test database is emptied with it): like
dropping the trigger, it needs the table owner's rights, so a deployment that wants the log safe
from its own application account runs the migrations as the owner and the application as a role
without them (`docs/access-log.md`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from ascolto.core.errors import DomainError

M = TypeVar("M", bound=models.Model)

# The escapes open in this thread (or task), by name: 'prune', 'erase_cases'.
_open: ContextVar[frozenset[str]] = ContextVar("ascolto_appendonly_escapes", default=frozenset())

FUNCTION = "ascolto_append_only"


class AppendOnlyError(DomainError):
    """A change or a deletion of an append-only row was asked outside its named action."""


def _refuse(model: type[models.Model], what: str) -> AppendOnlyError:
    return AppendOnlyError(
        _("«%(table)s» si possono soltanto aggiungere: %(what)s non è ammessa.")
        % {"table": model._meta.verbose_name_plural, "what": what}
    )


@contextmanager
def escape(name: str) -> Iterator[None]:
    """Let the current transaction delete rows of the tables whose escape is `name`.

    Sets `ascolto.<name>` for the transaction on PostgreSQL (`set_config(…, true)` is `SET
    LOCAL`), and opens the ORM's guard for the duration of the block."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("escape() must be used inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [f"ascolto.{name}"])
    token = _open.set(_open.get() | {name})
    try:
        yield
    finally:
        _open.reset(token)
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', true)", [f"ascolto.{name}"])


def _escaped(model: type[models.Model]) -> bool:
    name = getattr(model, "append_only_escape", "")
    return bool(name) and name in _open.get()


class AppendOnlyQuerySet(models.QuerySet[M]):
    """A queryset that inserts and reads; `update()` is always refused, `delete()` unless the
    model's escape (`append_only_escape`) is open."""

    def update(self, **kwargs: Any) -> int:
        raise _refuse(self.model, _("la modifica"))

    def _update(self, values: Any) -> Any:
        raise _refuse(self.model, _("la modifica"))

    def delete(self) -> tuple[int, dict[str, int]]:
        if not _escaped(self.model):
            raise _refuse(self.model, _("la cancellazione"))
        return super().delete()

    def _raw_delete(self, using: Any) -> int:
        # The path of a cascade from a parent row (Django's collector, fast delete).
        if not _escaped(self.model):
            raise _refuse(self.model, _("la cancellazione"))
        return int(super()._raw_delete(using))


class AppendOnlyModel(models.Model):
    """A model whose rows are inserted once: `save()` of a stored row and `delete()` refused.

    Subclasses set `objects = AppendOnlyQuerySet.as_manager()` and `Meta.base_manager_name =
    "objects"` (the manager Django's own updates and cascades go through), and name their
    escape in `append_only_escape`."""

    append_only_escape = ""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and not kwargs.get("force_insert"):
            raise _refuse(type(self), _("la modifica"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if not _escaped(type(self)):
            raise _refuse(type(self), _("la cancellazione"))
        return super().delete(*args, **kwargs)


# The trigger function: refuses UPDATE always and DELETE unless the setting named by the
# trigger's argument is 'on' in this transaction. Statement-level: one call per statement, so a
# prune of a million rows costs one check, and an UPDATE or DELETE matching no row is refused too.
FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_NARGS > 0
       AND coalesce(current_setting(TG_ARGV[0], true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def trigger_sql(table: str, escape_name: str) -> list[str]:
    """The statements that make `table` append-only on PostgreSQL, DELETE allowed under
    `SET LOCAL ascolto.<escape_name> = 'on'`."""
    return [
        FUNCTION_SQL,
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('ascolto.{escape_name}');",
    ]


def drop_trigger_sql(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"]


def install_trigger(table: str, escape_name: str) -> Any:
    """A migration operation: the trigger on PostgreSQL, nothing on SQLite (the ORM guards)."""
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in trigger_sql(table, escape_name):
                schema_editor.execute(sql, params=None)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in drop_trigger_sql(table):
                schema_editor.execute(sql, params=None)

    return migrations.RunPython(forwards, backwards, elidable=False)
