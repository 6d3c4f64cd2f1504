import random
import time

import pytest

from expert_pool.models import Assignment, Draw, Expert, ExpertRequest

pytestmark = pytest.mark.django_db


class Ctx:
    random = random.Random(1)

    def say(self, message):
        self.said = message


def test_demo_seeds_the_pool_quickly_with_every_state():
    from expert_pool import demo, services
    from hub import demo as hub_demo

    hub_demo.seed(Ctx())
    started = time.perf_counter()
    demo.seed(Ctx())
    assert time.perf_counter() - started < 15
    assert 190 <= Expert.objects.count() <= 210
    assert set(Expert.objects.values_list("province__code", flat=True)) == {"SH", "JS", "ZJ", "AH", "JX"}
    assert Expert.objects.filter(user__username="zj-expert", status="active").exists()
    states = set(Assignment.objects.values_list("status", flat=True))
    assert states == {s.value for s in Assignment.Status}
    assert Assignment.objects.filter(status="completed", rating__isnull=False).exists()
    assert Assignment.objects.filter(status="completed", rating__isnull=True).exists()
    assert ExpertRequest.objects.filter(status="withdrawn").exists()
    record = Draw.objects.get()
    assert record.exclusions and services.draw_replay(record)[2]
    assert Expert.objects.exclude(possible_duplicate_of=None).exists()
    # issue 15: the demo shows a flagged pending pair, a capped draw avoiding the enterprise's province, a clash
    gu = list(Expert.objects.filter(name="顾振华").order_by("pk"))
    assert len(gu) == 2 and gu[1].possible_duplicate_of == gu[0] and gu[1].phone == "13805170001"
    assert gu[0].possible_duplicate_of is None
    assert record.province_cap == 2 and record.employer_cap == 1 and record.avoided_province.code == "ZJ"
    principals = Expert.objects.filter(pk__in=record.principal_ids)
    assert not principals.filter(province__code="ZJ").exists()
    assert Assignment.objects.filter(status="unavailable", answer_note__contains="安徽省质量奖复审").exists()
    assert not ExpertRequest.objects.filter(title__contains="已撤回").exists()
    demo.seed(Ctx())
    assert Draw.objects.count() == 1
