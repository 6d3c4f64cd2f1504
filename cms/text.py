"""Chinese word segmentation for indexed text: the database search backends see unbroken Chinese as one word."""
import jieba

jieba.setLogLevel(60)


def segmented(*parts) -> str:
    """The words of ``parts`` separated by spaces (search-engine mode: long words also yield their sub-words)."""
    text = " ".join(str(p) for p in parts if p)
    return " ".join(w for w in jieba.cut_for_search(text) if w.strip())
