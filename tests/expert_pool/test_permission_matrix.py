"""The expert pool's entries in the shared permission matrix: every model's restrict() and every URL acting on a
province's object, tried by every role of the owning province, another province, the secretariat, outsiders and
anonymous visitors."""
import pytest

from expert_pool import services
from expert_pool.models import Assignment, Availability, Conflict, Draw, Expert, ExpertRequest
from hub.models import Province
from tests.conftest import make_user
from tests.expert_pool.factories import days, make_expert, make_request, specialism
from tests.matrix import Case, case_id, check_case, check_scoped_model

pytestmark = pytest.mark.django_db


def expert_of(province, status="active"):
    return make_expert(province, status=status)


def availability_of(province):
    expert = make_expert(province)
    return Availability.objects.create(expert=expert, start=days(1), end=days(2))


def conflict_of(province):
    return Conflict.objects.create(expert=make_expert(province), organisation="某公司", kind="worked_for")


def request_of(province):
    """A request of ``province`` for one of its own experts: only that province is involved."""
    return make_request(province, expert_ids=[make_expert(province).pk])


def assignment_of(province):
    return request_of(province).assignments.get()


def borrowed_from(province):
    """An assignment of ``province``'s expert to a request of Jiangsu (outside the matrix's two provinces)."""
    js = Province.objects.get(code="JS")
    return make_request(js, expert_ids=[make_expert(province).pk]).assignments.get()


def draw_of(province):
    """A draw of ``province`` among its own experts only (a province-specific specialism keeps others out)."""
    own = specialism(f"专业-{province.code}")
    window = (days(1), days(60))
    for _ in range(2):
        make_expert(province, available=window, specialisms=[own])
    request = make_request(province, number_needed=1, specialisms=[own])
    return services.draw_run(actor=request.created_by, request_id=request.pk)


def request_with_candidates(province):
    own = specialism(f"专业-{province.code}")
    window = (days(1), days(60))
    make_expert(province, available=window, specialisms=[own])
    make_expert(province, available=window, specialisms=[own])
    return make_request(province, number_needed=1, specialisms=[own])


@pytest.mark.parametrize("model, make, action", [
    (Expert, expert_of, "view"), (Expert, expert_of, "coordinate"),
    (Availability, availability_of, "view"), (Conflict, conflict_of, "view"),
    (ExpertRequest, request_of, "view"), (ExpertRequest, request_of, "add"),
    (Assignment, assignment_of, "view"), (Assignment, assignment_of, "coordinate"),
    (Draw, draw_of, "view"),
], ids=lambda v: getattr(v, "__name__", v))
def test_models_are_scoped(model, make, action, province):
    check_scoped_model(model, make, province, action)


def status_of(obj):
    obj.refresh_from_db()
    return obj.status


def draw_count(obj):
    return Draw.objects.filter(request=obj).count()


def pending_pair(province):
    """Two pending registrations of one province; the second carries the first as ``other``."""
    first, second = expert_of(province, "pending"), expert_of(province, "pending")
    second.other = first
    return second


REQUESTERS = ("own coordinator",)  # requesting staff: `add` (editors, moderators) or `coordinate`

CASES = [
    Case("pending profile", lambda p: expert_of(p, "pending"), lambda e: f"/experts/{e.pk}/"),
    Case("active profile", expert_of, lambda e: f"/experts/{e.pk}/", public=True),
    Case("approve registration", lambda p: expert_of(p, "pending"), lambda e: f"/experts/{e.pk}/manage/",
         action="coordinate", method="post", data=lambda e: {"action": "status", "status": "active"},
         written=status_of),
    Case("set visibility", expert_of, lambda e: f"/experts/{e.pk}/manage/", action="coordinate", method="post",
         data=lambda e: {"action": "visibility", "vis_work": "public", "vis_biography": "home",
                         "vis_contact": "staff"},
         written=lambda e: Expert.objects.get(pk=e.pk).visibility),
    Case("request detail", request_of, lambda r: f"/experts/requests/{r.pk}/"),
    Case("request withdraw", request_of, lambda r: f"/experts/requests/{r.pk}/withdraw/", action="add",
         method="post", written=status_of, also_allowed=REQUESTERS),
    Case("request draw", request_with_candidates, lambda r: f"/experts/requests/{r.pk}/draw/", action="add",
         method="post", written=draw_count, also_allowed=REQUESTERS),
    Case("approve borrowing", borrowed_from, lambda a: f"/experts/assignments/{a.pk}/approve/",
         action="coordinate", method="post", written=status_of),
    Case("draw record", draw_of, lambda d: f"/experts/draws/{d.pk}/"),
    Case("reject registration", lambda p: expert_of(p, "pending"), lambda e: f"/experts/{e.pk}/manage/",
         action="coordinate", method="post", data=lambda e: {"action": "status", "status": "rejected",
                                                             "reason": "资料不全"},
         written=status_of),
    Case("compare duplicates", pending_pair, lambda e: f"/experts/{e.pk}/compare/{e.other.pk}/",
         action="coordinate"),
    Case("merge duplicates", pending_pair, lambda e: f"/experts/{e.pk}/compare/{e.other.pk}/",
         action="coordinate", method="post", data=lambda e: {"keep": e.other.pk},
         written=lambda e: Expert.objects.filter(pk=e.pk).exists()),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_urls_hold_the_province_boundary(case, province):
    check_case(case, province)


def test_only_coordinators_reach_the_import_page(client_for, staff_of):
    assert client_for(staff_of("SH", "coordinator")).get("/experts/import/").status_code == 200
    for role in ("editor", "moderator", "reviewer", "member"):
        assert client_for(staff_of("SH", role)).get("/experts/import/").status_code == 403
    assert client_for(make_user()).get("/experts/import/").status_code == 403


def test_only_requesting_staff_open_the_request_form(client_for, staff_of):
    for role, status in (("editor", 200), ("moderator", 200), ("coordinator", 200), ("reviewer", 403),
                         ("member", 403)):
        assert client_for(staff_of("SH", role)).get("/experts/requests/new/").status_code == status, role
