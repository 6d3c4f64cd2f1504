from django import template
from wagtail import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    """Navigation items contributed by each feature through the hub_main_menu hook: dicts of label, url, order."""
    request = context.get("request")
    items = []
    for fn in hooks.get_hooks("hub_main_menu"):
        item = fn(request)
        if item:
            items.append(item)
    path = request.path if request else ""
    for item in items:
        item["active"] = path.startswith(item["url"]) and item["url"] != "/"
    return sorted(items, key=lambda item: item.get("order", 100))


@register.simple_tag(takes_context=True)
def visible_children(context, page, content_type: str = "cms.ContentPage"):
    """Live children of ``page`` of one page type that the visitor may see (view restrictions respected)."""
    from django.apps import apps

    from hub.selectors import visible_pages

    request = context.get("request")
    model = apps.get_model(content_type)
    user = getattr(request, "user", None)
    return visible_pages(user).child_of(page).type(model).specific().order_by("-first_published_at")
