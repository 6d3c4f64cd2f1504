"""The documents group of the site search: candidates ranked first, the gate's read rule then asked about them only,
so a province editor's search does bounded work (issue 13: 2.4–4.1 s at ten times the demo data), and the province
boundary stays exact."""
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model

from hub import search, selectors
from hub.permissions import read
from hub.services.provisioning import province_collection
from tests.cms.factories import content_page, event
from tests.hub.uploads import PDF

Document = get_document_model()


def document(province, title):
    doc = Document.objects.create(title=title, collection=province_collection(province))
    doc.file.save("text.pdf", SimpleUploadedFile("text.pdf", PDF), save=True)
    return doc


def titles(user, query="互认", limit=20):
    return [r["title"] for r in selectors.search_documents(user=user, query=query, limit=limit)]


@pytest.fixture
def attachments(province):
    """A public document, one used only by Shanghai's draft event and one used by Shanghai's live event."""
    from cms.events import EventAttachment

    sh = province("SH")
    public = document(sh, "互认公开清单")
    draft_only = document(sh, "互认草稿附件")
    EventAttachment.objects.create(page=event(sh, publish=False), document=draft_only)
    live = document(sh, "互认活动附件")
    EventAttachment.objects.create(page=event(sh), document=live)
    return public, draft_only, live


@pytest.mark.django_db
def test_each_reader_finds_exactly_the_documents_the_read_rule_gives_them(attachments, staff_of):
    readers = [AnonymousUser(), staff_of("SH", "editor"), staff_of("ZJ", "editor"), staff_of("SH", "member")]
    candidates = [doc.pk for doc in attachments]
    for user in readers:
        expected = set(Document.objects.filter(pk__in=read.readable_documents(user).filter(pk__in=candidates))
                       .values_list("title", flat=True))
        assert set(titles(user)) == expected, user
    # The province boundary, spelled out: only Shanghai's staff find the file of Shanghai's draft.
    assert "互认草稿附件" in titles(staff_of("SH", "editor"))
    assert "互认草稿附件" not in titles(staff_of("ZJ", "editor"))
    assert set(titles(AnonymousUser())) == {"互认公开清单", "互认活动附件"}


@pytest.mark.django_db
def test_unreadable_candidates_are_dropped_before_offset_and_limit(attachments, staff_of):
    zj = staff_of("ZJ", "editor")
    shown = titles(zj, limit=1) + [r["title"] for r in selectors.search_documents(user=zj, query="互认", limit=1,
                                                                                  offset=1)]
    assert sorted(shown) == sorted(titles(zj)) and len(shown) == 2


@pytest.mark.django_db
def test_only_the_ranked_candidates_are_checked(attachments, staff_of, monkeypatch):
    public, draft_only, live = attachments
    monkeypatch.setattr(search, "MAX_RANKED", 2)
    # The two newest matches are the candidates; the oldest (the public list) is not asked about.
    assert set(titles(staff_of("SH", "editor"))) == {draft_only.title, live.title}
    with CaptureQueriesContext(connection) as queries:
        titles(staff_of("ZJ", "editor"))
    rule = [q["sql"] for q in queries if "wagtailcore_referenceindex" in q["sql"]]
    assert len(rule) == 1
    asked = re.search(r'"wagtaildocs_document"\."id" IN \(([^)]*)\)', rule[0]).group(1)
    assert {int(pk) for pk in asked.split(", ")} == {draft_only.pk, live.pk}


@pytest.mark.django_db
def test_an_editors_document_search_runs_a_constant_number_of_queries(province, staff_of):
    from cms.events import EventAttachment

    sh, zj = province("SH"), province("ZJ")
    editor = staff_of("SH", "editor")

    def count():
        editor.__dict__.pop("_read_rules_cache", None)  # a new request's user
        with CaptureQueriesContext(connection) as queries:
            titles(editor)
        return len(queries)

    document(sh, "互认清单")
    titles(editor)  # content types cached, as in a running worker
    small = count()
    for n in range(6):
        EventAttachment.objects.create(page=event(zj if n % 2 else sh, publish=n % 3 == 0),
                                       document=document(zj, f"互认附件{n}"))
        content_page(sh.section_page, f"互认页面{n}", publish=n % 2 == 0)
    assert count() == small


@pytest.mark.django_db
def test_the_documents_rule_asks_for_each_uses_readable_rows_once(staff_of):
    """The rule is "used by nothing, or used by something readable": the pages' rule appears once per use of pages
    (the reference index and the two kinds of page attachment), not twice (was: readable and unreadable uses)."""
    editor = staff_of("SH", "editor")
    marker = '"wagtailcore_pageviewrestriction"'
    pages_rule = str(read.readable_pages(editor).query).count(marker)
    assert pages_rule > 0
    assert str(read.readable_documents(editor).query).count(marker) == 3 * pages_rule
