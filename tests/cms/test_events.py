"""Event pages: where they may be created, what they refuse, how they render, list, search and export to iCal."""
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from cms.achievements import AchievementPage
from cms.events import CampaignPage, EventPage
from cms.models import HomePage, ProvinceSectionPage
from tests.cms import factories

pytestmark = pytest.mark.django_db


def test_events_and_achievements_live_only_under_province_sections():
    assert EventPage.allowed_parent_page_models() == [ProvinceSectionPage]
    assert AchievementPage.allowed_parent_page_models() == [ProvinceSectionPage]
    assert set(CampaignPage.allowed_parent_page_models()) == {ProvinceSectionPage, HomePage}
    assert not EventPage.allowed_subpage_models()


def test_lead_province_is_the_sections_province_not_a_choice(province):
    event = factories.event(province("JS"))
    event.province = province("SH")
    event.save_revision().publish()
    event.refresh_from_db()
    assert event.province == province("JS")


def test_event_derives_its_instants_in_its_own_time_zone(province):
    event = factories.event(province("SH"), time_zone="Europe/Berlin")
    start, end = event.compute_bounds()
    assert event.starts_at == start and start.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert (end - start) == timedelta(hours=2)


@pytest.mark.parametrize("changes, field", [
    ({"end_date": date(2027, 9, 1), "start_date": date(2027, 9, 2)}, "end_date"),
    ({"start_time": time(15), "end_time": time(9)}, "end_time"),
    ({"all_day": False, "start_time": None}, "start_time"),
    ({"mode": "online", "meeting_url": ""}, "meeting_url"),
    ({"mode": "in_person", "place": ""}, "place"),
    ({"registration_deadline": timezone.now() + timedelta(days=365)}, "registration_deadline"),
])
def test_event_refuses_inconsistent_input(province, changes, field):
    event = factories.event(province("SH"))
    before = event.get_latest_revision().pk
    for name, value in changes.items():
        setattr(event, name, value)
    with pytest.raises(ValidationError) as exc:
        event.full_clean()
    assert field in exc.value.message_dict
    assert event.get_latest_revision().pk == before


def test_capacity_below_seats_taken_is_refused(province):
    event = factories.event(province("SH"), registration_open=True, capacity=5)
    for _ in range(3):
        factories.registration(event)
    factories.registration(event, status="cancelled")
    event.capacity = 2
    with pytest.raises(ValidationError) as exc:
        event.full_clean()
    assert "3" in exc.value.message_dict["capacity"][0]
    event.capacity = 3
    event.full_clean()


def test_admin_form_rejects_end_before_start_and_saves_nothing(province, client_for, staff_of):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    section = province("SH").section_page
    editor = staff_of("SH", "editor")
    data = nested_form_data({
        "title": "质量月启动仪式", "slug": "qm-launch", "summary": "启动", "category": factories.category().pk,
        "all_day": "on", "start_date": "2027-09-05", "end_date": "2027-09-01", "time_zone": "Asia/Shanghai",
        "mode": "in_person", "place": "上海", "body": streamfield([]), "attachments": inline_formset([]),
        "questions": inline_formset([]), "comments": inline_formset([]),
    })
    response = client_for(editor).post(f"/admin/pages/add/cms/eventpage/{section.pk}/", data)
    assert response.status_code == 200
    assert not EventPage.objects.filter(slug="qm-launch").exists()
    data["end_date"] = "2027-09-06"
    response = client_for(editor).post(f"/admin/pages/add/cms/eventpage/{section.pk}/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    event = EventPage.objects.get(slug="qm-launch")
    assert event.province == province("SH") and event.all_day and event.multi_day


def test_admin_form_refuses_another_provinces_document(province, client_for, staff_of):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    from hub.services.provisioning import province_collection

    foreign = Document.objects.create(title="浙江内部资料", collection=province_collection(province("ZJ")),
                                      file=ContentFile(b"%PDF-1.4", name="zj.pdf"))
    section = province("SH").section_page
    data = nested_form_data({
        "title": "质量大讲堂", "slug": "lecture-x", "summary": "讲座", "category": factories.category().pk,
        "all_day": "on", "start_date": "2027-09-05", "end_date": "2027-09-05", "time_zone": "Asia/Shanghai",
        "mode": "in_person", "place": "上海", "body": streamfield([("document", foreign.pk)]),
        "attachments": inline_formset([{"document": foreign.pk}]), "questions": inline_formset([]),
        "comments": inline_formset([]),
    })
    response = client_for(staff_of("SH", "editor")).post(f"/admin/pages/add/cms/eventpage/{section.pk}/", data)
    assert response.status_code == 200
    assert "浙江内部资料" in response.content.decode()
    assert not EventPage.objects.filter(slug="lecture-x").exists()


def test_event_page_shows_dates_place_and_co_organisers(client, province):
    event = factories.event(province("SH"), co_organisers=[province("ZJ"), province("AH")], all_day=True,
                            length_days=2, registration_open=True, capacity=50)
    html = client.get(event.url).content.decode()
    assert event.when_text() in html and "–" in event.when_text()
    assert "浙江" in html and "安徽" in html
    assert f'action="/events/{event.pk}/register/"' in html
    assert f"/events/{event.pk}.ics" in html


def test_unpublished_event_is_not_served_listed_or_exported(client, province):
    draft = factories.event(province("SH"), publish=False, title="尚未发布的活动")
    assert client.get(f"/events/{draft.pk}.ics").status_code == 404
    assert "尚未发布的活动" not in client.get("/events/?when=all").content.decode()
    assert "尚未发布的活动" not in client.get("/events/calendar.ics").content.decode()


def test_listing_filters_by_province_category_month_and_time(client, province):
    sh = factories.event(province("SH"), title="上海质量月活动", category=factories.category("quality-month"))
    js = factories.event(province("JS"), title="江苏培训班", category=factories.category("training"),
                         co_organisers=[province("AH")])
    past = factories.event(province("ZJ"), title="浙江往期论坛", days_ahead=-40)

    def titles(query):
        return client.get("/events/" + query).content.decode()

    assert "上海质量月活动" in titles("") and "江苏培训班" in titles("") and "浙江往期论坛" not in titles("")
    assert "浙江往期论坛" in titles("?when=past") and "上海质量月活动" not in titles("?when=past")
    assert "江苏培训班" not in titles("?province=SH") and "上海质量月活动" in titles("?province=SH")
    assert "江苏培训班" in titles("?province=AH"), "co-organised events appear under the co-organiser too"
    assert "上海质量月活动" not in titles("?category=training")
    month = sh.start_date.strftime("%Y-%m")
    assert "上海质量月活动" in titles(f"?month={month}")
    other_month = (sh.start_date + timedelta(days=62)).strftime("%Y-%m")
    assert "上海质量月活动" not in titles(f"?month={other_month}&when=all")
    assert js and past


def test_listing_paginates(client, province):
    for i in range(14):
        factories.event(province("SH"), title=f"分页测试活动{i:02d}", days_ahead=10 + i)
    first = client.get("/events/").content.decode()
    second = client.get("/events/?page=2").content.decode()
    assert "分页测试活动00" in first and "分页测试活动13" not in first
    assert "分页测试活动13" in second


def _parse(content: bytes):
    calendar = Calendar.from_ical(content)
    return calendar, [c for c in calendar.walk("VEVENT")]


def test_ical_feed_round_trips_and_multi_day_events_are_all_day(client, province):
    timed = factories.event(province("SH"), title="质量大讲堂：精益管理", time_zone="Asia/Shanghai")
    multi = factories.event(province("JS"), title="长三角质量月联合行动", length_days=2)
    response = client.get("/events/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar, events = _parse(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    by_title = {str(e["SUMMARY"]): e for e in events}
    timed_ev, multi_ev = by_title["质量大讲堂：精益管理"], by_title["长三角质量月联合行动"]
    start = timed_ev.decoded("DTSTART")
    assert start == timed.starts_at and start.utcoffset() == timedelta(hours=8)
    assert timed_ev.decoded("DTEND") - start == timedelta(hours=2)
    assert type(multi_ev.decoded("DTSTART")) is date
    assert multi_ev.decoded("DTSTART") == multi.start_date
    assert multi_ev.decoded("DTEND") == multi.end_date + timedelta(days=1)
    assert str(timed_ev["URL"]).endswith(timed.url)
    assert calendar.walk("VTIMEZONE"), "a TZID-bearing calendar carries its VTIMEZONE"


def test_ical_per_province_category_and_event(client, province):
    sh = factories.event(province("SH"), title="上海活动", category=factories.category("training"))
    zj = factories.event(province("ZJ"), title="浙江活动", co_organisers=[province("SH")])
    js = factories.event(province("JS"), title="江苏活动")

    def titles(url):
        return {str(e["SUMMARY"]) for e in _parse(client.get(url).content)[1]}

    assert titles("/events/province/sh.ics") == {"上海活动", "浙江活动"}
    assert titles("/events/category/training.ics") == {"上海活动"}
    assert titles(f"/events/{js.pk}.ics") == {"江苏活动"}
    assert client.get("/events/province/xx.ics").status_code == 404
    assert sh and zj


def test_rss_and_atom_feeds_list_public_events_and_achievements(client, province):
    factories.event(province("SH"), title="公开活动")
    factories.achievement(province("JS"), title="公开成果")
    factories.achievement(province("JS"), title="内部成果", visibility="members")
    assert "公开活动" in client.get("/events/feed/rss/").content.decode()
    assert "公开活动" in client.get("/events/feed/atom/").content.decode()
    rss = client.get("/achievements/feed/rss/").content.decode()
    assert "公开成果" in rss and "内部成果" not in rss
    assert "内部成果" not in client.get("/achievements/feed/atom/").content.decode()


def test_search_finds_events_by_chinese_words(client, province):
    factories.event(province("SH"), title="2027年长三角质量月启动仪式暨质量提升论坛",
                    summary="围绕质量强国建设开展群众性质量提升活动。")
    factories.achievement(province("ZJ"), title="提高注塑件一次合格率的QC小组成果",
                          summary="应用六西格玛方法降低注塑缺陷。")
    # Words as people type them; each is one word to the segmenter (multi-word queries need the site search's
    # own query segmentation on top).
    for word, expected in (("质量月", "启动仪式"), ("论坛", "质量月"), ("注塑", "一次合格率"),
                           ("六西格玛", "注塑件"), ("合格率", "QC小组")):
        html = client.get("/search/", {"q": word}).content.decode()
        assert expected in html, word


def test_campaign_collects_sub_events_of_every_province(client, province):
    campaign = factories.campaign(province("SH"), title="2027年质量月")
    for code in ("SH", "JS", "ZJ", "AH", "JX"):
        factories.event(province(code), title=f"{code}质量月分活动", campaign=campaign)
    factories.event(province("JS"), title="江苏第二场", campaign=campaign, days_ahead=31)
    factories.event(province("JS"), title="与主题无关的活动")
    response = client.get(campaign.url)
    html = response.content.decode()
    assert all(f"{code}质量月分活动" in html for code in ("SH", "JS", "ZJ", "AH", "JX"))
    assert "与主题无关的活动" not in html
    counts = {p.code: n for p, n in response.context["province_counts"]}
    assert counts == {"SH": 1, "JS": 2, "ZJ": 1, "AH": 1, "JX": 1}


def test_home_and_section_pages_show_latest_events_and_achievements(client, province):
    factories.event(province("AH"), title="安徽质量大讲堂")
    factories.achievement(province("AH"), title="安徽精益改善案例")
    home = client.get("/").content.decode()
    assert "安徽质量大讲堂" in home and "安徽精益改善案例" in home
    section = client.get(province("AH").section_page.url).content.decode()
    assert "安徽质量大讲堂" in section and "安徽精益改善案例" in section
    assert "安徽质量大讲堂" not in client.get(province("JX").section_page.url).content.decode()
    assert 'href="/events/"' in home and 'href="/achievements/"' in home


def test_meeting_link_reaches_confirmed_registrants_only(client, province, django_capture_on_commit_callbacks):
    from django.core import mail

    from cms import services

    event = factories.event(province("ZJ"), mode="online", place="", meeting_url="https://meet.example.test/zj-42",
                            registration_open=True)
    assert "zj-42" not in client.get("/events/calendar.ics").content.decode()
    assert "zj-42" not in client.get(f"/events/{event.pk}.ics").content.decode()
    assert "zj-42" not in client.get(event.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(event_id=event.pk, name="钟某", email="z@example.test")
    (_name, content, _type), = mail.outbox[0].attachments
    assert "zj-42" in Calendar.from_ical(content).walk("VEVENT")[0]["DESCRIPTION"]
