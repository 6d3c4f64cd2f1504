"""Dead ends on the public side: the decision form asks only for what it can take; an auto-linked standard number
is styled on every page, not only on the standards pages."""
import re
from pathlib import Path

import pytest
from django.urls import reverse

from sharing.models import RecognitionDecision
from tests.cms.factories import content_page
from tests.sharing.factories import make_standard, propose

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.mark.django_db
def test_deciding_without_evidence_asks_for_a_link_not_an_upload(client_for, staff_of):
    standard = make_standard("SH")
    propose(standard)
    response = client_for(staff_of("ZJ", "reviewer")).post(
        reverse("standards:decide", args=[standard.pk, "ZJ"]),
        {"outcome": "recognised", "rationale": "审查会通过", "finalise": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "请提供依据" in html
    form = html[html.index("std-decide-form"):html.index("</form>")]
    assert 'type="file"' not in form and "上传" not in form
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
def test_an_auto_linked_standard_number_is_styled_on_a_content_page(client, province):
    standard = make_standard("SH", sequence=10, year=2025)
    page = content_page(province("SH").section_page, "标准宣贯通知", intro=f"<p>请按 {standard.number} 执行。</p>")
    html = client.get(page.url).content.decode()
    assert 'class="std-link-status"' in html
    stylesheets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    css = "".join((STATIC / path).read_text() for path in stylesheets)
    assert ".std-link-status {" in css and ".std-link-in_force .std-link-status" in css
