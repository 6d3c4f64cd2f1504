from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ExpertPoolConfig(AppConfig):
    name = "expert_pool"
    verbose_name = _("专家库")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from expert_pool import notify  # noqa: F401 - registers the expert pool's notification kinds
        from expert_pool.models import Expert
        from hub import pagecache, scheduler

        scheduler.register("notify_expert_loans")

        # An approval (or any change of a profile) shows in the directory and on the expert's page.
        pagecache.purge_when_saved(Expert, lambda expert: [
            reverse("expert_pool:directory"), reverse("expert_pool:profile", args=[expert.pk])])
