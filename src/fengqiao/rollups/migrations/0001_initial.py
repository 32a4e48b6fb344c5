# The Rollup model moves here from scoring. Its table is scoring's (created by scoring
# 0001, indexed by 0004/0005, holding the counts): this migration takes it over in the
# migration state only, scoring.0006 lets go of it the same way, and 0002 renames it.
# No row is copied or lost; tests/test_rollups_app.py migrates a populated database.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('jurisdictions', '0003_jurisdiction_boundary'),
        ('scoring', '0005_crime_area_found_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Rollup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('fact', models.CharField(max_length=16, verbose_name='事实')),
                        ('grain', models.CharField(choices=[('d', '日'), ('m', '月')], max_length=1, verbose_name='粒度')),
                        ('day', models.DateField(verbose_name='日期')),
                        ('category', models.CharField(blank=True, max_length=24, verbose_name='类别')),
                        ('status', models.CharField(blank=True, max_length=16, verbose_name='状态')),
                        ('n', models.IntegerField(default=0, verbose_name='数量')),
                        ('node', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='jurisdictions.jurisdiction')),
                    ],
                    options={
                        'verbose_name': '汇总',
                        'verbose_name_plural': '汇总',
                        'db_table': 'scoring_rollup',
                        'constraints': [models.UniqueConstraint(fields=('node', 'fact', 'grain', 'day', 'category', 'status'), name='rollup_key')],
                        'indexes': [models.Index(condition=models.Q(('fact', 'crime_area'), ('n__gt', 0)), fields=['grain', 'day', 'node'], name='rollup_crime_area_found')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
