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


def bulk_standards(count: int, *, start: int = 1, decided_every: int = 3):
    """``count`` in-force standards spread over the member provinces, proposed everywhere, with a decision in
    every ``decided_every``-th cell: quick enough for query-count tests and benchmarks."""
    import datetime as dt

    from sharing.models import RecognitionDecision

    provinces = list(Province.objects.filter(is_member=True).select_related("association").order_by("order"))
    standards = []
    for i in range(start, start + count):
        p = provinces[i % len(provinces)]
        standards.append(GroupStandard(
            province=p, number=f"T/{p.association.standards_code} {i}—2024", sequence=i, year=2024,
            title_zh=f"团体标准 第{i}号 质量管理要求", ics_codes="03.120.10", status=Status.IN_FORCE,
            publication_date=dt.date(2024, 1, 1), implementation_date=dt.date(2024, 3, 1)))
    GroupStandard.objects.bulk_create(standards, batch_size=500)
    proposals, decisions = [], []
    outcomes = ["recognised", "conditional", "declined"]
    n = 0
    for s in standards:
        for p in provinces:
            if p.pk == s.province_id:
                continue
            proposals.append(RecognitionProposal(standard=s, province=p))
            n += 1
            if n % decided_every == 0:
                outcome = outcomes[n % 3]
                decisions.append(RecognitionDecision(
                    standard=s, province=p, outcome=outcome, rationale="审查通过",
                    conditions="限试点企业" if outcome == "conditional" else "", evidence_url="https://example.test/r",
                    is_final=True, is_current=True, decided_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC)))
    RecognitionProposal.objects.bulk_create(proposals, batch_size=1000)
    RecognitionDecision.objects.bulk_create(decisions, batch_size=1000)
    return standards
