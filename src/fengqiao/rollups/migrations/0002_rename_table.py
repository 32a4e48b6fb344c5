# The table takes its app's name (scoring_rollup → rollups_rollup): a rename, so the rows,
# the unique key and the crime-area index go with it on SQLite and PostgreSQL alike.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('rollups', '0001_initial'),
        ('scoring', '0006_rollup_moved_to_rollups'),
    ]

    operations = [
        migrations.AlterModelTable(name='rollup', table=None),
    ]
