import datetime
import itertools

from hub.models import Province
from sharing.models import GroupStandard, RecognitionProposal
from sharing.models.standards import Status

_seq = itertools.count(1)


def make_standard(province, *, status=Status.IN_FORCE, year=2024, live=True, **extra) -> GroupStandard:
    """A valid standard of ``province`` (a Province or code) in the given status."""
    if isinstance(province, str):
        province = Province.objects.select_related("association").get(code=province)
    seq = extra.pop("sequence", next(_seq))
    fields = {
        "number": f"T/{province.association.standards_code} {seq}—{year}",
        "title_zh": f"质量管理 第{seq}部分：卓越绩效评价准则",
        "title_en": f"Quality management part {seq}",
        "ics_codes": "03.120.10",
        "ccs_code": "A00",
        "status": status,
        "live": live,
    }
    if status not in (Status.DRAFTING, Status.COMMENT):
        fields["publication_date"] = datetime.date(year, 3, 1)
    if status in (Status.IN_FORCE, Status.REVIEW, Status.REVISED, Status.WITHDRAWN):
        fields["implementation_date"] = datetime.date(year, 6, 1)
    if status == Status.WITHDRAWN:
        fields["withdrawal_date"] = datetime.date(year + 1, 1, 1)
    fields.update(extra)
    standard = GroupStandard(province=province, **fields)
    standard.full_clean()
    standard.save()
    return standard


def propose(standard, *codes):
    provinces = Province.objects.filter(code__in=codes) if codes else Province.objects.filter(
        is_member=True).exclude(pk=standard.province_id)
    return [RecognitionProposal.objects.get_or_create(standard=standard, province=p)[0] for p in provinces]
