"""The one source of absolute URLs: e-mails, iCal, feeds, notifications and certificates link through here."""
from django.conf import settings


def absolute_url(path_or_url: str) -> str:
    """``HUB_BASE_URL`` + ``path_or_url``; an URL that is already absolute is returned unchanged."""
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return settings.HUB_BASE_URL.rstrip("/") + "/" + path_or_url.lstrip("/")
