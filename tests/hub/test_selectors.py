"""What a visitor may see: live pages outside view restrictions they fail; documents outside private collections."""
import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from hub import selectors
from tests.cms.factories import content_page, restrict

R = PageViewRestriction


@pytest.fixture
def tree(province):
    """A public page, a draft, and one page each under a login, a members-group and a password restriction
    (each with a child, which inherits the restriction)."""
    section = province("SH").section_page
    members = Group.objects.get(name="SH members")
    pages = {"public": content_page(section, "公开"), "draft": content_page(section, "草稿", publish=False)}
    for kind, kwargs in {"login": {}, "members": {"groups": [members]}, "password": {"password": "secret"}}.items():
        pages[kind] = content_page(section, kind)
        pages[kind + " child"] = content_page(pages[kind], kind + " child")
        restrict(pages[kind], {"login": R.LOGIN, "members": R.GROUPS, "password": R.PASSWORD}[kind], **kwargs)
    return pages


def visible(user, tree):
    shown = set(selectors.visible_pages(user).filter(pk__in=[p.pk for p in tree.values()]).values_list("pk", flat=True))
    return {name for name, page in tree.items() if page.pk in shown}


@pytest.mark.django_db
def test_anonymous_visitors_see_only_public_live_pages(tree):
    assert visible(AnonymousUser(), tree) == {"public"}


@pytest.mark.django_db
def test_logged_in_visitors_pass_login_restrictions_only(tree, user_factory):
    assert visible(user_factory(), tree) == {"public", "login", "login child"}


@pytest.mark.django_db
def test_members_of_the_group_see_members_only_pages(tree, staff_of):
    assert visible(staff_of("SH", "member"), tree) == {"public", "login", "login child", "members", "members child"}


@pytest.mark.django_db
def test_members_of_another_province_do_not_see_them(tree, staff_of):
    assert visible(staff_of("JS", "member"), tree) == {"public", "login", "login child"}


@pytest.mark.django_db
def test_inactive_users_are_treated_as_anonymous(tree, staff_of):
    member = staff_of("SH", "member")
    member.is_active = False
    assert visible(member, tree) == {"public"}


@pytest.mark.django_db
def test_superusers_see_every_live_page_but_no_drafts(tree, superuser):
    assert visible(superuser, tree) == set(tree) - {"draft"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_listing_visible_pages_costs_one_query_however_many_restrictions(province, staff_of, who):
    section = province("SH").section_page
    user = AnonymousUser() if who == "anonymous" else staff_of("SH", "member")
    groups = list(Group.objects.all()[:3])

    def count():
        with CaptureQueriesContext(connection) as queries:
            list(selectors.visible_pages(user))
        return len(queries)

    restrict(content_page(section, "一"), R.GROUPS, groups=groups)
    small = count()
    for n in range(6):
        restrict(content_page(section, f"更多{n}"), [R.LOGIN, R.GROUPS, R.PASSWORD][n % 3], groups=groups)
    assert count() == small == 1


@pytest.fixture
def private_document(province):
    collection = Collection.get_first_root_node().add_child(name="会员资料")
    restriction = CollectionViewRestriction.objects.create(collection=collection, restriction_type=R.GROUPS)
    restriction.groups.set([Group.objects.get(name="SH members")])
    child = collection.add_child(name="会员资料·2026")
    document = get_document_model().objects.create(title="会员内部互认清单", collection=child)
    document.file.save("list.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    public = get_document_model().objects.create(title="公开互认清单", collection=Collection.get_first_root_node())
    public.file.save("public.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return document, public


@pytest.mark.django_db
def test_private_documents_are_hidden_from_those_who_fail_the_collection_restriction(private_document, staff_of):
    private, public = private_document
    for user, expected in [(AnonymousUser(), {public.pk}), (staff_of("JS", "member"), {public.pk}),
                           (staff_of("SH", "member"), {public.pk, private.pk})]:
        assert set(selectors.visible_documents(user).filter(
            pk__in=[private.pk, public.pk]).values_list("pk", flat=True)) == expected
