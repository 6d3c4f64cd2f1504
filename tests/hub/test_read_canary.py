"""The read canary (issue 12): nothing non-public of one province is readable by anyone outside it, through any URL.

Markers are planted once per module in every kind of non-public material of Shanghai (tests/canary.py); every URL
pattern of the resolver, filled with the planted ids, plus search and chooser queries for every marker, is
requested as every actor of the permission matrix who is not Shanghai's. No body may contain a marker the actor may
not read, and no private file may be served.

The URLs are split into parts (``canary.chunk``, by a stable hash of each URL's pattern) and every actor × part is
a test of its own, so that pytest-xdist spreads the canary's thousands of requests over its workers; each worker
plants its own material once for the module. ``test_the_parts_are_every_url_once`` proves the split drops nothing.
"""
import pytest
from django.db import transaction
from django.test import Client, override_settings

from tests import canary

COVERAGE = {}
#: Parts of the URL list per actor (site pass; the English pass requests the non-admin URLs, about half as many).
PARTS, ENGLISH_PARTS = 6, 3
ACTOR_LABELS = [label for label, _code, _role in canary.ACTORS]


@pytest.fixture(scope="module")
def canary_media(tmp_path_factory):
    return tmp_path_factory.mktemp("canary-media")


@pytest.fixture(autouse=True)
def _media_in_tmp(canary_media, settings):
    """Overrides the suite's per-test media directory: the planted files live in the module's one."""
    settings.MEDIA_ROOT = canary_media


@pytest.fixture(scope="module")
def planted(django_db_setup, django_db_blocker, canary_media):
    """The planted material and one logged-in client per actor, built once for the module inside a transaction
    that is rolled back at the end (each test's own transaction is a savepoint inside it)."""
    from tests.conftest import ensure_roundtable, make_user

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=canary_media):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_roundtable()
            data = canary.plant()
            clients = {}
            for label, code, role in canary.ACTORS:
                client = Client()
                if role != "anonymous":
                    client.force_login(make_user(province_code=code, role=role))
                clients[label] = client
            urls = canary.every_url_by_source(data)
            yield data, clients, urls
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def echoed(client, url: str, marker: str, body: str) -> bool:
    """Whether the marker is in the body only because the URL carries it (a search box showing the query): the same
    URL with an unplanted word in its place shows that word as often."""
    if marker not in url:
        return False
    stand_in = "canaryunplanted" + "0" * max(0, len(marker) - 15)
    other = content(client.get(url.replace(marker, stand_in))).decode("utf-8", errors="ignore")
    return body.count(marker) <= other.count(stand_in)


@pytest.mark.django_db
@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}of{PARTS}")
@pytest.mark.parametrize("actor", ACTOR_LABELS)
def test_no_url_shows_another_provinces_non_public_material(actor, part, planted):
    data, clients, by_source = planted
    urls = canary.chunk(by_source, part, PARTS)
    client = clients[actor]
    forbidden = data.forbidden_for(actor)
    leaks, errors = [], []
    for url in urls:
        try:
            response = client.get(url)
        except Exception as exc:  # a crash is not a leak, but it is reported with the URL that caused it
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        body = content(response).decode("utf-8", errors="ignore")
        found = [kind for kind, marker in forbidden.items() if marker in body and not echoed(client, url, marker, body)]
        if found:
            leaks.append(f"{url} ({response.status_code}): {', '.join(found)}")
    COVERAGE[actor] = COVERAGE.get(actor, 0) + len(urls)
    patterns = len(canary.url_patterns())
    print(f"\nread canary: {actor}: {len(urls)} of {len(by_source)} URLs (part {part + 1} of {PARTS}) from"
          f" {patterns} URL patterns ({len(canary.ALLOWED_UNCHECKED)} allow-listed)")
    assert not leaks, f"{actor} reads non-public material:\n" + "\n".join(leaks)
    assert not errors, f"{actor} crashed the hub:\n" + "\n".join(errors)


@pytest.mark.django_db
@pytest.mark.parametrize("part", range(ENGLISH_PARTS), ids=lambda part: f"part{part + 1}of{ENGLISH_PARTS}")
@pytest.mark.parametrize("actor", ACTOR_LABELS)
def test_no_site_url_in_english_shows_another_provinces_non_public_material(actor, part, planted):
    """The same site URLs with English chosen: pages are then shown with their English versions' text."""
    data, clients, by_source = planted
    client = clients[actor]
    forbidden = data.forbidden_for(actor)
    site_urls = [url for url in canary.chunk(by_source, part, ENGLISH_PARTS) if not url.startswith("/admin/")]
    leaks = []
    client.cookies["django_language"] = "en"
    try:
        for url in site_urls:
            response = client.get(url)
            body = content(response).decode("utf-8", errors="ignore")
            found = [kind for kind, marker in forbidden.items()
                     if marker in body and not echoed(client, url, marker, body)]
            if found:
                leaks.append(f"{url} ({response.status_code}): {', '.join(found)}")
    finally:
        del client.cookies["django_language"]
    print(f"\nread canary in English: {actor}: {len(site_urls)} site URLs (part {part + 1} of {ENGLISH_PARTS})")
    assert not leaks, f"{actor} reads non-public material in English:\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_the_parts_are_every_url_once(planted):
    """The parts of both passes are disjoint and together every URL the canary lists, in each process."""
    _data, _clients, by_source = planted
    for parts in (PARTS, ENGLISH_PARTS):
        split = [canary.chunk(by_source, part, parts) for part in range(parts)]
        assert sorted(url for urls in split for url in urls) == sorted(by_source), parts
        assert all(split), f"an empty part of {parts}: fewer parts would do"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTOR_LABELS)
def test_no_private_image_is_served_from_media(actor, planted):
    """``/media/`` in development (DEBUG) goes through hub.media; private originals and documents are refused."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404
    from django.test import RequestFactory

    from hub.media import media

    data, clients, _urls = planted
    session_user = clients[actor].session.get("_auth_user_id")
    user = get_user_model().objects.get(pk=session_user) if session_user else AnonymousUser()
    for image in data.private_images:
        for path in [image.file.name] + [doc_url for doc_url in ("documents/" + image.file.name.split("/")[-1],)]:
            request = RequestFactory().get("/media/" + path)
            request.user = user
            with pytest.raises(Http404):
                media(request, path)


def test_the_canary_reports_its_coverage():
    """Runs last in the module: the number of URL patterns × actors the canary covered (for the closing note)."""
    if COVERAGE:
        patterns = len(canary.url_patterns())
        print(f"\nread canary coverage: {patterns} URL patterns ({len(canary.ALLOWED_UNCHECKED)} allow-listed), "
              f"{max(COVERAGE.values())} URLs × {len(COVERAGE)} actors = {sum(COVERAGE.values())} requests")


def test_a_pattern_the_canary_cannot_fill_fails_loudly(monkeypatch):
    """A new view with a parameter the canary does not know is an error, never silently skipped."""
    import datetime

    from django.urls.resolvers import RoutePattern

    monkeypatch.setattr(canary, "url_patterns", lambda: [([RoutePattern("widgets/<int:widget_id>/")], "widget")])
    planted = canary.Planted(availability_dates=(datetime.date(2033, 7, 20), datetime.date(2033, 7, 20)))
    with pytest.raises(canary.UnfilledPattern, match="widget_id"):
        canary.every_url(planted)
