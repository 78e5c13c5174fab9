"""The cases table's indexes, reviewed (issue 19; decision 0029 holds the policy and the figures).

Dropped: the single-column indexes Django made for six foreign keys, each the leading column of
a composite index that serves the same lookups (and the foreign key's checks when a referenced
row is deleted):

- `channel_id`: `ticket_channel_idx` (channel_id, created_at);
- `theme_id`: `ticket_theme_idx` (theme_id, created_at);
- `campaign_id`: `ticket_campaign_idx` (campaign_id, created_at);
- `office_id`: `ticket_office_recent_idx` (office_id, created_at DESC);
- `assignee_id`: `ticket_assignee_idx` (assignee_id, status);
- `identity_id`: `analytics_ticket_identity_idx` (identity_id, created_at, channel_id, theme_id),
  made by the analytics migrations (`tests/test_ticket_indexes.py` checks on the migrated
  schema that every foreign key still leads an index).

Every case written paid for each of them: six index entries of the 26 a new case wrote.

Added, for the inbox's filters on rare values over all statuses (the active cases have
`ticket_active_recent_idx` already):

- `ticket_kind_recent_idx` (kind, created_at DESC, id DESC): a kind such as suggestion (1.9 %
  of the cases) over every status: its page is the first 25 entries of the index, its counts
  the first 5,001 (covering on PostgreSQL: status, channel and due time included), instead of
  walking the newest cases of every kind until enough of that kind turn up.

The state side is Django's (`db_index=False` on the six fields); the database side names the
indexes itself, so SQLite is not rebuilt table by table (an `AlterField` there copies the
table and loses the indexes and triggers other migrations made in SQL). On PostgreSQL the
indexes are made and dropped `CONCURRENTLY`: intake keeps writing cases meanwhile.
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "tickets_ticket"
COVERED = ("assignee_id", "campaign_id", "channel_id", "identity_id", "office_id", "theme_id")
PG_ADD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_kind_recent_idx ON tickets_ticket "
    "(kind, created_at DESC, id DESC) INCLUDE (status, channel_id, due_at)",
]
SQLITE_ADD = [
    "CREATE INDEX IF NOT EXISTS ticket_kind_recent_idx ON tickets_ticket "
    "(kind, created_at DESC, id DESC)",
]
DROP_ADDED = ["ticket_kind_recent_idx"]


def _single(schema_editor: Any, column: str) -> str:
    """The name Django gave the foreign key's own index (the same on every backend)."""
    return str(schema_editor._create_index_name(TABLE, [column], suffix=""))


def _concurrently(schema_editor: Any) -> str:
    return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_ADD, "sqlite": SQLITE_ADD}.get(vendor, []):
        schema_editor.execute(sql)
    for column in COVERED:
        name = _single(schema_editor, column)
        schema_editor.execute(f"DROP INDEX{_concurrently(schema_editor)} IF EXISTS {name}")


def backward(apps: Any, schema_editor: Any) -> None:
    for column in COVERED:
        name = _single(schema_editor, column)
        schema_editor.execute(
            f"CREATE INDEX{_concurrently(schema_editor)} IF NOT EXISTS {name} ON {TABLE} ({column})"
        )
    for name in DROP_ADDED:
        schema_editor.execute(f"DROP INDEX{_concurrently(schema_editor)} IF EXISTS {name}")


def _unindexed(name: str, field: models.Field[Any, Any]) -> migrations.AlterField:
    return migrations.AlterField(model_name="ticket", name=name, field=field)


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("channels", "0006_pending_whatsapp_status"),
        ("citizens", "0005_privacy_notice"),
        ("organisation", "0004_directory_device"),
        ("tickets", "0008_api_o311_open311_services"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                _unindexed(
                    "assignee",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assegnatario",
                    ),
                ),
                _unindexed(
                    "campaign",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="tickets.campaign",
                        verbose_name="campagna",
                    ),
                ),
                _unindexed(
                    "channel",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="channels.channel",
                        verbose_name="canale di origine",
                    ),
                ),
                _unindexed(
                    "identity",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="citizens.identity",
                        verbose_name="recapito",
                    ),
                ),
                _unindexed(
                    "office",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="organisation.office",
                        verbose_name="ufficio",
                    ),
                ),
                _unindexed(
                    "theme",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="tickets.theme",
                        verbose_name="tema",
                    ),
                ),
            ],
        )
    ]
