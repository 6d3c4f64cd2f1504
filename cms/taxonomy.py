"""The starting entries of the two editable taxonomies (the secretariat may add, rename or reorder them)."""
EVENT_CATEGORIES = [
    ("质量月", "quality-month"), ("群众性质量提升", "mass-quality"), ("质量大讲堂", "quality-lecture"),
    ("国际交流", "international"), ("培训", "training"), ("圆桌会议", "roundtable"),
]
ACHIEVEMENT_TYPES = [
    ("QC小组成果", "qc-circle"), ("质量改进项目", "improvement"), ("卓越绩效实践", "excellence"),
    ("精益/六西格玛项目", "lean-six-sigma"), ("现场管理案例", "site-management"),
]


def ensure_taxonomies(event_category_model, achievement_type_model) -> None:
    for order, (name, slug) in enumerate(EVENT_CATEGORIES):
        event_category_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    for order, (name, slug) in enumerate(ACHIEVEMENT_TYPES):
        achievement_type_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
