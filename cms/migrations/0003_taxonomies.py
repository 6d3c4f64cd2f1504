from django.db import migrations


def create(apps, schema_editor):
    from cms.taxonomy import ensure_taxonomies

    ensure_taxonomies(apps.get_model("cms", "EventCategory"), apps.get_model("cms", "AchievementType"))


class Migration(migrations.Migration):
    dependencies = [("cms", "0002_events_achievements_signoff")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
