"""Who may read which part of an expert's profile — the one place that decides it.

Fields come in groups; each expert (or their coordinator) sets each configurable group's audience:
``public`` (anyone), ``staff`` (roundtable staff: anyone who may view some province's data) or ``home`` (staff
of the expert's home province). The basic group is always public — an expert without a name cannot be found.
The expert themself and superusers read everything. Pages, search, exports, feeds and JSON all go through
``visible_groups`` / ``visible_fields`` / ``search_field_q``.
"""
from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hub.permissions import is_unrestricted, province_ids_for

PUBLIC, STAFF, HOME = "public", "staff", "home"
AUDIENCES = [(PUBLIC, _("公开")), (STAFF, _("仅圆桌会议工作人员")), (HOME, _("仅本省协会"))]
_RANK = {PUBLIC: 0, STAFF: 1, HOME: 2}

#: group → (label, fields, default audience, configurable)
GROUPS = {
    "basic": (_("基本信息"), ("name", "province", "title", "specialisms", "qualifications", "languages"),
              PUBLIC, False),
    "work": (_("工作单位与行业"), ("employer", "industries"), STAFF, True),
    "biography": (_("简介与照片"), ("bio", "photo"), PUBLIC, True),
    "contact": (_("联系方式"), ("phone", "email"), HOME, True),
}
#: The group that only the expert's explicit consent (consent page) can make public.
CONSENTED = "contact"
CONFIGURABLE = [key for key, spec in GROUPS.items() if spec[3]]
FIELD_GROUP = {field: key for key, spec in GROUPS.items() for field in spec[1]}


def audience_of(expert, group: str) -> str:
    label, fields, default, configurable = GROUPS[group]
    if not configurable:
        return default
    value = (expert.visibility or {}).get(group, default)
    if group == CONSENTED and value == PUBLIC and not getattr(expert, "contact_public_consent_at", None):
        return default  # public contact details need the expert's own recorded consent
    return value if value in _RANK else default


def viewer_level(viewer, expert) -> str:
    """The widest audience the viewer belongs to for this expert (no query beyond the memoised scope)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return PUBLIC
    if is_unrestricted(viewer) or (expert.user_id is not None and expert.user_id == viewer.pk):
        return HOME
    view_ids = province_ids_for(viewer, "view")
    if expert.province_id in view_ids:
        return HOME
    return STAFF if view_ids else PUBLIC


def visible_groups(viewer, expert) -> frozenset[str]:
    """The field groups of ``expert`` that ``viewer`` may read."""
    level = _RANK[viewer_level(viewer, expert)]
    return frozenset(group for group in GROUPS if _RANK[audience_of(expert, group)] <= level)


def visible_fields(viewer, expert) -> frozenset[str]:
    groups = visible_groups(viewer, expert)
    return frozenset(field for group in groups for field in GROUPS[group][1])


def field_values(expert) -> dict[str, str]:
    """Plain-text value of every profile field, for search documents and exports (prefetched relations)."""
    return {
        "name": expert.name,
        "province": expert.province.name_zh,
        "title": expert.title,
        "specialisms": "、".join(s.name for s in expert.specialisms.all()),
        "qualifications": "、".join(q.name for q in expert.qualifications.all()),
        "languages": "、".join(expert.language_labels()),
        "employer": expert.employer,
        "industries": expert.industries,
        "bio": expert.bio,
        "photo": expert.photo.url if expert.photo else "",
        "phone": expert.phone,
        "email": expert.email,
    }


def redacted(viewer, expert) -> dict[str, str]:
    """The expert's field values with everything the viewer may not read left out (exports, JSON)."""
    allowed = visible_fields(viewer, expert)
    return {field: value for field, value in field_values(expert).items() if field in allowed}


def search_documents(expert, values: dict[str, str] | None = None) -> dict[str, str]:
    """Normalised text per audience level: search_public ⊆ search_staff ⊆ search_home. ``values`` (as from
    ``field_values``) may be given when the expert's relations are not saved yet (bulk creation)."""
    from expert_pool.search import name_pinyin, segment

    values = dict(values) if values is not None else field_values(expert)
    values.pop("photo", None)
    # The name's pinyin is searchable by whoever may read the name (the basic group).
    values["name_pinyin"] = name_pinyin(values.get("name", ""))
    groups = FIELD_GROUP | {"name_pinyin": FIELD_GROUP["name"]}
    docs = {}
    for level, column in ((PUBLIC, "search_public"), (STAFF, "search_staff"), (HOME, "search_home")):
        parts = [values[f] for f in values if _RANK[audience_of(expert, groups[f])] <= _RANK[level]]
        docs[column] = segment(" ".join(p for p in parts if p))
    return docs


def search_field_q(viewer, lookup: str, term: str) -> Q:
    """A filter matching ``term`` only in the text the viewer may read, for every expert in one query."""
    if is_unrestricted(viewer):
        return Q(**{f"search_home__{lookup}": term})
    q = Q(**{f"search_public__{lookup}": term})
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return q
    view_ids = province_ids_for(viewer, "view")
    if view_ids:
        q |= Q(**{f"search_staff__{lookup}": term})
        q |= Q(province__in=view_ids, **{f"search_home__{lookup}": term})
    q |= Q(user=viewer, **{f"search_home__{lookup}": term})
    return q
