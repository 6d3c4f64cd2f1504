from django.conf import settings


def roundtable(request):
    """Site-wide template context: the provinces for navigation and footer (one query, cached per request)."""
    from hub.models import Province

    return {
        "ROUNDTABLE_PROVINCES": Province.objects.select_related("association").ordered(),
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
    }
