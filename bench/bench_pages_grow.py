"""Grow a seeded demo database to ``factor``× its rows with the test factories: ``python bench/bench_pages_grow.py 10``.

Events, achievements, general pages, group standards (with proposals and decisions) and experts each grow to
``factor`` times the demo's count; the search index is then rebuilt so that search sees the new rows too.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

import django  # noqa: E402

django.setup()


def grow(factor: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction

    from cms.achievements import AchievementPage
    from cms.events import EventPage
    from cms.models import ContentPage
    from expert_pool.models import Expert
    from hub.models import Province
    from sharing.models import GroupStandard
    from tests.cms import factories as cms
    from tests.expert_pool.factories import make_expert
    from tests.sharing.factories import bulk_standards

    provinces = list(Province.objects.filter(is_member=True).select_related("section_page", "association")
                     .order_by("order"))
    extra = {model.__name__: model.objects.count() * (factor - 1)
             for model in (EventPage, AchievementPage, ContentPage, GroupStandard, Expert)}
    with transaction.atomic():
        cms.bulk_events([{"province": provinces[i % 5], "co_organisers": provinces[i % 5 + 1:i % 5 + 2],
                          "days_ahead": (i * 37) % 400 - 100, "slug": f"grown-event-{i}",
                          "registration_open": i % 2 == 0, "capacity": 100}
                         for i in range(extra["EventPage"])])
        cms.bulk_achievements([{"province": provinces[i % 5], "year": 2018 + i % 8, "slug": f"grown-achievement-{i}",
                                "visibility": "members" if i % 3 == 0 else "public", "tags": [f"标签{i % 40}"]}
                               for i in range(extra["AchievementPage"])])
        for province in provinces:
            cms.bulk_content_pages(province.section_page, extra["ContentPage"] // 5)
        start = (GroupStandard.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1000
        bulk_standards(extra["GroupStandard"], start=start)
    for i in range(extra["Expert"]):
        make_expert(provinces[i % 5].code, name=f"增长专家{i}", employer=f"增长单位{i % 300}")
    call_command("update_index", verbosity=0)
    return extra


if __name__ == "__main__":
    print(grow(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
