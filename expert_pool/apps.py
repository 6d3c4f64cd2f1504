from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertPoolConfig(AppConfig):
    name = "expert_pool"
    verbose_name = _("专家库")
    default_auto_field = "django.db.models.BigAutoField"
