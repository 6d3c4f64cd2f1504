"""Sessions are Django's database sessions read with one prepared statement (hub/accounts/sessions.py) and, with
Redis, live in the shared Redis cache, written through to PostgreSQL (issue 13: a signed-in page spent one of its
two queries on its session). A logout must still end the session for every worker."""
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
with_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="cached sessions only with the shared Redis cache")


@with_redis
def test_sessions_are_cached_in_the_shared_cache_and_kept_in_the_database():
    assert settings.SESSION_ENGINE == "hub.accounts.cached_sessions"
    assert settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"


@with_redis
def test_a_signed_in_page_reads_no_session_row(client_for, staff_of):
    c = client_for(staff_of("SH", "member"))
    assert c.get("/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = c.get("/")
    assert response.status_code == 200 and response.wsgi_request.user.is_authenticated
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]


@with_redis
def test_logout_ends_the_session_everywhere(client_for, staff_of):
    from django.contrib.sessions.models import Session

    c = client_for(staff_of("SH", "member"))
    key = c.cookies[settings.SESSION_COOKIE_NAME].value
    assert c.get("/").wsgi_request.user.is_authenticated
    assert c.post("/accounts/logout/").status_code == 302
    other = Client()  # another worker, or a stolen cookie
    other.cookies[settings.SESSION_COOKIE_NAME] = key
    assert other.get("/").wsgi_request.user.is_anonymous
    assert not Session.objects.filter(session_key=key).exists()


# --- the engine's database read: Django's answer, one prepared statement ------------------------------------------
def stored_session(user, *, expired=False):
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    store = DjangoStore()
    store["_auth_user_id"] = str(user.pk)
    store["note"] = "质量"
    store.create()
    if expired:
        Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    return store.session_key


@pytest.mark.parametrize("engine", ["hub.accounts.sessions", "hub.accounts.cached_sessions"])
def test_the_prepared_read_answers_as_djangos_own(engine, staff_of):
    """Live, expired, unknown and malformed keys: the same data, and the same key afterwards (None when there is
    no such live session, so a write would create a new one), as Django's database backend."""
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.core.cache import caches

    ours = import_module(engine).SessionStore
    user = staff_of("SH", "member")
    live, expired = stored_session(user), stored_session(user, expired=True)
    caches[settings.SESSION_CACHE_ALIAS].clear()  # the database read, not a cached copy
    for key in (live, expired, "x" * 32, "short", ""):
        django_store, our_store = DjangoStore(key), ours(key)
        assert our_store.load() == django_store.load(), key
        assert our_store.session_key == django_store.session_key, key
    assert ours(live).load() == {"_auth_user_id": str(user.pk), "note": "质量"}


@pytest.mark.postgres  # prepared statements are PostgreSQL's
def test_the_read_is_one_statement_planned_once_per_database_session(staff_of):
    """After the first read, the statement is prepared in the connection's PostgreSQL session; later reads
    execute it (PostgreSQL keeps it in pg_prepared_statements) and it is one query each."""
    from hub.accounts.sessions import SessionStore

    key = stored_session(staff_of("SH", "member"))
    SessionStore(key).load()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%django_session%"])
        assert cursor.fetchone()[0] == 1
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert SessionStore(key).load()["note"] == "质量"
    assert len(queries) == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%django_session%"])
        assert cursor.fetchone()[0] == 1


# --- many sessions at once (a burst of live-notes handshakes, the rooms' re-check) --------------------------------
@pytest.mark.parametrize("engine", ["hub.accounts.sessions", "hub.accounts.cached_sessions"])
@pytest.mark.parametrize("sizes", [None, (1, 2)], ids=["default", "small-statements"])
def test_loading_many_sessions_answers_as_each_load_alone_in_one_query(engine, sizes, staff_of, monkeypatch,
                                                                       django_assert_num_queries):
    """``load_many``: each store afterwards holds what its own ``load`` gives and the same key (None for expired,
    unknown and malformed keys), from one query for all of them (one per chunk with small statements); with the
    cache in front, the sessions read from the database are cached, so the next burst reads none."""
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.core.cache import caches

    from hub.accounts import sessions

    if sizes:
        monkeypatch.setattr(sessions, "MANY_SIZES", sizes)
    ours = import_module(engine).SessionStore
    people = [staff_of("SH", "member"), staff_of("ZJ", "editor"), staff_of("AH", "member")]
    live = [stored_session(person) for person in people]
    keys = [*live, stored_session(people[0], expired=True), "x" * 32, "short", live[0]]
    caches[settings.SESSION_CACHE_ALIAS].clear()
    djangos = [DjangoStore(key) for key in keys]
    expected = [(store.load(), store.session_key) for store in djangos]
    stores = [ours(key) for key in keys]
    chunks = 1 if not sizes else 3  # five distinct well-formed keys: one statement, or three of two at most
    with django_assert_num_queries(chunks):
        sessions.load_many(stores)
    with django_assert_num_queries(0):
        assert [(dict(store.items()), store.session_key) for store in stores] == expected
    assert dict(stores[1].items()) == {"_auth_user_id": str(people[1].pk), "note": "质量"}
    cached = "cached" in engine
    with django_assert_num_queries(0 if cached else 1 if not sizes else 2):
        again = [ours(key) for key in live]
        sessions.load_many(again)
    assert [(dict(store.items()), store.session_key) for store in again] == expected[:len(live)]
    sessions.load_many([])  # nothing to load: no query, no error


def test_loading_many_sessions_leaves_loaded_and_keyless_stores_alone(staff_of, django_assert_num_queries):
    from hub.accounts.sessions import SessionStore, load_many

    key = stored_session(staff_of("SH", "member"))
    loaded = SessionStore(key)
    loaded["mine"] = "unsaved"  # loaded (and changed) before: load_many must not read it again or undo the change
    fresh = SessionStore()  # no key yet: nothing to read
    with django_assert_num_queries(0):
        load_many([loaded, fresh])
    assert loaded["mine"] == "unsaved" and fresh.session_key is None and dict(fresh.items()) == {}
