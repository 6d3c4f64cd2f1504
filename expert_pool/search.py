"""Chinese search over expert profiles.

Profiles are stored as one normalised text per audience (see ``visibility.search_documents``); a query is cut into
words with jieba and every word must occur in the text the viewer may read. Substring matching of segmented query
words finds words inside unbroken Chinese text, which a whitespace tokenizer cannot.
"""
import re

import jieba

# What people type for the same thing: replaced before segmentation (keys lower case, spaces removed).
SYNONYMS = {
    "6σ": "六西格玛", "6sigma": "六西格玛", "sixsigma": "六西格玛", "6西格玛": "六西格玛", "六σ": "六西格玛",
    "6sigama": "六西格玛", "σ": "西格玛", "sigma": "西格玛",
    "qc": "qc", "iso9001": "质量管理体系", "卓越绩效模式": "卓越绩效",
}
_SYNONYM_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(SYNONYMS, key=len, reverse=True)))


def expand(query: str) -> str:
    """The query with common spellings replaced by the words profiles use (6σ → 六西格玛)."""
    text = (query or "").strip().lower()
    collapsed = re.sub(r"(?<=[\w σ])\s+(?=[\wσ])", lambda m: "" if _joins(text, m) else m.group(0), text)
    return _SYNONYM_PATTERN.sub(lambda m: " " + SYNONYMS[m.group(0)] + " ", collapsed)


def _joins(text: str, match) -> bool:
    # "six sigma" and "6 sigma" are one word for the synonym table; other spaces separate words.
    before, after = text[:match.start()], text[match.end():]
    return bool(re.search(r"(six|6)$", before) and re.match(r"(sigma|σ)", after))


def name_pinyin(name: str) -> str:
    """Full pinyin and initials of a name (王建国 → "wangjianguo wjg"), so that pinyin queries find it."""
    from pypinyin import Style, lazy_pinyin

    clean = re.sub(r"\s+", "", name or "")
    if not clean or clean.isascii():
        return ""
    return "".join(lazy_pinyin(clean)).lower() + " " + "".join(lazy_pinyin(clean, style=Style.FIRST_LETTER)).lower()


# Words that describe the search itself rather than the expert ("上海的质量奖评审专家").
STOPWORDS = {"专家", "的", "和", "与", "及", "或", "人才", "老师"}
_SPACE = re.compile(r"\s+")


def segment(text: str) -> str:
    """The stored form of a document: lower case, single spaces."""
    return _SPACE.sub(" ", text or "").strip().lower()


def terms(query: str) -> list[str]:
    """Search words of a query, longest first, without stopwords or punctuation; at most eight."""
    words = []
    for chunk in _SPACE.split(expand(query).strip()):
        for word in jieba.cut(chunk):
            word = word.strip(" ,，、。;；:：!！?？()（）\"'“”")
            if word and word not in STOPWORDS and word not in words:
                words.append(word)
    return sorted(words, key=len, reverse=True)[:8]
