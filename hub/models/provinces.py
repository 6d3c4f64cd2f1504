from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hub.roles import ACTIONS


class ProvinceQuerySet(models.QuerySet):
    def ordered(self):
        return self.order_by("order", "code")


class Province(models.Model):
    """A member of the roundtable. Provinces are data: a new one is added here and provisioned by setup_roundtable."""

    code = models.CharField(
        _("代码"), max_length=8, unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", _("代码为 2–8 位大写字母，例如 SH。"))],
    )
    name_zh = models.CharField(_("中文名称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=64)
    colour = models.CharField(
        _("代表色"), max_length=7, default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("颜色格式为 #RRGGBB。"))],
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_member = models.BooleanField(_("圆桌会议正式成员"), default=True)

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("省市")
        verbose_name_plural = _("省市")
        default_permissions = ("add", "change", "delete", "view")
        permissions = [(f"{action}_province_data", label) for action, label in ACTIONS.items()]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class Association(models.Model):
    """A province's quality association; its standards code is the <code> in T/<code> numbers."""

    province = models.OneToOneField(
        Province, on_delete=models.CASCADE, related_name="association", verbose_name=_("省市")
    )
    name_zh = models.CharField(_("中文名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=16, blank=True)
    standards_code = models.CharField(
        _("团体标准代号"), max_length=16, unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,12}$", _("团体标准代号为大写字母，例如 SHAQ（编号 T/SHAQ 1—2024）。"))],
        help_text=_("T/ 之后的代号，例如 SHAQ。"),
    )
    website = models.URLField(_("网站"), blank=True)
    email = models.EmailField(_("联系邮箱"), blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        ordering = ["province__order"]
        verbose_name = _("质量协会")
        verbose_name_plural = _("质量协会")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def standards_prefix(self) -> str:
        return f"T/{self.standards_code}"
