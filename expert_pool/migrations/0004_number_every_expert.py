"""Give every expert without an association number (编号) one, ``<province code>-<pk>``, as services now do."""
from django.db import migrations


def number_experts(apps, schema_editor):
    Expert = apps.get_model("expert_pool", "Expert")
    for expert in Expert.objects.filter(external_ref="").select_related("province").iterator():
        base = f"{expert.province.code}-{expert.pk:05d}"
        number, n = base, 1
        while Expert.objects.filter(province_id=expert.province_id, external_ref=number).exists():
            n += 1
            number = f"{base}-{n}"
        Expert.objects.filter(pk=expert.pk).update(external_ref=number)


class Migration(migrations.Migration):
    dependencies = [("expert_pool", "0003_caps_numbers_rejection")]

    operations = [migrations.RunPython(number_experts, migrations.RunPython.noop)]
