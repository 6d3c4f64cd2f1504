"""The five founding members of the roundtable (shared/DOMAIN.md). Later members are added as data in the admin."""
from django.db import migrations

FOUNDERS = [
    # code, zh, en, colour, order, association zh, association en, short, standards code
    ("SH", "上海", "Shanghai", "#c8102e", 1, "上海市质量协会", "Shanghai Association for Quality", "上海质协", "SAQ"),
    ("JS", "江苏", "Jiangsu", "#0057b8", 2, "江苏省质量协会", "Jiangsu Association for Quality", "江苏质协", "JSAQ"),
    ("ZJ", "浙江", "Zhejiang", "#00843d", 3, "浙江省质量协会", "Zhejiang Association for Quality", "浙江质协", "ZJAQ"),
    ("AH", "安徽", "Anhui", "#e87722", 4, "安徽省质量协会", "Anhui Association for Quality", "安徽质协", "AHAQ"),
    ("JX", "江西", "Jiangxi", "#7a3e9d", 5, "江西省质量协会", "Jiangxi Association for Quality", "江西质协", "JXAQ"),
]


def create(apps, schema_editor):
    Province = apps.get_model("hub", "Province")
    Association = apps.get_model("hub", "Association")
    for code, zh, en, colour, order, a_zh, a_en, short, std in FOUNDERS:
        province, _ = Province.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "colour": colour, "order": order}
        )
        Association.objects.get_or_create(
            province=province,
            defaults={"name_zh": a_zh, "name_en": a_en, "short_name": short, "standards_code": std},
        )


class Migration(migrations.Migration):
    dependencies = [("hub", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
