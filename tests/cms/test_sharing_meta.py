"""Every public page carries a description and Open Graph tags; sitemap.xml and robots.txt exist."""
import re
from io import BytesIO

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from tests.cms import factories

pytestmark = pytest.mark.django_db


def meta(html: str) -> dict:
    tags = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html))
    return tags


def image(title="封面"):
    buffer = BytesIO()
    PILImage.new("RGB", (1600, 900), "#1a7f37").save(buffer, "PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="cover.png"))


def test_every_public_page_has_description_and_open_graph(client, province, settings):
    settings.HUB_BASE_URL = "https://hub.example.org"
    sh = province("SH")
    event = factories.event(sh, summary="邀请专家讲解精益管理的方法与案例。")
    achievement = factories.achievement(sh)
    for url in ["/", sh.section_page.url, "/events/", event.url, "/achievements/", achievement.url, "/standards/",
                "/standards/matrix/", "/experts/", "/search/?q=质量"]:
        response = client.get(url)
        assert response.status_code == 200, url
        tags = meta(response.content.decode())
        for key in ("description", "og:title", "og:description", "og:image", "og:url"):
            assert tags.get(key), (url, key)
        assert tags["og:image"].startswith("https://hub.example.org/"), url
    event_tags = meta(client.get(event.url).content.decode())
    assert event_tags["og:title"] == event.title
    assert event_tags["description"] == "邀请专家讲解精益管理的方法与案例。"
    assert event_tags["og:image"].endswith("/static/img/og-default.png")


def test_an_event_or_achievement_shares_its_own_image(client, province):
    sh = province("SH")
    event = factories.event(sh, cover_image=image("活动封面"))
    achievement = factories.achievement(sh, cover_image=image("成果封面"))
    for page in (event, achievement):
        og_image = meta(client.get(page.url).content.decode())["og:image"]
        assert "/media/images/cover" in og_image and og_image.endswith(".png")
        assert "fill-1200x630" in og_image or ".fill-1200x630" in og_image


def test_sitemap_lists_public_pages_with_absolute_urls(client, province, settings):
    settings.HUB_BASE_URL = "https://hub.example.org"
    from hub.services.provisioning import setup_roundtable

    setup_roundtable()
    sh = province("SH")
    event = factories.event(sh)
    secret = factories.content_page(sh.section_page, "会员内参")
    factories.restrict(secret, "login")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<loc>https://hub.example.org{event.url}</loc>" in body
    assert secret.url not in body


def test_robots_txt_points_to_the_sitemap(client, settings):
    settings.HUB_BASE_URL = "https://hub.example.org"
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /admin/" in body and "Sitemap: https://hub.example.org/sitemap.xml" in body
