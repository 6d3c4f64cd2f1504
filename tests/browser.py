"""Shared browser fixtures (a pytest plugin loaded by tests/conftest.py): Debian's Chromium through Playwright.

Use with pytest-django's ``live_server`` and mark the test ``@pytest.mark.browser`` and
``@pytest.mark.django_db(transaction=True)`` (the live server reads what the test writes, so no wrapping
transaction). ``phone_page`` is 375×812 in zh-CN, ``desktop_page`` 1366×900; every request either page makes is
recorded in ``network_log``. Screenshots go to ``test-artifacts/`` and stay after the run; a failing browser test
leaves one of each open page there as well.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module (launching costs about a second; contexts are cheap and isolated).

    Not per session: while Playwright's sync API is active no other Playwright can start in this thread, and a test
    module may bring its own; after ``sync_playwright`` exits the thread is clean again."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API marks its asyncio loop as running in this (the test) thread between calls, so Django's
    # async-safety guard would refuse every ORM call a browser test makes itself (creating users, checking rows)
    # although they are ordinary synchronous calls. Browser tests run last (conftest sorts them), so lifting the
    # guard while a browser is open never reaches the other tests; it is restored when the browser closes.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def network_log():
    """Every URL requested by the pages of this test, in order."""
    return []


def _artifact_stem(request) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1]).strip("_")


def _open_page(chromium, request, network_log, *, viewport, locale, label, **options):
    # The tests drive pages with Playwright's string expressions and injected scripts (axe-core), which the hub's
    # Content-Security-Policy rightly refuses; a test that checks the policy itself is marked ``enforce_csp``.
    options.setdefault("bypass_csp", request.node.get_closest_marker("enforce_csp") is None)
    context = chromium.new_context(viewport=viewport, locale=locale, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.on("request", lambda req: network_log.append(req.url))
    page = context.new_page()
    yield page
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{_artifact_stem(request)}-{label}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a screenshot must never hide the test's own failure
            pass
    context.close()


@pytest.fixture
def phone_page(chromium, request, network_log):
    """A page in a fresh 375×812 zh-CN phone context (touch, mobile viewport)."""
    yield from _open_page(chromium, request, network_log, viewport=PHONE, locale="zh-CN", label="phone",
                          is_mobile=True, has_touch=True, device_scale_factor=2)


@pytest.fixture
def desktop_page(chromium, request, network_log):
    """A page in a fresh 1366×900 zh-CN desktop context."""
    yield from _open_page(chromium, request, network_log, viewport=DESKTOP, locale="zh-CN", label="desktop")


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves test-artifacts/<test>-<name>.png (full page) and returns its path."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{_artifact_stem(request)}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, base_url: str, username: str, password: str, *, next_url: str = "/") -> None:
    """Log in through the site's own login form, as a person would, and wait until the next page has loaded."""
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.stacked-form button[type=submit]")
    if urlsplit(page.url).path.startswith("/accounts/login/"):
        errors = page.locator(".errorlist").all_inner_texts()
        raise AssertionError(f"login as {username} failed: {errors}")


def outside_requests(network_log: list[str], base_url: str) -> list[str]:
    """The requests that went anywhere but the live server (data: and blob: URLs stay inside the page)."""
    own = urlsplit(base_url).netloc
    return [url for url in network_log
            if not url.startswith(("data:", "blob:", "about:")) and urlsplit(url).netloc != own]
