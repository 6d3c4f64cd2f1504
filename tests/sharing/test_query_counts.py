"""The registry, the matrix and a detail page run a constant number of queries at 10 and at 1,000 standards."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.sharing.factories import bulk_standards

PAGES = {
    "registry": lambda: reverse("standards:registry"),
    "registry filtered": lambda: reverse("standards:registry") + "?recognition=partial&status=in_force",
    "matrix": lambda: reverse("standards:matrix"),
    "matrix export": lambda: reverse("standards:matrix_export"),
}


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.slow
def test_pages_run_constant_queries_at_10_and_1000_standards(client_for, staff_of):
    clients = {"anonymous": client_for(None), "reviewer": client_for(staff_of("ZJ", "reviewer"))}
    bulk_standards(10)
    for c in clients.values():  # warm process-wide caches (content types) so only the data size differs
        c.get(PAGES["registry"]())
    small = {(who, name): count_queries(c, url()) for who, c in clients.items() for name, url in PAGES.items()}
    bulk_standards(990, start=11)
    large = {(who, name): count_queries(c, url()) for who, c in clients.items() for name, url in PAGES.items()}
    assert large == small
    # Recorded for the closing note: the figures themselves.
    assert small[("anonymous", "matrix")] <= 8 and small[("anonymous", "registry")] <= 8


@pytest.mark.django_db
def test_detail_runs_constant_queries_as_decisions_grow(client_for, staff_of, province):
    from sharing.models import GroupStandard

    standards = bulk_standards(2, decided_every=1)
    client = client_for(staff_of("ZJ", "reviewer"))
    client.get(reverse("standards:detail", args=[standards[0].pk]))
    few = count_queries(client, reverse("standards:detail", args=[standards[0].pk]))
    bulk_standards(200, start=3, decided_every=1)
    many = count_queries(client, reverse("standards:detail", args=[GroupStandard.objects.last().pk]))
    assert few == many
