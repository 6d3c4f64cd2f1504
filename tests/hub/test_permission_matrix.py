"""The foundation's entries in the shared permission matrix: province section pages in the Wagtail admin."""
import pytest
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from tests.matrix import Case, case_id, check_case


def section(province):
    return province.section_page


def revision_count(page):
    return page.revisions.count()


CASES = [
    Case("section edit view", section, lambda p: f"/admin/pages/{p.pk}/edit/", action="change"),
    Case("section edit save", section, lambda p: f"/admin/pages/{p.pk}/edit/", action="change", method="post",
         data=lambda p: nested_form_data({"title": p.title + "（改）", "slug": p.slug, "intro": rich_text("<p>改</p>"),
                                          "body": streamfield([]), "comments": {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}}),
         written=revision_count),
    Case("section history", section, lambda p: f"/admin/pages/{p.pk}/history/", action="change"),
    Case("section add child chooser", section, lambda p: f"/admin/pages/{p.pk}/add_subpage/", action="add"),
    Case("section page public", section, lambda p: p.url, public=True),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_section_pages_hold_the_province_boundary(case, province):
    check_case(case, province)
