from django.db import migrations

from fengqiao.core.collation import code_point_order


class Migration(migrations.Migration):
    """Names in code-point order on PostgreSQL (see fengqiao.core.collation)."""

    dependencies = [("registry", "0002_importjob")]

    operations = [
        code_point_order("registry", "person", "name", "phone"),
        code_point_order("registry", "organisation", "name"),
    ]
