"""Moderation of group standards: the issuing province's moderators approve, nobody else."""
import pytest

from sharing.demo import ensure_workflow
from sharing.models import GroupStandard
from tests.matrix import is_refused
from tests.sharing.factories import make_standard

ADMIN = "/admin/snippets/sharing/groupstandard"


@pytest.mark.django_db
def test_submitted_standard_is_approved_only_by_its_own_provinces_moderators(client_for, staff_of):
    workflow = ensure_workflow()
    standard = make_standard("SH", live=False)
    editor = staff_of("SH", "editor")
    standard.save_revision(user=editor)
    state = workflow.start(standard, editor)
    task = state.current_task_state.task.specific
    sh_mod, zj_mod = staff_of("SH", "moderator"), staff_of("ZJ", "moderator")
    assert [a[0] for a in task.get_actions(standard, sh_mod)] == ["reject", "approve", "approve"]
    assert task.get_actions(standard, zj_mod) == [] and task.get_actions(standard, editor) == []
    assert list(task.get_task_states_user_can_moderate(sh_mod)) == [state.current_task_state]
    assert list(task.get_task_states_user_can_moderate(zj_mod)) == []
    url = f"{ADMIN}/workflow/action/{standard.pk}/approve/{state.current_task_state.pk}/"
    assert is_refused(client_for(zj_mod).post(url, {}), url)
    standard.refresh_from_db()
    assert not standard.live
    client_for(sh_mod).post(url, {})
    standard.refresh_from_db()
    assert standard.live and GroupStandard.objects.filter(pk=standard.pk, live=True).exists()
