"""An alert delivery's link to its message keeps no database constraint: the messages become
partitioned by month on PostgreSQL (channels 0007), whose key (id, sent_at) a foreign key on
the message id alone cannot reference. Django's SET_NULL stays (decision 0033)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0006_pending_whatsapp_status"),
        ("knowledge", "0003_article_kinds_versions_helpful"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alertdelivery",
            name="message",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="channels.message",
                verbose_name="messaggio",
            ),
        ),
    ]
