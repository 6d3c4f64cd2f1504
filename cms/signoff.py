"""Co-organiser sign-off (协办省会签): a Wagtail workflow task that a joint event passes before it goes live.

When the task starts, one ``CoOrganiserSignOff`` row per co-organising province is opened for the submitted
revision. Moderators of a province whose row is still open may approve (for their province) or request changes
(for everyone: one rejection sends the event back with the reason). The task is complete once no row is open.
A page with no co-organisers passes the task at once.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log
from wagtail.models import PagePermissionTester, Task, TaskState

from hub.permissions import is_unrestricted, province_ids_for


class RejectReasonForm(forms.Form):
    comment = forms.CharField(label=_("退回理由"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)


class CoOrganiserSignOffTask(Task):
    """Each co-organising province's moderators must approve the submitted revision; any one may send it back."""

    admin_form_fields = Task.admin_form_fields

    class Meta:
        verbose_name = _("协办省市会签")
        verbose_name_plural = _("协办省市会签")

    @classmethod
    def get_description(cls):
        return _("联合活动的每个协办省市都须由其审核发布人员批准，活动才能发布；任一协办省市退回即退回修改。")

    # --- state --------------------------------------------------------------------------------------------
    def start(self, workflow_state, user=None):
        task_state = super().start(workflow_state, user=user)
        page = task_state.revision.as_object()
        co_organisers = list(getattr(page, "co_organisers", None).all()) if hasattr(page, "co_organisers") else []
        lead_id = getattr(page, "province_id", None)
        provinces = [p for p in co_organisers if p.pk != lead_id]
        if not provinces:
            # Nothing to sign off: the task passes straight away and the workflow moves on.
            task_state.status = TaskState.STATUS_APPROVED
            task_state.finished_at = timezone.now()
            task_state.comment = str(_("无协办省市，无需会签。"))
            task_state.save()
            return task_state
        CoOrganiserSignOff.objects.bulk_create(
            [CoOrganiserSignOff(task_state=task_state, province=p) for p in provinces])
        from cms.services import signoff_notify_submitted

        transaction.on_commit(lambda: signoff_notify_submitted(task_state_id=task_state.pk))
        return task_state

    def pending_province_ids_for(self, task_state, user) -> set[int]:
        """Co-organising provinces that ``user`` moderates and that have not approved ``task_state`` yet."""
        if task_state is None or task_state.status != TaskState.STATUS_IN_PROGRESS:
            return set()
        pending = set(CoOrganiserSignOff.objects.filter(task_state=task_state, decided_at__isnull=True)
                      .values_list("province_id", flat=True))
        if is_unrestricted(user):
            return pending
        return pending & set(province_ids_for(user, "publish"))

    def _current_task_state(self, obj):
        workflow_state = obj.current_workflow_state
        task_state = workflow_state.current_task_state if workflow_state else None
        if task_state is not None and task_state.task_id == self.pk:
            return task_state
        return None

    def user_can_access_editor(self, obj, user):
        # Co-organisers review through the workflow preview and act from the dashboard; the editor stays the
        # lead province's, so nobody outside it ever changes its event.
        return False

    def locked_for_user(self, obj, user):
        # The submitted revision is what the co-organisers sign: nobody edits it while they review.
        return not is_unrestricted(user)

    def get_actions(self, obj, user):
        if self.pending_province_ids_for(self._current_task_state(obj), user):
            return [
                ("reject", _("退回修改"), True),
                ("approve", _("会签同意"), False),
                ("approve", _("会签同意并留言"), True),
            ]
        return []

    def get_form_for_action(self, action):
        if action == "reject":
            return RejectReasonForm
        return super().get_form_for_action(action)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        from cms.services import signoff_decide

        signoff_decide(task_state=task_state, user=user, approve=action_name == "approve",
                       comment=kwargs.get("comment", ""))

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if is_unrestricted(user):
            return states
        ids = province_ids_for(user, "publish")
        if not ids:
            return TaskState.objects.none()
        return states.filter(pk__in=CoOrganiserSignOff.objects.filter(
            decided_at__isnull=True, province_id__in=ids).values("task_state_id"))


class CoOrganiserSignOff(models.Model):
    """One co-organising province's sign-off of one submitted revision; open until a moderator of it decides."""

    task_state = models.ForeignKey(TaskState, on_delete=models.CASCADE, related_name="co_organiser_signoffs")
    province = models.ForeignKey("hub.Province", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("协办省市"))
    approved = models.BooleanField(_("同意"), null=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("会签人"))
    decided_at = models.DateTimeField(_("会签时间"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["province__order"]
        verbose_name = _("协办会签")
        verbose_name_plural = _("协办会签")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["task_state", "province"], name="signoff_one_per_province")]

    def __str__(self):
        return f"{self.province} · {self.task_state_id}"


def signoff_complete(page) -> bool:
    """Whether the page's latest revision passed co-organiser sign-off (always true without co-organisers)."""
    latest = page.get_latest_revision()
    content = latest.as_object() if latest else page
    # A revision's relations are modelcluster's in-memory querysets: iterate, don't query.
    co_organisers = {p.pk for p in content.co_organisers.all()}
    co_organisers.discard(page.province_id)
    if not co_organisers:
        return True
    if latest is None:
        return False
    return TaskState.objects.filter(
        revision=latest, status=TaskState.STATUS_APPROVED,
        task__content_type__model="coorganisersignofftask", task__content_type__app_label="cms",
    ).exists()


class EventPermissionTester(PagePermissionTester):
    """Publishing a joint event needs a completed sign-off of its latest revision, whoever publishes it."""

    def can_publish(self):
        if not super().can_publish():
            # The last co-organiser to approve finishes the workflow, which publishes as that person.
            return self._finishing_signoff()
        return signoff_complete(self.page)

    def _finishing_signoff(self) -> bool:
        latest = self.page.get_latest_revision()
        return latest is not None and CoOrganiserSignOff.objects.filter(
            task_state__revision=latest, task_state__status=TaskState.STATUS_APPROVED,
            decided_by=self.user, approved=True,
        ).exists()


def log_signoff(*, page, task_state, user, province, approved: bool, comment: str) -> None:
    log(instance=page, action="cms.signoff.approve" if approved else "cms.signoff.reject", user=user,
        revision=task_state.revision,
        data={"province": province.name_zh, "comment": comment, "task_state_id": task_state.pk})


def require_pending(task, task_state, user) -> set[int]:
    ids = task.pending_province_ids_for(task_state, user)
    if not ids:
        raise PermissionDenied
    return ids
