"""Property-style checks: a draw never returns an excluded expert, and a recorded draw always replays."""
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expert_pool import draw as drawing
from expert_pool import selectors, services
from expert_pool.models import Assignment
from tests.conftest import make_user
from tests.expert_pool.factories import days, make_expert, make_request

ids = st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=60, unique=True)


@given(candidates=ids, seed=st.integers(min_value=0, max_value=2**62), data=st.data())
def test_pick_draws_only_candidates_and_replays(candidates, seed, data):
    principals = data.draw(st.integers(min_value=0, max_value=len(candidates)))
    reserves = data.draw(st.integers(min_value=0, max_value=len(candidates) - principals))
    chosen, spare = drawing.pick(candidates, seed, principals, reserves)
    assert len(chosen) == principals and len(spare) == reserves
    assert set(chosen) | set(spare) <= set(candidates) and not set(chosen) & set(spare)
    shuffled = list(reversed(candidates))
    assert drawing.pick(shuffled, seed, principals, reserves) == (chosen, spare)


@given(candidates=ids, seed=st.integers(min_value=0, max_value=2**62))
def test_pick_refuses_more_than_there_are(candidates, seed):
    with pytest.raises(ValueError):
        drawing.pick(candidates, seed, len(candidates), 1)


class Rollback(Exception):
    pass


expert_spec = st.fixed_dictionaries({
    "province": st.sampled_from(["SH", "JS", "ZJ", "AH", "JX"]),
    "same_employer": st.booleans(),
    "declared": st.booleans(),
    "served_recently": st.booleans(),
    "booked_now": st.booleans(),
})


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(expert_spec, min_size=1, max_size=8), elsewhere=st.booleans(), cap=st.integers(1, 2),
       seed=st.integers(min_value=0, max_value=2**62))
def test_a_draw_never_returns_an_excluded_expert(specs, elsewhere, cap, seed):
    org = "被评企业集团"
    try:
        with transaction.atomic():
            requester = make_user(province_code="SH", role="editor")
            window = (days(1), days(120))
            experts = []
            for spec in specs:
                expert = make_expert(spec["province"], available=window,
                                     employer=org if spec["same_employer"] else "其他单位")
                if spec["declared"]:
                    expert.conflicts.create(organisation=org, kind="worked_with")
                experts.append((spec, expert))
            holder = make_request("JS", start=100, length=0)
            for spec, expert in experts:
                if spec["served_recently"]:
                    Assignment.objects.create(request=holder, expert=expert, status="completed",
                                              start=days(-30), end=days(-30))
                if spec["booked_now"]:
                    booked = make_request("AH", start=20, length=20)
                    Assignment.objects.create(request=booked, expert=expert, status="confirmed",
                                              start=days(20), end=days(40))
            request = make_request("SH", actor=requester, number_needed=1, elsewhere_only=elsewhere,
                                   organisation_under_review=org, start=30, length=1)
            pool = selectors.draw_pool(request, cap=cap)
            for spec, expert in experts:
                must_go = (spec["same_employer"] or spec["declared"] or spec["booked_now"]
                           or (elsewhere and spec["province"] == "SH") or (spec["served_recently"] and cap == 1))
                assert (expert.pk in pool.candidate_ids) is not must_go
            if pool.candidate_ids:
                from django.test import override_settings

                with override_settings(EXPERT_POOL_ROTATION_CAP=cap):
                    record = services.draw_run(actor=requester, request_id=request.pk, seed=seed, principals=1,
                                               reserves=0)
                excluded = {item["expert_id"] for item in record.exclusions}
                assert not set(record.principal_ids) & excluded
                assert services.draw_replay(record)[2]
            raise Rollback
    except Rollback:
        pass
