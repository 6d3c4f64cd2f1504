"""The starting entries of the two editable taxonomies (the secretariat may add, rename or reorder them)."""
from django.utils.translation import gettext_noop as _

# The names are stored in Chinese; marking them puts them in the catalogue, so that ``label`` shows them in English.
EVENT_CATEGORIES = [
    (_("质量月"), "quality-month"), (_("群众性质量提升"), "mass-quality"), (_("质量大讲堂"), "quality-lecture"),
    (_("国际交流"), "international"), (_("培训"), "training"), (_("圆桌会议"), "roundtable"),
]
ACHIEVEMENT_TYPES = [
    (_("QC小组成果"), "qc-circle"), (_("质量改进项目"), "improvement"), (_("卓越绩效实践"), "excellence"),
    (_("精益/六西格玛项目"), "lean-six-sigma"), (_("现场管理案例"), "site-management"),
]


def ensure_taxonomies(event_category_model, achievement_type_model) -> None:
    for order, (name, slug) in enumerate(EVENT_CATEGORIES):
        event_category_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    for order, (name, slug) in enumerate(ACHIEVEMENT_TYPES):
        achievement_type_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
