"""Chinese search: jieba segmentation of indexed text and of queries, on SQLite and PostgreSQL alike."""
import pytest
from wagtail.models import Page

from hub import search

TEXT = ("长三角五省市质量协会开展质量团体标准互认工作，共享专家库，每年九月联合举办质量月活动。本期重点是现场管理工作。"
        "Member associations share QC circle results.")


@pytest.fixture
def sh_section(province):
    section = province("SH").section_page
    section.intro = f"<p>{TEXT}</p>"
    section.save_revision().publish()
    return Page.objects.get(pk=section.pk)


def found(backend, query, page):
    return [p.pk for p in backend.search(query, Page.objects.filter(pk=page.pk))]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["互认", "专家", "质量月", "团体标准", "标准", "质量", "现场管理"])
def test_chinese_words_inside_unbroken_text_are_found_only_with_segmentation(sh_section, query):
    stock, ours = search.stock_backend_class()({}), search.SearchBackend({})
    assert type(ours) is not type(stock)

    stock.add(sh_section.specific)
    assert found(stock, query, sh_section) == [], "the stock backend is expected to miss words inside Chinese text"

    ours.add(sh_section.specific)
    assert found(ours, query, sh_section) == [sh_section.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["QC circle", "associations", "results share"])
def test_english_queries_still_work(sh_section, query):
    assert found(search.SearchBackend({}), query, sh_section) == [sh_section.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["互认 会议纪要", "质量奖", "circle dinner"])
def test_every_word_of_a_query_is_required(sh_section, query):
    assert found(search.SearchBackend({}), query, sh_section) == []


@pytest.mark.django_db
def test_words_typed_apart_can_be_alternatives_with_the_or_operator(sh_section):
    ours = search.SearchBackend({})
    results = ours.search("会议纪要 互认", Page.objects.filter(pk=sh_section.pk), operator="or")
    assert [p.pk for p in results] == [sh_section.pk]


@pytest.mark.django_db
def test_publishing_a_page_indexes_it_through_the_configured_backend(sh_section):
    # No explicit add(): Wagtail's signal handlers index on publish with the backend named in settings.
    assert [p.pk for p in Page.objects.filter(pk=sh_section.pk).search("互认")] == [sh_section.pk]


@pytest.mark.django_db
def test_autocomplete_finds_the_start_of_a_chinese_title(province):
    section = province("SH").section_page
    section.title = "上海市质量月活动专栏"
    section.save_revision().publish()
    results = Page.objects.filter(pk=section.pk).autocomplete("质量月")
    assert [p.pk for p in results] == [section.pk]


def test_segmentation_is_search_mode_for_the_index_and_precise_for_queries():
    assert set(search.index_text("开展质量月活动").split()) >= {"质量", "质量月"}
    assert search.query_terms("质量月，活动！") == ["质量月", "活动"]
    assert search.query_terms("？！") == []


def test_a_query_word_also_matches_when_the_text_was_cut_around_it_differently():
    # In "现场管理工作" jieba prefers 现场 + 管理工作, so 现场管理 is not in the index as a word.
    assert "现场管理" not in search.index_text("本期重点是现场管理工作").split()
    assert search.fine_split("现场管理") == ["现场", "管理"]
    assert search.fine_split("QC小组") == ["QC", "小组"]
    assert search.fine_split("质量") == ["质量"]  # two characters are only found whole


def test_punctuation_only_queries_are_left_alone():
    from modelsearch.query import PlainText

    query = PlainText("？！")
    assert search.segment_query(query) is query
