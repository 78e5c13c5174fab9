"""Load the city's taxonomy of requests (tickets/taxonomy.py)."""

from django.db import migrations


def load_taxonomy(apps, schema_editor):
    from ascolto.tickets.taxonomy import load

    load(apps.get_model("tickets", "Theme"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(load_taxonomy, migrations.RunPython.noop)]
