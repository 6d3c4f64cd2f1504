"""Expert-pool notifications go through the hub's one capability: each step leaves an in-site notice for exactly
the people it concerns (found through the permission gate), mails those who want that kind after the step
commits, links absolutely — and never reaches another province's staff."""
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from expert_pool import services
from expert_pool.models import Assignment, ExpertRequest
from hub.models import Notification
from hub.notifications import kinds
from hub.notifications.services import preferences_set
from tests.expert_pool.factories import days, make_expert, make_request, specialism

pytestmark = pytest.mark.django_db

BASE = "https://hub.example.org"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.HUB_BASE_URL = BASE


@pytest.fixture
def people(staff_of, user_factory):
    """A Zhejiang expert with an account, a Shanghai requester, and everyone who must hear nothing by default."""
    expert_user = user_factory()
    class P:
        expert = make_expert("ZJ", user=expert_user)
        expert_account = expert_user
        requester = staff_of("SH", "editor")
        zj_coordinator = staff_of("ZJ", "coordinator")
        sh_coordinator = staff_of("SH", "coordinator")
        zj_editor = staff_of("ZJ", "editor")
        others = [staff_of(code, "coordinator") for code in ("JS", "AH", "JX")] + [
            staff_of("JS", "editor"), user_factory(role="secretariat")]
    return P


def step(capture, action):
    """Run ``action`` as a committed step; return (result, {user pk: kinds noticed}, {mailed address: bodies})."""
    before = set(Notification.objects.values_list("pk", flat=True))
    mail.outbox.clear()
    with capture(execute=True):
        result = action()
    noticed = {}
    for notice in Notification.objects.exclude(pk__in=before):
        noticed.setdefault(notice.recipient_id, set()).add(notice.kind)
    mailed = {}
    for message in mail.outbox:
        for address in message.to:
            mailed.setdefault(address, []).append(message.body)
    return result, noticed, mailed


def assert_only(noticed, mailed, kind, *users):
    assert noticed == {u.pk: {kind} for u in users}
    assert set(mailed) == {u.email for u in users}
    for bodies in mailed.values():
        assert all(f"{BASE}/" in body for body in bodies)


def test_every_expert_pool_kind_is_registered_with_its_audience():
    keys = {k.key for k in kinds.all_kinds()}
    assert {"expert.registration_submitted", "expert.profile_changed", "expert.registration_decided",
            "expert.profile_changes_decided",
            "expert.request_submitted", "expert.request_decided", "expert.request_answered",
            "expert.assignment_confirmed", "expert.assignment_released", "expert.assignment_completed",
            "expert.answer_due", "expert.assignment_starting"} <= keys
    assert all(str(k.audience) for k in kinds.all_kinds() if k.key.startswith("expert."))


def test_a_registration_reaches_the_home_coordinators_only(province, people, django_capture_on_commit_callbacks):
    applicant, noticed, mailed = step(django_capture_on_commit_callbacks, lambda: services.expert_register(
        password="a-long-pass-2026", province=province("ZJ"), name="钱塘", employer="杭州某厂",
        specialisms=[specialism()]))
    assert_only(noticed, mailed, "expert.registration_submitted", people.zj_coordinator)
    notice = Notification.objects.get(recipient=people.zj_coordinator)
    assert notice.url == f"{BASE}/experts/{applicant.pk}/" and "钱塘" in notice.subject


def test_mail_waits_for_the_commit_and_a_failed_registration_leaves_no_notice(province, people,
                                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.expert_register(password="a-long-pass-2026", province=province("ZJ"), name="钱塘",
                                 employer="杭州某厂", specialisms=[specialism()])
    assert callbacks and mail.outbox == []
    assert Notification.objects.filter(recipient=people.zj_coordinator).count() == 1
    with pytest.raises(ValidationError):
        services.expert_register(password="a-long-pass-2026", province=province("ZJ"), name="富春",
                                 employer="杭州某厂", phone="abc-not-a-phone")
    assert Notification.objects.filter(recipient=people.zj_coordinator).count() == 1


def test_a_held_profile_change_reaches_the_home_coordinators(people, django_capture_on_commit_callbacks):
    _r, noticed, mailed = step(django_capture_on_commit_callbacks, lambda: services.expert_update_own(
        actor=people.expert_account, title="正高级工程师"))
    assert_only(noticed, mailed, "expert.profile_changed", people.zj_coordinator)


@pytest.mark.parametrize("accept", [True, False])
def test_the_expert_hears_whether_held_changes_were_accepted(people, django_capture_on_commit_callbacks, accept):
    services.expert_update_own(actor=people.expert_account, title="正高级工程师")
    _r, noticed, mailed = step(django_capture_on_commit_callbacks, lambda: services.expert_review_changes(
        actor=people.zj_coordinator, expert_id=people.expert.pk, accept=accept))
    assert_only(noticed, mailed, "expert.profile_changes_decided", people.expert_account)
    notice = Notification.objects.get(recipient=people.expert_account)
    assert ("已通过" if accept else "未通过") in notice.subject and notice.url == f"{BASE}/experts/me/"


@pytest.mark.parametrize("status,reason,link", [("active", "", "/experts/{pk}/"),
                                                ("rejected", "请补充职称证明", "/experts/me/")])
def test_the_applicant_alone_hears_the_decision(province, people, user_factory, django_capture_on_commit_callbacks,
                                                status, reason, link):
    applicant = services.expert_register(password="a-long-pass-2026", province=province("ZJ"), name="钱塘",
                                         employer="杭州某厂", email="qian@example.test", specialisms=[specialism()])
    _r, noticed, mailed = step(django_capture_on_commit_callbacks, lambda: services.expert_set_status(
        actor=people.zj_coordinator, expert_id=applicant.pk, status=status, reason=reason))
    assert_only(noticed, mailed, "expert.registration_decided", applicant.user)
    notice = Notification.objects.get(recipient=applicant.user)
    assert notice.url == BASE + link.format(pk=applicant.pk)
    assert reason in notice.body and reason in mailed["qian@example.test"][0]


def test_each_loan_step_reaches_the_party_concerned(people, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    request, noticed, mailed = step(capture, lambda: make_request("SH", actor=people.requester,
                                                                  expert_ids=[people.expert.pk]))
    assert_only(noticed, mailed, "expert.request_submitted", people.zj_coordinator)
    assert Notification.objects.get(recipient=people.zj_coordinator,
                                    kind="expert.request_submitted").url == f"{BASE}/experts/requests/{request.pk}/"
    pk = request.assignments.get().pk
    _r, noticed, mailed = step(capture, lambda: services.assignment_approve(
        actor=people.zj_coordinator, assignment_id=pk, approve=True))
    assert_only(noticed, mailed, "expert.request_decided", people.expert_account)
    _r, noticed, mailed = step(capture, lambda: services.assignment_answer(
        actor=people.expert_account, assignment_id=pk, accept=True, note="可以参加"))
    assert_only(noticed, mailed, "expert.request_answered", people.requester)
    assert "可以参加" in mailed[people.requester.email][0]
    _r, noticed, mailed = step(capture, lambda: services.assignment_confirm(actor=people.requester,
                                                                           assignment_id=pk))
    assert noticed == {people.expert_account.pk: {"expert.assignment_confirmed"},
                       people.zj_coordinator.pk: {"expert.assignment_confirmed"}}
    Assignment.objects.filter(pk=pk).update(start=days(-1))
    _r, noticed, mailed = step(capture, lambda: services.assignment_complete(actor=people.requester,
                                                                            assignment_id=pk))
    assert_only(noticed, mailed, "expert.assignment_completed", people.expert_account)
    for bystander in people.others + [people.sh_coordinator, people.zj_editor]:
        assert not Notification.objects.filter(recipient=bystander).exists(), bystander


def test_a_refusal_and_a_declined_invitation_go_back_to_the_requester(people, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    refused = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk]).assignments.get()
    _r, noticed, mailed = step(capture, lambda: services.assignment_approve(
        actor=people.zj_coordinator, assignment_id=refused.pk, approve=False, note="该专家近期任务较多"))
    assert_only(noticed, mailed, "expert.request_decided", people.requester)
    declined = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk], start=60).assignments.get()
    services.assignment_approve(actor=people.zj_coordinator, assignment_id=declined.pk, approve=True)
    _r, noticed, mailed = step(capture, lambda: services.assignment_answer(
        actor=people.expert_account, assignment_id=declined.pk, accept=False))
    assert_only(noticed, mailed, "expert.request_answered", people.requester)


def test_a_withdrawal_tells_whoever_holds_the_assignment(people, staff_of, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    asked = make_expert("JS", user=staff_of("JS", "member"))
    request = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk, asked.pk])
    js_coordinator = people.others[0]
    zj_assignment = request.assignments.get(expert=people.expert)
    services.assignment_approve(actor=people.zj_coordinator, assignment_id=zj_assignment.pk, approve=True)
    _r, noticed, _mailed = step(capture, lambda: services.request_withdraw(actor=people.requester,
                                                                           request_id=request.pk))
    # approved: the invited expert is told; still awaiting approval: the coordinators whose queue it was in
    assert noticed == {people.expert_account.pk: {"expert.assignment_released"},
                       js_coordinator.pk: {"expert.assignment_released"}}


def test_a_double_booking_at_confirmation_tells_the_requester(people, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk]).assignments.get()
    second = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk]).assignments.get()
    for a in (first, second):
        services.assignment_approve(actor=people.zj_coordinator, assignment_id=a.pk, approve=True)
        services.assignment_answer(actor=people.expert_account, assignment_id=a.pk, accept=True)
    services.assignment_confirm(actor=people.requester, assignment_id=first.pk)
    with pytest.raises(services.DoubleBooked):
        step(capture, lambda: services.assignment_confirm(actor=people.requester, assignment_id=second.pk))
    released = Notification.objects.get(recipient=people.requester, kind="expert.assignment_released")
    assert "时间冲突" in released.subject and ExpertRequest.objects.get(pk=second.request_id).title in released.body


def test_a_refused_step_leaves_no_notice(people, django_capture_on_commit_callbacks):
    first = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk]).assignments.get()
    clash = make_request("JS", expert_ids=[people.expert.pk]).assignments.get()
    services.assignment_approve(actor=people.zj_coordinator, assignment_id=first.pk, approve=True)
    services.assignment_answer(actor=people.expert_account, assignment_id=first.pk, accept=True)
    services.assignment_confirm(actor=people.requester, assignment_id=first.pk)
    before = Notification.objects.count()
    with pytest.raises(ValidationError):
        services.assignment_approve(actor=people.zj_coordinator, assignment_id=clash.pk, approve=True)
    assert Notification.objects.count() == before


def test_answers_go_to_the_province_when_the_requester_can_no_longer_act(people,
                                                                       django_capture_on_commit_callbacks):
    assignment = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk]).assignments.get()
    services.assignment_approve(actor=people.zj_coordinator, assignment_id=assignment.pk, approve=True)
    people.requester.groups.clear()
    _r, noticed, _m = step(django_capture_on_commit_callbacks, lambda: services.assignment_answer(
        actor=people.expert_account, assignment_id=assignment.pk, accept=True))
    assert noticed == {people.sh_coordinator.pk: {"expert.request_answered"}}


def test_a_person_who_turned_mail_off_still_finds_the_notice_in_the_inbox(people, client_for,
                                                                           django_capture_on_commit_callbacks):
    preferences_set(user=people.zj_coordinator, email_kinds=[])
    _r, noticed, mailed = step(django_capture_on_commit_callbacks, lambda: make_request(
        "SH", actor=people.requester, expert_ids=[people.expert.pk]))
    assert noticed == {people.zj_coordinator.pk: {"expert.request_submitted"}} and mailed == {}
    inbox = client_for(people.zj_coordinator).get("/notifications/").content.decode()
    assert "借用专家待审批" in inbox
    preferences = client_for(people.zj_coordinator).get("/notifications/preferences/").content.decode()
    assert "借用专家申请待本省审批" in preferences


def test_loan_reminders_arrive_once_through_the_scheduler(people, django_capture_on_commit_callbacks):
    soon = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk], start=2, length=1,
                        respond_by=days(1)).assignments.get()
    services.assignment_approve(actor=people.zj_coordinator, assignment_id=soon.pk, approve=True)
    waiting = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk], start=10,
                           respond_by=days(2)).assignments.get()
    later = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk], start=40).assignments.get()
    starting = make_request("SH", actor=people.requester, expert_ids=[people.expert.pk], start=20, length=0)
    a = starting.assignments.get()
    services.assignment_approve(actor=people.zj_coordinator, assignment_id=a.pk, approve=True)
    services.assignment_answer(actor=people.expert_account, assignment_id=a.pk, accept=True)
    services.assignment_confirm(actor=people.requester, assignment_id=a.pk)
    Assignment.objects.filter(pk=a.pk).update(start=days(3), end=days(3))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once")
        call_command("run_scheduler", "--once")

    def count(user, kind):
        return Notification.objects.filter(recipient=user, kind=kind).count()

    assert count(people.expert_account, "expert.answer_due") == 1  # ``soon`` waits for the expert's answer
    assert str(soon.request_id) in Notification.objects.get(recipient=people.expert_account,
                                                            kind="expert.answer_due").url
    assert count(people.zj_coordinator, "expert.answer_due") == 1  # ``waiting`` waits for approval
    assert str(waiting.request_id) in Notification.objects.get(recipient=people.zj_coordinator,
                                                               kind="expert.answer_due").url
    assert not Notification.objects.filter(url__endswith=f"/requests/{later.request_id}/",
                                           kind="expert.answer_due").exists()
    assert count(people.expert_account, "expert.assignment_starting") == 1
    assert count(people.requester, "expert.assignment_starting") == 1
    for bystander in people.others + [people.sh_coordinator]:
        assert not Notification.objects.filter(recipient=bystander, kind__startswith="expert.").exists()
