"""No expert is booked twice at once: confirmed and completed assignments of one expert never overlap.

A PostgreSQL exclusion constraint over (expert, daterange) needs btree_gist for the equality part. It is written
as SQL here rather than in Meta.constraints because model validation of an ExclusionConstraint cannot run on
SQLite, where services check the same rule under a row lock.
"""
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CREATE = """
ALTER TABLE expert_pool_assignment ADD CONSTRAINT assignment_no_double_booking
EXCLUDE USING gist (expert_id WITH =, daterange(start, "end", '[]') WITH &&)
WHERE (status IN ('confirmed', 'completed'))
"""
DROP = "ALTER TABLE expert_pool_assignment DROP CONSTRAINT IF EXISTS assignment_no_double_booking"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("expert_pool", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(forwards, backwards),
    ]
