"""The page rating's stars were mirrored before this release: a note, no data change.

Until this migration the stars of the page rating were written 1 to 5 in the page but drawn
right to left (`flex-direction: row-reverse` in `web/scrivi/_style.html`): the star a visitor
saw as the fifth stored 1, the first stored 5, and the follow-up question asked was the one for
the stored score. Every `PageRating` saved before this migration was applied therefore holds
6 − (the stars the visitor meant); its `reason` answers the question that was actually shown,
so it agrees with the stored score, not with the intention.

From this release the stars are drawn in their written order and the stored score is the one
the visitor chose. The old rows are kept as stored (they are what was recorded; rewriting them
would make the two periods indistinguishable). To read a rating made before the fix, take
6 − score. The date the fix reached a deployment is the time this migration was applied:

    SELECT applied FROM django_migrations
    WHERE app = 'surveys' AND name = '0002_rating_scale_note';

docs/reports.md ("Page ratings before the fix") says the same for readers of the reports.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pagerating",
            name="score",
            field=models.PositiveSmallIntegerField(
                help_text=(
                    "Stelle scelte, 1 = poco chiara, 5 = molto chiara. Le valutazioni "
                    "registrate prima della migrazione surveys 0002 sono speculari: leggere "
                    "6 − voto (docs/reports.md)."
                ),
                verbose_name="voto (1-5)",
            ),
        ),
    ]
