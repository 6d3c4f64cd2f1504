"""Self-registration tells an anonymous visitor nothing about which usernames exist."""
import pytest
from django.test import Client

from expert_pool.models import Expert
from tests.expert_pool.factories import specialism

pytestmark = pytest.mark.django_db


def register(name, **extra):
    from hub.models import Province

    return Client().post("/experts/register/", {
        "password": "pass-word-2026", "province": Province.objects.get(code="SH").pk, "name": name,
        "employer": "上海某公司", "specialisms": [specialism().pk], "languages": ["zh"], "vis_work": "staff",
        "vis_biography": "public", "vis_contact": "home", **extra})


def test_registration_answers_alike_whether_or_not_a_username_exists(user_factory):
    taken = user_factory(username="zhang-wei")
    first = register("张伟", username="zhang-wei")
    second = register("李伟", username="unused-name-xyz")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert "已被使用" not in first.content.decode()
    assert {e.name for e in Expert.objects.all()} >= {"张伟", "李伟"}
    taken.refresh_from_db()
    assert taken.check_password("pw-for-tests-only")  # the existing account is untouched


def test_the_form_asks_for_no_username():
    page = Client().get("/experts/register/").content.decode()
    assert 'name="username"' not in page
