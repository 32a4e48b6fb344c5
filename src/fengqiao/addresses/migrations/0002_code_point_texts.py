from django.db import migrations

from fengqiao.core.collation import code_point_order


class Migration(migrations.Migration):
    """Address texts in code-point order on PostgreSQL (see fengqiao.core.collation)."""

    dependencies = [("addresses", "0001_initial")]

    operations = [code_point_order("addresses", "standardaddress", "full_text", "local_key")]
