"""Wagtail admin permissions for group standards, read from the province gate instead of model permissions.

Province groups hold no model-level permission on GroupStandard (that would open every province at once); the
snippet views ask this policy, which asks ``hub.permissions``: a user acts on a standard when they hold the mapped
action on its issuing province.
"""
from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy

from hub.permissions import can, province_ids_for, users_with

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
        return self._users_with(actions, None)

    def users_with_any_permission_for_instance(self, actions, instance):
        return self._users_with(actions, instance.province_id)

    def _users_with(self, actions, province_id):
        """Asked of the gate (``users_with``), superusers included as Wagtail expects."""
        condition = Q(pk__in=[])
        for action in {_hub_action(a) for a in actions}:
            condition |= Q(pk__in=users_with(action, province_id, include_superusers=True).values("pk"))
        return get_user_model().objects.filter(condition)
