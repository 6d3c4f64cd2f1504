"""The hub's search backend: Wagtail's database backend for the current database, with Chinese segmentation.

PostgreSQL's text-search parser and SQLite's FTS5 ``unicode61`` tokenizer both treat an unbroken run of Chinese
characters as one token, so a search for 互认 finds nothing in "…团体标准互认工作…". Here jieba splits indexed text
(search mode: 质量月 is indexed as 质量 and 质量月) and queries (precise mode) into words separated by spaces, which
both databases then tokenize as words. Every model with ``search_fields`` gets this through
``WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "hub.search"}}``; nothing is needed per model.

The segmentation is deterministic (jieba's hidden Markov model is off) so that a word is cut the same way in a
query and in a page, whatever surrounds it; terms of the roundtable's vocabulary that jieba's dictionary lacks
(互认, 质量月, …) are added to it.
"""
from __future__ import annotations

import logging
import re
import threading
import types

from django.db import connection
from modelsearch.query import And, Boost, Not, Or, Phrase, PlainText

#: Words of the roundtable that jieba's general dictionary does not know as words.
DOMAIN_WORDS = (
    "互认", "质量月", "团体标准", "专家库", "质协", "圆桌会议", "长三角", "QC小组", "卓越绩效", "质量奖",
    "六西格玛", "现场管理", "质量大讲堂", "推广应用", "随机抽取", "评价认证", "质量创新", "成果分享",
    "大讲堂", "质量提升", "质量强国", "质量协会",
)

_WORD_CHAR = re.compile(r"\w")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_RUN = re.compile(r"[0-9A-Za-z]+")
_lock = threading.Lock()
_tokenizer = None


def tokenizer():
    """jieba's tokenizer, loaded on first use (about a second: the dictionary ships in the wheel) and only once."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                # jieba logs its dictionary loading at DEBUG on its own handler; keep the console quiet.
                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                instance.initialize()
                for word in DOMAIN_WORDS:
                    instance.add_word(word)
                _tokenizer = instance
    return _tokenizer


def index_text(text: str) -> str:
    """Text as stored in the search index: every word and, for long words, the shorter words inside them."""
    if not text:
        return text
    return " ".join(token for token in tokenizer().cut_for_search(text, HMM=False) if _WORD_CHAR.search(token))


def query_terms(text: str) -> list[str]:
    """The words of a query, punctuation dropped."""
    return [token for token in tokenizer().cut(text or "", HMM=False) if _WORD_CHAR.search(token)]


def fine_split(word: str) -> list[str]:
    """``word`` cut into the longest shorter dictionary words (or single characters), left to right.

    jieba cuts by context: in "现场管理工作" the words are 现场 + 管理工作, so the index holds 现场, 管理, 管理工作 but
    not 现场管理. A query term therefore also matches when all of its pieces are there.
    """
    if len(word) < 3 or not _CJK.search(word):
        return [word]
    frequencies = tokenizer().FREQ
    pieces, start = [], 0
    while start < len(word):
        latin = _LATIN_RUN.match(word, start)
        if latin:
            pieces.append(latin.group())
            start = latin.end()
            continue
        for end in range(len(word), start, -1):
            piece = word[start:end]
            if end - start == 1 or (piece != word and frequencies.get(piece)):
                pieces.append(piece)
                start = end
                break
    # Single characters alone would match almost anything; such a word is only found whole.
    return pieces if any(len(piece) > 1 for piece in pieces) else [word]


def _term_query(term: str, boost: float):
    pieces = fine_split(term)
    if len(pieces) < 2:
        return PlainText(term, operator="and", boost=boost)
    return Or([PlainText(term, operator="and", boost=boost), PlainText(" ".join(pieces), operator="and", boost=boost)])


def _all_of(terms: list[str], boost: float):
    if all(len(fine_split(term)) < 2 for term in terms):
        return PlainText(" ".join(terms), operator="and", boost=boost)
    parts = [_term_query(term, boost) for term in terms]
    return parts[0] if len(parts) == 1 else And(parts)


def segment_query(query):
    """The same search query with its text cut into words.

    The words cut out of one word the visitor typed are always all required; the query's operator applies between
    the words the visitor separated with spaces, as it does without segmentation.
    """
    if isinstance(query, PlainText):
        words = [terms for terms in (query_terms(word) for word in query.query_string.split()) if terms]
        if not words:
            return query
        if query.operator == "and" or len(words) == 1:
            return _all_of([term for terms in words for term in terms], query.boost)
        return Or([_all_of(terms, query.boost) for terms in words])
    if isinstance(query, Phrase):
        return Phrase(" ".join(query_terms(query.query_string)) or query.query_string)
    if isinstance(query, Boost):
        return Boost(segment_query(query.subquery), query.boost)
    if isinstance(query, Not):
        return Not(segment_query(query.subquery))
    if isinstance(query, (And, Or)):
        return type(query)([segment_query(subquery) for subquery in query.subqueries])
    return query  # MatchAll, Fuzzy (trigram matching works on characters already)


class SegmentingCompilerMixin:
    """Query compilers: segment the query before the backend turns it into a tsquery / an FTS5 MATCH."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.query = segment_query(self.query)


#: Matches ranked per query, newest first: ranking reads every candidate's text vector, so a common word (质量 is in
#: nearly every page) would otherwise cost time in proportion to the whole corpus. Beyond this many matches the
#: best results come from the newest ones.
MAX_RANKED = 300


class BoundedRankingMixin:
    """PostgreSQL query compilers: rank at most MAX_RANKED candidates (the newest matches), whatever the corpus."""

    def _apply_ordering_and_scoring(self, queryset, rank_expression, start, stop, score_field=None):
        if self.order_by_relevance:
            candidates = queryset.order_by("-pk").values("pk")[:MAX_RANKED]
            queryset = queryset.filter(pk__in=candidates)
        return super()._apply_ordering_and_scoring(queryset, rank_expression, start, stop, score_field)


class SegmentingIndexerMixin:
    """Object indexers: every string value of a search field is segmented before it is stored."""

    def prepare_value(self, value):
        return index_text(super().prepare_value(value))


def _building(indexer_class, add_items):
    """``add_items`` of a modelsearch index, building ``indexer_class`` instead of the module's ObjectIndexer.

    modelsearch's indexes name their indexer class as a module global rather than a class attribute; the function is
    rebuilt over a copy of its module's globals in which that name is ours, so its code is reused unchanged and the
    stock backend (which the tests compare against) is left as it is.
    """
    namespace = {**add_items.__globals__, "ObjectIndexer": indexer_class}
    return types.FunctionType(add_items.__code__, namespace, add_items.__name__, add_items.__defaults__,
                              add_items.__closure__)


def _sqlite_backend_class():
    from modelsearch.backends.database.sqlite import sqlite

    class Indexer(SegmentingIndexerMixin, sqlite.ObjectIndexer):
        pass

    class Index(sqlite.SQLiteIndex):
        add_items = _building(Indexer, sqlite.SQLiteIndex.add_items)

    class QueryCompiler(SegmentingCompilerMixin, sqlite.SQLiteSearchQueryCompiler):
        pass

    class AutocompleteQueryCompiler(SegmentingCompilerMixin, sqlite.SQLiteAutocompleteQueryCompiler):
        pass

    class ChineseSQLiteSearchBackend(sqlite.SQLiteSearchBackend):
        index_class = Index
        query_compiler_class = QueryCompiler
        autocomplete_query_compiler_class = AutocompleteQueryCompiler

    return ChineseSQLiteSearchBackend


def _postgres_backend_class():
    from modelsearch.backends.database.postgres import postgres

    class Indexer(SegmentingIndexerMixin, postgres.ObjectIndexer):
        pass

    class Index(postgres.PostgresIndex):
        add_items = _building(Indexer, postgres.PostgresIndex.add_items)

    class QueryCompiler(SegmentingCompilerMixin, BoundedRankingMixin, postgres.PostgresSearchQueryCompiler):
        pass

    class AutocompleteQueryCompiler(SegmentingCompilerMixin, BoundedRankingMixin,
                                    postgres.PostgresAutocompleteQueryCompiler):
        pass

    class ChinesePostgresSearchBackend(postgres.PostgresSearchBackend):
        index_class = Index
        query_compiler_class = QueryCompiler
        autocomplete_query_compiler_class = AutocompleteQueryCompiler

    return ChinesePostgresSearchBackend


_backend_classes = {}


def backend_class():
    """The segmenting backend class for the default database (PostgreSQL, or SQLite with FTS5)."""
    vendor = connection.vendor
    if vendor not in _backend_classes:
        if vendor == "postgresql":
            _backend_classes[vendor] = _postgres_backend_class()
        elif vendor == "sqlite":
            _backend_classes[vendor] = _sqlite_backend_class()
        else:
            raise NotImplementedError(f"hub.search supports PostgreSQL and SQLite, not {vendor}")
    return _backend_classes[vendor]


def stock_backend_class():
    """Wagtail's own database backend class for the default database, for comparison in tests and benchmarks."""
    from modelsearch.backends.database import SearchBackend as stock

    return type(stock({}))


def SearchBackend(params):  # the name Wagtail looks up in a backend module
    return backend_class()(params)


# --- ranking and presentation of results ------------------------------------------------------------------------


def phrase_query(text: str):
    """The query as one phrase (its words adjacent and in order), or None when that adds nothing: a query that
    is one indivisible word matches exactly the pages the phrase would."""
    text = " ".join((text or "").split())
    terms = query_terms(text)
    if not terms or (len(terms) == 1 and len(fine_split(terms[0])) < 2):
        return None
    return Phrase(text)


def phrase_first(queryset, query: str, upto: int) -> list:
    """The first ``upto`` search hits of ``query`` in ``queryset``: pages holding the query as a phrase first
    (ranked among themselves), then the pages that only hold its words (QC小组 before "QC … 小组")."""
    phrase = phrase_query(query)
    if phrase is None:
        return list(queryset.search(query)[:upto])
    first = list(queryset.search(phrase)[:upto])
    if len(first) >= upto:
        return first
    seen = {item.pk for item in first}
    rest = [item for item in queryset.search(query)[:upto + len(first)] if item.pk not in seen]
    return first + rest[:upto - len(first)]


def highlight_terms(query: str) -> list[str]:
    """What to mark in a result: the query as typed, its words and their pieces, longest first."""
    words = " ".join((query or "").split())
    terms = {words, *words.split()}
    for term in query_terms(words):
        terms.add(term)
        terms.update(piece for piece in fine_split(term) if len(piece) > 1)
    return sorted((t for t in terms if t and _WORD_CHAR.search(t)), key=len, reverse=True)


def snippet(text: str, query: str, length: int = 120):
    """A window of about ``length`` characters of ``text`` around the first place the query (as a phrase, else
    its longest word) occurs; the start of the text when it does not occur. Plain text: the search page marks
    the query's words in the browser (static/js/search.js), so the server's HTML holds every title and snippet
    unbroken — a test that a title is absent from the page cannot pass because of a <mark> inside it."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    position = -1
    lowered = text.lower()
    for term in highlight_terms(query):
        position = lowered.find(term.lower())
        if position >= 0:
            break
    start = max(0, position - length // 4) if position > 0 else 0
    end = min(len(text), start + length)
    start = max(0, min(start, end - length))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
