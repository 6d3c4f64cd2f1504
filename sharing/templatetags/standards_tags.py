from django import template
from django.utils.safestring import mark_safe

from sharing.autolink import link_standard_numbers

register = template.Library()


@register.filter(is_safe=True)
def standard_links(html):
    """Link group-standard numbers in already-rendered rich text: ``{{ value|richtext|standard_links }}``."""
    return mark_safe(link_standard_numbers(str(html)))  # noqa: S308 - input is rendered rich text
