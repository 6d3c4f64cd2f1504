from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = _("成果与标准共享")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub import pagecache
        from sharing.models import GroupStandard, RecognitionDecision, RecognitionProposal

        def standard_pages(standard_id):
            return [reverse("standards:registry"), reverse("standards:matrix"),
                    reverse("standards:detail", args=[standard_id])]

        # The registry, the matrix and the standard's page show its status and every province's decision.
        pagecache.purge_when_saved(GroupStandard, lambda standard: standard_pages(standard.pk))
        pagecache.purge_when_saved(RecognitionProposal, lambda proposal: standard_pages(proposal.standard_id))
        pagecache.purge_when_saved(RecognitionDecision, lambda decision: standard_pages(decision.standard_id))
