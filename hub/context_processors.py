from django.utils.translation import gettext_lazy as _


def roundtable(request):
    """Site-wide template context: the provinces for navigation and footer, with their association and section page
    joined in (one query per page, evaluated only when a template uses it)."""
    from hub.models import Province

    return {
        "ROUNDTABLE_PROVINCES": Province.objects.select_related("association", "section_page").ordered(),
        "SITE_NAME": _("长三角质量协会圆桌会议"),  # WAGTAIL_SITE_NAME, in the active language
    }
