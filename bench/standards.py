"""Benchmark of the standards registry: importing 5,000 rows and rendering the matrix at 1,000 standards.

Runs against a throwaway test database (SQLite in memory unless DATABASE_URL names a server, where a
``test_…`` database is created and dropped). Usage: ``python bench/standards.py``.
"""
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

import django

django.setup()

from django.db import connection  # noqa: E402 - after django.setup()
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def timed(fn, repeat=1):
    runs = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def workbook(rows: int, code: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["标准编号", "中文名称", "ICS", "CCS", "状态", "发布日期", "实施日期", "起草单位", "全文公开"])
    for i in range(1, rows + 1):
        ws.append([f"T/{code} {i}-2024", f"质量管理 第{i}部分：通用要求", "03.120.10", "A00", "实施", "2024-01-10",
                   "2024-03-01", "上海市质量协会", "是"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def main():
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from hub.models import Province
    from hub.spreadsheets import read_table
    from sharing.models import GroupStandard
    from sharing.standard_sheets import import_standards
    from tests.conftest import ensure_roundtable
    from tests.sharing.factories import bulk_standards

    ensure_roundtable()
    admin = get_user_model().objects.create_superuser("bench", "bench@example.test", "bench-only")
    sh = Province.objects.select_related("association").get(code="SH")
    data = workbook(5000, sh.association.standards_code)

    parse_s, _ = timed(lambda: read_table(SimpleUploadedFile("b.xlsx", data)))
    import_s, report = timed(lambda: import_standards(actor=admin, province=sh,
                                                      uploaded=SimpleUploadedFile("b.xlsx", data)))
    assert report.created == 5000, report.errors[:3]
    reimport_s, again = timed(lambda: import_standards(actor=admin, province=sh,
                                                       uploaded=SimpleUploadedFile("b.xlsx", data)))
    assert again.unchanged == 5000
    GroupStandard.objects.all().delete()

    client = Client()

    def render(url):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    bulk_standards(10)
    render("/standards/matrix/")  # warm caches
    matrix_10_s, q10 = timed(lambda: render("/standards/matrix/"), repeat=5)
    registry_10_s, r10 = timed(lambda: render("/standards/"), repeat=5)
    bulk_standards(990, start=11)
    matrix_1000_s, q1000 = timed(lambda: render("/standards/matrix/"), repeat=5)
    registry_1000_s, r1000 = timed(lambda: render("/standards/"), repeat=5)
    export_1000_s, _ = timed(lambda: render("/standards/matrix/export.xlsx"), repeat=3)

    print(f"database: {connection.vendor}")
    print(f"import 5,000 rows (XLSX): {import_s:.2f} s  (parsing alone {parse_s:.2f} s, ratio {import_s / parse_s:.1f}x)")
    print(f"re-import same 5,000 rows (idempotent, nothing written): {reimport_s:.2f} s")
    print(f"matrix page, 10 standards: {matrix_10_s * 1000:.0f} ms, {q10} queries")
    print(f"matrix page, 1,000 standards: {matrix_1000_s * 1000:.0f} ms, {q1000} queries "
          f"(ratio {matrix_1000_s / matrix_10_s:.1f}x for 100x the rows)")
    print(f"matrix XLSX export, 1,000 standards: {export_1000_s * 1000:.0f} ms")
    print(f"registry page (50 per page), 10 vs 1,000 standards: {registry_10_s * 1000:.0f} ms / "
          f"{registry_1000_s * 1000:.0f} ms, {r10} / {r1000} queries")


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
