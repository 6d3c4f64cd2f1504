"""Adoption records: recorded by staff of another province, only for their own province, validated."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sharing import adoptions
from sharing.models import Adoption
from tests.cms import factories
from tests.matrix import check_scoped_model

pytestmark = pytest.mark.django_db


def record(actor, achievement, province, **fields):
    return adoptions.adoption_create(actor=actor, achievement_id=achievement.pk, province_id=province.pk,
                                     organisation=fields.get("organisation", "浙江某阀门公司"),
                                     adopted_on=fields.get("adopted_on", timezone.localdate()),
                                     outcome=fields.get("outcome", "一次交检合格率提升 5%。"))


def test_adoption_is_scoped_to_the_adopting_province(province):
    achievement = factories.achievement(province("JS"))
    check_scoped_model(Adoption, lambda p: factories.adoption(achievement, p), province)


def test_staff_of_another_province_record_for_their_own_province(province, staff_of):
    achievement = factories.achievement(province("SH"))
    adoption = record(staff_of("ZJ", "editor"), achievement, province("ZJ"))
    assert adoption.province == province("ZJ") and adoption.recorded_by is not None
    with pytest.raises(PermissionDenied):
        record(staff_of("ZJ", "editor"), achievement, province("AH"))
    with pytest.raises(PermissionDenied):
        record(staff_of("ZJ", "member"), achievement, province("ZJ"))
    with pytest.raises(ValidationError) as exc:
        record(staff_of("SH", "editor"), achievement, province("SH"))
    assert "province" in exc.value.message_dict
    with pytest.raises(ValidationError):
        record(staff_of("ZJ", "editor"), achievement, province("ZJ"),
               adopted_on=timezone.localdate() + timedelta(days=3))
    assert Adoption.objects.count() == 1


def test_members_only_achievement_cannot_be_recorded_by_outsiders(province, staff_of, user_factory):
    achievement = factories.achievement(province("SH"), visibility="members")
    with pytest.raises(Http404):
        record(user_factory(), achievement, province("ZJ"))
    assert record(staff_of("ZJ", "editor"), achievement, province("ZJ"))


def test_only_the_adopting_province_changes_or_deletes(province, staff_of):
    achievement = factories.achievement(province("SH"))
    adoption = record(staff_of("ZJ", "editor"), achievement, province("ZJ"))
    with pytest.raises(Http404):
        adoptions.adoption_update(actor=staff_of("AH", "moderator"), adoption_id=adoption.pk, outcome="篡改")
    with pytest.raises(Http404):
        adoptions.adoption_update(actor=staff_of("SH", "moderator"), adoption_id=adoption.pk, outcome="篡改")
    adoptions.adoption_update(actor=staff_of("ZJ", "editor"), adoption_id=adoption.pk, feedback="建议补充培训材料。")
    adoption.refresh_from_db()
    assert adoption.feedback == "建议补充培训材料。" and adoption.outcome != "篡改"
    with pytest.raises(PermissionDenied):
        adoptions.adoption_delete(actor=staff_of("ZJ", "editor"), adoption_id=adoption.pk)
    adoptions.adoption_delete(actor=staff_of("ZJ", "moderator"), adoption_id=adoption.pk)
    assert not Adoption.objects.exists()


def test_adoption_form_in_the_site(province, staff_of, client_for):
    achievement = factories.achievement(province("SH"))
    client = client_for(staff_of("JX", "editor"))
    assert client.get(f"/achievements/{achievement.pk}/adoptions/new/").status_code == 200
    response = client.post(f"/achievements/{achievement.pk}/adoptions/new/", {
        "province": province("JX").pk, "organisation": "江西某化工公司", "adopted_on": "2020-01-01", "outcome": ""})
    assert response.status_code == 400 and not Adoption.objects.exists()
    response = client.post(f"/achievements/{achievement.pk}/adoptions/new/", {
        "province": province("JX").pk, "organisation": "江西某化工公司", "adopted_on": "2020-01-01",
        "outcome": "能耗降低 8%。"})
    assert response.status_code == 302
    assert Adoption.objects.get().province == province("JX")
    assert client_for(staff_of("SH", "editor")).get(f"/achievements/{achievement.pk}/adoptions/new/").status_code == 403
