"""Fixtures shared by every test: the provisioned roundtable, users per role and province, clients."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from hub.roles import ROLES_BY_SLUG, SECRETARIAT_GROUP, group_name


def ensure_wagtail_roots():
    """The locale, root page and root collection that Wagtail's migrations create; a flush removes them too."""
    from django.conf import settings
    from django.utils.translation import get_supported_language_variant
    from wagtail.models import Collection, Locale, Page

    Locale.objects.get_or_create(language_code=get_supported_language_variant(settings.LANGUAGE_CODE))
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root"))
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")


def ensure_roundtable():
    """Provinces, groups, pages and permissions as in production. Transactional tests flush the database,
    so this re-creates whatever a flush removed (the founding data migration and Wagtail's roots included)."""
    from hub.models import Province

    ensure_wagtail_roots()
    if not Province.objects.exists():
        import importlib

        from django.apps import apps as django_apps

        founders = importlib.import_module("hub.migrations.0002_founding_provinces")
        founders.create(django_apps, None)
    if not Group.objects.filter(name=SECRETARIAT_GROUP).exists():
        from hub.services.provisioning import setup_roundtable

        setup_roundtable()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_roundtable()


@pytest.fixture(autouse=True)
def _roundtable_for_db_tests(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False) or (marker.args and marker.args[0])
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_roundtable()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test land in its own temporary directory, never in the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def province():
    """Province lookup by code: province("SH")."""
    from hub.models import Province

    return lambda code: Province.objects.select_related("association").get(code=code)


_counter = iter(range(1, 10**9))


def make_user(*, province_code: str | None = None, role: str | None = None, groups=(), **extra):
    """A user, optionally in ``<province_code>``'s ``role`` group (role slugs: hub.roles.ROLES)."""
    n = next(_counter)
    username = extra.pop("username", f"{(province_code or 'x').lower()}-{role or 'user'}-{n}")
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only",
                                                email=f"{username}@example.test", **extra)
    if role == "secretariat":
        user.groups.add(Group.objects.get(name=SECRETARIAT_GROUP))
    elif role:
        user.groups.add(Group.objects.get(name=group_name(province_code, ROLES_BY_SLUG[role])))
    if groups:
        user.groups.add(*groups)
    return user


@pytest.fixture
def user_factory():
    return make_user


@pytest.fixture
def staff_of():
    """staff_of("SH", "editor") → a new user in the SH editors group."""
    return lambda code, role="editor": make_user(province_code=code, role=role)


@pytest.fixture
def superuser():
    return make_user(role=None, is_superuser=True, is_staff=True)


@pytest.fixture
def client_for(client):
    """client_for(user) → a Django test client logged in as user (anonymous for None)."""
    from django.test import Client

    def build(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return build
