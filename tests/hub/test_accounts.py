"""Accounts: lockout on both login pages, the secretariat's unlock, a password reset that reveals nothing,
two-factor sign-in for staff, and the site's own login for members-only pages."""
import re
import time

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
LOCKED = "登录失败次数过多"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, url, username, password, address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(url, staff_of):
    user = staff_of("SH", "editor")
    client = Client()
    for _n in range(4):
        assert login(client, url, user.username, "wrong").status_code == 200
    assert login(client, url, user.username, "wrong").status_code == 429  # the fifth failure locks
    response = login(client, url, user.username, PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    # the account stays locked from another address too
    assert login(Client(), url, user.username, PASSWORD, address="10.9.9.9").status_code == 429


def test_one_address_guessing_many_accounts_is_locked(user_factory):
    victims = [user_factory() for _n in range(5)]
    for victim in victims:
        login(Client(), "/accounts/login/", victim.username, "wrong", address="10.0.0.7")
    mine = user_factory()
    assert login(Client(), "/accounts/login/", mine.username, PASSWORD, address="10.0.0.7").status_code == 429
    assert login(Client(), "/accounts/login/", mine.username, PASSWORD, address="10.0.0.8").status_code == 302


def test_four_wrong_passwords_do_not_lock(user_factory):
    user = user_factory()
    for _n in range(4):
        login(Client(), "/accounts/login/", user.username, "wrong")
    assert login(Client(), "/accounts/login/", user.username, PASSWORD).status_code == 302


def test_secretariat_lists_and_lifts_a_lockout(user_factory, client_for):
    user = user_factory()
    for _n in range(5):
        login(Client(), "/accounts/login/", user.username, "wrong", address="10.0.0.2")
    assert login(Client(), "/accounts/login/", user.username, PASSWORD, address="10.0.0.3").status_code == 429
    assert client_for(user_factory()).get("/accounts/lockouts/").status_code == 403
    secretariat = client_for(user_factory(role="secretariat"))
    page = secretariat.get("/accounts/lockouts/").content.decode()
    assert user.username in page and "10.0.0.2" in page
    secretariat.post("/accounts/lockouts/release/", {"username": user.username})
    secretariat.post("/accounts/lockouts/release/", {"ip_address": "10.0.0.2"})
    assert login(Client(), "/accounts/login/", user.username, PASSWORD, address="10.0.0.3").status_code == 302


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_password_reset_answers_alike_for_known_and_unknown_addresses(user_factory, settings):
    settings.HUB_BASE_URL = "https://hub.example.org"
    user = user_factory()
    known = Client().post("/accounts/password/reset/", {"email": user.email}, follow=True)
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.test"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known) == without_csrf(unknown)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"https://hub\.example\.org(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "a-new-long-pass-2026", "new_password2": "a-new-long-pass-2026"})
    user.refresh_from_db()
    assert user.check_password("a-new-long-pass-2026")


def test_login_page_offers_password_reset_in_the_site_layout():
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in page and "忘记密码" in page and 'class="site-header"' in page
    reset = Client().get("/accounts/password/reset/").content.decode()
    assert 'class="site-header"' in reset and "电子邮箱" in reset


# --------------------------------------------------------------------------------------------- two-factor

def token(device, ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def test_staff_enrols_with_a_local_qr_code_and_then_needs_the_code_after_the_password(staff_of):
    user = staff_of("SH", "editor")
    user.is_staff = True
    user.save()
    client = Client()
    assert login(client, "/accounts/login/", user.username, PASSWORD).status_code == 302
    page = client.get("/accounts/two-factor/").content.decode()
    assert "<svg" in page and "otpauth" not in page.split("<svg")[0]
    assert not re.search(r'(src|href)="https?://', page)  # nothing from an outside host
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/accounts/two-factor/", {"token": "000000"}).status_code == 302
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    client.post("/accounts/two-factor/", {"token": token(device)})
    assert TOTPDevice.objects.get(pk=device.pk).confirmed

    again = Client()
    assert login(again, "/admin/login/", user.username, PASSWORD).status_code == 302
    held = again.get("/admin/")
    assert held.status_code == 302 and held["Location"].startswith("/accounts/two-factor/verify/")
    assert again.get("/experts/export.xlsx").status_code == 302  # every page waits for the code
    done = again.post("/accounts/two-factor/verify/", {"token": token(device, ahead=1), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert again.get("/admin/").status_code == 200


def test_verify_step_refuses_a_wrong_code(staff_of):
    user = staff_of("SH", "editor")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    login(client, "/accounts/login/", user.username, PASSWORD)
    wrong = f"{(int(token(device)) + 1) % 10**6:06d}"
    page = client.post("/accounts/two-factor/verify/", {"token": wrong, "next": "/"})
    assert page.status_code == 200 and "验证码不正确" in page.content.decode()
    assert client.get("/").status_code == 302  # still held at the second step


def test_verify_step_ignores_an_outside_next(staff_of):
    user = staff_of("SH", "editor")
    user.is_staff = True
    user.save()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    login(client, "/accounts/login/", user.username, PASSWORD)
    done = client.post("/accounts/two-factor/verify/", {"token": token(device), "next": "https://elsewhere.example/"})
    assert done.status_code == 302 and done["Location"] == "/"


def test_superuser_must_enrol_in_production(settings, superuser):
    settings.HUB_SUPERUSER_2FA_REQUIRED = True
    client = Client()
    login(client, "/accounts/login/", superuser.username, PASSWORD)
    held = client.get("/admin/")
    assert held.status_code == 302 and held["Location"].startswith("/accounts/two-factor/?")
    assert client.get(held["Location"]).status_code == 200


def test_superuser_without_device_is_not_held_outside_production(superuser):
    client = Client()
    login(client, "/accounts/login/", superuser.username, PASSWORD)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_a_session_waiting_for_its_code_is_anonymous_on_websockets(staff_of):
    from asgiref.sync import sync_to_async
    from django.contrib.sessions.backends.db import SessionStore

    from hub.accounts.middleware import SESSION_KEY, WebsocketSecondFactorGate

    seen = {}

    async def app(scope, receive, send):
        seen["user"] = scope["user"]

    user = await sync_to_async(staff_of)("SH", "editor")
    for pending, anonymous in ((None, False), ("verify", True)):
        # As the gate finds it: unread, or already read by the auth middleware (then it answers without a hop).
        for already_read in (False, True):
            session = SessionStore()
            if pending:
                session[SESSION_KEY] = pending
            await sync_to_async(session.save)()
            store = SessionStore(session.session_key)
            if already_read:
                await sync_to_async(store.keys)()
                assert store.accessed
            seen.clear()
            await WebsocketSecondFactorGate(app)({"type": "websocket", "session": store, "user": user}, None, None)
            assert seen["user"].is_anonymous == anonymous, (pending, already_read)
