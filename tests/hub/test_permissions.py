"""The permission gate: who is turned into which provinces, and how the answer is memoised."""
import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied

from hub import permissions
from hub.models import Association, Province
from hub.services.provisioning import model_level_grants_to_province_groups
from tests.conftest import make_user


def codes(ids):
    return set(Province.objects.filter(pk__in=ids).values_list("code", flat=True))


@pytest.mark.django_db
def test_staff_act_on_their_own_province_only(staff_of):
    editor = staff_of("SH", "editor")
    assert codes(permissions.province_ids_for(editor, "change")) == {"SH"}
    assert permissions.province_ids_for(editor, "publish") == frozenset()


@pytest.mark.django_db
def test_the_secretariat_participates_everywhere_and_edits_nowhere(user_factory):
    secretariat = user_factory(role="secretariat")
    assert codes(permissions.province_ids_for(secretariat, "participate")) == set(
        Province.objects.values_list("code", flat=True))
    assert permissions.province_ids_for(secretariat, "change") == frozenset()


@pytest.mark.django_db
def test_anonymous_visitors_and_no_user_get_nothing(province):
    for user in (AnonymousUser(), None):
        assert permissions.province_ids_for(user, "view") == frozenset()
        assert not permissions.can(user, "view", province("SH"))


@pytest.mark.django_db
def test_inactive_users_get_nothing_even_as_superusers(staff_of, superuser, province):
    editor = staff_of("SH", "editor")
    superuser.is_active = editor.is_active = False
    assert permissions.province_ids_for(editor, "change") == frozenset()
    assert permissions.province_ids_for(superuser, "change") == frozenset()
    scoped = permissions.scoped_queryset("province")(model=Association)
    assert not scoped.restrict(superuser, "change").exists()


@pytest.mark.django_db
def test_superusers_act_on_every_province(superuser):
    assert codes(permissions.province_ids_for(superuser, "review")) == set(Province.objects.values_list("code", flat=True))
    scoped = permissions.scoped_queryset("province")(model=Association)
    assert scoped.restrict(superuser, "delete").count() == Association.objects.count()


@pytest.mark.django_db
def test_restrict_filters_through_the_province_lookup(staff_of):
    scoped = permissions.scoped_queryset("province")(model=Association)
    assert [a.province.code for a in scoped.restrict(staff_of("JS", "moderator"), "publish")] == ["JS"]
    assert not scoped.restrict(staff_of("JS", "member"), "change").exists()


@pytest.mark.django_db
def test_the_answer_is_memoised_per_user_object_until_forgotten(staff_of, province, django_assert_num_queries):
    editor, sh = staff_of("SH", "editor"), province("SH")
    permissions.province_ids_for(editor, "change")
    with django_assert_num_queries(0):
        assert permissions.can(editor, "change", sh)
        permissions.require(editor, "change", sh.pk)
    editor.groups.clear()
    assert permissions.can(editor, "change", sh)  # still the memoised answer
    permissions.forget(editor)
    assert not permissions.can(editor, "change", sh)


@pytest.mark.django_db
def test_require_refuses_with_permission_denied(staff_of, province):
    with pytest.raises(PermissionDenied):
        permissions.require(staff_of("SH", "editor"), "change", province("JS"))
    with pytest.raises(PermissionDenied):
        permissions.require(staff_of("SH", "editor"), "change", None)


def test_unknown_actions_are_programming_errors():
    with pytest.raises(ValueError, match="unknown province action"):
        permissions.province_ids_for(AnonymousUser(), "approve")


@pytest.mark.django_db
def test_a_model_level_permission_on_a_user_opens_no_province(user_factory):
    user = user_factory()
    user.user_permissions.add(Permission.objects.get(codename="change_province_data"))
    assert permissions.province_ids_for(user, "change") == frozenset()


@pytest.mark.django_db
def test_no_province_group_holds_a_model_level_permission_on_province_data():
    assert model_level_grants_to_province_groups() == []


@pytest.mark.django_db
def test_the_model_level_check_catches_a_grant(province):
    from django.contrib.auth.models import Group

    Group.objects.get(name="SH editors").permissions.add(Permission.objects.get(codename="change_province_data"))
    assert model_level_grants_to_province_groups() == [("SH editors", "hub.change_province_data")]


@pytest.mark.django_db
def test_users_with_is_the_reverse_of_can():
    from django.contrib.auth import get_user_model

    from hub.permissions import can, users_with

    sh = Province.objects.get(code="SH")
    js = Province.objects.get(code="JS")
    editor = make_user(province_code="SH", role="editor")
    reviewer = make_user(province_code="JS", role="reviewer")
    for user in get_user_model().objects.filter(pk__in=[editor.pk, reviewer.pk]):
        for province in (sh, js):
            for action in ("change", "review", "view"):
                assert (user in users_with(action, province)) == can(user, action, province), (user, action, province)
    editor.is_active = False
    editor.save()
    assert editor not in users_with("change", sh)
