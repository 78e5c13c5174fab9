"""Case events partitioned by month of `at` on PostgreSQL (nothing on SQLite): the table is
rebuilt with its rows, ids and indexes, and stays append-only — the trigger on the table and
one on each partition (decision 0033, core/partitions.py). Takes an exclusive lock on the
table for the time of the copy."""

from django.db import migrations

from ascolto.core import partitions


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_inbox_indexes_reviewed"),
    ]

    operations = [partitions.migration(partitions.EVENTS)]
