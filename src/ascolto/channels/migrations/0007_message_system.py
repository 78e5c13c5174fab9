"""The external system that wrote a reply or a note through the API (issue 18).

With the database's default as well as Django's: `migrate` runs while the old code still
serves (docs/deploy.md), and its inserts name no `system`. On PostgreSQL adding a column with
a constant default rewrites no row.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0006_pending_whatsapp_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="system",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=200,
                verbose_name="sistema esterno",
            ),
        ),
    ]
