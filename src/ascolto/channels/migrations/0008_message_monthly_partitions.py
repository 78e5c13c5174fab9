"""Messages partitioned by month of `sent_at` on PostgreSQL (nothing on SQLite): the table is
rebuilt with its rows, ids and indexes, and the unique `(channel, external_id)` moves to the key
table `channels_message_key` (decision 0033, core/partitions.py). Takes an exclusive lock on
the table for the time of the copy."""

from django.db import migrations

from ascolto.core import partitions


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0007_message_system"),
        # The alert deliveries' foreign key to a message is dropped first.
        ("knowledge", "0004_alert_delivery_message_unconstrained"),
    ]

    operations = [partitions.migration(partitions.MESSAGES)]
