"""Fixtures shared by every test: the provisioned roundtable, users per role and province, clients."""
import os

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

        restore_wagtail_roots()
        setup_roundtable()


def restore_wagtail_roots():
    """A flush also empties what Wagtail's own migrations created: the default locale and the root page and
    collection, without which no page or collection can be added."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page

    if not Locale.objects.exists():
        Locale.objects.create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root"))
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")


SNAPSHOT_SCHEMA = "roundtable_snapshot"
_snapshot_tables: list[str] = []
_all_tables: list[str] = []


#: The database as ``seed_demo`` leaves it (tests that read the demo, ``demo_db``), taken once per test process.
DEMO_SCHEMA = "demo_snapshot"
_demo_tables: list[str] = []


def take_snapshot(connection, schema: str = SNAPSHOT_SCHEMA, tables_kept: list[str] = _snapshot_tables) -> None:
    """Copy every non-empty table of the test database into a schema of its own (PostgreSQL)."""
    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    qn = connection.ops.quote_name
    tables_kept.clear()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {qn(table)})")
            if cursor.fetchone()[0]:
                cursor.execute(f"CREATE TABLE {schema}.{qn(table)} AS TABLE public.{qn(table)}")
                tables_kept.append(table)
    _all_tables[:] = tables  # the snapshot exists once this is filled


def restore_snapshot(connection, schema: str = SNAPSHOT_SCHEMA, tables_kept: list[str] = _snapshot_tables) -> None:
    """Empty every table and copy the provisioned state back: what a flush plus ``ensure_roundtable`` does, in one
    transaction and a fraction of the time (no post_migrate, no re-provisioning). Primary keys come back as they
    were, so ids cached by Wagtail or the tests stay valid; sequences are never reset, so new rows never collide.
    With ``DEMO_SCHEMA`` it brings back the seeded demo instead."""
    from django.db import transaction

    qn = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # DELETE, not TRUNCATE: a TRUNCATE of some 150 tables replaces every table's files and costs seconds,
        # while deleting the few rows a test wrote from mostly empty tables costs milliseconds.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("; ".join(f"DELETE FROM public.{qn(t)}" for t in _all_tables))
        for table in tables_kept:
            cursor.execute(f"INSERT INTO public.{qn(table)} SELECT * FROM {schema}.{qn(table)}")


def _install_snapshot_teardown() -> None:
    """Transactional tests end with a restore of the snapshot instead of Django's flush (PostgreSQL only)."""
    from django.db import connections
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def fixture_teardown(self):
        names = list(self._databases_names(include_mirrors=False))
        if names == ["default"] and _all_tables and connections["default"].vendor == "postgresql":
            restore_snapshot(connections["default"])
        else:
            original(self)

    TransactionTestCase._fixture_teardown = fixture_teardown


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections

    with django_db_blocker.unblock():
        ensure_roundtable()
        if connections["default"].vendor == "postgresql":
            take_snapshot(connections["default"])
            _install_snapshot_teardown()
    yield
    # Async tests reach the database from asgiref's worker thread and the notes rooms' thread; their
    # connections must close before the test database is dropped.
    import asyncio

    from asgiref.sync import sync_to_async
    from django.db import connections

    from hub.meetings.room import close_db

    async def close_worker_connections():
        await sync_to_async(connections.close_all)()
        await close_db()

    asyncio.run(close_worker_connections())
    # The live server's request threads keep their connection while the browser holds a keep-alive socket
    # open; on PostgreSQL end those sessions so that the test database can be dropped cleanly.
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connection.close()


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker, tmp_path_factory, _fast_password_hasher):
    """``seed_demo`` run once per test process on the provisioned database and kept as a snapshot (PostgreSQL);
    the database is then put back as it was. Session-scoped, so it is set up before any test's transaction.
    Returns the media directory holding the demo's files, or None where there are no snapshots (SQLite)."""
    import io

    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import override_settings

    connection = connections["default"]
    if connection.vendor != "postgresql" or not _all_tables:
        return None
    media = tmp_path_factory.mktemp("demo-media")
    with (django_db_blocker.unblock(),
          override_settings(MEDIA_ROOT=media, DEMO_MAIL_DIR=tmp_path_factory.mktemp("demo-mail"))):
        call_command("seed_demo", stdout=io.StringIO())
        take_snapshot(connection, DEMO_SCHEMA, _demo_tables)
        restore_snapshot(connection)
    return media


@pytest.fixture
def demo_db(_demo_snapshot, _roundtable_for_db_tests, settings):
    """The database as ``seed_demo`` leaves it, for tests that read the demo (its own behaviour is tested by
    tests/hub/test_seed_demo.py, which seeds for real): restored from the process's demo snapshot in a fraction of
    a second, or seeded afresh where there are no snapshots. Needs ``django_db`` (either kind)."""
    import io

    from django.core.management import call_command
    from django.db import connections

    if _demo_snapshot is None:
        call_command("seed_demo", stdout=io.StringIO())
        return
    settings.MEDIA_ROOT = _demo_snapshot
    restore_snapshot(connections["default"], DEMO_SCHEMA, _demo_tables)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Test accounts need no key stretching: PBKDF2 costs 0.4 s per password on an idle core of this machine (1.9 s
    under load), once per user created and once per password login. Production keeps Django's default hashers;
    sessions do not depend on the hasher, so the workers that tests start as processes accept these logins."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _roundtable_for_db_tests(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False) or (marker.args and marker.args[0])
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_roundtable()


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Tests change data behind the publish/purge paths; the anonymous page cache is on only where a test asks for
    it with the ``page_cache`` fixture (tests/hub/test_pagecache.py). Site root paths are kept per process
    (hub/sites.py) and in the cache; a rolled-back or flushed Site must not outlive its test there."""
    from wagtail.models import Site

    settings.HUB_PAGE_CACHE_ENABLED = False
    Site.clear_site_root_paths_cache()
    yield
    Site.clear_site_root_paths_cache()


@pytest.fixture
def page_cache(settings):
    from hub import pagecache

    settings.HUB_PAGE_CACHE_ENABLED = True
    pagecache.purge_path(pagecache.EVERYTHING)  # nothing kept from an earlier test or run
    yield pagecache
    pagecache.purge_path(pagecache.EVERYTHING)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (and seed_demo's kept-back mail) of a test land in its own temporary directory, never in the
    project's media/ or .run/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_MAIL_DIR = tmp_path / "demo-mail"


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


# --- Test machinery: markers, CI strictness, browser fixtures ---------------------------------------------------
pytest_plugins = ["tests.browser"]

#: Tests that need real infrastructure. Outside CI they skip when it is missing; in CI a skip is a failure,
#: because a green CI run must mean the PostgreSQL, Redis and browser tests actually ran.
INFRA_MARKERS = ("postgres", "redis", "browser")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "hub.db")
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL or use make test"))
        if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL or use make test"))
    # Playwright's sync API leaves its event loop marked as running in the main thread; browser tests go last so
    # that state (and the DJANGO_ALLOW_ASYNC_UNSAFE it needs, see tests/browser.py) never reaches other tests.
    # Within each group the tests marked slow go first: pytest-xdist hands out tests in this order, so the run ends
    # with short tests and neither worker waits long for the other to finish its last one.
    items.sort(key=lambda item: (item.get_closest_marker("browser") is not None,
                                 item.get_closest_marker("slow") is None))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Kept on the item so fixtures can tell in teardown whether the test failed (browser screenshots).
    setattr(item, f"report_{report.when}", report)
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        needs = [name for name in INFRA_MARKERS if item.get_closest_marker(name)]
        if needs:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            report.outcome = "failed"
            report.longrepr = (f"CI=true: a test marked {', '.join(needs)} must run, but it was skipped ({reason}). "
                               "Provide the service (make test starts PostgreSQL and Redis; Chromium is "
                               "/usr/bin/chromium) instead of skipping.")
    return report
