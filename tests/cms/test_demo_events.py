"""seed_demo fills the events and achievements of every province, in every state the hub knows."""

import pytest
from django.db.models import F

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_demo_covers_every_category_province_and_state(client, demo_db):
    from cms.achievements import AchievementPage
    from cms.events import CampaignPage, EventCategory, EventPage, Registration
    from cms.signoff import CoOrganiserSignOff
    from hub.models import Province
    from sharing.models import Adoption

    provinces = set(Province.objects.values_list("code", flat=True))
    for category in EventCategory.objects.all():
        assert set(EventPage.objects.filter(category=category).values_list("province__code", flat=True)) == provinces
    from hub.translations import canonical

    campaign = canonical(CampaignPage.objects.all()).get()  # the campaign, not its English version
    assert set(campaign.sub_events.live().values_list("province__code", flat=True)) == provinces
    assert set(Registration.objects.values_list("status", flat=True)) == {s for s, _ in Registration.STATUSES}
    assert AchievementPage.objects.filter(visibility="members").exists()
    assert Adoption.objects.exclude(province=F("achievement__province")).count() >= 5
    assert CoOrganiserSignOff.objects.filter(decided_at__isnull=True).exists(), "a joint event awaits sign-off"
    assert CoOrganiserSignOff.objects.filter(approved=True).exists(), "joint events went live through sign-off"
    assert client.get(campaign.url).status_code == 200
