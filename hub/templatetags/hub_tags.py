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
def visible_children(context, page, content_type: str):
    """Live children of ``page`` of one page type ("app_label.Model") that the visitor may see (view restrictions
    respected)."""
    from django.apps import apps

    from hub.selectors import visible_pages
    from hub.translations import with_translations

    request = context.get("request")
    model = apps.get_model(content_type)
    user = getattr(request, "user", None)
    children = visible_pages(user).child_of(page).type(model).specific().order_by("-first_published_at")
    return with_translations(children)


@register.inclusion_tag("hub/_meta.html", takes_context=True)
def page_meta(context, title: str = ""):
    """Description and Open Graph tags: the page's own description and image (an event's or achievement's cover),
    the association's otherwise. Absolute URLs come from HUB_BASE_URL."""
    from django.templatetags.static import static
    from django.utils.functional import LazyObject
    from django.utils.html import strip_tags
    from django.utils.text import Truncator
    from django.utils.translation import gettext

    from hub.links import absolute_url

    page = context.get("page")
    if isinstance(page, LazyObject):  # a listing's paginator page, computed only if the content is not kept
        page = None
    page = getattr(page, "specific", page) if getattr(page, "pk", None) else None
    request = context.get("request")
    description = ""
    image_url = ""
    if page is not None:
        title = page.seo_title or page.title
        for source in (page.search_description, getattr(page, "summary", ""), getattr(page, "intro", "")):
            text = " ".join(strip_tags(str(source or "")).split())
            if text:
                description = Truncator(text).chars(160)
                break
        image = getattr(page, "cover_image", None)
        if image is not None:
            image_url = absolute_url(image.get_rendition("fill-1200x630").url)
    return {
        "title": " ".join(str(title).split()) or gettext("长三角质协圆桌会议"),
        "description": description or context.get("meta_description") or gettext(
            "长三角地区上海、江苏、浙江、安徽、江西五省市质量协会共建的合作平台：质量创新成果分享、质量专业人才共享、"
            "质量团体标准互认、质量评价认证协同。"),
        "image": image_url or absolute_url(static("img/og-default.png")),
        "url": absolute_url(request.path) if request is not None else "",
        "site_name": gettext("长三角质协圆桌会议"),
    }


class CaptureNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist, self.name = nodelist, name

    def render(self, context):
        from django.utils.safestring import mark_safe

        context[self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))
        return ""


@register.tag
def capture(parser, token):
    """{% capture as name %}…{% endcapture %}: render the enclosed template once and keep it in ``name``
    (base.html uses the title block both for <title> and for og:title)."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("usage: {% capture as name %}…{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


@register.filter
def json_attr(value):
    """``value`` as JSON for an HTML attribute (autoescaping quotes it)."""
    import json

    from django.utils.functional import LazyObject, empty

    if isinstance(value, LazyObject):  # a lazy view value (hub/fragments.py): the JSON of what it stands for
        if value._wrapped is empty:
            value._setup()
        value = value._wrapped
    return json.dumps(value, ensure_ascii=False)


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, site_wide):
        self.nodelist, self.name, self.site_wide = nodelist, name, site_wide

    def render(self, context):
        from django.utils.safestring import mark_safe

        from hub import fragments

        request = context.get("request")
        if not (self.site_wide or context.get("cache_content")):
            return self.nodelist.render(context)
        return mark_safe(fragments.get_or_render(request, self.name, lambda: self.nodelist.render(context),
                                                 per_path=not self.site_wide))


@register.tag
def fragment(parser, token):
    """{% fragment "name" %}…{% endfragment %}: kept between requests when the view set ``cache_content`` (keyed by
    path, language, content version and viewer, hub/fragments.py); {% fragment "name" site_wide %}: always kept,
    the same for every path (only a purge of everything renews it)."""
    bits = token.split_contents()
    if len(bits) not in (2, 3) or (len(bits) == 3 and bits[2] != "site_wide"):
        raise template.TemplateSyntaxError('usage: {% fragment "name" [site_wide] %}…{% endfragment %}')
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, bits[1].strip("\"'"), len(bits) == 3)


@register.simple_tag(takes_context=True)
def may_open_admin(context) -> bool:
    """Whether the header links to the admin: staff, or anyone holding Wagtail's access_admin permission. Loading a
    member's permissions took two queries on every page, so the answer is kept per session for
    ``fragments.SESSION_SECONDS``; it only shows a link (the admin checks permissions itself on every request)."""
    from hub import fragments, pagecache

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    if not fragments.enabled(request):
        return user.has_perm("wagtailadmin.access_admin")
    who, timeout = fragments.viewer(request)
    key = f"{fragments._PREFIX}admin-link:{who}"
    allowed = pagecache.cache().get(key)
    if allowed is None:
        allowed = user.has_perm("wagtailadmin.access_admin")
        pagecache.cache().set(key, allowed, timeout)
    return allowed
