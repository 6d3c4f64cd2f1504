"""The shared permission matrix.

Every feature registers what it adds — a URL of the site, the Wagtail admin, an API — as a ``Case``: how to make
an object owned by a province, the URL that acts on it, the action it performs, and how to see whether anything
was written. ``check_case`` then tries it as every role of the owning province, every role of another province,
the secretariat, a plain logged-in user and an anonymous visitor, and asserts:

* another province's staff and outsiders are refused (403, 404, or a redirect away from the target) and nothing
  is written;
* the owning province's roles that hold the action succeed (2xx, or a redirect after a successful write);
* roles of the owning province without the action are refused.

Feature tests do ``@pytest.mark.parametrize("case", CASES, ids=case_id)`` and call ``check_case(case, province)``.
A case with ``action=None`` is something no province role may do (superusers only, e.g. managing collections).
Model-level scoping (``restrict``) is checked the same way by ``check_scoped_model``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from hub.roles import ROLES, ROLES_BY_SLUG

OWN, OTHER = "SH", "ZJ"
#: Everyone the matrix tries: (label, province code or None, role slug or None).
ACTORS = (
    [("own " + r.slug, OWN, r.slug) for r in ROLES]
    + [("other " + r.slug, OTHER, r.slug) for r in ROLES]
    + [("secretariat", None, "secretariat"), ("outsider", None, None), ("anonymous", None, "anonymous")]
)
#: Actions a role may perform on its own province's data, read from hub.roles.
ROLE_ACTIONS = {r.slug: set(r.actions) for r in ROLES}


@dataclass
class Case:
    """One thing a user can do to one province-owned object."""

    id: str
    make: Callable[[Any], Any]  # make(province) -> object owned by that province
    url: Callable[[Any], str]  # url(obj) -> path
    action: str | None = "view"  # the province action that grants it (hub.roles.ACTIONS); None: no province role
    method: str = "get"
    data: Callable[[Any], dict] | None = None  # data(obj) -> POST body
    written: Callable[[Any], Any] | None = None  # written(obj) -> a snapshot; must not change when refused
    public: bool = False  # anyone may GET it (a published page, say); then only writes are checked
    also_allowed: tuple[str, ...] = ()  # actor labels allowed besides the action holders (e.g. "secretariat")
    content_type: str | None = None  # for POST bodies other than form data
    #: An allowed GET must answer 200; a view whose success is a redirect names where it goes (a path prefix).
    redirects_to: str | None = None
    extra: dict = field(default_factory=dict)


def case_id(case: Case) -> str:
    return case.id


def _user_for(province_code, role):
    from tests.conftest import make_user

    if role == "anonymous":
        return None
    return make_user(province_code=province_code, role=role)


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def is_refused(response, target: str) -> bool:
    """Refused: 403/404/405, a redirect to the login page or the admin home, or anything but the target."""
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code in (301, 302, 303):
        location = response.headers.get("Location", "")
        return "login" in location or location.rstrip("/").endswith("/admin") or not location.startswith(target)
    return False


def is_allowed(response, case: Case) -> bool:
    """Allowed: a GET answers 200 (or redirects where the case says it does); a write answers 2xx or redirects
    anywhere but the login page. A GET that lands on an error page or a redirect is no success."""
    location = response.headers.get("Location", "")
    if case.method == "get":
        if case.redirects_to is not None and response.status_code in (301, 302, 303):
            return location.startswith(case.redirects_to)
        return response.status_code == 200
    return 200 <= response.status_code < 400 and not (response.status_code in (301, 302, 303) and "login" in location)


def _expected(case: Case, label: str, code, role) -> bool:
    if label in case.also_allowed:
        return True
    if case.public and case.method == "get":
        return True
    if case.action is None:
        return False
    return code == OWN and role in ROLE_ACTIONS and case.action in ROLE_ACTIONS[role]


def check_case(case: Case, province_lookup) -> None:
    """Run one case for every actor; collect every mismatch and fail once with all of them. A GET writes nothing,
    so its actors share one object; a write gets a fresh object per actor."""
    failures = []
    shared = case.make(province_lookup(OWN)) if case.method == "get" else None
    for label, code, role in ACTORS:
        obj = shared if shared is not None else case.make(province_lookup(OWN))
        user = _user_for(code, role)
        url = case.url(obj)
        before = case.written(obj) if case.written else None
        client = _client(user)
        kwargs = {}
        if case.data is not None:
            kwargs["data"] = case.data(obj)
        if case.content_type:
            kwargs["content_type"] = case.content_type
        response = getattr(client, case.method)(url, **kwargs)
        expected = _expected(case, label, code, role)
        if expected and not is_allowed(response, case):
            location = response.headers.get("Location", "")
            failures.append(f"{label}: expected success, got {response.status_code} {location}")
        elif expected and case.written and case.method != "get" and case.written(obj) == before:
            failures.append(f"{label}: allowed, but nothing was written (form error?)")
        if not expected:
            if not is_refused(response, url):
                failures.append(f"{label}: expected refusal, got {response.status_code}")
            if case.written and case.written(obj) != before:
                failures.append(f"{label}: refused but something was written")
    assert not failures, f"{case.id}:\n  " + "\n  ".join(failures)


def check_scoped_model(model, make, province_lookup, action: str = "view") -> None:
    """``model.objects.restrict(user, action)`` shows a role exactly its own province's rows when it holds
    ``action``, nothing otherwise; superusers see all."""
    mine, theirs = make(province_lookup(OWN)), make(province_lookup(OTHER))
    failures = []
    for label, code, role in ACTORS:
        user = _user_for(code, role)
        from django.contrib.auth.models import AnonymousUser

        visible = set(model.objects.restrict(user or AnonymousUser(), action).filter(
            pk__in=[mine.pk, theirs.pk]).values_list("pk", flat=True))
        if role in ROLES_BY_SLUG and action in ROLE_ACTIONS[role]:
            expected = {mine.pk} if code == OWN else {theirs.pk}
        else:
            expected = set()
        if visible != expected:
            failures.append(f"{label}: saw {sorted(visible)}, expected {sorted(expected)}")
    assert not failures, f"{model.__name__}.restrict(…, {action!r}):\n  " + "\n  ".join(failures)
