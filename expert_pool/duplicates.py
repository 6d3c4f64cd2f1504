"""Finding the same person twice: normalised phone, e-mail, and name + employer compared by sound and spelling.

Names are compared by their pinyin (pypinyin) so that 王建国 / 王建囯 or a name typed in pinyin still meet;
employers by a fuzzy token ratio (rapidfuzz) after dropping the legal-form words every company name carries
(股份有限公司, 集团…). Both libraries are small, offline and widely used; the thresholds below were chosen on
the demo's employer list, where no two different employers of one province score above 80.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from expert_pool import phones

REASON_LABELS = {"phone": _("电话相同"), "email": _("电子邮箱相同"), "name_employer": _("姓名读音与工作单位相近")}
NAME_THRESHOLD = 90
EMPLOYER_THRESHOLD = 85
_LEGAL_FORMS = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|公司|总院|研究院|（[^）]*）|\([^)]*\))")
_PUNCT = re.compile(r"[\s·.,，、()（）\-]+")


def name_key(name: str) -> str:
    """Pinyin without tones or spaces: 王建国 → wangjianguo; Latin input is lower-cased."""
    return "".join(lazy_pinyin(_PUNCT.sub("", name or ""))).lower()


def employer_key(employer: str) -> str:
    return _PUNCT.sub("", _LEGAL_FORMS.sub("", (employer or "").lower()))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def same_name(a: str, b: str) -> bool:
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb or _digits(ka) != _digits(kb):
        return False
    return ka == kb or fuzz.ratio(ka, kb) >= NAME_THRESHOLD


def same_employer(a: str, b: str) -> bool:
    ka, kb = employer_key(a), employer_key(b)
    if not ka or not kb or _digits(ka) != _digits(kb):
        return False
    return ka == kb or fuzz.token_set_ratio(ka, kb) >= EMPLOYER_THRESHOLD or fuzz.partial_ratio(ka, kb) >= 95


@dataclass
class Match:
    expert: object
    reasons: list[str]


def _phone_of(value: str) -> str:
    return phones.comparable(phones.normalise_or_raw(value))


def matches(candidates, *, name: str, employer: str, phone: str = "", email: str = "") -> list[Match]:
    """Candidates that look like the same person, strongest evidence first (phone, e-mail, name + employer)."""
    phone_key, email_key = _phone_of(phone), (email or "").strip().lower()
    found = []
    for other in candidates:
        reasons = []
        if phone_key and _phone_of(other.phone) == phone_key:
            reasons.append("phone")
        if email_key and (other.email or "").strip().lower() == email_key:
            reasons.append("email")
        if same_name(name, other.name) and same_employer(employer, other.employer):
            reasons.append("name_employer")
        if reasons:
            found.append(Match(other, reasons))
    order = {"phone": 0, "email": 1, "name_employer": 2}
    return sorted(found, key=lambda m: (min(order[r] for r in m.reasons), m.expert.pk))


def candidate_queryset(model, *, name: str, employer: str = "", phone: str = "", email: str = ""):
    """A cheap pre-filter in SQL: anyone sharing a name character, two characters of the employer, the phone's
    last digits or the e-mail. The exact comparison runs in Python on this short list."""
    q = Q()
    clean = _PUNCT.sub("", name or "")
    if clean:
        q |= Q(name__startswith=clean[0]) | Q(name__icontains=clean[-1])
    key = employer_key(employer)
    if len(key) >= 2:
        q |= Q(employer__icontains=key[:2]) | Q(employer__icontains=key[-2:])
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 7:
        q |= Q(phone__contains=digits[-4:])
    if email:
        q |= Q(email__iexact=email.strip())
    return model.objects.filter(q) if q else model.objects.none()
