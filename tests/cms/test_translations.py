"""The provinces' English sections (cms/translations.py): provisioned with the province's own page permissions, so a
province's staff translate and edit only their own pages."""
import pytest
from wagtail.models import Locale, Page

from cms.models import ProvinceSectionPage
from tests.cms import factories


@pytest.mark.django_db
def test_every_province_has_a_draft_english_section_its_staff_edit(province, staff_of):
    english = Locale.objects.get(language_code="en")
    sh, ah = province("SH"), province("AH")
    section = sh.section_page.get_translation(english).specific
    assert isinstance(section, ProvinceSectionPage) and section.province_id is None
    assert section.original_province() == sh
    assert not section.live  # nothing public until the association writes and publishes it
    assert section.permissions_for_user(staff_of("SH", "editor")).can_edit()
    assert not section.permissions_for_user(staff_of("AH", "editor")).can_edit()
    assert ah.section_page.get_translation(english).permissions_for_user(staff_of("AH", "moderator")).can_publish()


@pytest.mark.django_db
def test_staff_translate_their_own_pages_into_their_english_section(province, staff_of, client_for):
    english = Locale.objects.get(language_code="en")
    sh = province("SH")
    page = factories.content_page(sh.section_page, "上海通知")
    url = f"/admin/translation/submit/page/{page.pk}/"

    assert client_for(staff_of("AH", "editor")).post(url, {"locales": [english.pk]}).status_code in (403, 404)
    assert not page.get_translations().exists()

    response = client_for(staff_of("SH", "editor")).post(url, {"locales": [english.pk]})
    assert response.status_code == 302
    translated = page.get_translation(english)
    assert translated.get_parent().pk == sh.section_page.get_translation(english).pk
    assert not translated.live
    assert translated.permissions_for_user(staff_of("SH", "editor")).can_edit()
    assert not translated.permissions_for_user(staff_of("AH", "moderator")).can_edit()


@pytest.mark.django_db
def test_an_english_event_keeps_its_province(province):
    english = Locale.objects.get(language_code="en")
    event = factories.event(province("JS"), title="江苏活动")
    translated = event.copy_for_translation(english)
    assert translated.specific.province_id == province("JS").pk
    assert Page.objects.get(pk=translated.pk).locale == english
