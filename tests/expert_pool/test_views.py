"""Pages of the expert pool: directory facets and query counts, self-service, task lists, request pages."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from expert_pool.models import Assignment, Availability, Conflict, Expert, ExpertRequest
from tests.expert_pool.factories import days, make_expert, make_request, qualification, specialism

pytestmark = pytest.mark.django_db


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_directory_runs_a_constant_number_of_queries(who, client_for, staff_of):
    client = client_for(None if who == "anonymous" else staff_of("SH", "editor"))
    params = {"q": "质量", "specialism": specialism().pk, "available_from": days(2), "available_to": days(3)}

    def grow(n):
        for i in range(n):
            e = make_expert(["SH", "JS", "ZJ"][i % 3], available=(days(1), days(9)), title="高级工程师",
                            bio="质量管理", specialisms=[specialism(), specialism("企业诊断")])
            e.qualifications.set([qualification(), qualification("六西格玛黑带")])

    grow(3)
    queries_for(client, "/experts/", params)  # warm process-wide caches (content types)
    small = (queries_for(client, "/experts/"), queries_for(client, "/experts/", params))
    grow(25)
    large = (queries_for(client, "/experts/"), queries_for(client, "/experts/", params))
    assert small == large


def test_directory_filters_by_availability_for_staff(client_for, staff_of):
    make_expert("SH", name="沈一鸣")
    make_expert("JS", name="蒋二平", available=(days(1), days(5)))
    body = client_for(staff_of("ZJ", "coordinator")).get(
        "/experts/", {"available_from": days(2), "available_to": days(4)}).content.decode()
    assert "蒋二平" in body and "沈一鸣" not in body


def test_directory_facets_filter(client_for):
    shanghai = make_expert("SH", name="沈一鸣", specialisms=[specialism("现场管理诊断")], languages=["zh", "en"])
    make_expert("JS", name="蒋二平", specialisms=[specialism()], available=(days(1), days(5)))
    client = client_for(None)

    def names(**params):
        body = client.get("/experts/", params).content.decode()
        return {n for n in ("沈一鸣", "蒋二平") if n in body}

    assert names() == {"沈一鸣", "蒋二平"}
    assert names(specialism=specialism("现场管理诊断").pk) == {"沈一鸣"}
    assert names(province=shanghai.province_id) == {"沈一鸣"}
    assert names(language="en") == {"沈一鸣"}
    # Availability is not public (issue 12): the anonymous directory does not filter by it.
    assert names(available_from=days(2), available_to=days(4)) == {"沈一鸣", "蒋二平"}
    assert names(q="上海 现场管理") == {"沈一鸣"}


def test_registration_page_creates_a_pending_expert_and_logs_in(client, province):
    response = client.post("/experts/register/", {
        "password": "pass-word-2026", "province": province("AH").pk, "name": "安志强",
        "employer": "合肥某电器公司", "title": "高级工程师", "specialisms": [specialism().pk], "languages": ["zh"],
        "vis_work": "staff", "vis_biography": "public", "vis_contact": "home"})
    assert response.status_code == 302
    expert = Expert.objects.get(name="安志强")
    assert expert.status == "pending" and expert.user.username.startswith("ah-")
    assert client.get("/experts/me/").status_code == 200


def test_registration_errors_write_nothing(client, province):
    response = client.post("/experts/register/", {"username": "x", "password": "short", "name": "",
                                                   "province": province("AH").pk})
    assert response.status_code == 200
    assert not Expert.objects.exists()


def test_availability_page_merges_and_refuses(client_for, user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user)
    client = client_for(user)
    client.post("/experts/me/availability/", {"start": days(1), "end": days(5), "mode": "onsite"})
    client.post("/experts/me/availability/", {"start": days(4), "end": days(8), "mode": "onsite"})
    response = client.post("/experts/me/availability/", {"start": days(6), "end": days(9), "mode": "remote"})
    assert "方式不同" in response.content.decode()
    assert list(expert.availability.values_list("start", "end")) == [(days(1), days(8))]


def test_conflict_page_declares_and_deletes_own_only(client_for, user_factory):
    user, other = user_factory(), user_factory()
    make_expert("SH", user=user)
    make_expert("SH", user=other)
    client_for(user).post("/experts/me/conflicts/", {"organisation": "上汽集团", "kind": "worked_for"})
    conflict = Conflict.objects.get()
    assert client_for(other).post(f"/experts/me/conflicts/{conflict.pk}/delete/").status_code == 404
    assert Conflict.objects.exists()
    client_for(user).post(f"/experts/me/conflicts/{conflict.pk}/delete/")
    assert not Conflict.objects.exists()


def test_non_expert_is_sent_to_registration(client_for, user_factory):
    client = client_for(user_factory())
    assert client.get("/experts/me/")["Location"].endswith("/experts/register/")
    assert client.get("/experts/me/availability/").status_code == 404


def test_task_lists_show_each_party_its_step(client_for, user_factory, staff_of):
    expert_user = user_factory()
    expert = make_expert("ZJ", user=expert_user)
    requester = staff_of("SH", "editor")
    request = make_request("SH", actor=requester, expert_ids=[expert.pk], title="浙沪联合质量奖评审")
    coordinator = staff_of("ZJ", "coordinator")
    assert "浙沪联合质量奖评审" in client_for(coordinator).get("/experts/tasks/").content.decode()
    assert "浙沪联合质量奖评审" not in client_for(expert_user).get("/experts/tasks/").content.decode()
    assert "浙沪联合质量奖评审" not in client_for(staff_of("JS", "coordinator")).get("/experts/tasks/").content.decode()
    assignment = request.assignments.get()
    client_for(coordinator).post(f"/experts/assignments/{assignment.pk}/approve/", {"next": "/experts/tasks/"})
    assert "浙沪联合质量奖评审" in client_for(expert_user).get("/experts/tasks/").content.decode()
    client_for(expert_user).post(f"/experts/assignments/{assignment.pk}/accept/")
    assert "data-tasks=\"confirm\"" in client_for(requester).get("/experts/tasks/").content.decode()


def test_request_form_creates_a_request(client_for, staff_of):
    expert = make_expert("JS")
    editor = staff_of("SH", "editor")
    response = client_for(editor).post("/experts/requests/new/", {
        "province": "", "title": "QC 成果发表赛评委",
    })
    assert response.status_code == 200 and not ExpertRequest.objects.exists()
    from hub.models import Province

    response = client_for(editor).post("/experts/requests/new/", {
        "province": Province.objects.get(code="SH").pk, "title": "QC 成果发表赛评委", "purpose": "qc",
        "start": days(20), "end": days(21), "place": "上海国际会议中心", "specialisms": [specialism().pk],
        "number_needed": 1, "reserves_needed": 0, "experts": [expert.pk]})
    assert response.status_code == 302
    assert Assignment.objects.get().expert == expert


def test_request_form_refuses_past_dates_with_a_message(client_for, staff_of, province):
    response = client_for(staff_of("SH", "editor")).post("/experts/requests/new/", {
        "province": province("SH").pk, "title": "过去的评审", "purpose": "qc", "start": days(-5), "end": days(-4),
        "respond_by": days(-6), "place": "上海", "specialisms": [specialism().pk], "number_needed": 1,
        "reserves_needed": 0})
    assert "开始日期必须晚于今天" in response.content.decode()
    assert not ExpertRequest.objects.exists()


def test_request_is_seen_by_both_provinces_and_the_expert_only(client_for, user_factory, staff_of):
    expert_user = user_factory()
    expert = make_expert("ZJ", user=expert_user)
    request = make_request("SH", expert_ids=[expert.pk])
    url = f"/experts/requests/{request.pk}/"
    assert client_for(staff_of("SH", "reviewer")).get(url).status_code == 200
    assert client_for(staff_of("ZJ", "reviewer")).get(url).status_code == 200
    assert client_for(expert_user).get(url).status_code == 200
    assert client_for(staff_of("JS", "moderator")).get(url).status_code == 404
    other_expert = user_factory()
    make_expert("ZJ", user=other_expert)
    assert client_for(other_expert).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302


def test_draw_page_shows_record_and_replay(client_for, staff_of):
    for _ in range(3):
        make_expert("JS", available=(days(1), days(60)))
    request = make_request("SH", number_needed=1, reserves_needed=1)
    response = client_for(request.created_by).post(f"/experts/requests/{request.pk}/draw/")
    assert response.status_code == 302
    page = client_for(staff_of("SH", "reviewer")).get(response["Location"]).content.decode()
    assert 'data-replay="same"' in page


def test_draw_refusal_is_shown(client_for):
    request = make_request("SH", number_needed=3)
    response = client_for(request.created_by).post(f"/experts/requests/{request.pk}/draw/", follow=True)
    assert "符合条件的专家只有 0 名" in response.content.decode()


def test_rating_form(client_for, user_factory, staff_of):
    expert = make_expert("JS")
    request = make_request("SH", expert_ids=[expert.pk])
    from django.utils import timezone

    Assignment.objects.filter(request=request).update(status="completed", completed_at=timezone.now())
    assignment = request.assignments.get()
    client_for(request.created_by).post(f"/experts/assignments/{assignment.pk}/rate/", {"rating": 4, "comment": "好"})
    assignment.refresh_from_db()
    assert assignment.rating == 4


def test_coordinator_approves_registration_on_profile(client_for, staff_of):
    pending = make_expert("SH", status="pending")
    client_for(staff_of("SH", "coordinator")).post(f"/experts/{pending.pk}/manage/",
                                                   {"action": "status", "status": "active"})
    pending.refresh_from_db()
    assert pending.status == "active"


def test_menu_and_home_section(client):
    make_expert("SH")
    body = client.get("/").content.decode()
    assert "/experts/" in body and "长三角质量专家库" in body


def test_availability_rows_are_not_shown_to_the_public(client_for, staff_of):
    expert = make_expert("SH", available=(days(3), days(4)))
    assert Availability.objects.filter(expert=expert).exists()
    assert "可服务时间" not in client_for(None).get(f"/experts/{expert.pk}/").content.decode()
    assert str(days(3)) in client_for(staff_of("JS", "editor")).get(f"/experts/{expert.pk}/").content.decode()


def test_request_list_and_tasks_run_constant_queries(client_for, staff_of):
    editor = staff_of("SH", "editor")
    client = client_for(editor)

    def grow(n):
        for _ in range(n):
            make_request("SH", actor=editor, expert_ids=[make_expert("JS").pk, make_expert("ZJ").pk])

    grow(1)
    queries_for(client, "/experts/requests/")
    small = (queries_for(client, "/experts/requests/"), queries_for(client, "/experts/tasks/"))
    grow(6)
    large = (queries_for(client, "/experts/requests/"), queries_for(client, "/experts/tasks/"))
    assert small == large


def test_profile_runs_constant_queries(client_for, staff_of):
    expert = make_expert("SH", available=(days(1), days(3)))
    client = client_for(staff_of("SH", "coordinator"))
    queries_for(client, f"/experts/{expert.pk}/")
    small = queries_for(client, f"/experts/{expert.pk}/")
    for n in range(5):
        Availability.objects.create(expert=expert, start=days(10 + 3 * n), end=days(11 + 3 * n))
        expert.conflicts.create(organisation=f"单位{n}", kind="worked_for")
        expert.specialisms.add(specialism(f"专业{n}"))
    assert queries_for(client, f"/experts/{expert.pk}/") == small


def test_signed_in_account_registers_its_profile_without_a_new_account(client_for, user_factory, province):
    user = user_factory()
    client = client_for(user)
    assert "username" not in client.get("/experts/register/").context["form"].fields
    client.post("/experts/register/", {"province": province("JX").pk, "name": "江海波", "employer": "江铃汽车",
                                       "specialisms": [specialism().pk], "languages": ["zh"], "vis_work": "staff",
                                       "vis_biography": "public", "vis_contact": "home"})
    assert Expert.objects.get(name="江海波").user == user


def test_province_section_lists_its_experts(client, province):
    make_expert("AH")
    body = client.get(province("AH").section_page.url).content.decode()
    assert "本省专家" in body and f"?province={province('AH').pk}" in body


# ---------------------------------------------------------------- issue 15: dead ends, picker, relevance, facets

def test_a_coordinator_without_a_profile_is_not_sent_to_the_registration_form(staff_of, client_for, user_factory):
    body = client_for(staff_of("SH", "coordinator")).get("/experts/").content.decode()
    assert "/experts/me/" not in body and "/experts/register/" not in body and "/experts/calendar/" in body
    expert_user = user_factory()
    make_expert("SH", user=expert_user)
    assert "/experts/me/" in client_for(expert_user).get("/experts/").content.decode()


def test_a_completed_request_offers_neither_draw_nor_withdrawal(staff_of, client_for):
    expert = make_expert("JS")
    request = make_request("SH", expert_ids=[expert.pk])
    request.assignments.update(status="completed")
    body = client_for(request.created_by).get(f"/experts/requests/{request.pk}/").content.decode()
    assert 'data-offer="draw"' not in body and 'data-offer="withdraw"' not in body
    assert "随机抽取专家" not in body and "撤回申请" not in body


def test_an_open_request_with_places_left_offers_both(staff_of, client_for):
    request = make_request("SH", number_needed=2)
    body = client_for(request.created_by).get(f"/experts/requests/{request.pk}/").content.decode()
    assert 'data-offer="draw"' in body and 'data-offer="withdraw"' in body


def test_mark_complete_is_not_offered_before_the_start(client_for):
    expert = make_expert("JS")
    request = make_request("SH", expert_ids=[expert.pk])
    request.assignments.update(status="confirmed")
    body = client_for(request.created_by).get(f"/experts/requests/{request.pk}/").content.decode()
    assert 'data-step="complete"' not in body
    request.assignments.update(start=days(0))
    body = client_for(request.created_by).get(f"/experts/requests/{request.pk}/").content.decode()
    assert 'data-step="complete"' in body


def test_the_directory_shows_the_association_number_not_the_internal_id(client_for):
    expert = make_expert("SH", name="编号测试")
    Expert.objects.filter(pk=expert.pk).update(external_ref="SHQA-2020-17")
    body = client_for(None).get("/experts/", {"q": "编号测试"}).content.decode()
    assert "SHQA-2020-17" in body and f"编号 {expert.pk} " not in body


def test_the_picker_finds_experts_by_name_employer_and_pinyin(staff_of, client_for):
    wang = make_expert("ZJ", name="王建国", employer="浙江方圆检测集团")
    make_expert("ZJ", name="李四", employer="杭州某厂")
    client = client_for(staff_of("SH", "editor"))
    for query in ("王建", "方圆检测", "wangjianguo", "wjg"):
        results = client.get("/experts/api/picker.json", {"q": query}).json()["results"]
        assert [r["id"] for r in results] == [wang.pk], query


def test_the_picker_is_for_requesting_staff_only(client_for, user_factory):
    assert client_for(user_factory()).get("/experts/api/picker.json", {"q": "王"}).status_code == 403


def test_the_request_form_has_a_picker_not_an_id_box(staff_of, client_for):
    expert = make_expert("JS", name="点名专家")
    body = client_for(staff_of("SH", "editor")).get(f"/experts/requests/new/?expert={expert.pk}").content.decode()
    assert "data-expert-picker" in body and 'name="expert_ids"' not in body
    assert f'name="experts" value="{expert.pk}" checked' in body and "点名专家" in body


def test_6_sigma_and_pinyin_queries_find_experts(client_for):
    black_belt = make_expert("SH", name="赵六", specialisms=[specialism("六西格玛与精益改进")])
    black_belt.qualifications.set([qualification("六西格玛黑带")])
    wang = make_expert("JS", name="王建国")
    client = client_for(None)
    for query in ("6σ", "6 sigma", "Six Sigma"):
        assert client.get("/experts/api/experts.json", {"q": query}).json()["count"] == 1, query
    for query in ("wangjianguo", "wang jianguo", "wjg"):
        results = client.get("/experts/api/experts.json", {"q": query}).json()["results"]
        assert [r["id"] for r in results] == [wang.pk], query


def test_the_directory_ranks_a_name_match_above_a_mention(client_for):
    make_expert("SH", name="甲", bio="曾与周明辉共同完成项目")
    named = make_expert("JS", name="周明辉")
    results = client_for(None).get("/experts/api/experts.json", {"q": "周明辉"}).json()["results"]
    assert results[0]["id"] == named.pk


def test_facets_show_counts_under_the_other_filters(client_for):
    qc = specialism("QC小组成果评审")
    make_expert("SH", specialisms=[qc])
    make_expert("SH", specialisms=[qc, specialism()])
    make_expert("JS", specialisms=[specialism()])
    body = client_for(None).get("/experts/", {"specialism": qc.pk}).content.decode()
    facet = body.split('data-facet="province"')[1].split("</p>")[0]
    assert "上海" in facet and '<span class="ep-count">2</span>' in facet and "江苏" not in facet
    specialisms = body.split('data-facet="specialism"')[1].split("</p>")[0]
    assert f'data-value="{qc.pk}" aria-current="true">QC小组成果评审 <span class="ep-count">2</span>' in specialisms
