"""Contact details become public only through the expert's explicit consent step; the default stays private."""
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client

from expert_pool import services, visibility
from tests.expert_pool.factories import make_expert, specialism

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "13912340000", "qian@example.test"


@pytest.fixture
def expert(user_factory):
    return make_expert("ZJ", user=user_factory(), name="钱卫东", phone=PHONE, email=EMAIL)


def public_profile(expert) -> str:
    return Client().get(f"/experts/{expert.pk}/").content.decode()


def profile_post(expert, **visibility_choice):
    return {"name": expert.name, "employer": expert.employer or "单位", "specialisms": [specialism().pk],
            "languages": ["zh"], "phone": PHONE, "email": EMAIL, "vis_work": "staff", "vis_biography": "public",
            "vis_contact": "home", **visibility_choice}


def test_contact_details_are_private_by_default(expert):
    assert "contact" not in visibility.visible_groups(AnonymousUser(), expert)
    assert PHONE not in public_profile(expert)


def test_the_profile_form_cannot_make_contact_details_public(expert, client_for):
    client = client_for(expert.user)
    page = client.get("/experts/me/").content.decode()
    assert "公开联系方式" in page
    client.post("/experts/me/", profile_post(expert, vis_contact="public"))
    expert.refresh_from_db()
    assert PHONE not in public_profile(expert)
    assert Client().get("/experts/", {"q": PHONE}).content.decode().count("钱卫东") == 0
    with pytest.raises(ValidationError):
        services.expert_update_own(actor=expert.user, visibility_={"contact": "public"})


def test_the_coordinator_cannot_make_contact_details_public(expert, staff_of):
    with pytest.raises(ValidationError):
        services.expert_set_visibility(actor=staff_of("ZJ", "coordinator"), expert_id=expert.pk,
                                       visibility_={"contact": "public"})
    expert.refresh_from_db()
    assert PHONE not in public_profile(expert)


def test_consent_page_says_what_becomes_public_and_only_an_explicit_yes_opens_it(expert, client_for):
    client = client_for(expert.user)
    page = client.get("/experts/me/contact/").content.decode()
    assert PHONE in page and EMAIL in page and "未登录的公众" in page and 'class="site-header"' in page
    client.post("/experts/me/contact/", {})  # no tick in the box
    expert.refresh_from_db()
    assert expert.contact_public_consent_at is None and PHONE not in public_profile(expert)
    client.post("/experts/me/contact/", {"agree": "on"})
    expert.refresh_from_db()
    assert expert.contact_public_consent_at is not None
    assert PHONE in public_profile(expert) and EMAIL in public_profile(expert)
    client.post("/experts/me/contact/", {"action": "withdraw"})
    expert.refresh_from_db()
    assert expert.contact_public_consent_at is None and PHONE not in public_profile(expert)


def test_a_public_setting_without_consent_is_not_honoured(expert):
    expert.visibility = {"contact": "public"}  # e.g. written before the consent step existed
    assert "contact" not in visibility.visible_groups(AnonymousUser(), expert)
