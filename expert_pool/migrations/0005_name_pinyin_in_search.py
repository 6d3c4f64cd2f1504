"""Append each name's pinyin (full and initials) to the stored search texts, as ``visibility.search_documents``
now does, so that existing experts are found by pinyin queries too. The name belongs to the always-public basic
group, so the same words go into every audience's text."""
import re

from django.db import migrations


def add_pinyin(apps, schema_editor):
    from pypinyin import Style, lazy_pinyin

    Expert = apps.get_model("expert_pool", "Expert")
    for expert in Expert.objects.only("pk", "name", "search_public", "search_staff", "search_home").iterator():
        clean = re.sub(r"\s+", "", expert.name or "")
        if not clean or clean.isascii():
            continue
        words = ("".join(lazy_pinyin(clean)) + " " + "".join(lazy_pinyin(clean, style=Style.FIRST_LETTER))).lower()
        if expert.search_public.endswith(words):
            continue
        Expert.objects.filter(pk=expert.pk).update(**{
            column: (getattr(expert, column) + " " + words).strip()
            for column in ("search_public", "search_staff", "search_home")})


class Migration(migrations.Migration):
    dependencies = [("expert_pool", "0004_number_every_expert")]

    operations = [migrations.RunPython(add_pinyin, migrations.RunPython.noop)]
