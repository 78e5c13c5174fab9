"""Call records partitioned by month of `arrived_at` on PostgreSQL (nothing on SQLite): the
table is rebuilt with its rows, ids and indexes; the unique call id and the one call per
conversation move to the key tables `contactcenter_callrecord_key` and
`contactcenter_callrecord_conversation` (decision 0033, core/partitions.py). Takes an
exclusive lock on the table for the time of the copy."""

from django.db import migrations

from ascolto.core import partitions


class Migration(migrations.Migration):
    dependencies = [
        ("contactcenter", "0007_call_import_indexes"),
    ]

    operations = [partitions.migration(partitions.CALLS)]
