"""Rules of adoption records (推广应用): staff of another province record, change or remove their own records."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from wagtail.log_actions import log

from hub.permissions import is_unrestricted, require
from sharing.models import Adoption

FIELDS = ("organisation", "adopted_on", "outcome", "feedback")


def _achievement_for(actor, achievement_id: int):
    from cms.achievements import AchievementPage
    from cms.selectors import visible

    return get_object_or_404(visible(AchievementPage.objects.all(), actor), pk=achievement_id)


@transaction.atomic
def adoption_create(*, actor, achievement_id: int, province_id: int, organisation: str, adopted_on: date,
                    outcome: str, feedback: str = "") -> Adoption:
    """Record that an organisation of ``province_id`` (the actor's province) adopted another province's achievement."""
    achievement = _achievement_for(actor, achievement_id)
    require(actor, "add", province_id)
    adoption = Adoption(achievement=achievement, province_id=province_id, organisation=organisation.strip(),
                        adopted_on=adopted_on, outcome=outcome.strip(), feedback=feedback.strip(), recorded_by=actor)
    adoption.full_clean()
    adoption.save()
    log(instance=achievement, action="sharing.adoption.create", user=actor,
        data={"adoption": adoption.pk, "province": adoption.province.name_zh, "organisation": adoption.organisation})
    return adoption


@transaction.atomic
def adoption_update(*, actor, adoption_id: int, **changes) -> Adoption:
    adoption = get_object_or_404(Adoption.objects.restrict(actor, "view").select_for_update(), pk=adoption_id)
    require(actor, "change", adoption.province)
    for name in FIELDS:
        if name in changes:
            value = changes[name]
            setattr(adoption, name, value.strip() if isinstance(value, str) else value)
    adoption.full_clean()
    adoption.save()
    log(instance=adoption.achievement, action="sharing.adoption.change", user=actor, data={"adoption": adoption.pk})
    return adoption


@transaction.atomic
def adoption_delete(*, actor, adoption_id: int) -> None:
    adoption = get_object_or_404(Adoption.objects.restrict(actor, "view").select_for_update(), pk=adoption_id)
    if not (is_unrestricted(actor) or "delete" in _actions(actor, adoption.province_id)):
        raise PermissionDenied
    achievement = adoption.achievement
    adoption.delete()
    log(instance=achievement, action="sharing.adoption.delete", user=actor, data={"adoption": adoption_id})


def _actions(actor, province_id: int) -> set[str]:
    from hub.permissions import can
    from hub.roles import ACTIONS

    return {action for action in ACTIONS if can(actor, action, province_id)}
