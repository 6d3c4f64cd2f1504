"""One visibility rule, held in profile pages, directory search, site search, exports and the task lists."""
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from openpyxl import load_workbook

from expert_pool import services, visibility
from tests.expert_pool.factories import make_expert

pytestmark = pytest.mark.django_db

EMPLOYER, PHONE, BIO = "宁波港务集团", "13912345678", "长期从事卓越绩效评价"


@pytest.fixture
def expert(user_factory):
    return make_expert("ZJ", user=user_factory(), name="钱卫东", employer=EMPLOYER, phone=PHONE, bio=BIO)


def test_each_audience_sees_its_groups(expert, staff_of, user_factory):
    assert visibility.visible_groups(AnonymousUser(), expert) == {"basic", "biography"}
    assert visibility.visible_groups(user_factory(), expert) == {"basic", "biography"}
    assert visibility.visible_groups(staff_of("SH", "editor"), expert) == {"basic", "biography", "work"}
    assert visibility.visible_groups(staff_of("ZJ", "reviewer"), expert) == set(visibility.GROUPS)
    assert visibility.visible_groups(expert.user, expert) == set(visibility.GROUPS)


def test_an_expert_can_open_or_close_a_group(expert, staff_of):
    services.expert_contact_consent(actor=expert.user, consent=True)  # contacts open only with consent
    services.expert_update_own(actor=expert.user, visibility_={"contact": "public", "biography": "home"})
    expert.refresh_from_db()
    assert visibility.visible_groups(AnonymousUser(), expert) == {"basic", "contact"}
    assert "biography" not in visibility.visible_groups(staff_of("SH", "editor"), expert)


def test_profile_page_shows_only_visible_fields(expert, client_for, staff_of):
    public = client_for(None).get(f"/experts/{expert.pk}/").content.decode()
    other = client_for(staff_of("SH", "editor")).get(f"/experts/{expert.pk}/").content.decode()
    home = client_for(staff_of("ZJ", "editor")).get(f"/experts/{expert.pk}/").content.decode()
    assert BIO in public and EMPLOYER not in public and PHONE not in public
    assert EMPLOYER in other and PHONE not in other
    assert EMPLOYER in home and PHONE in home


def search_names(client, q):
    return client.get("/experts/", {"q": q}).content.decode()


def test_directory_search_matches_only_readable_text(expert, client_for, staff_of):
    anonymous = client_for(None)
    other, home = client_for(staff_of("SH", "editor")), client_for(staff_of("ZJ", "editor"))
    assert expert.name not in search_names(anonymous, "宁波港务")
    assert expert.name in search_names(other, "宁波港务")
    assert expert.name not in search_names(other, PHONE)
    assert expert.name in search_names(home, PHONE)
    assert expert.name in search_names(anonymous, "卓越绩效")


def test_site_search_group_respects_visibility(expert, client_for, staff_of):
    anonymous = client_for(None).get("/search/", {"q": "宁波港务"}).content.decode()
    staff = client_for(staff_of("SH", "editor")).get("/search/", {"q": "宁波港务"}).content.decode()
    assert expert.name not in anonymous
    assert expert.name in staff


def test_export_leaves_unreadable_cells_empty(expert, client_for, staff_of):
    response = client_for(staff_of("SH", "editor")).get("/experts/export.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("姓名")] == "钱卫东")
    assert row[header.index("工作单位")] == EMPLOYER
    assert row[header.index("手机")] in (None, "")
    home_rows = list(load_workbook(io.BytesIO(client_for(staff_of("ZJ", "editor")).get(
        "/experts/export.xlsx").content)).worksheets[0].iter_rows(values_only=True))
    assert PHONE in [r[header.index("手机")] for r in home_rows]


def test_export_is_for_staff_only(client_for, user_factory):
    assert client_for(None).get("/experts/export.xlsx").status_code == 302
    assert client_for(user_factory()).get("/experts/export.xlsx").status_code == 403


def test_public_sees_active_experts_only(client_for, staff_of):
    pending = make_expert("SH", status="pending", name="待审专家")
    assert client_for(None).get(f"/experts/{pending.pk}/").status_code == 404
    assert "待审专家" not in search_names(client_for(None), "待审")
    assert client_for(staff_of("SH", "coordinator")).get(f"/experts/{pending.pk}/").status_code == 200
    assert client_for(staff_of("JS", "coordinator")).get(f"/experts/{pending.pk}/").status_code == 404


def test_json_api_carries_only_readable_fields(expert, client_for, staff_of):
    public = client_for(None).get("/experts/api/experts.json").json()["results"]
    other = client_for(staff_of("SH", "editor")).get("/experts/api/experts.json").json()["results"]
    home = client_for(staff_of("ZJ", "editor")).get("/experts/api/experts.json").json()["results"]
    assert public[0]["name"] == "钱卫东" and "employer" not in public[0] and "phone" not in public[0]
    assert other[0]["employer"] == EMPLOYER and "phone" not in other[0]
    assert home[0]["phone"] == PHONE
