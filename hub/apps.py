from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = _("圆桌会议")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub import i18n, page_routes, pagecache, sites
        from hub.accounts import signals  # noqa: F401 - connects the sign-in receivers

        # Notification kinds are registered by the module that sends them; load them so that the preferences page
        # and ``notify`` know every kind from the start.
        from hub.meetings import notify  # noqa: F401
        from hub.notifications.selectors import connect_signals

        connect_signals()

        pagecache.register_signal_handlers()
        sites.install()
        page_routes.install()
        i18n.install()
