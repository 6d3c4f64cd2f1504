"""The one source of absolute URLs: e-mails, iCal, feeds, notifications and certificates link through here."""
from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path_or_url: str) -> str:
    """``HUB_BASE_URL`` + ``path_or_url``; an URL that is already absolute is returned unchanged."""
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return settings.HUB_BASE_URL.rstrip("/") + "/" + path_or_url.lstrip("/")


def page_url(page) -> str:
    """A Wagtail page's absolute URL from ``HUB_BASE_URL`` ("" for a page that is not routable)."""
    url = page.get_url()
    return absolute_url(url) if url else ""


def site_address() -> tuple[str, int]:
    """(hostname, port) of ``HUB_BASE_URL``, as Wagtail's ``Site`` record holds them.

    Wagtail derives a site's scheme from its port (443 is https, anything else http), so an https base URL on
    another port cannot be expressed there; the hub's own links never read the Site record for that reason.
    """
    parts = urlsplit(settings.HUB_BASE_URL)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "localhost", port
