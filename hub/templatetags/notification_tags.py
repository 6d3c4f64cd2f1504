"""The inbox link in the site header: ``{% load notification_tags %}{% unread_notices request.user as n %}``."""
from django import template

from hub.notifications.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_notices(user) -> int:
    return unread_count(user)
