"""Co-organiser sign-off: a joint event goes live only after a moderator of every co-organising province approved."""
import pytest
from django.core import mail
from wagtail.models import PageLogEntry, TaskState, WorkflowState

from cms.signoff import CoOrganiserSignOff, CoOrganiserSignOffTask
from tests.cms import factories

pytestmark = pytest.mark.django_db


def refused(response) -> bool:
    """Wagtail's admin answers a forbidden action with 403 or a redirect to the dashboard; a page outside the
    user's scope is a 404 before that (hub/admin_scope.py)."""
    return response.status_code in (403, 404) or (response.status_code == 302 and response["Location"] == "/admin/")


def action_url(page, action, task_state):
    return f"/admin/pages/workflow/action/{page.pk}/{action}/{task_state.pk}/"


@pytest.fixture
def submitted(province, staff_of, django_capture_on_commit_callbacks):
    """An SH joint event with ZJ and AH as co-organisers, submitted and approved by an SH moderator."""
    editor = staff_of("SH", "editor")
    for code in ("ZJ", "AH", "JS", "JX"):
        staff_of(code, "moderator")  # only ZJ's and AH's may hear of it
    event = factories.event(province("SH"), publish=False, co_organisers=[province("ZJ"), province("AH")],
                            title="长三角质量月联合启动仪式", owner=editor)
    event.save_revision(user=editor)
    event.get_workflow().start(event, editor)
    lead = staff_of("SH", "moderator")
    from django.test import Client

    client = Client()
    client.force_login(lead)
    task_state = event.current_workflow_task_state
    assert task_state.task.name == "上海审核发布"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(event, "approve", task_state), {"comment": ""})
    assert response.status_code == 302
    event.refresh_from_db()
    return event


def test_sections_carry_the_publication_workflow(province):
    workflow = province("JS").section_page.get_workflow()
    assert [t.specific.__class__.__name__ for t in workflow.tasks] == ["GroupApprovalTask", "CoOrganiserSignOffTask"]


def test_only_moderators_of_co_organising_provinces_are_notified(submitted, province):
    recipients = {address for message in mail.outbox for address in message.to}
    assert {r.split("-")[0] for r in recipients} == {"zj", "ah"}, recipients
    assert all(r.startswith(("zj-moderator", "ah-moderator")) for r in recipients), recipients
    assert all("长三角质量月联合启动仪式" in m.subject for m in mail.outbox)


def test_sign_off_end_to_end_goes_live_after_the_last_co_organiser(submitted, client_for, staff_of):
    event = submitted
    task_state = event.current_workflow_task_state
    assert isinstance(task_state.task.specific, CoOrganiserSignOffTask)
    assert not event.live

    zj, ah, js = staff_of("ZJ", "moderator"), staff_of("AH", "moderator"), staff_of("JS", "moderator")
    assert task_state in TaskState.objects.reviewable_by(zj)
    assert task_state not in TaskState.objects.reviewable_by(js)
    assert "长三角质量月联合启动仪式" in client_for(zj).get("/admin/").content.decode(), "moderation dashboard"
    preview = client_for(zj).get(f"/admin/pages/workflow/preview/{event.pk}/{task_state.task_id}/")
    assert preview.status_code == 200 and "长三角质量月联合启动仪式" in preview.content.decode()
    assert refused(client_for(zj).get(f"/admin/pages/{event.pk}/edit/")), "reviewers never edit the lead's page"
    assert refused(client_for(js).get(f"/admin/pages/workflow/preview/{event.pk}/{task_state.task_id}/"))

    # Neither an outsider nor an editor of a co-organising province may act; the lead may not bypass it.
    assert refused(client_for(js).post(action_url(event, "approve", task_state)))
    assert refused(client_for(staff_of("ZJ", "editor")).post(action_url(event, "approve", task_state)))
    assert not CoOrganiserSignOff.objects.filter(task_state=task_state, decided_at__isnull=False).exists()
    lead = staff_of("SH", "moderator")
    assert not event.permissions_for_user(lead).can_publish()

    assert client_for(zj).post(action_url(event, "approve", task_state), {"comment": "浙江同意"}).status_code == 302
    event.refresh_from_db()
    assert not event.live
    # Approving twice for the same province is not possible.
    assert refused(client_for(staff_of("ZJ", "moderator")).post(action_url(event, "approve", task_state)))

    assert client_for(ah).post(action_url(event, "approve", task_state)).status_code == 302
    event.refresh_from_db()
    assert event.live
    signoffs = {s.province.code: (s.approved, s.decided_by) for s in CoOrganiserSignOff.objects.filter(task_state=task_state)}
    assert signoffs == {"ZJ": (True, zj), "AH": (True, ah)}
    task_state.refresh_from_db()
    assert task_state.status == "approved" and "浙江同意" in task_state.comment
    actions = list(PageLogEntry.objects.filter(page=event).values_list("action", flat=True))
    assert actions.count("cms.signoff.approve") == 2 and "wagtail.publish" in actions


def test_one_rejection_sends_it_back_with_the_reason(submitted, client_for, staff_of):
    event = submitted
    task_state = event.current_workflow_task_state
    ah = staff_of("AH", "moderator")
    response = client_for(ah).post(action_url(event, "reject", task_state), {"comment": ""})
    assert response.status_code != 302 or TaskState.objects.get(pk=task_state.pk).status == "in_progress"
    client_for(ah).post(action_url(event, "reject", task_state), {"comment": "日期与安徽质量月冲突，请调整。"})
    task_state.refresh_from_db()
    workflow_state = WorkflowState.objects.get(pk=task_state.workflow_state_id)
    assert task_state.status == "rejected" and task_state.comment == "日期与安徽质量月冲突，请调整。"
    assert workflow_state.status == "needs_changes"
    event.refresh_from_db()
    assert not event.live
    assert PageLogEntry.objects.filter(page=event, action="cms.signoff.reject").exists()
    # The ZJ moderator has nothing left to act on.
    assert task_state not in TaskState.objects.reviewable_by(staff_of("ZJ", "moderator"))


def test_event_without_co_organisers_skips_the_sign_off(province, staff_of, client_for):
    editor = staff_of("SH", "editor")
    event = factories.event(province("SH"), publish=False, owner=editor)
    event.save_revision(user=editor)
    event.get_workflow().start(event, editor)
    task_state = event.current_workflow_task_state
    client_for(staff_of("SH", "moderator")).post(action_url(event, "approve", task_state))
    event.refresh_from_db()
    assert event.live
    assert not CoOrganiserSignOff.objects.exists()


def _edit_and_publish(client, event, co_organisers):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    data = nested_form_data({
        "title": event.title, "slug": event.slug, "summary": event.summary, "category": event.category_id,
        "all_day": "on", "start_date": str(event.start_date), "end_date": str(event.end_date),
        "time_zone": "Asia/Shanghai", "mode": "in_person", "place": "上海", "co_organisers": co_organisers,
        "body": streamfield([]), "attachments": inline_formset([]), "questions": inline_formset([]),
        "comments": inline_formset([]), "action-publish": "action-publish",
    })
    return client.post(f"/admin/pages/{event.pk}/edit/", data)


def test_lead_moderator_cannot_publish_a_joint_event_directly(province, staff_of, client_for):
    lead = client_for(staff_of("SH", "moderator"))
    solo = factories.event(province("SH"), publish=False)
    _edit_and_publish(lead, solo, [])
    solo.refresh_from_db()
    assert solo.live, "a moderator publishes the province's own events directly"

    joint = factories.event(province("SH"), publish=False, co_organisers=[province("JX")])
    assert not joint.permissions_for_user(staff_of("SH", "moderator")).can_publish()
    _edit_and_publish(lead, joint, [province("JX").pk])
    joint.refresh_from_db()
    assert not joint.live
