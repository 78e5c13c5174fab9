"""A case's events become append-only on PostgreSQL too: a trigger refuses UPDATE and DELETE on
tickets_ticketevent, DELETE allowed only under `SET LOCAL ascolto.erase_cases = 'on'` (the demo's
wipe of every case); see core/appendonly.py and docs/security/audit.md."""

from django.db import migrations

from ascolto.core.appendonly import install_trigger


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_case_presence"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="ticketevent",
            options={
                "base_manager_name": "objects",
                "ordering": ["at", "pk"],
                "verbose_name": "evento del caso",
                "verbose_name_plural": "eventi dei casi",
            },
        ),
        install_trigger("tickets_ticketevent", "erase_cases"),
    ]
