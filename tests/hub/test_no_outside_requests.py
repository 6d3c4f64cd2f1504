"""The hub works on a closed network: no page loads a script, style, image or font from another host.

Plain links in content (``<a href>``) may point anywhere; everything a browser fetches on its own must be ours.
The browser tests check the same with the requests Chromium really makes.
"""
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

#: (tag, attribute) pairs a browser fetches without a click.
FETCHED = {
    ("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"), ("source", "src"), ("source", "srcset"),
    ("iframe", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("embed", "src"), ("object", "data"),
    ("input", "src"), ("use", "href"), ("image", "href"), ("track", "src"),
}
#: <link rel> values that are only references, never fetched.
REFERENCE_RELS = {"canonical", "alternate", "author", "help", "license", "next", "prev", "search", "bookmark"}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")
ABSOLUTE = re.compile(r"^(?:https?:)?//", re.I)


class FetchedURLs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and REFERENCE_RELS & set((attrs.get("rel") or "").lower().split()):
            return
        for name, value in attrs.items():
            if value and (tag, name) in FETCHED:
                for candidate in value.split(",") if name.endswith("srcset") else [value]:
                    self.urls.append((f"<{tag} {name}>", candidate.strip().split(" ")[0]))
            if name == "style" and value:
                self.urls += [(f"<{tag} style>", url) for url in CSS_URL.findall(value)]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += [("<style>", url) for url in CSS_URL.findall(data)]


def outside(url: str) -> bool:
    """True for a URL on another host; the test client's own host names count as ours."""
    if not ABSOLUTE.match(url):
        return False
    return urlsplit(url if "://" in url else "http:" + url).hostname not in {"testserver", "localhost", "127.0.0.1"}


def fetched_urls(html: str) -> list[tuple[str, str]]:
    parser = FetchedURLs()
    parser.feed(html)
    return parser.urls


def stylesheet_urls(urls) -> list[tuple[str, str]]:
    """url(...) and @import inside our own stylesheets, read from the static finders."""
    found = []
    for _, url in urls:
        path = urlsplit(url).path
        if not (path.startswith(settings.STATIC_URL) and path.endswith(".css")):
            continue
        filename = finders.find(path[len(settings.STATIC_URL):])
        if filename:
            with open(filename, encoding="utf-8", errors="replace") as handle:
                found += [(path, ref) for ref in CSS_URL.findall(handle.read())]
    return found


def page_urls(province):
    return {
        "home": lambda: "/",
        "section": lambda: province("SH").section_page.url,
        "search": lambda: "/search/?q=质量",
        "login": lambda: "/accounts/login/",
        "admin login": lambda: "/admin/login/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "section", "search", "login", "admin login", "admin dashboard",
                                  "admin explorer"])
def test_page_loads_nothing_from_another_host(name, client, superuser, province):
    if name.startswith("admin ") and name != "admin login":
        client.force_login(superuser)
        url = {"admin dashboard": "/admin/", "admin explorer": f"/admin/pages/{province('SH').section_page.pk}/"}[name]
    else:
        url = page_urls(province)[name]()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    urls = fetched_urls(response.content.decode())
    assert any(kind.startswith("<link") for kind, _ in urls), "no stylesheet found: the parser missed the page"
    offenders = [(kind, url) for kind, url in urls + stylesheet_urls(urls) if outside(url)]
    assert offenders == [], f"{url} makes the browser fetch from other hosts: {offenders}"


def test_the_checker_catches_outside_resources_and_allows_plain_links():
    html = """
      <link rel="stylesheet" href="https://cdn.example.com/x.css"><link rel="canonical" href="https://example.org/">
      <script src="//cdn.example.com/x.js"></script><img srcset="/a.png 1x, https://img.example.com/b.png 2x">
      <div style="background: url('https://fonts.example.com/f.woff2')"></div>
      <style>@import "https://fonts.example.com/css";</style>
      <a href="https://www.example.org/">a plain link</a><img src="/static/img/favicon.svg">
    """
    offenders = sorted(url for _, url in fetched_urls(html) if outside(url))
    assert offenders == [
        "//cdn.example.com/x.js", "https://cdn.example.com/x.css", "https://fonts.example.com/css",
        "https://fonts.example.com/f.woff2", "https://img.example.com/b.png",
    ]
