"""Achievement pages: visibility, listing filters, attachments of members-only pages, adoption records shown."""
import pytest
from django.core.files.base import ContentFile
from wagtail.documents.models import Document
from wagtail.models import PageViewRestriction

from cms.achievements import AchievementAttachment
from hub.services.provisioning import province_collection
from tests.cms import factories

pytestmark = pytest.mark.django_db


def test_members_only_achievement_is_view_restricted_to_roundtable_groups(province):
    page = factories.achievement(province("SH"), visibility="members")
    restriction = PageViewRestriction.objects.get(page=page)
    names = set(restriction.groups.values_list("name", flat=True))
    assert {"SH members", "ZJ members", "JX editors", "Roundtable secretariat"} <= names
    page.visibility = "public"
    page.save_revision().publish()
    assert not PageViewRestriction.objects.filter(page=page).exists()


def test_a_drafts_visibility_waits_for_its_publication(province):
    """Saving a draft that makes a public achievement members-only (or back) leaves the live page's readers as they
    were; the view restriction follows the version that goes live, also when it is scheduled or copied live."""
    from wagtail.actions.copy_page import CopyPageAction

    page = factories.achievement(province("SH"), visibility="public")
    page.visibility = "members"
    revision = page.save_revision()
    assert not PageViewRestriction.objects.filter(page=page).exists()
    revision.publish()
    assert PageViewRestriction.objects.filter(page=page).exists()
    page.refresh_from_db()
    page.visibility = "public"
    page.save_revision()
    assert PageViewRestriction.objects.filter(page=page).exists()
    copy = CopyPageAction(page, update_attrs={"slug": "copied-members-only"}, keep_live=True).execute()
    restriction = PageViewRestriction.objects.get(page=copy)
    assert set(restriction.groups.all()) == set(PageViewRestriction.objects.get(page=page).groups.all())


def test_members_only_never_leaks_through_listing_search_feeds(client, client_for, user_factory, staff_of, province):
    factories.achievement(province("JS"), title="内部交流的精益改善成果", visibility="members")
    factories.achievement(province("JS"), title="公开的精益改善成果")
    anonymous_views = [client.get("/achievements/"), client.get("/search/", {"q": "精益"}),
                       client.get("/achievements/feed/rss/"), client.get("/"), client.get("/js/")]
    for response in anonymous_views:
        html = response.content.decode()
        assert "内部交流的精益改善成果" not in html
    assert "公开的精益改善成果" in anonymous_views[0].content.decode()
    outsider = client_for(user_factory())
    assert "内部交流的精益改善成果" not in outsider.get("/achievements/").content.decode()
    assert "内部交流的精益改善成果" not in outsider.get("/search/", {"q": "精益"}).content.decode()
    member = client_for(staff_of("AH", "member"))
    assert "内部交流的精益改善成果" in member.get("/achievements/").content.decode()
    assert "内部交流的精益改善成果" in member.get("/search/", {"q": "精益"}).content.decode()


@pytest.mark.slow
def test_a_thousand_members_only_achievements_stay_hidden_from_listings(client, client_for, staff_of, province):
    """One path prefix per restriction made a thousand-term OR, which SQLite refused (Expression tree is too large)."""
    factories.bulk_achievements([{"province": province("JS"), "visibility": "members", "title": f"内部成果{i}"}
                                 for i in range(1100)])
    factories.achievement(province("JS"), title="公开的精益改善成果")
    for url in ("/achievements/", "/achievements/feed/rss/", "/", "/js/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "内部成果" not in response.content.decode(), url
    assert "公开的精益改善成果" in client.get("/achievements/").content.decode()
    assert "内部成果" in client_for(staff_of("AH", "member")).get("/achievements/").content.decode()


def test_members_only_attachments_are_not_served_to_outsiders(client, client_for, user_factory, staff_of, province):
    document = Document.objects.create(title="成果报告", collection=province_collection(province("ZJ")),
                                       file=ContentFile(b"%PDF-1.4 report", name="report.pdf"))
    page = factories.achievement(province("ZJ"), visibility="members", publish=False)
    AchievementAttachment.objects.create(page=page, document=document)
    page.save_revision().publish()
    url = document.url
    assert client.get(url).status_code == 302  # to the login page
    assert client_for(user_factory()).get(url).status_code == 403
    response = client_for(staff_of("SH", "member")).get(url)
    assert response.status_code == 200
    assert client_for(staff_of("SH", "member")).get(page.url).status_code == 200
    assert client.get(page.url).status_code == 302


def test_achievement_listing_filters(client, province):
    factories.achievement(province("SH"), title="上海QC成果", year=2024, tags=["焊接"])
    zj = factories.achievement(province("ZJ"), title="浙江六西格玛项目", year=2025,
                               achievement_type=factories.achievement_type("lean-six-sigma"))
    factories.adoption(zj, province("AH"))

    def html(query):
        return client.get("/achievements/" + query).content.decode()

    assert "上海QC成果" in html("") and "浙江六西格玛项目" in html("")
    assert "浙江六西格玛项目" not in html("?province=SH")
    assert "上海QC成果" not in html("?type=lean-six-sigma")
    assert "浙江六西格玛项目" not in html("?year=2024")
    tag_slug = __import__("taggit.models", fromlist=["Tag"]).Tag.objects.get(name="焊接").slug
    assert "浙江六西格玛项目" not in html(f"?tag={tag_slug}") and "上海QC成果" in html(f"?tag={tag_slug}")
    adopted = html("?adopted=1")
    assert "浙江六西格玛项目" in adopted and "上海QC成果" not in adopted


def test_achievement_page_shows_where_it_spread(client, province):
    page = factories.achievement(province("SH"), title="现场管理6S推进案例")
    factories.adoption(page, province("JX"), organisation="江西某汽车零部件公司", outcome="现场整洁度评分提高 20 分。")
    factories.adoption(page, province("AH"), organisation="安徽某电器公司")
    html = client.get(page.url).content.decode()
    assert "江西某汽车零部件公司" in html and "现场整洁度评分提高 20 分。" in html and "安徽某电器公司" in html
    assert "已在 2 家单位推广应用" in html
