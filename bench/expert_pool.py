"""Expert pool benchmark: directory searches at 2,000 and 20,000 experts, and a draw over 20,000.

Run: ``DATABASE_URL=postgres://… python bench/expert_pool.py`` (SQLite without DATABASE_URL). A throwaway test
database is created and dropped. Prints the median time per search at each size, their ratio, and the draw time.
"""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402
import random  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

SMALL, LARGE, RUNS = 2_000, 20_000, 7


def populate(target: int, rnd: random.Random) -> None:
    """Grow the pool to ``target`` active experts (bulk inserts, search texts computed in Python)."""
    from expert_pool import demo, visibility
    from expert_pool.models import LANGUAGE_LABELS, Availability, Expert, Qualification, Specialism
    from hub.models import Province

    provinces = list(Province.objects.all())
    specialisms = list(Specialism.objects.all())
    qualifications = list(Qualification.objects.all())
    today = datetime.date.today()
    have = Expert.objects.count()
    rows, rels = [], []
    for n in range(have, target):
        province = provinces[n % len(provinces)]
        spec = rnd.sample(specialisms, rnd.randint(1, 3))
        quals = rnd.sample(qualifications, rnd.randint(0, 2))
        langs = ["zh"] + (["en"] if rnd.random() < 0.3 else [])
        e = Expert(province=province, name=rnd.choice(demo.SURNAMES) + rnd.choice(demo.GIVEN),
                   employer=rnd.choice(demo.EMPLOYERS[province.code]), title=rnd.choice(demo.TITLES),
                   industries="、".join(rnd.sample(demo.INDUSTRIES, 2)), languages="," + ",".join(langs) + ",",
                   status="active", bio=f"从事{spec[0].name}工作多年。", phone=f"139{n:08d}",
                   email=f"bench{n}@example.test", external_ref=f"B{n}")
        values = {"name": e.name, "province": province.name_zh, "title": e.title,
                  "specialisms": "、".join(s.name for s in spec), "qualifications": "、".join(q.name for q in quals),
                  "languages": "、".join(str(LANGUAGE_LABELS[c]) for c in langs), "employer": e.employer,
                  "industries": e.industries, "bio": e.bio, "phone": e.phone, "email": e.email}
        for key, value in visibility.search_documents(e, values).items():
            setattr(e, key, value)
        rows.append(e)
        rels.append((spec, quals))
    Expert.objects.bulk_create(rows, batch_size=2000)
    ts, tq = Expert.specialisms.through, Expert.qualifications.through
    ts.objects.bulk_create([ts(expert_id=e.pk, specialism_id=s.pk) for e, (sp, _) in zip(rows, rels, strict=False) for s in sp],
                           batch_size=5000)
    tq.objects.bulk_create([tq(expert_id=e.pk, qualification_id=q.pk) for e, (_, qs) in zip(rows, rels, strict=False) for q in qs],
                           batch_size=5000)
    slots = []
    for e in rows:
        start = today + datetime.timedelta(days=rnd.randint(0, 30))
        slots.append(Availability(expert=e, start=start, end=start + datetime.timedelta(days=rnd.randint(20, 120))))
    Availability.objects.bulk_create(slots, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def searches():
    from expert_pool.models import Specialism

    today = datetime.date.today()
    award = Specialism.objects.get(name="质量奖评审").pk
    return {
        "browse": {},
        "keyword": {"q": "上海 质量奖"},
        "facets": {"specialism": award, "language": "en"},
        "availability": {"available_from": today + datetime.timedelta(days=40),
                         "available_to": today + datetime.timedelta(days=45), "specialism": award},
    }


def time_searches(client) -> dict[str, tuple[float, int]]:
    results = {}
    for label, params in searches().items():
        client.get("/experts/", params)
        samples = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get("/experts/", params)
                samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        results[label] = (statistics.median(samples) * 1000, len(ctx.captured_queries))
    return results


def main() -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = False
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from django.contrib.auth import get_user_model

        from expert_pool import demo, selectors, services
        from hub.models import Province
        from hub.roles import ROLES_BY_SLUG, group_name
        from hub.services.provisioning import setup_roundtable

        setup_roundtable()
        demo._taxonomies()
        rnd = random.Random(7)
        anonymous, staff = Client(), Client()
        from django.contrib.auth.models import Group

        editor = get_user_model().objects.create_user("bench-editor", password="x")
        editor.groups.add(Group.objects.get(name=group_name("SH", ROLES_BY_SLUG["editor"])))
        staff.force_login(editor)
        print(f"database: {connection.vendor}")
        figures = {}
        for size in (SMALL, LARGE):
            started = time.perf_counter()
            populate(size, rnd)
            print(f"populated {size} experts in {time.perf_counter() - started:.1f}s")
            figures[size] = {"anonymous": time_searches(anonymous), "staff": time_searches(staff)}
        print(f"\ndirectory search, median of {RUNS} (ms, queries per page):")
        print(f"{'viewer':<10}{'search':<14}{SMALL:>10}{LARGE:>10}{'ratio':>8}")
        for viewer in ("anonymous", "staff"):
            for label in searches():
                small_ms, small_q = figures[SMALL][viewer][label]
                large_ms, large_q = figures[LARGE][viewer][label]
                print(f"{viewer:<10}{label:<14}{small_ms:>8.1f}/{small_q}{large_ms:>8.1f}/{large_q}"
                      f"{large_ms / small_ms:>8.2f}")
        requester = get_user_model().objects.create_user("bench-requester", password="x")
        requester.groups.add(Group.objects.get(name=group_name("SH", ROLES_BY_SLUG["coordinator"])))
        today = datetime.date.today()
        request = services.request_create(
            actor=requester, province=Province.objects.get(code="SH"), title="基准测试评审组", purpose="award",
            start=today + datetime.timedelta(days=40), end=today + datetime.timedelta(days=41), place="上海",
            specialisms=list(demo.Specialism.objects.filter(name__in=["质量奖评审", "QC小组成果评审"])),
            number_needed=5, reserves_needed=3, elsewhere_only=True,
            organisation_under_review=demo.EMPLOYERS["JS"][0])
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            pool = selectors.draw_pool(request)
            samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        record = services.draw_run(actor=requester, request_id=request.pk)
        run = time.perf_counter() - started
        print(f"\ndraw over {LARGE} experts: eligibility median {statistics.median(samples) * 1000:.1f} ms "
              f"({len(pool.candidate_ids)} candidates, {len(pool.exclusions)} exclusions); "
              f"full recorded draw {run * 1000:.1f} ms; replay equal: {services.draw_replay(record)[2]}")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
