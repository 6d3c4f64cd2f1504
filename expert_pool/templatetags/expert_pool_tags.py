from django import template

from hub.permissions import is_unrestricted

register = template.Library()


@register.simple_tag(takes_context=True)
def expert_nav(context) -> dict:
    """What the expert-pool menu offers this user: their own profile only if they have one (a coordinator without
    one is not sent to the registration form), the pool calendar to coordinators."""
    from expert_pool.models import Expert
    from hub.permissions import province_ids_for

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"is_expert": Expert.objects.filter(user=user).exists(),
            "is_staff": bool(province_ids_for(user, "view")) or is_unrestricted(user),
            "coordinates": bool(province_ids_for(user, "coordinate")) or is_unrestricted(user)}
