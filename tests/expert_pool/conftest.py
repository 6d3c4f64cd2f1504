import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Test accounts need no key stretching; PBKDF2 made each user cost a noticeable fraction of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
