"""Chinese search: what jieba segmentation costs (indexing and query time) and what it buys (recall), against
Wagtail's stock database backend in the same run. Uses a throwaway SQLite database unless DATABASE_URL is set.

    python bench/search.py [pages]
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
_tmp = tempfile.TemporaryDirectory()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp.name}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

WORDS = ["互认", "专家", "质量月", "团体标准", "QC小组", "卓越绩效", "六西格玛", "现场管理", "质量奖", "评审"]
FILLER = "长三角五省市质量协会围绕质量提升开展合作，推动企业参与群众性质量活动，"


def make_pages(n):
    from cms.models import ContentPage
    from hub.models import Province

    section = Province.objects.get(code="SH").section_page
    pages = []
    with transaction.atomic():
        for i in range(n):
            word = WORDS[i % len(WORDS)]
            page = ContentPage(title=f"工作简报第{i}期", slug=f"b{i}", intro=f"<p>{FILLER}本期重点是{word}工作{FILLER}</p>")
            section.add_child(instance=page)
            pages.append(page)
    return pages


def timed(fn, repeat=1):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return result, statistics.median(samples)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    call_command("migrate", verbosity=0)
    call_command("setup_roundtable", verbosity=0, stdout=open(os.devnull, "w"))
    from cms.models import ContentPage
    from hub import search

    search.tokenizer()  # dictionary loading is a one-off cost, reported separately below
    pages = make_pages(n)
    queryset = ContentPage.objects.all()
    rows = []
    for label, backend in (("stock", search.stock_backend_class()({})), ("hub.search", search.SearchBackend({}))):
        _, index_seconds = timed(lambda b=backend: b.add_bulk(ContentPage, pages))
        found, query_seconds = 0, []
        for word in WORDS:
            results, seconds = timed(lambda b=backend, w=word: list(b.search(w, queryset)), repeat=5)
            query_seconds.append(seconds)
            found += len(results)
        rows.append((label, index_seconds, statistics.median(query_seconds), found))
    expected = n  # every page mentions exactly one of the words
    print(f"{n} pages, {len(WORDS)} Chinese queries, database {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"{'backend':<12}{'index s':>10}{'query ms':>10}{'recall':>9}")
    for label, index_seconds, query_seconds, found in rows:
        print(f"{label:<12}{index_seconds:>10.3f}{query_seconds * 1000:>10.2f}{found / expected:>9.0%}")
    (_, stock_index, stock_query, _), (_, ours_index, ours_query, _) = rows
    print(f"ratio hub.search / stock: indexing {ours_index / stock_index:.2f}x, query {ours_query / stock_query:.2f}x")
    _, load = timed(lambda: __import__("jieba").Tokenizer().initialize())
    print(f"jieba dictionary load (once per process): {load:.2f} s")


if __name__ == "__main__":
    main()
