"""The foundation's entries in the shared permission matrix: province section pages and the pages below them in the
Wagtail admin, collections, documents and images, and the public site. Editors of one province never reach another
province's material through any of these."""
import itertools

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import ContentPage
from hub.roles import ROLES, group_name
from hub.services.provisioning import province_collection
from tests.cms.factories import content_page, restrict
from tests.hub.uploads import PDF, image
from tests.matrix import Case, case_id, check_case

Document = get_document_model()
SLUGS = itertools.count(1)
Image = get_image_model()


def participants(province):
    """The province's groups whose role takes part in the roundtable: members-only material is shown to them."""
    return [Group.objects.get(name=group_name(province.code, role)) for role in ROLES if "participate" in role.actions]


def section(province):
    return province.section_page


def child(province):
    """A published page in the province's section, with a later draft so that revisions can be compared."""
    page = content_page(province.section_page, "质量月活动通知", intro="<p>九月质量月</p>")
    page.intro = "<p>九月质量月（修订）</p>"
    page.save_revision()
    return page


def members_only(province):
    page = content_page(province.section_page, "会员内参")
    restrict(page, PageViewRestriction.GROUPS, groups=participants(province))
    return page


def sibling(page):
    return content_page(page.get_parent(), "同级页面")


def document(province):
    doc = Document.objects.create(title="互认清单", collection=province_collection(province))
    doc.file.save("list.pdf", SimpleUploadedFile("list.pdf", PDF), save=True)
    return doc


def private_document(province):
    collection = province_collection(province)
    private = collection.get_children().filter(name="会员资料").first() or collection.add_child(name="会员资料")
    if not private.view_restrictions.exists():
        restriction = CollectionViewRestriction.objects.create(
            collection=private, restriction_type=CollectionViewRestriction.GROUPS)
        restriction.groups.set(participants(province))
    doc = Document.objects.create(title="会员内部资料", collection=private)
    doc.file.save("members.pdf", SimpleUploadedFile("members.pdf", PDF), save=True)
    return doc


def picture(province):
    img = Image.objects.create(title="活动照片", collection=province_collection(province), width=8, height=8,
                               file=SimpleUploadedFile("photo.png", image("PNG")))
    return img


def collection(province):
    return province_collection(province)


def page_form(page, title):
    return nested_form_data({"title": title, "slug": page.slug, "intro": rich_text("<p>改</p>"),
                             "body": streamfield([]), "comments": {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}})


def fresh(obj):
    return type(obj).objects.filter(pk=obj.pk).first()


def revision_count(page):
    return page.revisions.count()


def still_there(obj):
    return type(obj).objects.filter(pk=obj.pk).exists()


CASES = [
    # The section page itself.
    Case("section edit view", section, lambda p: f"/admin/pages/{p.pk}/edit/", action="change"),
    Case("section edit save", section, lambda p: f"/admin/pages/{p.pk}/edit/", action="change", method="post",
         data=lambda p: page_form(p, p.title + "（改）"), written=revision_count),
    Case("section history", section, lambda p: f"/admin/pages/{p.pk}/history/", action="change"),
    Case("section preview", section, lambda p: f"/admin/pages/{p.pk}/edit/preview/", action="change"),
    Case("section lock", section, lambda p: f"/admin/pages/{p.pk}/lock/", action="publish", method="post",
         written=lambda p: Page.objects.get(pk=p.pk).locked),
    Case("section add subpage", section, lambda p: f"/admin/pages/{p.pk}/add_subpage/", action="add"),
    Case("section add page form", section, lambda p: f"/admin/pages/add/cms/contentpage/{p.pk}/", action="add"),
    Case("section add page save", section, lambda p: f"/admin/pages/add/cms/contentpage/{p.pk}/", action="add",
         method="post", data=lambda p: {**page_form(p, "新页面"), "slug": f"new-{next(SLUGS)}"},
         written=lambda p: Page.objects.get(pk=p.pk).get_children().count()),
    Case("section delete", section, lambda p: f"/admin/pages/{p.pk}/delete/", action=None, method="post",
         written=still_there),
    Case("section move", section, lambda p: f"/admin/pages/{p.pk}/move/{p.get_parent().pk}/confirm/", action=None,
         method="post", written=lambda p: Page.objects.get(pk=p.pk).path),
    Case("section unpublish", section, lambda p: f"/admin/pages/{p.pk}/unpublish/", action=None, method="post",
         written=lambda p: Page.objects.get(pk=p.pk).live),
    Case("section page public", section, lambda p: p.url, public=True),
    # A page in the section: the province's published material.
    Case("page edit view", child, lambda p: f"/admin/pages/{p.pk}/edit/", action="change"),
    Case("page edit save", child, lambda p: f"/admin/pages/{p.pk}/edit/", action="change", method="post",
         data=lambda p: page_form(p, "改过的标题"), written=revision_count),
    Case("page preview", child, lambda p: f"/admin/pages/{p.pk}/edit/preview/", action="change"),
    Case("page view draft", child, lambda p: f"/admin/pages/{p.pk}/view_draft/", action="change"),
    Case("page revisions compare", child, lambda p: f"/admin/pages/{p.pk}/revisions/compare/earliest...latest/",
         action="change"),
    # Wagtail's revisions index is a redirect to the page's history.
    Case("page revisions index", child, lambda p: f"/admin/pages/{p.pk}/revisions/", action="change",
         redirects_to="/admin/pages/"),
    Case("page history", child, lambda p: f"/admin/pages/{p.pk}/history/", action="change"),
    Case("page copy form", child, lambda p: f"/admin/pages/{p.pk}/copy/", action="add"),
    Case("page copy", child, lambda p: f"/admin/pages/{p.pk}/copy/", action="add", method="post",
         data=lambda p: {"new_title": "副本", "new_slug": f"copy-{p.pk}", "new_parent_page": p.get_parent().pk},
         written=lambda p: ContentPage.objects.filter(slug=f"copy-{p.pk}").count()),
    Case("page move chooser", child, lambda p: f"/admin/pages/{p.pk}/move/", action="publish"),
    # Moving or deleting a live page changes what the public sees, so Wagtail asks for the publish permission.
    Case("page move", child, lambda p: f"/admin/pages/{p.pk}/move/{sibling(p).pk}/confirm/", action="publish",
         method="post", written=lambda p: Page.objects.get(pk=p.pk).path),
    Case("page delete", child, lambda p: f"/admin/pages/{p.pk}/delete/", action="publish", method="post",
         written=still_there),
    Case("page unpublish", child, lambda p: f"/admin/pages/{p.pk}/unpublish/", action="publish", method="post",
         written=lambda p: Page.objects.get(pk=p.pk).live),
    Case("page lock", child, lambda p: f"/admin/pages/{p.pk}/lock/", action="publish", method="post",
         written=lambda p: Page.objects.get(pk=p.pk).locked),
    # Who may read a page is a publishing decision: Wagtail asks for the publish permission.
    Case("page privacy", child, lambda p: f"/admin/pages/{p.pk}/privacy/", action="publish"),
    Case("page public", child, lambda p: p.url, public=True),
    Case("members-only page", members_only, lambda p: p.url, action="participate"),
    # Collections, documents and images.
    Case("collection edit", collection, lambda c: f"/admin/collections/{c.pk}/", action=None),
    Case("collection delete", collection, lambda c: f"/admin/collections/{c.pk}/delete/", action=None,
         method="post", written=still_there),
    Case("collection privacy", collection, lambda c: f"/admin/collections/{c.pk}/privacy/", action=None),
    Case("document edit view", document, lambda d: f"/admin/documents/edit/{d.pk}/", action="change"),
    Case("document edit save", document, lambda d: f"/admin/documents/edit/{d.pk}/", action="change",
         method="post", data=lambda d: {"title": "改过的清单", "collection": d.collection_id, "tags": ""},
         written=lambda d: fresh(d).title),
    # Wagtail's collection policy treats deleting a document or an image as changing it.
    Case("document delete", document, lambda d: f"/admin/documents/delete/{d.pk}/", action="change",
         method="post", written=still_there),
    Case("document usage", document, lambda d: f"/admin/documents/usage/{d.pk}/", action="change"),
    Case("document chosen", document, lambda d: f"/admin/documents/chooser/chosen/{d.pk}/", action="view",
         also_allowed=()),
    Case("document download", document, lambda d: d.url, public=True),
    Case("private document download", private_document, lambda d: d.url, action="participate"),
    Case("image edit view", picture, lambda i: f"/admin/images/{i.pk}/", action="change"),
    Case("image edit save", picture, lambda i: f"/admin/images/{i.pk}/", action="change", method="post",
         data=lambda i: {"title": "改过的照片", "collection": i.collection_id, "tags": "", "alt_text": "照片"},
         written=lambda i: fresh(i).title),
    Case("image delete", picture, lambda i: f"/admin/images/{i.pk}/delete/", action="change", method="post",
         written=still_there),
    # Choosing an image is the collection permission choose_image: editors, moderators and coordinators
    # (hub/services/provisioning.py), not reviewers, whose work needs documents only.
    Case("image chosen", picture, lambda i: f"/admin/images/chooser/chosen/{i.pk}/", action=None,
         also_allowed=("own editor", "own moderator", "own coordinator")),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_province_boundary_holds_in_the_admin_and_on_the_site(case, province):
    check_case(case, province)
