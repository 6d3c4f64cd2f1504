"""The site's demo content: realistic Chinese pages that search finds, owned by demo accounts, seeded once."""
import io

import pytest
from django.core.management import call_command
from wagtail.models import Page

from cms.demo import GENERAL_PAGES
from hub.demo import is_demo_user
from hub.models import Association


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())


@pytest.mark.django_db
def test_visitors_find_demo_pages_by_chinese_words(client, demo):
    for word, title in [("互认", "合作机制"), ("专家", "共享专家库管理办法（试行）"),
                        ("质量月", "2026 年长三角质量月联合活动方案"), ("团体标准", "合作机制")]:
        response = client.get("/search/", {"q": word})
        assert title in [r["title"] for g in response.context["groups"] for r in g["results"]], word


@pytest.mark.django_db
def test_demo_pages_are_owned_by_demo_accounts_and_seeding_again_adds_nothing(demo):
    titles = [spec["title"] for spec in GENERAL_PAGES]
    pages = Page.objects.filter(title__in=titles).select_related("owner")
    assert len(pages) == len(titles) and all(is_demo_user(page.owner) for page in pages)
    count = Page.objects.count()
    call_command("seed_demo", "--force", verbosity=0, stdout=io.StringIO())
    assert Page.objects.count() == count


@pytest.mark.django_db
def test_association_contacts_are_fictional(demo):
    for association in Association.objects.all():
        assert association.email.endswith(".invalid") and association.phone and association.address
