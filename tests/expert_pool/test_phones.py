"""Phone numbers are normalised and validated wherever they enter: registration, profile, import."""
import pytest
from django.core.exceptions import ValidationError

from expert_pool import services
from expert_pool.models import Expert
from tests.expert_pool.factories import make_expert, specialism


@pytest.mark.parametrize("raw, stored", [
    ("133 7087 2252", "13370872252"),
    ("133-7087-2252", "13370872252"),
    ("+86 133 7087 2252", "13370872252"),
    ("0086-13370872252", "13370872252"),
    ("021-12345678", "021-12345678"),
    ("(021) 1234 5678", "021-12345678"),
    ("021-12345678-801", "021-12345678-801"),
    ("021-12345678 转 801", "021-12345678-801"),
    ("0571-8765432", "0571-8765432"),
    ("", ""),
])
def test_valid_numbers_are_stored_in_one_form(raw, stored):
    from expert_pool import phones

    assert phones.normalise(raw) == stored


@pytest.mark.parametrize("raw", ["abc-not-a-phone", "12345", "23370872252", "1337087225", "021-1234",
                                 "133708722521", "13370872252-8"])
def test_anything_else_is_refused(raw):
    from expert_pool import phones

    with pytest.raises(ValidationError):
        phones.normalise(raw)


@pytest.mark.django_db
def test_registration_refuses_a_bad_phone_and_writes_nothing(province):
    with pytest.raises(ValidationError) as caught:
        services.expert_register(username="phone-bad", password="a-long-pass-2026", province=province("SH"),
                                 name="周强", employer="某厂", phone="abc-not-a-phone", specialisms=[specialism()])
    assert "phone" in caught.value.message_dict
    assert not Expert.objects.filter(name="周强").exists()


@pytest.mark.django_db
def test_registration_stores_the_normalised_phone(province):
    expert = services.expert_register(username="phone-ok", password="a-long-pass-2026", province=province("SH"),
                                      name="周强", employer="某厂", phone="+86 133 7087 2252",
                                      specialisms=[specialism()])
    assert expert.phone == "13370872252"


@pytest.mark.django_db
def test_profile_edit_refuses_a_bad_phone(user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user, phone="13900000000")
    with pytest.raises(ValidationError):
        services.expert_update_own(actor=user, phone="abc-not-a-phone")
    expert.refresh_from_db()
    assert expert.phone == "13900000000"


@pytest.mark.django_db
def test_the_profile_form_shows_a_chinese_error_for_a_bad_phone(client_for, user_factory):
    user = user_factory()
    make_expert("SH", user=user)
    response = client_for(user).post("/experts/me/", {"name": "x", "employer": "y", "phone": "abc-not-a-phone",
                                                      "specialisms": [specialism().pk], "languages": ["zh"]})
    assert response.status_code == 200
    assert "电话号码格式不正确" in response.content.decode()
