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


# ---------------------------------------------------------------- issue 15: caps, province avoidance, audit log

attrs_strategy = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 6)), min_size=1, max_size=30)


@given(people=attrs_strategy, seed=st.integers(min_value=0, max_value=2**62), data=st.data())
def test_capped_pick_respects_caps_and_replays(people, seed, data):
    attrs = {str(i + 1): [province, f"employer{employer}"] for i, (province, employer) in enumerate(people)}
    ids = list(range(1, len(people) + 1))
    principals = data.draw(st.integers(min_value=1, max_value=len(ids)))
    reserves = data.draw(st.integers(min_value=0, max_value=len(ids) - principals))
    cap = data.draw(st.one_of(st.none(), st.integers(1, 3)))
    try:
        chosen, spare = drawing.pick_capped(ids, seed, principals, reserves, attrs=attrs, province_cap=cap,
                                            employer_cap=1)
    except drawing.CapsUnmet:
        return
    assert len(chosen) == principals and len(spare) == reserves
    employers = [attrs[str(pk)][1] for pk in chosen + spare]
    assert len(employers) == len(set(employers))  # a principal and a reserve never share an employer
    if cap is not None:
        for province in {attrs[str(pk)][0] for pk in chosen}:
            assert sum(attrs[str(pk)][0] == province for pk in chosen) <= cap
    assert drawing.pick_capped(list(reversed(ids)), seed, principals, reserves, attrs=attrs, province_cap=cap,
                               employer_cap=1) == (chosen, spare)


def jiangxi_heavy_pool():
    """Six Jiangxi experts at three employers and two Anhui experts, all free for the window."""
    window = (days(1), days(120))
    experts = [make_expert("JX", available=window, employer=f"江西单位{n % 3}") for n in range(6)]
    experts += [make_expert("AH", available=window, employer=f"安徽单位{n}") for n in range(2)]
    return experts


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(8))
def test_a_panel_of_three_is_never_all_from_one_province(seed):
    from expert_pool.models import Expert

    jiangxi_heavy_pool()
    request = make_request("SH", number_needed=3, reserves_needed=1, start=30, length=1)
    record = services.draw_run(actor=request.created_by, request_id=request.pk, seed=seed)
    provinces = list(Expert.objects.filter(pk__in=record.principal_ids).values_list("province__code", flat=True))
    assert len(set(provinces)) >= 2
    employers = list(Expert.objects.filter(pk__in=record.principal_ids + record.reserve_ids)
                     .values_list("employer", flat=True))
    assert len(employers) == len(set(employers))
    assert services.draw_replay(record)[2]


@pytest.mark.django_db
def test_the_enterprises_province_can_be_avoided(province):
    jiangxi_heavy_pool()
    window = (days(1), days(120))
    for n in range(3):
        make_expert("ZJ", available=window, employer=f"浙江单位{n}")
    request = make_request("SH", number_needed=2, start=30, length=1, organisation_under_review="江铃汽车",
                           organisation_province=province("JX"), avoid_organisation_province=True)
    from expert_pool.models import Expert

    record = services.draw_run(actor=request.created_by, request_id=request.pk, seed=3)
    assert not Expert.objects.filter(pk__in=record.principal_ids, province__code="JX").exists()
    assert {e["expert_id"] for e in record.exclusions} >= set(
        Expert.objects.filter(province__code="JX").values_list("pk", flat=True))
    assert record.avoided_province == province("JX")


@pytest.mark.django_db
def test_a_draw_is_written_to_the_audit_log():
    from wagtail.models import ModelLogEntry

    jiangxi_heavy_pool()
    request = make_request("SH", number_needed=2, start=30, length=1)
    record = services.draw_run(actor=request.created_by, request_id=request.pk, seed=5)
    entry = ModelLogEntry.objects.get(action="expert_pool.draw", object_id=str(request.pk))
    assert entry.user == request.created_by and entry.data["draw"] == record.pk
    assert entry.data["principals"] == record.principal_ids


@pytest.mark.django_db
def test_caps_that_cannot_be_met_give_a_clear_error_and_write_nothing():
    from django.core.exceptions import ValidationError

    from expert_pool.models import Draw

    window = (days(1), days(120))
    for n in range(4):
        make_expert("JX", available=window, employer=f"江西单位{n}")
    request = make_request("SH", number_needed=2, start=30, length=1)
    with pytest.raises(ValidationError, match="每省正选最多"):
        services.draw_run(actor=request.created_by, request_id=request.pk, seed=1)
    assert not Draw.objects.exists()


@pytest.mark.django_db
def test_a_reserve_called_in_keeps_the_province_cap():
    from django.core.exceptions import ValidationError

    from expert_pool.models import Expert

    window = (days(1), days(120))
    for n in range(3):
        make_expert("JX", available=window, employer=f"江西单位{n}")
    anhui = make_expert("AH", available=window, employer="安徽单位")
    request = make_request("SH", number_needed=2, reserves_needed=2, start=30, length=1)
    record = services.draw_run(actor=request.created_by, request_id=request.pk, seed=11)
    assert anhui.pk in record.principal_ids  # the cap (one per province for a pair) forces Anhui in
    assert set(Expert.objects.filter(pk__in=record.reserve_ids).values_list("province__code", flat=True)) == {"JX"}
    coordinator = make_user(province_code="AH", role="coordinator")
    services.assignment_approve(actor=coordinator, assignment_id=request.assignments.get(expert=anhui).pk,
                                approve=False)
    with pytest.raises(ValidationError, match="已达上限"):
        services.draw_call_reserve(actor=request.created_by, draw_id=record.pk)
    assert request.assignments.count() == 2
