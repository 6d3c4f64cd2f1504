from django.test import override_settings

from hub.links import absolute_url


@override_settings(HUB_BASE_URL="https://hub.example.org/")
def test_absolute_url_joins_the_base_and_a_path_once():
    assert absolute_url("/experts/requests/15/") == "https://hub.example.org/experts/requests/15/"
    assert absolute_url("events/") == "https://hub.example.org/events/"
    assert absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
