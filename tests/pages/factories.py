"""Pages for tests: general pages anywhere in the tree, published or not, with or without view restrictions."""
from wagtail.models import PageViewRestriction

from pages.models import ContentPage

_serial = iter(range(1, 10**9))


def content_page(parent, title="测试页面", *, intro="", publish=True, **fields):
    page = ContentPage(title=title, slug=f"p{next(_serial)}", intro=intro, **fields)
    parent.add_child(instance=page)
    if publish:
        page.save_revision().publish()
    else:
        page.live = False
        page.save()
    return page


def restrict(page, restriction_type, *, groups=(), password=""):
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=restriction_type, password=password)
    restriction.groups.set(groups)
    return restriction
