"""Editing a programme and its rubric: everything before it opens, only the dates still ahead afterwards, nothing
once published; a joint programme awaiting sign-off goes back to draft and loses its sign-offs; criteria and
result levels change or go until scoring freezes the rubric. Every refusal writes nothing."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from sharing import evaluations as svc
from sharing.models.evaluations import Criterion, Programme, ResultLevel, Signoff
from tests.conftest import make_user
from tests.sharing.test_evaluations import NOW, make_programme, province

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def organiser(code="SH"):
    return make_user(province_code=code, role="moderator")


def snapshot(programme):
    programme = Programme.objects.get(pk=programme.pk)
    return ({f: getattr(programme, f) for f in svc.EDITABLE_FIELDS}, programme.stage, programme.rubric_version,
            sorted(programme.co_organisers.values_list("code", flat=True)),
            sorted(programme.signoffs.values_list("province__code", flat=True)),
            list(programme.criteria.values_list("name", "max_points")),
            list(programme.levels.values_list("name", "min_total", "awarded")))


# --- the programme's own fields -------------------------------------------------------------------------------
def test_a_draft_changes_every_field_and_its_co_organisers():
    programme = make_programme(stage=Programme.Stage.DRAFT)
    svc.programme_update(actor=organiser(), programme_id=programme.pk, co_organisers=[province("ZJ")],
                         title="改名后的项目", eligibility="长三角企业", aggregation="trimmed", panel_size=7,
                         apply_opens=(NOW - datetime.timedelta(days=20)).date())
    programme.refresh_from_db()
    assert (programme.title, programme.eligibility, programme.aggregation, programme.panel_size) == (
        "改名后的项目", "长三角企业", "trimmed", 7)
    assert list(programme.co_organisers.values_list("code", flat=True)) == ["ZJ"]
    assert programme.stage == Programme.Stage.DRAFT
    entry = ModelLogEntry.objects.filter(action="sharing.evaluation.edit", object_id=str(programme.pk)).get()
    assert set(entry.data["fields"]) == {"title", "eligibility", "aggregation", "panel_size", "apply_opens"}


def test_editing_a_joint_programme_awaiting_signoff_clears_the_signoffs_and_returns_it_to_draft():
    programme = make_programme(co=("ZJ", "AH"), stage=Programme.Stage.SIGNOFF)
    svc.programme_signoff(actor=make_user(province_code="ZJ", role="moderator"), programme_id=programme.pk,
                          province=province("ZJ"))
    assert Signoff.objects.filter(programme=programme).count() == 1
    svc.programme_update(actor=organiser(), programme_id=programme.pk, summary="改过的简介")
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.DRAFT and not programme.signoffs.exists()
    assert ModelLogEntry.objects.filter(action="sharing.evaluation.signoff_reset",
                                        object_id=str(programme.pk)).get().data["signoffs_cleared"] == ["ZJ"]
    # Resubmitting asks every co-organiser again: one sign-off no longer opens it.
    svc.programme_submit(actor=organiser(), programme_id=programme.pk)
    svc.programme_signoff(actor=make_user(province_code="AH", role="moderator"), programme_id=programme.pk,
                          province=province("AH"))
    assert Programme.objects.get(pk=programme.pk).stage == Programme.Stage.SIGNOFF


def test_saving_unchanged_values_keeps_the_signoffs():
    programme = make_programme(co=("ZJ",), stage=Programme.Stage.SIGNOFF)
    Signoff.objects.create(programme=programme, province=province("ZJ"))
    svc.programme_update(actor=organiser(), programme_id=programme.pk, title=programme.title,
                         co_organisers=[province("ZJ")])
    assert Programme.objects.get(pk=programme.pk).stage == Programme.Stage.SIGNOFF and programme.signoffs.exists()


def test_an_open_programme_moves_a_date_still_ahead():
    programme = make_programme(stage=Programme.Stage.OPEN)
    later = programme.apply_closes + datetime.timedelta(days=2)
    svc.programme_update(actor=organiser(), programme_id=programme.pk, apply_closes=later)
    assert Programme.objects.get(pk=programme.pk).apply_closes == later


@pytest.mark.parametrize("change, message", [
    ({"title": "开放后改名"}, "只能修改尚未到期的时间安排"),
    ({"aggregation": "consensus"}, "只能修改尚未到期的时间安排"),
    ({"eligibility": "新增条件"}, "只能修改尚未到期的时间安排"),
    ({"apply_opens": (NOW + datetime.timedelta(days=1)).date()}, "已经过去"),  # opened ten days ago
    ({"apply_closes": NOW - datetime.timedelta(hours=1)}, "不能改到已经过去的时间"),
    ({"review_closes": NOW + datetime.timedelta(days=2)}, "依次"),  # before the check closes
])
def test_an_open_programme_refuses_other_changes_and_writes_nothing(change, message):
    programme = make_programme(stage=Programme.Stage.OPEN)
    before = snapshot(programme)
    with pytest.raises(ValidationError, match=message):
        svc.programme_update(actor=organiser(), programme_id=programme.pk, **change)
    assert snapshot(programme) == before
    assert not ModelLogEntry.objects.filter(action="sharing.evaluation.edit", object_id=str(programme.pk)).exists()


def test_an_open_programme_keeps_its_co_organisers():
    programme = make_programme(stage=Programme.Stage.OPEN)
    before = snapshot(programme)
    with pytest.raises(ValidationError, match="联合主办方不能再改"):
        svc.programme_update(actor=organiser(), programme_id=programme.pk, co_organisers=[province("ZJ")])
    assert snapshot(programme) == before


def test_a_published_programme_is_final():
    programme = make_programme(stage=Programme.Stage.PUBLISHED)
    before = snapshot(programme)
    with pytest.raises(ValidationError, match="已经发布"):
        svc.programme_update(actor=organiser(), programme_id=programme.pk,
                             publish_on=programme.publish_on + datetime.timedelta(days=1))
    assert snapshot(programme) == before


@pytest.mark.parametrize("who", [("ZJ", "moderator"), ("SH", "reviewer")])
def test_only_the_lead_provinces_staff_edit_it(who):
    """A co-organiser signs off but never edits the lead's programme; a role without "change" edits nothing."""
    programme = make_programme(co=("ZJ",), stage=Programme.Stage.DRAFT)
    before = snapshot(programme)
    with pytest.raises(Http404):
        svc.programme_update(actor=make_user(province_code=who[0], role=who[1]), programme_id=programme.pk,
                             title="越权修改")
    assert snapshot(programme) == before


def test_the_lead_province_cannot_be_changed():
    programme = make_programme(stage=Programme.Stage.DRAFT)
    with pytest.raises(ValidationError, match="不能修改"):
        svc.programme_update(actor=organiser(), programme_id=programme.pk, province=province("ZJ"))
    assert Programme.objects.get(pk=programme.pk).province.code == "SH"


# --- the rubric -----------------------------------------------------------------------------------------------
def test_criteria_and_levels_change_and_go_until_the_rubric_freezes():
    programme = make_programme(stage=Programme.Stage.DRAFT)
    actor = organiser()
    first = programme.criteria.first()
    version = programme.rubric_version
    svc.criterion_save(actor=actor, programme_id=programme.pk, criterion_id=first.pk, name="选题与目标",
                       max_points=Decimal(50))
    svc.criterion_delete(actor=actor, programme_id=programme.pk, criterion_id=programme.criteria.last().pk)
    assert list(programme.criteria.values_list("name", "max_points")) == [("选题与目标", Decimal(50))]
    assert Programme.objects.get(pk=programme.pk).rubric_version == version + 2
    level = programme.levels.get(name="三等")
    svc.level_save(actor=actor, programme_id=programme.pk, level_id=level.pk, name="不通过", min_total=0,
                   awarded=False)
    svc.level_delete(actor=actor, programme_id=programme.pk, level_id=programme.levels.get(name="二等").pk)
    assert list(programme.levels.values_list("name", "awarded")) == [("一等", True), ("不通过", False)]

    Programme.objects.filter(pk=programme.pk).update(rubric_frozen_at=timezone.now())
    before = snapshot(programme)
    criterion, level = programme.criteria.get(), programme.levels.first()
    for call in (
        lambda: svc.criterion_save(actor=actor, programme_id=programme.pk, criterion_id=criterion.pk, name="改"),
        lambda: svc.criterion_delete(actor=actor, programme_id=programme.pk, criterion_id=criterion.pk),
        lambda: svc.level_save(actor=actor, programme_id=programme.pk, level_id=level.pk, name="改", min_total=1),
        lambda: svc.level_delete(actor=actor, programme_id=programme.pk, level_id=level.pk),
    ):
        with pytest.raises(ValidationError, match="评价准则已冻结"):
            call()
    assert snapshot(programme) == before


def test_a_rubric_change_during_signoff_asks_the_co_organisers_again():
    programme = make_programme(co=("ZJ", "AH"), stage=Programme.Stage.SIGNOFF)
    Signoff.objects.create(programme=programme, province=province("ZJ"))
    svc.level_delete(actor=organiser(), programme_id=programme.pk, level_id=programme.levels.last().pk)
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.DRAFT and not programme.signoffs.exists()


def test_another_programmes_criterion_or_another_province_is_not_found():
    programme, other = make_programme(stage=Programme.Stage.DRAFT), make_programme(stage=Programme.Stage.DRAFT)
    with pytest.raises(Http404):
        svc.criterion_delete(actor=organiser(), programme_id=programme.pk, criterion_id=other.criteria.first().pk)
    with pytest.raises(Http404):
        svc.level_delete(actor=organiser("ZJ"), programme_id=programme.pk, level_id=programme.levels.first().pk)
    assert Criterion.objects.filter(programme=other).count() == 2
    assert ResultLevel.objects.filter(programme=programme).count() == 3


# --- the pages ------------------------------------------------------------------------------------------------
def test_the_edit_page_saves_a_draft_and_locks_an_open_programmes_fields(client):
    programme = make_programme(stage=Programme.Stage.DRAFT)
    client.force_login(organiser())
    url = reverse("evaluations:edit", args=[programme.pk])
    page = client.get(url)
    assert page.status_code == 200 and programme.title in page.content.decode()
    data = {name: page.context["form"][name].value() for name in page.context["form"].fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data["partners"] = []
    data["title"] = "页面上改名"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert Programme.objects.get(pk=programme.pk).title == "页面上改名"

    Programme.objects.filter(pk=programme.pk).update(stage=Programme.Stage.OPEN)
    form = client.get(url).context["form"]
    assert form.fields["title"].disabled and form.fields["apply_opens"].disabled  # opened: passed
    assert not form.fields["publish_on"].disabled
    later = programme.publish_on + datetime.timedelta(days=3)
    data["title"] = "开放后改名"
    data["publish_on"] = str(later)
    assert client.post(url, data).status_code == 302
    programme.refresh_from_db()
    assert programme.title == "页面上改名"  # disabled: the posted value is ignored
    assert programme.publish_on == later


def test_the_edit_page_shows_a_refusal_in_chinese(client):
    programme = make_programme(stage=Programme.Stage.DRAFT)
    client.force_login(organiser())
    url = reverse("evaluations:edit", args=[programme.pk])
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in ((n, form[n].value()) for n in form.fields) if v is not False}
    data["publish_on"] = str((NOW - datetime.timedelta(days=100)).date())
    response = client.post(url, data)
    assert response.status_code == 200 and "时间安排须依次为" in response.content.decode()
    assert Programme.objects.get(pk=programme.pk).publish_on == programme.publish_on


def test_the_rubric_page_edits_and_deletes_until_frozen(client):
    programme = make_programme(stage=Programme.Stage.DRAFT)
    client.force_login(organiser())
    url = reverse("evaluations:rubric", args=[programme.pk])
    criterion, level = programme.criteria.first(), programme.levels.get(name="二等")
    page = client.get(url, {"criterion": criterion.pk}).content.decode()
    assert f"修改评价项“{criterion.name}”" in page
    client.post(url, {"criterion": criterion.pk, "c-order": "0", "c-name": "改后的评价项", "c-max_points": "45",
                      "c-weight": "1"})
    assert Criterion.objects.get(pk=criterion.pk).name == "改后的评价项"
    assert "修改结果等级“二等”" in client.get(url, {"level": level.pk}).content.decode()
    client.post(url, {"level": "1", "level_id": level.pk, "l-name": "二等奖", "l-min_total": "72"})
    level.refresh_from_db()
    assert (level.name, level.min_total, level.awarded) == ("二等奖", Decimal(72), False)
    client.post(url, {"delete_level": level.pk})
    client.post(url, {"delete_criterion": criterion.pk})
    assert not ResultLevel.objects.filter(pk=level.pk).exists()
    assert not Criterion.objects.filter(pk=criterion.pk).exists()

    Programme.objects.filter(pk=programme.pk).update(rubric_frozen_at=timezone.now())
    before = snapshot(programme)
    remaining = programme.criteria.get()
    response = client.post(url, {"delete_criterion": remaining.pk}, follow=True)
    assert "评价准则已冻结" in response.content.decode()
    response = client.post(url, {"criterion": remaining.pk, "c-order": "0", "c-name": "冻结后改", "c-max_points": "5",
                                 "c-weight": "1"}, follow=True)
    assert "评价准则已冻结" in response.content.decode()
    assert snapshot(programme) == before
    assert f'value="{remaining.pk}"' not in client.get(url).content.decode()  # no delete buttons when frozen
