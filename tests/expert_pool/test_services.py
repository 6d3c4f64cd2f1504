import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from expert_pool import services
from expert_pool.models import Assignment, Availability, Conflict, Draw, Expert, ExpertRequest
from tests.expert_pool.factories import days, make_expert, make_request, qualification, specialism

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- registration and status

def test_registration_creates_account_and_pending_profile(province):
    expert = services.expert_register(username="wang-expert", password="a-long-pass-2026", province=province("JS"),
                                      name="王建国", employer="南京钢铁集团", email="wang@example.test",
                                      specialisms=[specialism()])
    assert expert.status == Expert.Status.PENDING
    assert expert.user.check_password("a-long-pass-2026")
    assert expert.possible_duplicate_of is None


@pytest.mark.parametrize("same", [
    {"name": "李华", "employer": "宝武钢铁"},
    {"phone": "13900001111"},
    {"email": "LI@example.test"},
])
def test_registration_flags_a_likely_duplicate_for_the_coordinator(province, staff_of, same):
    first = make_expert("SH", name="李华", employer="宝武钢铁", phone="13900001111", email="li@example.test")
    fields = {"name": "李华二", "employer": "别的单位", "phone": "13800000000", "email": "other@example.test"} | same
    second = services.expert_register(username="li-again", password="a-long-pass-2026", province=province("SH"),
                                      **fields)
    assert second.possible_duplicate_of == first
    tasks = services.selectors.tasks_for(staff_of("SH", "coordinator"))
    assert second in tasks["registrations"]


def test_registration_refuses_taken_username_and_writes_nothing(province, user_factory):
    user_factory(username="taken")
    with pytest.raises(ValidationError):
        services.expert_register(username="taken", password="a-long-pass-2026", province=province("SH"),
                                 name="赵", employer="单位")
    assert not Expert.objects.filter(name="赵").exists()


def test_registration_mails_the_home_coordinators(province, staff_of, django_capture_on_commit_callbacks):
    coordinator, other = staff_of("ZJ", "coordinator"), staff_of("SH", "coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_register(username="zj-new", password="a-long-pass-2026", province=province("ZJ"),
                                 name="钱塘", employer="杭州某厂")
    recipients = {address for message in mail.outbox for address in message.to}
    assert coordinator.email in recipients and other.email not in recipients


def test_coordinator_approves_own_province_only(staff_of):
    expert = make_expert("SH", status="pending")
    with pytest.raises(Http404):
        services.expert_set_status(actor=staff_of("ZJ", "coordinator"), expert_id=expert.pk, status="active")
    with pytest.raises(PermissionDenied):
        services.expert_set_status(actor=staff_of("SH", "editor"), expert_id=expert.pk, status="active")
    services.expert_set_status(actor=staff_of("SH", "coordinator"), expert_id=expert.pk, status="active")
    expert.refresh_from_db()
    assert expert.status == "active" and expert.approved_by is not None


def test_retired_expert_cannot_be_reactivated(staff_of):
    expert = make_expert("SH", status="retired")
    with pytest.raises(ValidationError):
        services.expert_set_status(actor=staff_of("SH", "coordinator"), expert_id=expert.pk, status="active")


def test_active_experts_change_of_verified_field_waits_for_coordinator(user_factory, staff_of):
    user = user_factory()
    expert = make_expert("SH", user=user, employer="旧单位")
    services.expert_update_own(actor=user, employer="新单位", bio="二十年质量管理经验")
    expert.refresh_from_db()
    assert expert.employer == "旧单位" and expert.bio == "二十年质量管理经验"
    assert expert.pending_changes == {"employer": "新单位"}
    services.expert_review_changes(actor=staff_of("SH", "coordinator"), expert_id=expert.pk, accept=True)
    expert.refresh_from_db()
    assert expert.employer == "新单位" and expert.pending_changes == {}


def test_qualification_change_waits_and_can_be_rejected(user_factory, staff_of):
    user = user_factory()
    expert = make_expert("SH", user=user)
    black_belt = qualification("六西格玛黑带")
    services.expert_update_own(actor=user, qualifications=[black_belt.pk])
    assert not expert.qualifications.exists()
    services.expert_review_changes(actor=staff_of("SH", "coordinator"), expert_id=expert.pk, accept=False)
    expert.refresh_from_db()
    assert not expert.qualifications.exists() and expert.pending_changes == {}


# ---------------------------------------------------------------- availability and conflicts

def test_overlapping_availability_of_the_same_kind_is_merged(user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user)
    services.availability_add(actor=user, start=days(10), end=days(20), mode="onsite")
    services.availability_add(actor=user, start=days(15), end=days(30), mode="onsite")
    services.availability_add(actor=user, start=days(31), end=days(35), mode="onsite")
    assert list(expert.availability.values_list("start", "end")) == [(days(10), days(35))]


def test_overlapping_availability_of_another_kind_is_refused(user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user)
    services.availability_add(actor=user, start=days(10), end=days(20), mode="onsite")
    with pytest.raises(ValidationError, match="重叠"):
        services.availability_add(actor=user, start=days(15), end=days(25), mode="remote")
    assert expert.availability.count() == 1


def test_availability_in_the_past_or_reversed_is_refused(user_factory):
    user = user_factory()
    make_expert("SH", user=user)
    with pytest.raises(ValidationError):
        services.availability_add(actor=user, start=days(-10), end=days(-5), mode="onsite")
    with pytest.raises(ValidationError):
        services.availability_add(actor=user, start=days(5), end=days(1), mode="onsite")
    assert not Availability.objects.exists()


def test_expert_removes_only_own_availability(user_factory):
    owner, intruder = user_factory(), user_factory()
    make_expert("SH", user=owner)
    make_expert("SH", user=intruder)
    slot = services.availability_add(actor=owner, start=days(1), end=days(2), mode="onsite")
    with pytest.raises(Http404):
        services.availability_remove(actor=intruder, availability_id=slot.pk)
    assert Availability.objects.filter(pk=slot.pk).exists()


def test_conflict_older_than_three_years_no_longer_counts(user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user)
    services.conflict_add(actor=user, organisation="老东家", kind="worked_for", until=days(-4 * 365))
    services.conflict_add(actor=user, organisation="客户", kind="worked_with", until=days(-365))
    assert list(Conflict.objects.current().filter(expert=expert).values_list("organisation", flat=True)) == ["客户"]


# ---------------------------------------------------------------- requests

def test_request_in_the_past_is_refused_and_nothing_written(staff_of):
    with pytest.raises(ValidationError, match="开始日期"):
        make_request("SH", actor=staff_of("SH", "editor"), start=-3)
    assert not ExpertRequest.objects.exists()


def test_request_needs_requesting_role_in_own_province(staff_of):
    with pytest.raises(PermissionDenied):
        make_request("SH", actor=staff_of("SH", "reviewer"))
    with pytest.raises(PermissionDenied):
        make_request("SH", actor=staff_of("ZJ", "editor"))
    assert make_request("SH", actor=staff_of("SH", "coordinator")).pk


def test_request_elsewhere_only_refuses_naming_a_home_expert(staff_of):
    home = make_expert("SH")
    with pytest.raises(ValidationError, match="异地"):
        make_request("SH", expert_ids=[home.pk], elsewhere_only=True)
    assert not ExpertRequest.objects.exists()


def flow(user_factory, staff_of):
    expert_user = user_factory()
    expert = make_expert("ZJ", user=expert_user)
    requester = staff_of("SH", "editor")
    request = make_request("SH", actor=requester, expert_ids=[expert.pk])
    return request, request.assignments.get(), expert_user, requester, staff_of("ZJ", "coordinator")


def test_full_flow_from_request_to_rating(user_factory, staff_of, django_capture_on_commit_callbacks):
    request, assignment, expert_user, requester, coordinator = flow(user_factory, staff_of)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_approve(actor=coordinator, assignment_id=assignment.pk, approve=True)
    assert [m.to for m in mail.outbox] == [[expert_user.email]]
    services.assignment_answer(actor=expert_user, assignment_id=assignment.pk, accept=True)
    services.assignment_confirm(actor=requester, assignment_id=assignment.pk)
    Assignment.objects.filter(pk=assignment.pk).update(start=days(-1))
    services.assignment_complete(actor=requester, assignment_id=assignment.pk)
    services.assignment_rate(actor=requester, assignment_id=assignment.pk, rating=5, comment="专业、细致")
    assignment.refresh_from_db()
    assert (assignment.status, assignment.rating) == ("completed", 5)


def test_each_step_belongs_to_its_party(user_factory, staff_of):
    request, assignment, expert_user, requester, coordinator = flow(user_factory, staff_of)
    with pytest.raises((PermissionDenied, Http404)):
        services.assignment_approve(actor=staff_of("SH", "coordinator"), assignment_id=assignment.pk, approve=True)
    services.assignment_approve(actor=coordinator, assignment_id=assignment.pk, approve=True)
    someone_else = user_factory()
    make_expert("ZJ", user=someone_else)
    with pytest.raises(Http404):
        services.assignment_answer(actor=someone_else, assignment_id=assignment.pk, accept=True)
    with pytest.raises(PermissionDenied):
        services.assignment_answer(actor=coordinator, assignment_id=assignment.pk, accept=True)
    assert Assignment.objects.get(pk=assignment.pk).status == "approved"


def test_accepting_a_withdrawn_request_is_refused(user_factory, staff_of):
    request, assignment, expert_user, requester, coordinator = flow(user_factory, staff_of)
    services.assignment_approve(actor=coordinator, assignment_id=assignment.pk, approve=True)
    services.request_withdraw(actor=requester, request_id=request.pk)
    with pytest.raises(ValidationError):
        services.assignment_answer(actor=expert_user, assignment_id=assignment.pk, accept=True)
    assert Assignment.objects.get(pk=assignment.pk).status == "withdrawn"


def test_accepting_an_expired_request_is_refused(user_factory, staff_of):
    request, assignment, expert_user, requester, coordinator = flow(user_factory, staff_of)
    services.assignment_approve(actor=coordinator, assignment_id=assignment.pk, approve=True)
    ExpertRequest.objects.filter(pk=request.pk).update(respond_by=days(-1))
    with pytest.raises(ValidationError, match="截止"):
        services.assignment_answer(actor=expert_user, assignment_id=assignment.pk, accept=True)
    assert Assignment.objects.get(pk=assignment.pk).status == "approved"


def test_rating_before_completion_is_refused(user_factory, staff_of):
    request, assignment, expert_user, requester, coordinator = flow(user_factory, staff_of)
    with pytest.raises(ValidationError, match="完成后"):
        services.assignment_rate(actor=requester, assignment_id=assignment.pk, rating=4)
    assert Assignment.objects.get(pk=assignment.pk).rating is None


def test_rating_after_the_window_is_refused(user_factory, staff_of):
    request, assignment, *_ = flow(user_factory, staff_of)
    Assignment.objects.filter(pk=assignment.pk).update(
        status="completed", completed_at=timezone.now() - datetime.timedelta(days=60))
    with pytest.raises(ValidationError, match="期限"):
        services.assignment_rate(actor=request.created_by, assignment_id=assignment.pk, rating=4)


def test_an_expert_is_never_double_booked(user_factory, staff_of):
    expert_user = user_factory()
    expert = make_expert("ZJ", user=expert_user)
    coordinator = staff_of("ZJ", "coordinator")
    assignments = []
    for province_code, start in (("SH", 30), ("JS", 31)):
        requester = staff_of(province_code, "editor")
        request = make_request(province_code, actor=requester, expert_ids=[expert.pk], start=start)
        a = request.assignments.get()
        services.assignment_approve(actor=coordinator, assignment_id=a.pk, approve=True)
        services.assignment_answer(actor=expert_user, assignment_id=a.pk, accept=True)
        assignments.append((requester, a))
    first = services.assignment_confirm(actor=assignments[0][0], assignment_id=assignments[0][1].pk)
    with pytest.raises(ValidationError, match=f"{first.start} 至 {first.end} 已确认参加"):
        services.assignment_confirm(actor=assignments[1][0], assignment_id=assignments[1][1].pk)
    assert Assignment.objects.filter(expert=expert, status="confirmed").count() == 1


def requester_province(user):
    from hub.permissions import province_ids_for

    return next(iter(province_ids_for(user, "add")))


def test_naming_an_expert_booked_on_those_dates_fails_at_the_request(user_factory, staff_of, client_for):
    expert_user = user_factory()
    expert = make_expert("ZJ", user=expert_user, name="吕淑芬")
    first = make_request("SH", expert_ids=[expert.pk], start=30, length=2).assignments.get()
    services.assignment_approve(actor=staff_of("ZJ", "coordinator"), assignment_id=first.pk, approve=True)
    services.assignment_answer(actor=expert_user, assignment_id=first.pk, accept=True)
    services.assignment_confirm(actor=first.request.created_by, assignment_id=first.pk)
    requester = staff_of("JS", "editor")
    before = ExpertRequest.objects.count()
    with pytest.raises(ValidationError, match=f"吕淑芬 在 {days(30)} 至 {days(32)} 已有确认的任务") as caught:
        make_request("JS", actor=requester, expert_ids=[expert.pk], start=32)
    assert first.request.title not in str(caught.value)  # another province's request is not quoted to a requester
    assert ExpertRequest.objects.count() == before
    response = client_for(requester).post("/experts/requests/new/", {
        "title": "江苏评审", "purpose": "award", "start": days(31), "end": days(33), "place": "南京",
        "specialisms": [specialism().pk], "number_needed": 1, "reserves_needed": 0, "experts": [expert.pk],
        "province": requester_province(requester)})
    assert response.status_code == 200 and "已有确认的任务" in response.content.decode()
    assert ExpertRequest.objects.count() == before
    make_request("JS", actor=requester, expert_ids=[expert.pk], start=33)  # the day after is free


# ---------------------------------------------------------------- draws

def draw_setup(province, **request_fields):
    window = (days(1), days(90))
    return make_request("SH", number_needed=2, **request_fields), window


def test_draw_excludes_every_avoidance_case_and_records_why(staff_of, user_factory):
    window = (days(1), days(90))
    eligible = [make_expert(code, available=window) for code in ("JS", "JS", "ZJ")]  # two provinces: see the cap
    same_employer = make_expert("ZJ", available=window, employer="被评企业有限公司")
    conflict_user = user_factory()
    declared = make_expert("AH", user=conflict_user, available=window)
    services.conflict_add(actor=conflict_user, organisation="被评企业有限公司", kind="worked_with")
    home = make_expert("SH", available=window)
    busy = make_expert("JX", available=window)
    old = make_request("JS", start=5, length=0, expert_ids=[busy.pk])
    Assignment.objects.filter(request=old).update(status="completed", start=days(-100), end=days(-100))
    make_expert("JS")  # no availability: not a candidate at all
    make_expert("JS", available=window, specialisms=[specialism("培训授课")])  # other specialism
    request = make_request("SH", number_needed=2, elsewhere_only=True, organisation_under_review="被评企业有限公司")
    with override_cap(1):
        record = services.draw_run(actor=request.created_by, request_id=request.pk, seed=42)
    assert record.candidate_ids == sorted(e.pk for e in eligible)
    reasons = {item["expert_id"]: item["reasons"] for item in record.exclusions}
    assert reasons == {same_employer.pk: ["conflict"], declared.pk: ["conflict"], home.pk: ["home"],
                       busy.pk: ["rotation"]}
    assert set(record.principal_ids) <= set(record.candidate_ids) and len(record.principal_ids) == 2
    assert set(request.assignments.values_list("expert_id", flat=True)) == set(record.principal_ids)


class override_cap:
    def __init__(self, cap):
        from django.test import override_settings

        self.inner = override_settings(EXPERT_POOL_ROTATION_CAP=cap)

    def __enter__(self):
        self.inner.enable()

    def __exit__(self, *exc):
        self.inner.disable()


def test_draw_of_more_than_eligible_is_refused_with_counts(staff_of):
    window = (days(1), days(90))
    make_expert("JS", available=window)
    make_expert("SH", available=window)
    request = make_request("SH", number_needed=2, elsewhere_only=True)
    with pytest.raises(ValidationError) as info:
        services.draw_run(actor=request.created_by, request_id=request.pk)
    text = " ".join(info.value.messages)
    assert "只有 1 名" in text and "共 2 名" in text and "（要求异地） 1 名" in text
    assert not Draw.objects.exists() and not Assignment.objects.exists()


def test_draw_replays_identically_and_is_append_only(staff_of):
    window = (days(1), days(90))
    for code in ("JS", "JS", "JS", "ZJ", "ZJ", "ZJ"):
        make_expert(code, available=window)
    request = make_request("SH", number_needed=2, reserves_needed=2)
    record = services.draw_run(actor=request.created_by, request_id=request.pk)
    principals, reserves, same = services.draw_replay(Draw.objects.get(pk=record.pk))
    assert same and principals == record.principal_ids and reserves == record.reserve_ids
    record.seed += 1
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        Draw.objects.filter(pk=record.pk).update(seed=1)
    with pytest.raises(TypeError):
        Draw.objects.all().delete()


def test_reserve_is_called_after_a_principal_declines(user_factory, staff_of):
    window = (days(1), days(90))
    users = [user_factory() for _ in range(3)]
    for u in users:
        make_expert("JS", user=u, available=window)
    request = make_request("SH", number_needed=1, reserves_needed=1)
    record = services.draw_run(actor=request.created_by, request_id=request.pk)
    principal = request.assignments.get()
    services.assignment_approve(actor=staff_of("JS", "coordinator"), assignment_id=principal.pk, approve=False)
    reserve = services.draw_call_reserve(actor=request.created_by, draw_id=record.pk)
    assert reserve.expert_id == record.reserve_ids[0]


def test_no_django_admin_offers_draws_or_any_roundtable_model():
    # The Django admin is not mounted (the Wagtail admin is); a registration there would be a dead, unscoped door.
    from django.contrib.admin.sites import site

    assert Draw not in site._registry
    assert not [m for m in site._registry if m._meta.app_label in ("hub", "cms", "sharing", "expert_pool")]


def test_each_step_mails_only_the_party_concerned(user_factory, staff_of, django_capture_on_commit_callbacks):
    expert_user = user_factory()
    expert = make_expert("ZJ", user=expert_user)
    requester, zj_coordinator = staff_of("SH", "editor"), staff_of("ZJ", "coordinator")
    bystanders = [staff_of("SH", "coordinator"), staff_of("JS", "coordinator"), staff_of("ZJ", "editor")]

    def recipients(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result, {address for message in mail.outbox for address in message.to}

    request, sent = recipients(lambda: make_request("SH", actor=requester, expert_ids=[expert.pk]))
    assert sent == {zj_coordinator.email}
    pk = request.assignments.get().pk
    assert recipients(lambda: services.assignment_approve(actor=zj_coordinator, assignment_id=pk,
                                                          approve=True))[1] == {expert_user.email}
    assert recipients(lambda: services.assignment_answer(actor=expert_user, assignment_id=pk,
                                                         accept=True))[1] == {requester.email}
    # the confirmed booking also reaches the expert's home coordinators: it now shows in their pool calendar
    assert recipients(lambda: services.assignment_confirm(actor=requester, assignment_id=pk))[1] == {
        expert_user.email, zj_coordinator.email}
    assert not {b.email for b in bystanders} & {a for m in mail.outbox for a in m.to}


# ---------------------------------------------------------------- issue 15: decisions are explained and mailed

def test_rejecting_a_registration_needs_a_reason_the_applicant_reads(province, staff_of, client_for,
                                                                       django_capture_on_commit_callbacks):
    applicant = services.expert_register(username="reject-me", password="a-long-pass-2026", province=province("AH"),
                                         name="汪洋", employer="合肥某厂", email="wang@example.test",
                                         specialisms=[specialism()])
    coordinator = staff_of("AH", "coordinator")
    with pytest.raises(ValidationError):
        services.expert_set_status(actor=coordinator, expert_id=applicant.pk, status="rejected", reason=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_set_status(actor=coordinator, expert_id=applicant.pk, status="rejected",
                                   reason="请补充职称证明")
    assert [m.to for m in mail.outbox] == [["wang@example.test"]]
    assert "请补充职称证明" in mail.outbox[0].body and "http://" in mail.outbox[0].body
    page = client_for(applicant.user).get("/experts/me/").content.decode()
    assert "请补充职称证明" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_update_own(actor=applicant.user, title="高级工程师")
    applicant.refresh_from_db()
    assert applicant.status == "pending" and applicant.title == "高级工程师"


def test_approval_mails_the_expert_an_absolute_link(province, staff_of, django_capture_on_commit_callbacks,
                                                    settings):
    settings.HUB_BASE_URL = "https://hub.example.org"
    applicant = services.expert_register(username="approve-me", password="a-long-pass-2026",
                                         province=province("AH"), name="汪洋", employer="合肥某厂",
                                         email="wang@example.test", specialisms=[specialism()])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_set_status(actor=staff_of("AH", "coordinator"), expert_id=applicant.pk, status="active")
    assert [m.to for m in mail.outbox] == [["wang@example.test"]]
    assert f"https://hub.example.org/experts/{applicant.pk}/" in mail.outbox[0].body


def test_request_mails_carry_absolute_links(staff_of, settings, django_capture_on_commit_callbacks):
    settings.HUB_BASE_URL = "https://hub.example.org"
    coordinator = staff_of("ZJ", "coordinator")
    expert = make_expert("ZJ")
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request("SH", expert_ids=[expert.pk])
    sent = [m for m in mail.outbox if coordinator.email in m.to]
    assert sent and f"https://hub.example.org/experts/requests/{request.pk}/" in sent[0].body
    assert f"\n/experts/requests/{request.pk}/" not in sent[0].body


def test_coordinators_are_found_through_the_gate(staff_of, user_factory):
    from guardian.shortcuts import assign_perm

    from expert_pool import notify
    from hub.models import Province

    jiangxi = Province.objects.get(code="JX")
    coordinator, editor = staff_of("JX", "coordinator"), staff_of("JX", "editor")
    direct = user_factory()  # holds the permission on the province itself, not through a group
    assign_perm("hub.coordinate_province_data", direct, jiangxi)
    found = notify.coordinators_of(jiangxi.pk)
    assert coordinator in found and direct in found and editor not in found
