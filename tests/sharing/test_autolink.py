"""Standard numbers in any rich text link to the registry with their status."""
import pytest
from django.template import Context, Template
from wagtail.rich_text import RichText

from sharing.autolink import link_standard_numbers
from sharing.models.standards import Status
from tests.sharing.factories import make_standard


@pytest.mark.django_db
def test_numbers_in_text_become_links_with_status():
    a = make_standard("SH", sequence=12, year=2024)
    b = make_standard("ZJ", sequence=3, year=2021, status=Status.WITHDRAWN)
    html = "<p>依据 T/SAQ 12—2024 与 T/ZJAQ 3-2021，以及未登记的 T/SAQ 99—2020。</p>"
    out = link_standard_numbers(html)
    assert f'href="/standards/{a.pk}/"' in out and f'href="/standards/{b.pk}/"' in out
    assert "实施</span></a>" in out and "废止</span></a>" in out
    assert "T/SAQ 99—2020。" in out and out.count("<a ") == 2


@pytest.mark.django_db
def test_existing_links_attributes_and_code_are_left_alone():
    make_standard("SH", sequence=12, year=2024)
    html = ('<p><a href="/x/" title="T/SAQ 12—2024">见 T/SAQ 12—2024</a></p>'
            '<p><img alt="T/SAQ 12—2024" src="a.png"></p><pre>T/SAQ 12—2024</pre>')
    assert link_standard_numbers(html) == html


@pytest.mark.django_db
def test_entities_and_one_query_per_fragment(django_assert_num_queries):
    for n in range(1, 6):
        make_standard("SH", sequence=n, year=2024)
    html = "".join(f"<p>T/SAQ {n}&mdash;2024</p>" for n in range(1, 6))
    with django_assert_num_queries(1):
        out = link_standard_numbers(html)
    assert out.count('<a class="std-link ') == 5
    with django_assert_num_queries(0):
        link_standard_numbers("<p>没有标准编号</p>")


@pytest.mark.django_db
def test_every_rich_text_output_is_linked():
    standard = make_standard("SH", sequence=8, year=2023)
    html = "<p>参照 T/SAQ 8—2023 执行</p>"
    assert f"/standards/{standard.pk}/" in str(RichText(html))  # RichTextBlock values
    rendered = Template("{% load wagtailcore_tags %}{{ v|richtext }}").render(Context({"v": html}))
    assert f"/standards/{standard.pk}/" in rendered  # RichTextField via |richtext
    rendered = Template("{% load standards_tags %}{{ v|standard_links }}").render(Context({"v": html}))
    assert f"/standards/{standard.pk}/" in rendered


@pytest.mark.django_db
def test_drafts_are_not_linked():
    make_standard("SH", sequence=4, year=2024, live=False)
    assert "<a" not in link_standard_numbers("<p>T/SAQ 4—2024</p>")


@pytest.mark.django_db
def test_section_page_body_links_numbers(client, province):
    standard = make_standard("SH", sequence=6, year=2024)
    page = province("SH").section_page
    page.intro = "<p>本会发布 T/SAQ 6—2024。</p>"
    page.save_revision().publish()
    assert f"/standards/{standard.pk}/" in client.get(page.url).content.decode()
