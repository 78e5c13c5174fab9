"""Indexes the reports need on other apps' tables (they stay in this app's migrations so the
owners' models are untouched; `IF NOT EXISTS` works on SQLite and PostgreSQL):

- cases by `updated_at`: the summaries' watermark finds the days whose cases changed;
- cases by identity and creation time, with channel and theme: the repeat-contact figure reads
  only this index (an index-only scan on PostgreSQL).
"""

from django.db import migrations

INDEXES = [
    ("analytics_ticket_updated_idx", "tickets_ticket", "updated_at"),
    (
        "analytics_ticket_identity_idx",
        "tickets_ticket",
        "identity_id, created_at, channel_id, theme_id",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("tickets", "0002_seed_taxonomy"),
        ("contactcenter", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
