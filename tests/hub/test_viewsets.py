"""The admin for provinces and associations: superusers and the secretariat keep the member list; nobody else."""
import pytest

from hub.models import Association, Province
from tests.matrix import Case, case_id, check_case

PROVINCE_FORM = {"code": "FJ", "name_zh": "福建", "name_en": "Fujian", "colour": "#0a7d6b", "order": "60",
                 "is_member": "on"}


def province_url(province):
    return f"/admin/provinces/edit/{province.pk}/"


CASES = [
    Case("province list", lambda p: p, lambda p: "/admin/provinces/", action=None, also_allowed=("secretariat",)),
    Case("province edit", lambda p: p, province_url, action=None, also_allowed=("secretariat",)),
    Case("province edit save", lambda p: p, province_url, action=None, method="post",
         data=lambda p: {**PROVINCE_FORM, "code": p.code, "name_zh": p.name_zh + "市"},
         written=lambda p: Province.objects.get(pk=p.pk).name_zh, also_allowed=("secretariat",)),
    Case("province delete", lambda p: p, lambda p: f"/admin/provinces/delete/{p.pk}/", action=None, method="post",
         written=lambda p: Province.objects.filter(pk=p.pk).exists()),
    Case("association edit", lambda p: p.association, lambda a: f"/admin/associations/edit/{a.pk}/", action=None,
         also_allowed=("secretariat",)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_only_the_secretariat_keeps_the_member_list(case, province):
    check_case(case, province)


@pytest.mark.django_db
def test_the_secretariat_adds_a_province(client_for, user_factory):
    response = client_for(user_factory(role="secretariat")).post("/admin/provinces/new/", PROVINCE_FORM)
    assert response.status_code == 302
    assert Province.objects.filter(code="FJ", name_zh="福建").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [("code", "fj"), ("code", "F"), ("code", "SH"), ("colour", "green")])
def test_invalid_provinces_are_refused_with_a_message(client_for, superuser, field, value):
    count = Province.objects.count()
    response = client_for(superuser).post("/admin/provinces/new/", {**PROVINCE_FORM, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert Province.objects.count() == count


@pytest.mark.django_db
def test_an_association_needs_a_valid_standards_code(client_for, superuser):
    fj = Province.objects.create(code="FJ", name_zh="福建", name_en="Fujian")
    data = {"province": fj.pk, "name_zh": "福建省质量协会", "name_en": "Fujian Quality Association",
            "short_name": "福建质协", "standards_code": "fjaq", "phone": "", "email": "", "address": "", "website": ""}
    response = client_for(superuser).post("/admin/associations/new/", data)
    assert response.context["form"].errors["standards_code"]
    response = client_for(superuser).post("/admin/associations/new/", {**data, "standards_code": "FJAQ"})
    assert response.status_code == 302
    assert Association.objects.get(province=fj).standards_prefix == "T/FJAQ"
