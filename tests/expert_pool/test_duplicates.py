"""Duplicates: normalised phone, e-mail, and name + employer by pinyin and fuzzy matching; compare and merge."""
import pytest
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from expert_pool import services
from expert_pool.models import Availability, Expert
from tests.expert_pool.factories import days, make_expert, specialism

pytestmark = pytest.mark.django_db


def register(province, username, **fields):
    fields.setdefault("specialisms", [specialism()])
    return services.expert_register(username=username, password="a-long-pass-2026", province=province, **fields)


def test_the_same_phone_written_with_spaces_is_flagged(province):
    first = make_expert("SH", name="李华", employer="宝武钢铁", phone="13370872252")
    second = register(province("SH"), "li-spaces", name="李小华", employer="别的单位", phone="133 7087 2252")
    assert second.possible_duplicate_of == first


def test_a_phone_stored_before_validation_still_matches(province):
    first = make_expert("SH", name="李华", employer="宝武钢铁", phone="")
    Expert.objects.filter(pk=first.pk).update(phone="133-7087-2252")
    second = register(province("SH"), "li-legacy", name="别人", employer="别处", phone="13370872252")
    assert second.possible_duplicate_of == first


@pytest.mark.parametrize("name, employer", [
    ("王建囯", "宝山钢铁"),                     # a variant character, same pinyin; short employer name
    ("wang jianguo", "宝山钢铁股份有限公司"),    # the name typed in pinyin
    ("王建国", "宝山钢铁股份公司"),              # legal form written differently
])
def test_name_and_employer_match_by_sound_and_spelling(province, name, employer):
    first = make_expert("SH", name="王建国", employer="宝山钢铁股份有限公司", phone="13900000001")
    second = register(province("SH"), f"w-{abs(hash(name + employer))}", name=name, employer=employer)
    assert second.possible_duplicate_of == first


@pytest.mark.parametrize("a, b", [("上海电气集团股份有限公司", "上海交通大学"), ("浙江大学", "浙江省标准化研究院"),
                                  ("测试单位1", "测试单位11")])
def test_different_employers_do_not_match(a, b):
    from expert_pool import duplicates

    assert not duplicates.same_employer(a, b)


def test_same_name_at_another_employer_is_not_a_duplicate(province):
    make_expert("SH", name="王建国", employer="宝山钢铁股份有限公司", phone="13900000001")
    other = register(province("SH"), "w-other", name="王建国", employer="南京大学")
    assert other.possible_duplicate_of is None


def identical_pending_pair(province):
    first = register(province("JS"), "js-dup-1", name="顾振华", employer="东南大学", phone="13370872252",
                     email="gu@example.test", title="教授")
    second = register(province("JS"), "js-dup-2", name="顾振华", employer="东南大学", phone="133 7087 2252",
                      email="gu@example.test", bio="二十年质量管理经验")
    return first, second


def test_the_coordinator_compares_two_pending_registrations_side_by_side(province, staff_of, client_for):
    first, second = identical_pending_pair(province)
    assert second.possible_duplicate_of == first
    page = client_for(staff_of("JS", "coordinator")).get(f"/experts/{second.pk}/compare/{first.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("顾振华") >= 2 and "二十年质量管理经验" in body and "合并" in body


def test_compare_is_404_for_another_provinces_coordinator(province, staff_of, client_for):
    first, second = identical_pending_pair(province)
    assert client_for(staff_of("SH", "coordinator")).get(
        f"/experts/{second.pk}/compare/{first.pk}/").status_code == 404


def test_merge_keeps_one_record_with_both_records_data(province, staff_of, user_factory):
    first, second = identical_pending_pair(province)
    Availability.objects.create(expert=second, start=days(10), end=days(20))
    coordinator = staff_of("JS", "coordinator")
    with pytest.raises(ValidationError):  # both have an account: the coordinator must settle which one first
        services.expert_merge(actor=coordinator, keep_id=first.pk, drop_id=second.pk)
    second.user.delete()
    second.refresh_from_db()
    kept = services.expert_merge(actor=coordinator, keep_id=first.pk, drop_id=second.pk)
    assert not Expert.objects.filter(pk=second.pk).exists()
    assert kept.bio == "二十年质量管理经验" and kept.title == "教授"
    assert kept.availability.count() == 1
    assert ModelLogEntry.objects.filter(action="expert_pool.expert.merge", object_id=str(kept.pk)).exists()


def test_merge_is_refused_to_another_provinces_coordinator(province, staff_of):
    from django.http import Http404

    first, second = identical_pending_pair(province)
    with pytest.raises((Http404, ValidationError, PermissionError)):
        services.expert_merge(actor=staff_of("SH", "coordinator"), keep_id=first.pk, drop_id=second.pk)
    assert Expert.objects.filter(pk=second.pk).exists()


def test_the_merge_form_merges_through_the_view(province, staff_of, client_for):
    first, second = identical_pending_pair(province)
    second.user.delete()
    response = client_for(staff_of("JS", "coordinator")).post(
        f"/experts/{second.pk}/compare/{first.pk}/", {"keep": first.pk})
    assert response.status_code == 302
    assert not Expert.objects.filter(pk=second.pk).exists()
