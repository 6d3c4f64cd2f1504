"""Search ranks a bounded number of matches (the newest), however large the corpus grows."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from hub import search
from tests.cms import factories

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="bounded ranking is PostgreSQL's")]


def test_only_the_newest_matches_are_ranked(province, monkeypatch):
    section = province("SH").section_page
    pages = [factories.content_page(section, title=f"质量提升报告第{i}期", intro="<p>质量管理经验交流</p>")
             for i in range(8)]
    monkeypatch.setattr(search, "MAX_RANKED", 3)
    backend = search.SearchBackend({})
    with CaptureQueriesContext(connection) as ctx:
        found = [page.pk for page in backend.search("质量", Page.objects.filter(pk__in=[p.pk for p in pages]))]
    assert sorted(found) == sorted(p.pk for p in pages[-3:])
    assert any("LIMIT 3" in query["sql"] for query in ctx.captured_queries)
