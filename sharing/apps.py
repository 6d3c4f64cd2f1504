from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = _("成果与标准共享")
    default_auto_field = "django.db.models.BigAutoField"
    DEMO_MODULES = ("sharing.demo", "sharing.evaluation_demo")

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

        from sharing.models import Programme, Result, ResultRecognition

        def programme_pages(programme_id):
            # Every certificate code shares the verification page's path; a stage change (announce, publish, done
            # with bulk writes) or a revocation must show there at once.
            return [reverse("evaluations:list"), reverse("evaluations:matrix"), reverse("evaluations:verify"),
                    reverse("evaluations:programme", args=[programme_id])]

        pagecache.purge_when_saved(Programme, lambda programme: programme_pages(programme.pk))
        pagecache.purge_when_saved(Result, lambda result: programme_pages(result.application.programme_id) + [
            reverse("evaluations:enterprise", args=[result.application.enterprise_id])])
        pagecache.purge_when_saved(ResultRecognition, lambda decision: programme_pages(decision.programme_id))
