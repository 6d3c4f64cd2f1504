"""Adoption records (推广应用): another province reports that one of its organisations adopted an achievement."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hub.permissions import ProvinceScopedQuerySet

OWN_ACHIEVEMENT = _("本省的成果无需登记推广应用，请由其他省市登记。")
FUTURE_DATE = _("应用日期不能晚于今天。")


class AdoptionQuerySet(ProvinceScopedQuerySet):
    province_field = "province"


class Adoption(models.Model):
    """An organisation of ``province`` adopted an achievement of another province; owned by the adopting province."""

    achievement = models.ForeignKey("cms.AchievementPage", on_delete=models.CASCADE, related_name="adoptions",
                                    verbose_name=_("成果"))
    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="adoptions",
                                 verbose_name=_("应用省市"))
    organisation = models.CharField(_("应用单位"), max_length=128)
    adopted_on = models.DateField(_("应用日期"))
    outcome = models.TextField(_("应用效果"), max_length=2000)
    feedback = models.TextField(_("反馈意见"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AdoptionQuerySet.as_manager()

    class Meta:
        ordering = ["-adopted_on", "-pk"]
        verbose_name = _("推广应用记录")
        verbose_name_plural = _("推广应用记录")
        default_permissions = ()

    def __str__(self):
        return f"{self.organisation} · {self.achievement_id}"

    def clean(self):
        errors = {}
        if self.achievement_id and self.province_id and self.achievement.province_id == self.province_id:
            errors["province"] = OWN_ACHIEVEMENT
        if self.adopted_on and self.adopted_on > timezone.localdate():
            errors["adopted_on"] = FUTURE_DATE
        if errors:
            raise ValidationError(errors)
