"""Chinese search over expert profiles.

Profiles are stored as one normalised text per audience (see ``visibility.search_documents``); a query is cut into
words with jieba and every word must occur in the text the viewer may read. Substring matching of segmented query
words finds words inside unbroken Chinese text, which a whitespace tokenizer cannot.
"""
import re

import jieba

# Words that describe the search itself rather than the expert ("上海的质量奖评审专家").
STOPWORDS = {"专家", "的", "和", "与", "及", "或", "人才", "老师"}
_SPACE = re.compile(r"\s+")


def segment(text: str) -> str:
    """The stored form of a document: lower case, single spaces."""
    return _SPACE.sub(" ", text or "").strip().lower()


def terms(query: str) -> list[str]:
    """Search words of a query, longest first, without stopwords or punctuation; at most eight."""
    words = []
    for chunk in _SPACE.split(query.strip().lower()):
        for word in jieba.cut(chunk):
            word = word.strip(" ,，、。;；:：!！?？()（）\"'“”")
            if word and word not in STOPWORDS and word not in words:
                words.append(word)
    return sorted(words, key=len, reverse=True)[:8]
