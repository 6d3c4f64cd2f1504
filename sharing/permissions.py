"""Wagtail admin permissions for group standards, read from the province gate instead of model permissions.

Province groups hold no model-level permission on GroupStandard (that would open every province at once); the
snippet views ask this policy, which asks ``hub.permissions``: a user acts on a standard when they hold the mapped
action on its issuing province.
"""
from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy

from hub.permissions import can, province_ids_for

#: Wagtail's snippet actions → the province actions of hub.roles.
ACTION_MAP = {"add": "add", "change": "change", "delete": "delete", "view": "view", "publish": "publish",
              "lock": "change", "unlock": "publish", "choose": "view", "copy": "add"}


def _hub_action(action: str) -> str:
    return ACTION_MAP.get(action, "publish")


class ProvincePermissionPolicy(BasePermissionPolicy):
    def user_has_permission(self, user, action):
        return bool(province_ids_for(user, _hub_action(action)))

    def user_has_permission_for_instance(self, user, action, instance):
        return can(user, _hub_action(action), instance.province_id)

    def instances_user_has_any_permission_for(self, user, actions):
        ids = set()
        for action in actions:
            ids |= province_ids_for(user, _hub_action(action))
        return self.model._default_manager.filter(province_id__in=ids)

    def users_with_any_permission(self, actions):
        codenames = {f"{_hub_action(a)}_province_data" for a in actions}
        User = get_user_model()
        return User.objects.filter(is_active=True).filter(
            Q(is_superuser=True)
            | Q(groups__groupobjectpermission__permission__codename__in=codenames,
                groups__groupobjectpermission__permission__content_type__app_label="hub")
        ).distinct()

    def users_with_any_permission_for_instance(self, actions, instance):
        codenames = {f"{_hub_action(a)}_province_data" for a in actions}
        User = get_user_model()
        return User.objects.filter(is_active=True).filter(
            Q(is_superuser=True)
            | Q(groups__groupobjectpermission__permission__codename__in=codenames,
                groups__groupobjectpermission__object_pk=str(instance.province_id),
                groups__groupobjectpermission__permission__content_type__app_label="hub")
        ).distinct()
