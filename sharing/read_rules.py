"""Read rules of group standards, their texts and recognition decisions (see hub/read_rules.py)."""
from __future__ import annotations

from django.db.models import Q

from hub.permissions import is_active, is_unrestricted, province_ids_for

# --- Group standards, their texts and recognition decisions -----------------------------------------------------

def is_roundtable_staff(user) -> bool:
    """Staff and members of any association (and the secretariat): who may download non-public standard texts."""
    return is_unrestricted(user) or bool(is_active(user) and province_ids_for(user, "participate"))


def readable_standards(user):
    """Standards in the public registry (live, past drafting), plus every stage of the user's own provinces'."""
    from sharing.models import GroupStandard

    if is_unrestricted(user):
        return GroupStandard.objects.all()
    public = Q(live=True) & ~Q(status="drafting")
    return GroupStandard.objects.filter(public | Q(province_id__in=province_ids_for(user, "view")))


def readable_standard_texts(user):
    """Standards whose full text the user may download: public texts of readable standards; non-public ones only
    for roundtable staff and the issuing province."""
    standards = readable_standards(user)
    if is_roundtable_staff(user):
        return standards
    return standards.filter(Q(text_public=True) | Q(province_id__in=province_ids_for(user, "view")))


def can_read_standard_text(user, standard) -> bool:
    return readable_standard_texts(user).filter(pk=standard.pk).exists()


def readable_decisions(user):
    """Final recognition decisions, plus the drafts of the provinces the user reviews for."""
    from sharing.models import RecognitionDecision

    if is_unrestricted(user):
        return RecognitionDecision.objects.all()
    return RecognitionDecision.objects.filter(Q(is_final=True) | Q(province_id__in=province_ids_for(user, "review")))
