"""The standards registry's entries in the shared permission matrix: every model, every admin and site URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hub.models import Province
from sharing.models import (
    GroupStandard,
    RecognitionDecision,
    RecognitionProposal,
    StandardComment,
)
from sharing.models.standards import Status
from tests.matrix import Case, case_id, check_case, check_scoped_model
from tests.sharing.factories import make_standard, propose

ADMIN = "/admin/snippets/sharing/groupstandard"
EVIDENCE = "https://roundtable.example/minutes/1"


def standard_of(province):
    return make_standard(province)


def drafting_standard_of(province):
    return make_standard(province, status=Status.DRAFTING)


def proposal_to(province):
    """A JS standard proposed to ``province`` (the recognising province owns the cell)."""
    issuer = "JS" if province.code != "JS" else "SH"
    return propose(make_standard(issuer), province.code)[0]


def comment_on(province):
    standard = make_standard(province, status=Status.COMMENT)
    other = Province.objects.exclude(pk=province.pk).first()
    return StandardComment.objects.create(standard=standard, province=other, clause="3.1", text="意见")


def decision_of(province):
    proposal = proposal_to(province)
    return RecognitionDecision.objects.create(standard=proposal.standard, province=province, outcome="recognised",
                                              rationale="r", evidence_url=EVIDENCE, is_final=True, is_current=True)


def revisions(standard):
    return standard.revisions.count()


def edit_data(standard):
    return {"province": standard.province_id, "number": standard.number, "title_zh": standard.title_zh + "（修订稿）",
            "title_en": "", "ics_codes": standard.ics_codes, "ccs_code": "", "status": standard.status,
            "publication_date": standard.publication_date.isoformat(),
            "implementation_date": standard.implementation_date.isoformat(), "scope": "", "drafting_organisations": "",
            "text_public": "on"}


def decide_data(proposal):
    return {"outcome": "recognised", "rationale": "审查会通过", "evidence_url": EVIDENCE, "finalise": "1"}


_import_seq = iter(range(900, 10**6))


def import_data(province):
    content = ("标准编号,中文名称,ICS,状态,发布日期\n"
               f"T/{province.association.standards_code} {next(_import_seq)}-2022,导入的标准,03.120.10,发布,2022-01-05\n").encode()
    return {"province": province.pk, "file": SimpleUploadedFile("s.csv", content, content_type="text/csv")}


def standards_count(obj):
    return GroupStandard.objects.filter(province=obj if isinstance(obj, Province) else obj.province).count()


CASES = [
    Case("admin edit view", standard_of, lambda s: f"{ADMIN}/edit/{s.pk}/", action="change"),
    Case("admin edit save draft", standard_of, lambda s: f"{ADMIN}/edit/{s.pk}/", action="change", method="post",
         data=edit_data, written=revisions),
    Case("admin publish", standard_of, lambda s: f"{ADMIN}/edit/{s.pk}/", action="publish", method="post",
         data=lambda s: edit_data(s) | {"action-publish": "action-publish"},
         written=lambda s: GroupStandard.objects.get(pk=s.pk).live_revision_id),
    Case("admin delete", standard_of, lambda s: f"{ADMIN}/delete/{s.pk}/", action="delete", method="post",
         written=lambda s: GroupStandard.objects.filter(pk=s.pk).exists()),
    # Wagtail shows a snippet's history to those who may change it.
    Case("admin history", standard_of, lambda s: f"{ADMIN}/history/{s.pk}/", action="change"),
    Case("admin bulk delete", standard_of,
         lambda s: f"/admin/bulk/sharing/groupstandard/delete/?next=%2Fadmin%2F&id={s.pk}", action="delete",
         method="post", written=lambda s: GroupStandard.objects.filter(pk=s.pk).exists()),
    Case("admin unpublish", standard_of, lambda s: f"{ADMIN}/unpublish/{s.pk}/", action="publish", method="post",
         written=lambda s: GroupStandard.objects.get(pk=s.pk).live),
    Case("admin lock", standard_of, lambda s: f"{ADMIN}/lock/{s.pk}/", action="change", method="post",
         written=lambda s: GroupStandard.objects.get(pk=s.pk).locked),
    Case("admin copy", standard_of, lambda s: f"{ADMIN}/copy/{s.pk}/", action="add"),
    Case("site detail of a drafting standard", drafting_standard_of, lambda s: reverse("standards:detail", args=[s.pk]),
         action="view"),
    Case("site detail public", standard_of, lambda s: reverse("standards:detail", args=[s.pk]), public=True),
    Case("site propose", standard_of, lambda s: reverse("standards:propose", args=[s.pk]), action="change",
         method="post", data=lambda s: {}, written=lambda s: s.proposals.count()),
    Case("site decide form", proposal_to, lambda p: reverse("standards:decide", args=[p.standard_id, p.province.code]),
         action="review"),
    Case("site decide", proposal_to, lambda p: reverse("standards:decide", args=[p.standard_id, p.province.code]),
         action="review", method="post", data=decide_data,
         written=lambda p: RecognitionDecision.objects.filter(standard=p.standard).count()),
    Case("site dispose comment", comment_on, lambda c: reverse("standards:dispose", args=[c.pk]), action="change",
         method="post", data=lambda c: {"disposition": "adopted"},
         written=lambda c: StandardComment.objects.get(pk=c.pk).disposition),
    Case("site import", lambda p: p, lambda p: reverse("standards:import"), action="add", method="post",
         data=import_data, written=standards_count),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_standards_hold_the_province_boundary(case, province):
    check_case(case, province)


@pytest.mark.django_db
@pytest.mark.parametrize("model, make, action", [
    (GroupStandard, standard_of, "view"),
    (GroupStandard, standard_of, "change"),
    (RecognitionProposal, proposal_to, "review"),
    (RecognitionDecision, decision_of, "review"),
    (StandardComment, lambda p: StandardComment.objects.create(
        standard=make_standard("JS" if p.code != "JS" else "SH", status=Status.COMMENT), province=p, clause="1",
        text="t"), "view"),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_models_are_scoped_by_province(model, make, action, province):
    check_scoped_model(model, make, province, action)


@pytest.mark.django_db
def test_admin_listing_shows_only_own_province(client_for, staff_of):
    mine, theirs = make_standard("SH"), make_standard("ZJ")
    body = client_for(staff_of("SH", "editor")).get(f"{ADMIN}/").content.decode()
    assert mine.number in body and theirs.number not in body


@pytest.mark.django_db
def test_admin_create_offers_only_own_province_and_refuses_another(client_for, staff_of, province):
    editor = staff_of("SH", "editor")
    client = client_for(editor)
    form = client.get(f"{ADMIN}/add/").context["form"]
    assert list(form.fields["province"].queryset.values_list("code", flat=True)) == ["SH"]
    data = {"province": province("ZJ").pk, "number": "T/ZJAQ 77—2024", "title_zh": "冒名标准",
            "ics_codes": "03.120.10", "status": "drafting", "text_public": "on"}
    client.post(f"{ADMIN}/add/", data)
    assert not GroupStandard.objects.filter(number="T/ZJAQ 77—2024").exists()
    data |= {"province": province("SH").pk, "number": "T/SAQ 77-2024"}
    response = client.post(f"{ADMIN}/add/", data)
    assert response.status_code == 302
    created = GroupStandard.objects.get(number="T/SAQ 77—2024")
    assert created.live is False and created.revisions.count() == 1


@pytest.mark.django_db
def test_no_model_level_permission_reaches_province_groups():
    from hub.services.provisioning import model_level_grants_to_province_groups

    assert model_level_grants_to_province_groups() == []

