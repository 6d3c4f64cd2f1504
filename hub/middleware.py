"""Middleware of the hub."""
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the visitor chose English with the language switch.

    Django's own middleware follows the browser's Accept-Language, which would show English to association staff
    whose office machines are set up in English; the roundtable's working language is Chinese, so only the
    explicit choice (the language cookie set by ``/i18n/setlang/``) changes it.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # Django's LocaleMiddleware adds Vary: Accept-Language; the page does not depend on it here (only the
        # language cookie does), and the header would split every shared cache's copy by browser locale.
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp with one exception: Wagtail's admin pages get ``HUB_ADMIN_CSP`` (see settings)."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and request.path_info.startswith("/admin/"):
            parts.config = settings.HUB_ADMIN_CSP
        return parts
