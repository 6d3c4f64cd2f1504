"""Read rules of experts' availability (see hub/read_rules.py)."""
from __future__ import annotations

from django.db.models import Q

from hub.permissions import is_active, is_unrestricted, province_ids_for

# --- Experts -------------------------------------------------------------------------------------------------------

def can_read_availability(user, expert) -> bool:
    """Availability is read by those who see more than an expert's public profile (staff, the expert)."""
    from expert_pool import visibility

    return visibility.viewer_level(user, expert) != visibility.PUBLIC


def availability_readable_q(user, prefix: str = "") -> Q:
    """Experts whose availability the user may read (the same rule as ``can_read_availability``, in one query)."""
    if is_unrestricted(user):
        return Q()
    if not is_active(user):
        return Q(pk__in=[])
    q = Q(**{f"{prefix}user": user})
    if province_ids_for(user, "view"):
        q |= ~Q(**{f"{prefix}pk": None})
    return q


def may_read_some_availability(user) -> bool:
    """Whether the directory offers the availability filter: staff, and experts (who read their own)."""
    if is_unrestricted(user):
        return True
    if not is_active(user):
        return False
    if province_ids_for(user, "view"):
        return True
    from expert_pool.models import Expert

    return Expert.objects.filter(user=user).exists()
