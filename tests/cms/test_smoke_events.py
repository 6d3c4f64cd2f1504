import pytest

from tests.cms import factories


@pytest.mark.django_db
def test_event_page_renders(client, province):
    event = factories.event(province("SH"), co_organisers=[province("ZJ")])
    assert event.province == province("SH")
    response = client.get(event.url)
    assert response.status_code == 200, response.content[:2000]
    assert event.title in response.content.decode()
