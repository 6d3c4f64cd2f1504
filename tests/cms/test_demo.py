"""The site's demo content: realistic Chinese pages that search finds, owned by demo accounts, seeded once."""
import io

import pytest
from django.core.management import call_command
from wagtail.models import Page

from cms.demo import GENERAL_PAGES
from hub.demo import is_demo_user
from hub.models import Association


@pytest.fixture
def demo(demo_db):
    """The seeded demo (tests/conftest.py keeps one seed_demo run per test process)."""


@pytest.mark.django_db
def test_visitors_find_demo_pages_by_chinese_words(client, demo):
    for word, title in [("互认", "合作机制"), ("专家", "共享专家库管理办法（试行）"),
                        ("质量月", "2026 年长三角质量月联合活动方案"), ("团体标准", "合作机制")]:
        response = client.get("/search/", {"q": word})
        assert title in [r["title"] for g in response.context["groups"] for r in g["results"]], word


@pytest.mark.django_db
def test_demo_pages_are_owned_by_demo_accounts_and_seeding_again_adds_nothing(demo):
    titles = [spec["title"] for spec in GENERAL_PAGES]
    pages = Page.objects.filter(title__in=titles, locale__language_code="zh-hans").select_related("owner")
    assert len(pages) == len(titles) and all(is_demo_user(page.owner) for page in pages)
    count = Page.objects.count()
    call_command("seed_demo", "--force", verbosity=0, stdout=io.StringIO())
    assert Page.objects.count() == count


@pytest.mark.django_db
def test_association_contacts_are_fictional(demo):
    for association in Association.objects.all():
        assert association.email.endswith(".invalid") and association.phone and association.address


@pytest.mark.django_db
def test_the_demo_has_english_versions_of_the_main_pages_and_a_draft_one(demo):
    from django.test import Client

    english = Client()
    english.cookies["django_language"] = "en"
    home = english.get("/").content.decode()
    assert "Priorities for 2026" in home and "data-language-fallback" not in home
    for url, text in [("/sh/", "Shanghai Association for Quality"), ("/about/", "About the roundtable"),
                      ("/mechanisms/", "Mutual recognition of group standards")]:
        body = english.get(url).content.decode()
        assert text in body and "data-language-fallback" not in body, url
    from cms.events import EventPage
    from hub.translations import canonical

    event = canonical(EventPage.objects.filter(category__slug="quality-month", province__code="SH")).first()
    body = english.get(event.url).content.decode()
    assert "Shanghai Quality Month: open day at member enterprises" in body and "data-language-fallback" not in body
    draft = english.get("/js/expert-pool-rules/").content.decode()
    assert "data-language-fallback" in draft and "Draft English version" not in draft
