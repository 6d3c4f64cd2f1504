"""Chinese word segmentation for indexed text: the database search backends see unbroken Chinese as one word."""
import jieba

jieba.setLogLevel(60)

#: Words of the roundtable's domain that jieba's general dictionary would split ("质量月" → "质量" + "月").
DOMAIN_WORDS = (
    "质量月", "质量大讲堂", "大讲堂", "QC小组", "六西格玛", "卓越绩效", "现场管理", "团体标准", "圆桌会议",
    "长三角", "质量提升", "质量强国", "推广应用", "质量协会", "质协",
)
for _word in DOMAIN_WORDS:
    jieba.add_word(_word)


def segmented(*parts) -> str:
    """The words of ``parts`` separated by spaces (search-engine mode: long words also yield their sub-words)."""
    text = " ".join(str(p) for p in parts if p)
    return " ".join(w for w in jieba.cut_for_search(text) if w.strip())
