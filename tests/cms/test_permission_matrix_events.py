"""Events, registrations, achievements and adoption records in the shared permission matrix."""
import pytest

from cms.events import Registration
from tests.cms import factories
from tests.matrix import Case, case_id, check_case, check_scoped_model


def event(province):
    return factories.event(province, registration_open=True, capacity=10)


def achievement(province):
    return factories.achievement(province)


def registration(province):
    return factories.registration(event(province), status="pending")


def adoption(province):
    from hub.models import Province

    other = Province.objects.exclude(pk=province.pk).exclude(code="ZJ").first()
    return factories.adoption(factories.achievement(other), province)


def revisions(page):
    return page.revisions.count()


def status(registration):
    return Registration.objects.get(pk=registration.pk).status


def adoption_state(adoption):
    from sharing.models import Adoption

    row = Adoption.objects.filter(pk=adoption.pk).first()
    return row and (row.outcome, row.feedback)


def second_revision(page):
    page.save_revision()
    return page


def compare_url(page):
    first, last = page.revisions.order_by("pk")[:2]
    return f"/admin/pages/{page.pk}/revisions/compare/{first.pk}...{last.pk}/"


PAGE_ADMIN = [
    ("edit", lambda p: f"/admin/pages/{p.pk}/edit/", "change"),
    ("preview", lambda p: f"/admin/pages/{p.pk}/edit/preview/", "change"),
    ("history", lambda p: f"/admin/pages/{p.pk}/history/", "change"),
    ("revisions", lambda p: f"/admin/pages/{p.pk}/revisions/", "change"),  # a redirect to the history
    ("workflow history", lambda p: f"/admin/pages/{p.pk}/workflow_history/", "change"),
    ("copy", lambda p: f"/admin/pages/{p.pk}/copy/", "add"),
    ("unpublish", lambda p: f"/admin/pages/{p.pk}/unpublish/", "publish"),
    # Wagtail treats moving like deleting: a role with change and publish on the subtree may do it.
    ("move", lambda p: f"/admin/pages/{p.pk}/move/", "publish"),
]

CASES = []
# Every secondary view for events; achievements go through the same Wagtail views on the same subtree
# permissions, so they get the writes and the most-used views only (the matrix is slow per case).
for label, make, views in (("event", event, PAGE_ADMIN), ("achievement", achievement, PAGE_ADMIN[:2])):
    CASES.append(Case(f"{label} page public", make, lambda p: p.url, public=True))
    for name, url, action in views:
        CASES.append(Case(f"{label} admin {name}", make, url, action=action,
                          redirects_to="/admin/pages/" if name == "revisions" else None))
    CASES.append(Case(f"{label} revisions compare", lambda p, make=make: second_revision(make(p)), compare_url,
                      action="change"))
    CASES.append(Case(f"{label} admin unpublish post", make, lambda p: f"/admin/pages/{p.pk}/unpublish/",
                      action="publish", method="post", data=lambda p: {},
                      written=lambda p: type(p).objects.get(pk=p.pk).live))

CASES += [
    Case("event registrations list", event, lambda e: f"/events/{e.pk}/registrations/", action="view"),
    Case("event registrations csv", event, lambda e: f"/events/{e.pk}/registrations/export.csv", action="view"),
    Case("event registrations xlsx", event, lambda e: f"/events/{e.pk}/registrations/export.xlsx", action="view"),
    Case("registration decide", registration, lambda r: f"/events/registrations/{r.pk}/decide/", action="change",
         method="post", data=lambda r: {"decision": "approve"}, written=status),
    Case("adoption edit form", adoption, lambda a: f"/achievements/adoptions/{a.pk}/edit/", action="change"),
    Case("adoption edit save", adoption, lambda a: f"/achievements/adoptions/{a.pk}/edit/", action="change",
         method="post", written=adoption_state,
         data=lambda a: {"organisation": a.organisation, "adopted_on": "2024-05-01", "outcome": "改：效果良好",
                         "feedback": "改"}),
    Case("adoption delete", adoption, lambda a: f"/achievements/adoptions/{a.pk}/delete/", action="delete",
         method="post", data=lambda a: {}, written=adoption_state),
]


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_events_and_achievements_hold_the_province_boundary(case, province):
    check_case(case, province)


@pytest.mark.django_db
def test_registrations_are_scoped_to_the_organising_province(province):
    check_scoped_model(Registration, lambda p: factories.registration(factories.event(p)), province)


@pytest.mark.django_db
def test_nobody_moves_an_event_into_another_provinces_section(province, staff_of, client_for):
    from tests.matrix import is_refused

    page = event(province("SH"))
    url = f"/admin/pages/{page.pk}/move/{province('ZJ').section_page.pk}/confirm/"
    for code in ("SH", "ZJ"):
        for role in ("editor", "moderator"):
            assert is_refused(client_for(staff_of(code, role)).post(url), url), (code, role)
    page.refresh_from_db()
    assert page.get_parent().pk == province("SH").section_page.pk


@pytest.mark.django_db
def test_document_chooser_offers_only_the_own_provinces_collection(province, staff_of, client_for):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    from hub.services.provisioning import province_collection

    for code, title in (("SH", "上海活动通知"), ("ZJ", "浙江内部通知")):
        Document.objects.create(title=title, collection=province_collection(province(code)),
                                file=ContentFile(b"%PDF-1.4", name=f"{code}.pdf"))
    html = client_for(staff_of("SH", "editor")).get("/admin/documents/chooser/").json()["html"]
    assert "上海活动通知" in html and "浙江内部通知" not in html
