from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = _("圆桌会议")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub import pagecache, sites
        from hub.accounts import signals  # noqa: F401 - connects the sign-in receivers

        pagecache.register_signal_handlers()
        sites.install()
