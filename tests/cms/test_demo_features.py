"""The demo shows every public-site feature: a registration deadline, an achievement with body text and an
attachment, content with an auto-linked standard number, a scheduled page, the draft text of the standard under
comment, and titles that never repeat across provinces."""
from collections import Counter

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_demo_shows_the_public_site_features(client, demo_db):
    from cms.achievements import AchievementPage
    from cms.events import EventPage
    from cms.models import ContentPage
    from sharing.models import GroupStandard
    from sharing.models.standards import Status

    deadline = EventPage.objects.live().exclude(registration_deadline=None).first()
    assert deadline is not None and "报名截止" in client.get(deadline.url).content.decode()

    rich = AchievementPage.objects.live().public().filter(visibility="public").exclude(attachments=None).first()
    html = client.get(rich.url).content.decode()
    assert rich.body and "原因分析与对策" in html and "成果报告" in html

    notice = ContentPage.objects.live().get(slug="standard-comment-notice")
    assert client.get(notice.url).content.decode().count('class="std-link-status"') >= 2

    scheduled = ContentPage.objects.get(slug="brand-meeting-notice")
    assert not scheduled.live and scheduled.approved_schedule

    in_comment = GroupStandard.objects.get(status=Status.COMMENT)
    assert in_comment.full_text_id and in_comment.text_public

    for model in (AchievementPage, EventPage):
        titles = Counter(model.objects.values_list("title", flat=True))
        assert max(titles.values()) == 1, [t for t, n in titles.items() if n > 1]
