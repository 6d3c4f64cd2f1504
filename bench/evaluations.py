"""Benchmark of evaluation scoring: aggregating 1,000 applications × 7 reviewers × 7 criteria from the stored scores.

Prints the time of ``evaluation_selectors.progress`` (the organiser's page and the announcement read the same), its
query count, and the pure aggregation without the database as the anchor measured in the same run. Runs against a
throwaway test database (SQLite in memory unless DATABASE_URL names a server). Usage: ``python bench/evaluations.py``.
"""
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

import django

django.setup()

from django.db import connection  # noqa: E402 - after django.setup()
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

APPLICATIONS, REVIEWERS, CRITERIA, ROUNDS = 1000, 7, 7, 5


def build():
    import datetime
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from expert_pool.models import Expert
    from hub.models import Province
    from sharing.models.evaluations import (
        Application,
        Criterion,
        Enterprise,
        Programme,
        Score,
        ScoreSheet,
        Seat,
    )

    now = timezone.now()
    sh = Province.objects.get(code="SH")
    programme = Programme.objects.create(
        province=sh, title="基准项目", kind="excellence", aggregation="trimmed", apply_opens=now.date(),
        apply_closes=now, check_closes=now.date(), review_closes=now + datetime.timedelta(days=1),
        announce_closes=now + datetime.timedelta(days=2), publish_on=now.date(), stage="review")
    criteria = Criterion.objects.bulk_create(
        Criterion(programme=programme, order=i, name=f"评价项{i}", max_points=100 + i) for i in range(CRITERIA))
    User = get_user_model()
    experts = [Expert.objects.create(province=sh, name=f"专家{i}", employer=f"单位{i}", status="active",
                                     user=User.objects.create(username=f"bench-expert-{i}")) for i in range(REVIEWERS)]
    seats = [Seat.objects.create(programme=programme, expert=e, role="principal", order=i) for i, e in enumerate(experts)]
    users = User.objects.bulk_create(User(username=f"bench-ent-{i}") for i in range(APPLICATIONS))
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(province=sh, user=u, name=f"企业{i}", credit_code=f"91310000{i:010d}", status="confirmed")
        for i, u in enumerate(users))
    applications = Application.objects.bulk_create(
        Application(programme=programme, enterprise=e, province=sh, title=f"成果{i}", summary="x", status="accepted")
        for i, e in enumerate(enterprises))
    sheets = ScoreSheet.objects.bulk_create(
        ScoreSheet(application=a, seat=s, status="submitted", submitted_at=now) for a in applications for s in seats)
    rnd = random.Random(1)
    Score.objects.bulk_create(
        (Score(sheet=sheet, criterion=c, points=Decimal(rnd.randint(0, 100))) for sheet in sheets for c in criteria),
        batch_size=5000)
    return programme


def main():
    from sharing import evaluation_selectors as sel
    from sharing.evaluations import aggregate
    from tests.conftest import ensure_roundtable

    ensure_roundtable()
    start = time.perf_counter()
    programme = build()
    print(f"database: {connection.vendor}; built {APPLICATIONS} applications × {REVIEWERS} reviewers × {CRITERIA} "
          f"criteria ({APPLICATIONS * REVIEWERS * CRITERIA:,} scores) in {time.perf_counter() - start:.1f} s")
    totals = [[Decimal(i % 97 + r) for r in range(REVIEWERS)] for i in range(APPLICATIONS)]
    runs, anchors, queries = [], [], 0
    for _ in range(ROUNDS):  # rotate: anchor, then the database read, every round
        t = time.perf_counter()
        for row in totals:
            aggregate("trimmed", row)
        anchors.append(time.perf_counter() - t)
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            rows = sel.progress(programme)
        runs.append(time.perf_counter() - t)
        queries = len(ctx.captured_queries)
        assert len(rows) == APPLICATIONS and all(r.total is not None for r in rows)
    # The database's sums are the stored scores' exact weighted totals: check a sample against the Python sum.
    from sharing.evaluations import sheet_total
    from sharing.models.evaluations import ScoreSheet

    for row in rows[:20]:
        sheets = ScoreSheet.objects.filter(application=row.application, status="submitted").prefetch_related(
            "scores__criterion")
        assert sorted(row.totals) == sorted(sheet_total(s.scores.all()) for s in sheets)
    med, anchor = statistics.median(runs), statistics.median(anchors)
    print(f"progress() with aggregation: median {med * 1000:.0f} ms (min {min(runs) * 1000:.0f}, "
          f"max {max(runs) * 1000:.0f}) over {ROUNDS} rounds, {queries} queries")
    print(f"anchor, aggregation alone on in-memory totals: median {anchor * 1000:.1f} ms; "
          f"ratio {med / anchor:.0f}x (reading and summing {APPLICATIONS * REVIEWERS * CRITERIA:,} stored scores)")


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
