# Rollup now belongs to the rollups app (rollups.0001 took over its table): forget it
# here in the migration state only — the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0005_crime_area_found_index'),
        ('rollups', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Rollup')],
            database_operations=[],
        ),
    ]
