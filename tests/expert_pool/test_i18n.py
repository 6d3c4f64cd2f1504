"""Issue 18: the English expert pool shows specialisms and qualifications (editable taxonomies) in English;
the Chinese site and the data exchange (exports, search documents) keep the stored Chinese names."""
import re

import pytest
from django.utils import translation

from expert_pool.taxonomy import QUALIFICATIONS, SPECIALISMS
from tests.expert_pool.factories import days, make_expert, qualification, specialism

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: The words people wrote about themselves: they stay as typed.
FREE_TEXT = {"name": "沈一鸣", "title": "高级工程师", "bio": "长期从事质量管理", "industries": "汽车及零部件",
             "employer": "上海电气集团股份有限公司"}


def english_name(name: str) -> str:
    with translation.override("en"):
        return translation.gettext(name)


@pytest.fixture
def expert():
    e = make_expert("SH", specialisms=[specialism(n) for n in SPECIALISMS], languages=["zh", "en"],
                    available=(days(1), days(5)), **FREE_TEXT)
    e.qualifications.set([qualification(n) for n in QUALIFICATIONS])
    return e


def visible_text(html: str) -> str:
    """What a reader sees: text and attribute values (titles, labels), without scripts and the language switch."""
    html = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", html, flags=re.S)
    html = re.sub(r'<a [^>]*href="/i18n/[^"]*"[^>]*>.*?</a>', " ", html, flags=re.S)
    for value in FREE_TEXT.values():
        html = html.replace(value, " ")
    return html


def test_every_starting_entry_has_an_english_name():
    missing = [n for n in SPECIALISMS + QUALIFICATIONS if english_name(n) == n or CJK.search(english_name(n))]
    assert not missing


@pytest.mark.parametrize("who", ["anonymous", "coordinator"])
def test_english_directory_and_profile_show_english_names(who, expert, client_for, staff_of):
    client = client_for(None if who == "anonymous" else staff_of("SH", "coordinator"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    for url in ("/experts/", f"/experts/{expert.pk}/"):
        body = client.get(url).content.decode()
        assert '<html lang="en">' in body, url
        for name in SPECIALISMS + QUALIFICATIONS:
            assert english_name(name) in body, (url, name)
        assert "Shanghai" in body and "Chinese, English" in body, url
        chinese = sorted(set(re.findall(r"[^<>\"]{0,20}" + CJK.pattern + r"+[^<>\"]{0,20}", visible_text(body))))
        assert not chinese, (url, chinese[:10])


def test_english_filter_choices_and_facets(expert, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/experts/").content.decode()
    six_sigma = qualification("六西格玛黑带")
    assert f'<option value="{six_sigma.pk}">Six Sigma Black Belt</option>' in body
    assert re.search(rf'data-value="{six_sigma.pk}"[^>]*>Six Sigma Black Belt <span', body)
    filtered = client.get("/experts/", {"qualification": six_sigma.pk}).content.decode()
    assert FREE_TEXT["name"] in filtered


def test_english_registration_form_offers_english_choices(client):
    for name in SPECIALISMS:
        specialism(name)
    for name in QUALIFICATIONS:
        qualification(name)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/experts/register/").content.decode()
    assert "Quality management system audit" in body and "Registered auditor" in body
    assert "质量管理体系审核" not in body and "注册审核员" not in body


def test_the_chinese_site_is_unchanged(expert, client):
    for url in ("/experts/", f"/experts/{expert.pk}/"):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
        assert '<html lang="zh-hans">' in body, url
        for name in SPECIALISMS + QUALIFICATIONS:
            assert name in body, (url, name)
        assert "Six Sigma Black Belt" not in body and "Quality engineer" not in body, url
        assert "中文、英语" in body, url


def test_exports_and_search_documents_keep_the_stored_names(expert):
    from expert_pool import visibility
    from expert_pool.selectors import with_profile_relations

    e = with_profile_relations(type(expert).objects.filter(pk=expert.pk)).get()
    with translation.override("en"):
        values = visibility.field_values(e)
    assert "六西格玛黑带" in values["qualifications"] and "Six Sigma" not in values["qualifications"]
    assert "质量奖评审" in values["specialisms"]


def test_a_new_entry_shows_as_typed_until_translated():
    with translation.override("en"):
        assert specialism("桥梁检测").label == "桥梁检测"
        assert specialism("质量奖评审").label == "Quality award review"
