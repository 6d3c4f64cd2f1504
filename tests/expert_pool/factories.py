"""Factories of the expert pool (profiles are built through services so that search texts exist)."""
import datetime
import itertools

from hub.models import Province

_n = itertools.count(1)


def specialism(name="质量奖评审"):
    from expert_pool.models import Specialism

    return Specialism.objects.get_or_create(name=name)[0]


def qualification(name="质量工程师"):
    from expert_pool.models import Qualification

    return Qualification.objects.get_or_create(name=name)[0]


def make_expert(province="SH", *, status="active", user=None, specialisms=None, available=None, **fields):
    """An expert of ``province`` (a code or Province); ``available=(start, end)`` adds an on-site range."""
    from expert_pool import services
    from expert_pool.models import Availability

    if isinstance(province, str):
        province = Province.objects.get(code=province)
    n = next(_n)
    fields.setdefault("name", f"专家{n}")
    fields.setdefault("employer", f"测试单位{n}")
    fields.setdefault("phone", f"139{n:08d}")
    fields.setdefault("email", f"expert{n}@example.test")
    expert = services.expert_create(province=province, user=user, status=status,
                                    specialisms=specialisms if specialisms is not None else [specialism()],
                                    **fields)
    if available:
        Availability.objects.create(expert=expert, start=available[0], end=available[1])
    return expert


def days(n: int) -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=n)


def make_request(province="SH", *, actor=None, expert_ids=(), start=30, length=2, **fields):
    from expert_pool import services
    from tests.conftest import make_user

    if isinstance(province, str):
        province = Province.objects.get(code=province)
    actor = actor or make_user(province_code=province.code, role="editor")
    fields.setdefault("title", "2026 年质量奖现场评审")
    fields.setdefault("purpose", "award")
    fields.setdefault("place", "上海市浦东新区")
    fields.setdefault("specialisms", [specialism()])
    fields.setdefault("number_needed", max(1, len(expert_ids)))
    return services.request_create(actor=actor, province=province, start=days(start), end=days(start + length),
                                   expert_ids=list(expert_ids), **fields)
