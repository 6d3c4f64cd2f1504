"""Search results as people expect them: every hit reachable, snippets with the query marked, province and type
on each result, phrase matches first."""
import re

import pytest

from tests.cms.factories import content_page

pytestmark = pytest.mark.django_db


def page_titles(response):
    return [r["title"] for g in response.context["groups"] if g["key"] == "pages" for r in g["results"]]


def test_more_than_a_page_of_hits_can_all_be_reached(client, province):
    section = province("SH").section_page
    made = {content_page(section, f"分组翻页公告{n:02d}", intro="<p>分组翻页</p>").title for n in range(27)}
    first = client.get("/search/", {"q": "分组翻页"})
    html = first.content.decode()
    assert len(page_titles(first)) == 20
    assert "查看更多" in html and "type=pages&amp;page=2" in html
    second = client.get("/search/", {"q": "分组翻页", "type": "pages", "page": 2})
    assert len(page_titles(second)) == 7 and 'rel="prev"' in second.content.decode()
    assert set(page_titles(first)) | set(page_titles(second)) == made
    assert not set(page_titles(first)) & set(page_titles(second))


def test_snippet_shows_the_query_in_context_and_marks_it(client, province):
    filler = "长三角五省市质量协会围绕质量提升开展合作。" * 12
    content_page(province("SH").section_page, "年度工作简报", intro=f"<p>{filler}本期重点是卓越绩效自评工作。{filler}</p>")
    response = client.get("/search/", {"q": "卓越绩效"})
    html = response.content.decode()
    snippet = re.search(r'<p class="result-snippet">(.*?)</p>', html, re.S).group(1)
    assert "本期重点是卓越绩效自评工作" in snippet
    assert snippet.startswith("…") and len(snippet) <= 125
    # The words to mark go to the browser (static/js/search.js marks them; tests/hub/test_public_browser.py).
    assert 'data-highlight="[&quot;卓越绩效&quot;' in html


def test_each_result_names_its_province_and_type(client, province):
    for code in ("SH", "JS"):
        content_page(province(code).section_page, "质量月活动方案征集", intro="<p>质量月方案</p>")
    html = client.get("/search/", {"q": "质量月活动方案征集"}).content.decode()
    items = re.findall(r"<li data-result>(.*?)</li>", html, re.S)
    labelled = [(re.search(r'result-province">(.*?)<', i).group(1), re.search(r'result-type">(.*?)<', i).group(1))
                for i in items if "质量月活动方案征集" in re.sub(r"<[^>]+>", "", i)]
    assert sorted(labelled) == [("上海", "普通网页"), ("江苏", "普通网页")]


def test_pages_holding_the_phrase_rank_above_pages_holding_only_its_words(client, province):
    section = province("ZJ").section_page
    content_page(section, "QC活动与小组建设", intro="<p>" + "QC 工具培训，班组 小组 建设，QC 方法，小组 活动。" * 8 + "</p>")
    content_page(section, "小组QC工具汇编", intro="<p>" + "小组建设，QC工具。" * 8 + "</p>")
    content_page(section, "年度成果发布", intro="<p>本年度共有十二个QC小组成果获奖。</p>")
    titles = page_titles(client.get("/search/", {"q": "QC小组"}))
    assert titles[0] == "年度成果发布", titles
    assert set(titles) >= {"QC活动与小组建设", "小组QC工具汇编"}
