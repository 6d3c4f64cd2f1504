"""Sessions live in the shared Redis cache, written through to PostgreSQL (issue 13: a signed-in page spent one of its
two queries on its session). A logout must still end the session for every worker."""
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not settings.REDIS_URL, reason="cached sessions only with the shared Redis cache")]


def test_sessions_are_cached_in_the_shared_cache_and_kept_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"


def test_a_signed_in_page_reads_no_session_row(client_for, staff_of):
    c = client_for(staff_of("SH", "member"))
    assert c.get("/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = c.get("/")
    assert response.status_code == 200 and response.wsgi_request.user.is_authenticated
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]


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
